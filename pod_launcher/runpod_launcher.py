"""Workers as RunPod GPU pods, through the ``runpod`` SDK.

The SDK keeps its API key in the module global ``runpod.api_key`` (it reads no environment variable
for it) and its endpoint from ``RUNPOD_API_BASE_URL`` (emulators set that). It raises
``QueryError`` for GraphQL errors, ``AuthenticationError`` for 401 and lets ``requests`` errors
through: a RunPod 5xx answers HTML, which surfaces as a ``JSONDecodeError``. All of that is
translated into ``LaunchError``/``NoCapacity`` here. ``QueryError.query`` holds the mutation text,
env values included, so it is never logged.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from pydantic import SecretStr

from config.logs import secret_filter
from config.settings import Settings
from pod_launcher.base import LaunchError, NoCapacity, WorkerInfo
from pod_launcher.pod_env import TOKEN_VAR, PodEnvError, graphql_safe_env, is_safe_value

log = logging.getLogger(__name__)

_NO_CAPACITY = re.compile(r"no\s+(longer\s+any\s+)?instances?\s+(currently\s+)?available", re.I)
_NOT_FOUND = re.compile(r"not\s+found|does\s+not\s+exist|no\s+pod", re.I)
_BID = re.compile(r"\bbid\b", re.I)
_SECRET_REF = re.compile(r"\{\{\s*RUNPOD_SECRET_[A-Za-z0-9_\-]+\s*\}\}")
_NAME_TIME = "%y%m%d%H%M%S"
# The SDK is configured through module globals; one call at a time keeps the key ours.
_sdk_lock = threading.Lock()


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


_CPU_INSTANCE = re.compile(r"cpu\d+[a-z]+-(\d+)-(\d+)")
_PLAIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")


def pod_kind(settings: Settings) -> str:
    """"cpu" or "gpu": ``runpod.pod_kind``, where "auto" means GPU pods only for an SMPL-X body fit."""
    kind = settings.runpod.pod_kind
    if kind == "auto":
        return "gpu" if settings.analysis.smplx_model.strip() else "cpu"
    return kind


def deployment_problems(settings: Settings) -> list[str]:
    """What in the RunPod settings cannot work or breaks the data/secret rules; empty when all is well.
    Checked when the watcher starts (config.consistency) and again before every launch."""
    rp = settings.runpod
    problems: list[str] = []
    if not rp.image:
        problems.append("runpod.image is not set: build and push the Dockerfile, then configure its name")
    elif not is_safe_value(rp.image) or '"' in rp.image:
        problems.append(f"runpod.image {rp.image!r} contains characters RunPod cannot take")
    kind = pod_kind(settings)
    if kind == "gpu" and not rp.gpu_types:
        problems.append("runpod.gpu_types is empty but GPU pods are wanted (runpod.pod_kind / analysis.smplx_model)")
    if kind == "cpu":
        if not rp.cpu_instance_ids:
            problems.append("runpod.cpu_instance_ids is empty but CPU pods are wanted (runpod.pod_kind)")
        for iid in rp.cpu_instance_ids:
            m = _CPU_INSTANCE.fullmatch(iid)
            if not m:
                problems.append(f"runpod.cpu_instance_ids: {iid!r} is not a RunPod CPU instance id like 'cpu3c-8-16'")
            elif int(m.group(1)) < rp.cpu_min_vcpus or int(m.group(2)) < rp.cpu_min_memory_gb:
                problems.append(
                    f"runpod.cpu_instance_ids: {iid} has {m.group(1)} vCPUs / {m.group(2)} GB, below "
                    f"runpod.cpu_min_vcpus = {rp.cpu_min_vcpus} / runpod.cpu_min_memory_gb = {rp.cpu_min_memory_gb}"
                )
    for key in ("data_center_ids", "country_codes", "allowed_cuda_versions"):
        for value in getattr(rp, key):
            if not _PLAIN_ID.fullmatch(value):
                problems.append(f"runpod.{key}: {value!r} is not a plain id")
    if rp.container_registry_auth_id and not _PLAIN_ID.fullmatch(rp.container_registry_auth_id):
        problems.append("runpod.container_registry_auth_id is not a plain id (RunPod > Settings > Container Registry Auth)")
    secret = rp.drive_token_secret.strip()
    if secret and not _SECRET_REF.fullmatch(secret):
        problems.append("runpod.drive_token_secret must be a RunPod secret reference like '{{ RUNPOD_SECRET_hotfolder_drive_token }}'")
    if settings.storage.backend == "drive" and not secret and not rp.allow_plain_token_env:
        problems.append(
            "RunPod workers need the Drive credential: create a RunPod secret holding it (base64) and set "
            "runpod.drive_token_secret = '{{ RUNPOD_SECRET_<name> }}', or set runpod.allow_plain_token_env = true "
            "to send it in the pod env (visible to everyone with access to the RunPod account)"
        )
    return problems


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
        problems = deployment_problems(self.settings)
        if problems:
            raise LaunchError("; ".join(problems))
        try:
            pod_env = graphql_safe_env(env)
        except PodEnvError as exc:
            raise LaunchError(str(exc)) from None
        token = env.get(TOKEN_VAR, "")
        if token and not _SECRET_REF.fullmatch(token.strip()):
            secret_filter().add(token)  # a literal token: never log it
            if not self.rp.allow_plain_token_env:
                raise LaunchError(
                    "refusing to put the Drive credential into the pod env in plain text: set "
                    "runpod.drive_token_secret to a RunPod secret reference (README: RunPod secrets), "
                    "or runpod.allow_plain_token_env = true to accept it"
                )
        kind = pod_kind(self.settings)
        offers = self.rp.gpu_types if kind == "gpu" else self.rp.cpu_instance_ids
        name = self._new_name()
        unavailable: list[str] = []
        for offer in offers:
            for where in self._locations():
                label = offer + (f" in {where[1]}" if where else "")
                try:
                    pod = self._create(kind, offer, where, name, pod_env)
                except NoCapacity:
                    log.info("RunPod: no %s available, trying the next %s", label,
                             "location" if where and where != self._locations()[-1] else f"{kind.upper()} type")
                    unavailable.append(label)
                    continue
                except _UnknownGpu:
                    log.warning("RunPod does not know GPU type %r (check runpod.gpu_types); skipping it", offer)
                    unavailable.append(offer)
                    break
                except LaunchError as exc:
                    # The request may have created the pod before the answer was lost: look for it
                    # by its unique name so it is never left running unrecorded.
                    found = self._find_by_name(name)
                    if found is not None:
                        log.warning("RunPod answered %s, but pod %s (%s) was created", exc, found.id, name)
                        return found
                    raise
                if not pod or not pod.get("id"):
                    raise LaunchError(f"RunPod created no pod for {label} (empty answer)")
                # Record the pod id before anything else can wait or fail.
                log.info("launched RunPod pod %s (%s) on %s (%s%s)", pod["id"], name, label, kind.upper(),
                         ", interruptible" if pod.get("_interruptible") else "")
                return self._describe_new(pod, name, offer)
        wait = self.rp.retry_after
        what = "GPU" if kind == "gpu" else "CPU instance"
        msg = (
            f"RunPod has no {what} available of any configured type ({', '.join(unavailable) or 'none configured'}); "
            f"no pod started, will retry in {wait:.0f} s"
        )
        log.warning(msg)
        raise NoCapacity(msg)

    def _locations(self) -> list[tuple[str, str] | None]:
        if self.rp.data_center_ids:
            return [("dataCenterId", dc) for dc in self.rp.data_center_ids]
        if self.rp.country_codes:
            return [("countryCode", cc.upper()) for cc in self.rp.country_codes]
        return [None]

    def _create(self, kind: str, offer: str, where: tuple[str, str] | None, name: str,
                pod_env: dict[str, str]) -> dict[str, Any]:
        """One create request, through RunPod's GraphQL API directly: the SDK's create_pod cannot set
        the registry auth id or rent interruptible pods. Values are JSON-quoted (GraphQL's string syntax)."""
        rp = self.rp
        fields: dict[str, Any] = {
            "name": name,
            "imageName": rp.image,
            "cloudType": _Enum(rp.cloud_type),
            "containerDiskInGb": rp.container_disk_gb,
            "volumeInGb": 0,
            "startSsh": False,
            "env": [{"key": k, "value": v} for k, v in pod_env.items()],
        }
        if where is not None:
            fields[where[0]] = where[1]
        if rp.container_registry_auth_id:
            fields["containerRegistryAuthId"] = rp.container_registry_auth_id
        if kind == "cpu":
            fields["instanceId"] = offer
            return self._call("_deploy", "deployCpuPod", fields)
        gpu = self._call("get_gpu", offer)  # unknown type: ValueError "No GPU found" -> _UnknownGpu
        fields.update(gpuTypeId=offer, gpuCount=1, supportPublicIp=False, minVcpuCount=rp.gpu_min_vcpus,
                      minMemoryInGb=rp.gpu_min_memory_gb)
        if rp.allowed_cuda_versions:
            fields["allowedCudaVersions"] = list(rp.allowed_cuda_versions)
        if rp.interruptible:
            bid = rp.bid_per_gpu or float(((gpu or {}).get("lowestPrice") or {}).get("minimumBidPrice") or 0)
            try:
                if bid <= 0:
                    raise NoCapacity(f"RunPod offers no interruptible {offer} (no minimum bid)")
                pod = self._call("_deploy", "podRentInterruptable", {**fields, "bidPerGpu": round(bid, 4)})
                if pod:
                    pod["_interruptible"] = True
                return pod
            except (NoCapacity, _BidRefused) as exc:
                if not rp.interruptible_fallback:
                    raise NoCapacity(str(exc)) from None
                log.info("RunPod: no interruptible %s at $%.3f/h (%s); renting it on demand", offer, bid, exc)
        return self._call("_deploy", "podFindAndDeployOnDemand", fields)

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

    def stop(self, worker_id: str) -> None:
        try:
            self._call("stop_pod", worker_id)
        except _NotFound:
            return
        log.info("stopped RunPod pod %s", worker_id)

    def describe(self, worker_id: str) -> WorkerInfo | None:
        try:
            pod = self._call("get_pod", worker_id)
        except _NotFound:
            return None
        return self._info(pod) if pod else None

    @classmethod
    def in_pod(cls, settings: Settings, pod_api_key: str) -> "RunpodLauncher":
        """The launcher as a pod uses it on itself, with the pod-scoped key RunPod gives it
        (``RUNPOD_API_KEY``); the account key never travels to pods."""
        runpod = settings.runpod.model_copy(update={"api_key": SecretStr(pod_api_key)})
        return cls(settings.model_copy(update={"runpod": runpod}))

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
                if fn == "_deploy":
                    return _deploy(*args)
                return getattr(runpod, fn)(*args, **kwargs)
            except rp_error.AuthenticationError:
                raise LaunchError("RunPod rejected the API key (runpod.api_key)") from None
            except rp_error.QueryError as exc:
                message = str(exc.message or "GraphQL error")
                if _NO_CAPACITY.search(message):
                    raise NoCapacity(message) from None
                if _NOT_FOUND.search(message):
                    raise _NotFound(message) from None
                if _BID.search(message):
                    raise _BidRefused(message) from None
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


class _BidRefused(LaunchError):
    pass


class _Enum(str):
    """A GraphQL enum value: written without quotes."""


def _literal(value: Any) -> str:
    if isinstance(value, _Enum):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON string escapes are valid GraphQL string escapes
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} into GraphQL")


def _deploy(mutation: str, fields: dict[str, Any]) -> dict[str, Any]:
    from runpod.api.graphql import run_graphql_query

    query = (f"mutation {{ {mutation}(input: {_literal(fields)}) "
             "{ id imageName desiredStatus costPerHr machineId machine { podHostId } } }")
    return run_graphql_query(query)["data"][mutation]


class _NotFound(LaunchError):
    pass
