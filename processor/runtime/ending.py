"""How a pod ends itself, through the launcher's own adapter (the one place that knows RunPod's errors).

On RunPod (``RUNPOD_POD_ID`` and the pod-scoped ``RUNPOD_API_KEY`` set by RunPod), the worker ends its
pod on every exit path. Terminating is retried with exponential backoff (capped at ``MAX_WAIT_S``) for
as long as the pod lives, since a pod that stays up bills; after ``STOP_AFTER`` failed tries it also
asks for a *stop* (compute billing ends, the disk stays) and goes on trying to terminate. A pod's age
is read from RunPod (its creation time), not from this process' start, so a restarted container does
not get a fresh ``launcher.max_lifetime``.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING, Callable, MutableMapping

from tenacity import Retrying, retry_if_exception_type, wait_exponential

if TYPE_CHECKING:
    from config.settings import Settings
    from pod_launcher.base import Launcher

log = logging.getLogger(__name__)

STOP_AFTER = 3
MAX_WAIT_S = 60.0


def own_pod(environ: MutableMapping[str, str], settings: "Settings") -> "tuple[Launcher, str] | None":
    """(launcher, pod id) when this worker runs in a RunPod pod, else None."""
    pod_id, key = environ.get("RUNPOD_POD_ID"), environ.get("RUNPOD_API_KEY")
    if not pod_id:
        return None
    if not key:
        log.error("RUNPOD_API_KEY is not set: pod %s cannot end itself; the watcher's reaper will", pod_id)
        return None
    from config.logs import secret_filter
    from pod_launcher.runpod_launcher import RunpodLauncher

    secret_filter().add(key)
    return RunpodLauncher.in_pod(settings, key), pod_id


def end_own_pod(environ: MutableMapping[str, str], settings: "Settings",
                sleep: Callable[[float], None] = time.sleep) -> bool:
    """Terminate this pod; retries until it works. False when not on RunPod (nothing to end)."""
    found = own_pod(environ, settings)
    if found is None:
        return False
    launcher, pod_id = found
    from pod_launcher.base import LaunchError

    failures = 0

    def note(state) -> None:
        nonlocal failures
        failures += 1
        log.error("could not terminate pod %s (%s); trying again", pod_id, state.outcome.exception())
        if failures == STOP_AFTER:
            try:
                launcher.stop(pod_id)
                log.warning("pod %s stopped (its compute no longer bills); still trying to terminate it", pod_id)
            except LaunchError as exc:
                log.error("could not stop pod %s either (%s)", pod_id, exc)

    for attempt in Retrying(retry=retry_if_exception_type(LaunchError), wait=wait_exponential(1, max=MAX_WAIT_S),
                            before_sleep=note, sleep=sleep, reraise=True):
        with attempt:
            launcher.terminate(pod_id)
    log.info("terminated own pod %s", pod_id)
    return True


def pod_created_at(environ: MutableMapping[str, str], settings: "Settings") -> datetime | None:
    """When this pod was created (RunPod's view); None off RunPod or when RunPod cannot say."""
    found = own_pod(environ, settings)
    if found is None:
        return None
    launcher, pod_id = found
    from pod_launcher.base import LaunchError

    try:
        info = launcher.describe(pod_id)
    except LaunchError as exc:
        log.warning("could not read pod %s's age from RunPod (%s); counting from this process' start", pod_id, exc)
        return None
    return info.started_at if info else None
