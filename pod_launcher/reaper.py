"""The watcher's second line of defence: stop workers that outlived their purpose.

A worker normally ends itself (queue empty, SIGTERM, fatal error, its own maximum runtime). The
reaper catches the rest: a worker older than ``launcher.max_lifetime``, one whose last activity
(the last lease renewal the caller saw, else its start) is older than ``launcher.idle_timeout``,
and ended workers still listed (an exited pod still holds its disk).
"""

from __future__ import annotations

import logging
from datetime import datetime

from config.settings import LauncherSettings, Settings
from pod_launcher.base import LaunchError, Launcher, WorkerInfo

log = logging.getLogger(__name__)


def reap(
    launcher: Launcher,
    last_activity: dict[str, datetime],
    now: datetime,
    settings: Settings | LauncherSettings,
    workers: list[WorkerInfo] | None = None,
) -> list[WorkerInfo]:
    """Terminate overdue workers; returns the live ones it stopped (ended ones are only cleaned up).

    ``last_activity`` maps a worker id (or its name) to the latest sign of life the caller saw,
    e.g. a lease renewal found on a claimed video. ``workers``: the caller's own listing of this
    poll (one RunPod list per poll, shared with the overview); None lists them here.
    """
    conf = settings.launcher if isinstance(settings, Settings) else settings
    terminated: list[WorkerInfo] = []
    for worker in launcher.list_workers() if workers is None else workers:
        reason = _overdue(worker, last_activity, now, conf)
        if reason is None:
            continue
        try:
            launcher.terminate(worker.id)
        except LaunchError as exc:
            log.error("could not terminate worker %s (%s): %s; will try again next poll", worker.id, reason, exc)
            continue
        if worker.alive:
            log.warning("terminated worker %s (%s): %s", worker.id, worker.name, reason)
            terminated.append(worker)
        else:
            log.info("cleaned up worker %s (%s): %s", worker.id, worker.name, reason)
    return terminated


def _overdue(worker: WorkerInfo, last_activity: dict[str, datetime], now: datetime, conf: LauncherSettings) -> str | None:
    if not worker.alive:
        return f"it has ended ({worker.status})"
    if worker.started_at is None:
        return None  # cannot age it; RunPod reports a start once the pod runs
    age = (now - worker.started_at).total_seconds()
    if age > conf.max_lifetime:
        return f"running {age:.0f} s, past launcher.max_lifetime ({conf.max_lifetime:.0f} s)"
    seen = [t for t in (last_activity.get(worker.id), last_activity.get(worker.name)) if t is not None]
    last = max([worker.started_at, *seen])
    idle = (now - last).total_seconds()
    if idle > conf.idle_timeout:
        return f"no lease renewed for {idle:.0f} s, past launcher.idle_timeout ({conf.idle_timeout:.0f} s)"
    return None
