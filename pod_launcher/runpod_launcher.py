"""Workers as RunPod GPU pods, through the ``runpod`` SDK.

The SDK keeps its API key in the module global ``runpod.api_key`` (it reads no environment variable
for it) and its endpoint from ``RUNPOD_API_BASE_URL`` (emulators set that). It raises
``QueryError`` for GraphQL errors, ``AuthenticationError`` for 401 and lets ``requests`` errors
through: a RunPod 5xx answers HTML, which surfaces as a ``JSONDecodeError``. All of that is
translated into ``LaunchError``/``NoCapacity`` here. ``QueryError.query`` holds the mutation text,
env values included, so it is never logged.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from config.logs import secret_filter
from config.settings import Settings
from pod_launcher.base import LaunchError, NoCapacity, WorkerInfo
from pod_launcher.pod_env import TOKEN_VAR, PodEnvError, graphql_safe_env, is_safe_value

log = logging.getLogger(__name__)

_NO_CAPACITY = re.compile(r"no\s+(longer\s+any\s+)?instances?\s+(currently\s+)?available", re.I)
_NOT_FOUND = re.compile(r"not\s+found|does\s+not\s+exist|no\s+pod", re.I)
_NAME_TIME = "%y%m%d%H%M%S"
# The SDK is configured through module globals; one call at a time keeps the key ours.
_sdk_lock = threading.Lock()


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class RunpodLauncher:
    def __init__(self, settings: Settings, clock: Callable[[], datetime] = _utcnow):
        self.settings = settings
        self.rp = settings.runpod
        self.prefix = settings.launcher.name_prefix
        self.clock = clock
        key = self.rp.api_key.get_secret_value()
        secret_filter().add(key)

    # -- the Launcher interface -------------------------------------------------------------

    def launch(self, env: dict[str, str]) -> WorkerInfo:
        if not self.rp.image:
            raise LaunchError("runpod.image is not set: build and push the Dockerfile, then configure its name")
        if not is_safe_value(self.rp.image) or '"' in self.rp.image:
            raise LaunchError(f"runpod.image {self.rp.image!r} contains characters RunPod cannot take")
        try:
            pod_env = graphql_safe_env(env)
        except PodEnvError as exc:
            raise LaunchError(str(exc)) from None
        token = env.get(TOKEN_VAR, "")
        if token and not token.lstrip().startswith("{{"):
            secret_filter().add(token)  # a literal token: never log it
        name = self._new_name()
        unavailable: list[str] = []
        for gpu in self.rp.gpu_types:
            try:
                pod = self._call(
                    "create_pod",
                    name=name,
                    image_name=self.rp.image,
                    gpu_type_id=gpu,
                    cloud_type=self.rp.cloud_type,
                    gpu_count=1,
                    container_disk_in_gb=self.rp.container_disk_gb,
                    volume_in_gb=0,
                    support_public_ip=False,
                    start_ssh=False,
                    env=pod_env,
                )
            except NoCapacity:
                log.info("RunPod: no %s available, trying the next GPU type", gpu)
                unavailable.append(gpu)
                continue
            except _UnknownGpu:
                log.warning("RunPod does not know GPU type %r (check runpod.gpu_types); skipping it", gpu)
                unavailable.append(gpu)
                continue
            except LaunchError as exc:
                # The request may have created the pod before the answer was lost: look for it
                # by its unique name so it is never left running unrecorded.
                found = self._find_by_name(name)
                if found is not None:
                    log.warning("RunPod answered %s, but pod %s (%s) was created", exc, found.id, name)
                    return found
                raise
            if not pod or not pod.get("id"):
                raise LaunchError(f"RunPod created no pod for {gpu} (empty answer)")
            # Record the pod id before anything else can wait or fail.
            log.info("launched RunPod pod %s (%s) on %s", pod["id"], name, gpu)
            return self._describe_new(pod, name, gpu)
        wait = self.rp.retry_after
        msg = (
            f"RunPod has no GPU available of any configured type ({', '.join(unavailable) or 'none configured'}); "
            f"no pod started, will retry in {wait:.0f} s"
        )
        log.warning(msg)
        raise NoCapacity(msg)

    def list_workers(self) -> list[WorkerInfo]:
        pods = self._call("get_pods") or []
        return [self._info(p) for p in pods if str(p.get("name") or "").startswith(self.prefix)]

    def terminate(self, worker_id: str) -> None:
        try:
            self._call("terminate_pod", worker_id)
        except _NotFound:
            log.debug("pod %s already gone", worker_id)
            return
        log.info("terminated RunPod pod %s", worker_id)

    # -- helpers -------------------------------------------------------------------------------

    def _new_name(self) -> str:
        # The creation time in the name lets the reaper age a pod even if RunPod reports no uptime.
        return f"{self.prefix}-{self.clock().strftime(_NAME_TIME)}-{secrets.token_hex(3)}"

    def _started_from_name(self, name: str) -> datetime | None:
        m = re.fullmatch(re.escape(self.prefix) + r"-(\d{12})-[0-9a-f]+", name)
        if not m:
            return None
        return datetime.strptime(m.group(1), _NAME_TIME).replace(tzinfo=timezone.utc)

    def _find_by_name(self, name: str) -> WorkerInfo | None:
        try:
            return next((w for w in self.list_workers() if w.name == name), None)
        except LaunchError as exc:
            log.warning("could not list pods to look for %s: %s", name, exc)
            return None

    def _describe_new(self, pod: dict[str, Any], name: str, gpu: str) -> WorkerInfo:
        info = WorkerInfo(id=pod["id"], name=name, status="CREATED", started_at=self.clock(), gpu_type=gpu)
        try:
            fresh = self._call("get_pod", pod["id"])
        except LaunchError as exc:
            log.warning("pod %s: could not read its price yet: %s", pod["id"], exc)
            return info
        if not fresh:
            return info
        return self._info({**fresh, "name": fresh.get("name") or name}, gpu_type=gpu)

    def _info(self, pod: dict[str, Any], gpu_type: str | None = None) -> WorkerInfo:
        name = str(pod.get("name") or "")
        uptime = pod.get("uptimeSeconds")
        uptime = float(uptime) if uptime is not None else None
        started = self._started_from_name(name)
        if started is None and uptime is not None:
            started = self.clock() - timedelta(seconds=uptime)
        machine = pod.get("machine") or {}
        cost = pod.get("costPerHr")
        return WorkerInfo(
            id=str(pod["id"]),
            name=name,
            status=str(pod.get("desiredStatus") or "UNKNOWN").upper(),
            started_at=started,
            gpu_type=machine.get("gpuDisplayName") or gpu_type,
            cost_per_hour=float(cost) if cost is not None else None,
            uptime_s=uptime,
        )

    def _call(self, fn: str, *args: Any, **kwargs: Any) -> Any:
        import requests
        import runpod
        from runpod import error as rp_error

        key = self.rp.api_key.get_secret_value()
        if not key:
            raise LaunchError("runpod.api_key is not set (HOTFOLDER_RUNPOD__API_KEY)")
        with _sdk_lock:
            runpod.api_key = key
            try:
                return getattr(runpod, fn)(*args, **kwargs)
            except rp_error.AuthenticationError:
                raise LaunchError("RunPod rejected the API key (runpod.api_key)") from None
            except rp_error.QueryError as exc:
                message = str(exc.message or "GraphQL error")
                if _NO_CAPACITY.search(message):
                    raise NoCapacity(message) from None
                if _NOT_FOUND.search(message):
                    raise _NotFound(message) from None
                raise LaunchError(f"RunPod {fn} failed: {message}") from None
            except requests.exceptions.JSONDecodeError:
                raise LaunchError(f"RunPod {fn}: the API answered an error page (RunPod outage?)") from None
            except requests.RequestException as exc:
                raise LaunchError(f"RunPod {fn}: {type(exc).__name__} talking to the API") from None
            except ValueError as exc:
                if "No GPU found" in str(exc):
                    raise _UnknownGpu(str(exc)) from None
                raise LaunchError(f"RunPod {fn}: {exc}") from None
            except (KeyError, TypeError) as exc:
                raise LaunchError(f"RunPod {fn}: unexpected answer ({type(exc).__name__}: {exc})") from None


class _UnknownGpu(LaunchError):
    pass


class _NotFound(LaunchError):
    pass
