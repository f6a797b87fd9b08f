"""The lease on the video being worked on, renewed only while the work moves.

A thread renews the lease every ``worker.heartbeat`` seconds with the latest progress, but only while
the work shows signs of life: a progress value that changed, or a stage that reports activity
(``touch``: a downloaded or uploaded chunk). When nothing moved for ``worker.stall_seconds``,
or the video's time budget (``processor.runtime.budget``) is used up, the heartbeat stops renewing
and *cancels* the work: the next progress report raises ``Cancelled`` in the working thread, and the
analysis' child processes (the pose pool) are killed, so a frozen child cannot hold the worker. The
lease is then left to expire on its own if the working thread does not come back (another worker, or
this one's next attempt, takes the video; the attempt counts).

Why not renew unconditionally: a renewed lease is what tells every other worker and the watcher's
reaper that the video is in hand, so a hung analysis that kept renewing would bill until
``launcher.max_lifetime`` (6 h), three attempts in a row.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from drive.queue import Claim, VideoQueue

log = logging.getLogger(__name__)

# Progress (%) split between the stages.
DOWNLOAD_SPAN, ANALYSIS_START, ANALYSIS_SPAN, UPLOAD_AT = 10, 10, 80, 95


class Cancelled(BaseException):
    """Raised in the working thread at its next progress report: the work stalled or ran over its
    budget. A BaseException so that no ``except Exception`` in the analysis swallows it."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def kill_child_processes() -> int:
    """Kill this process's multiprocessing children (the pose pool); returns how many."""
    children = multiprocessing.active_children()
    for child in children:
        child.kill()
    for child in children:
        child.join(timeout=5)
    return len(children)


class Heartbeat:
    """Renews the lease while the work makes progress; cancels it when it stalls or overruns."""

    def __init__(self, queue: "VideoQueue", claim: "Claim", interval: float, stall_seconds: float,
                 clock: Callable[[], float] = time.monotonic, on_cancel: Callable[[], object] = kill_child_processes):
        self.queue = queue
        self.claim = claim
        self.interval = interval
        self.stall_seconds = stall_seconds
        self.clock = clock
        self.on_cancel = on_cancel
        self.progress = 0
        self.lost: Exception | None = None
        self.cancelled: str | None = None  # the reason, once cancelled
        self.deadline: float | None = None  # the video's time budget, once known (monotonic)
        self._budget_s: float | None = None
        self._raw = -1.0
        self._active = clock()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=30)

    # -- what the working thread reports ---------------------------------------------------------

    def touch(self) -> None:
        """Activity without a new percentage (a chunk, a file); raises ``Cancelled`` once cancelled."""
        if self.cancelled is not None:
            raise Cancelled(self.cancelled)
        self._active = self.clock()

    def set_budget(self, seconds: float) -> None:
        """From now on the video may take ``seconds`` more (``processor.runtime.budget``)."""
        self._budget_s = seconds
        self.deadline = self.clock() + seconds

    def set_progress(self, pct: float) -> None:
        self.touch()
        self.progress = max(self.progress, min(99, int(pct)))

    def download_progress(self, done: int, total: int | None) -> None:
        self.touch()
        if total:
            self.set_progress(DOWNLOAD_SPAN * done / total)

    def upload_progress(self, done: int, total: int | None) -> None:
        """A chunk of an output went up: activity, so a slow upload of a long preview is not taken
        for a stall; the percentage stays at the upload's mark (the files' sizes are not known ahead)."""
        self.touch()

    def analysis_progress(self, fraction: float) -> None:
        fraction = max(0.0, min(1.0, float(fraction)))
        if self.cancelled is not None:
            raise Cancelled(self.cancelled)
        if fraction > self._raw:  # a pool reports every 0.5 s; only a growing fraction is progress
            self._raw = fraction
            self.set_progress(ANALYSIS_START + ANALYSIS_SPAN * fraction)

    def check(self) -> None:
        if self.lost is not None:
            raise self.lost
        if self.cancelled is not None:
            raise Cancelled(self.cancelled)

    def renew_now(self) -> None:
        """Renew right before a side effect (still ours?); raises ``LostClaim``/``Cancelled``."""
        self.check()
        with self._lock:
            self.claim = self.queue.renew(self.claim, self.progress)

    # -- the thread ------------------------------------------------------------------------------

    def _overdue(self) -> str | None:
        now = self.clock()
        if self.deadline is not None and now > self.deadline:
            return f"the analysis took longer than its time budget of {self._budget_s:.0f} s"
        idle = now - self._active
        if idle > self.stall_seconds:
            return f"the work made no progress for {idle:.0f} s (worker.stall_seconds = {self.stall_seconds:.0f})"
        return None

    def _cancel(self, reason: str) -> None:
        log.error("%s: %s; stopping it", self.claim.video.name, reason)
        self.cancelled = reason
        try:
            killed = self.on_cancel()
            if killed:
                log.warning("%s: killed %s child process(es) of the analysis", self.claim.video.name, killed)
        except Exception as exc:  # noqa: BLE001 - cancelling must not kill the heartbeat thread
            log.warning("could not stop the analysis' child processes (%s)", exc)

    def _run(self) -> None:
        from drive.queue import LostClaim
        from drive.storage import StorageError

        while not self._stop.wait(self.interval):
            if self.cancelled is None:
                reason = self._overdue()
                if reason is not None:
                    self._cancel(reason)
            if self.cancelled is not None:
                continue  # no renewal: the lease runs out unless the working thread records the failure
            try:
                with self._lock:
                    if self._stop.is_set():
                        return
                    self.claim = self.queue.renew(self.claim, self.progress)
            except LostClaim as exc:
                log.warning("lost the claim on %s: %s", self.claim.video.name, exc)
                self.lost = exc
                return
            except StorageError as exc:
                log.warning("lease renewal for %s failed (%s); trying again", self.claim.video.name, exc)
