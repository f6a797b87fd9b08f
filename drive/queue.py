"""The per-video state machine and the claim protocol, over any ``Storage`` backend.

States (``hf_*`` properties on each video, see ``drive.model``)::

    pending ──claim──> claimed(worker, lease_until, attempts, nonce) ──complete──> done  (moved to Done)
       ^                  │ │ └──fail(permanent, or attempts >= max_attempts)──> failed (moved to Failed,
       │                  │ │                                                    "<name> - error.txt")
       └──fail(transient)─┘ └──release (SIGTERM): attempt not counted
       └──lease expired (worker died): claimable again, the attempt counts; when attempts are used up
          the video is failed instead ("worker stopped N times"), so it never blocks the queue
    failed ──retry──> pending (back in the inbox, attempts 0)

``hf_attempts`` counts *started* attempts: a claim writes attempts+1, so a crashed attempt is already
counted when its lease expires, and ``release`` gives the count back.

Claim protocol. Drive has no compare-and-swap, so a claim is "write, wait, re-read; the last writer wins":

1. read the video (fresh ``get_video``); go on only if it is pending, or claimed with an expired lease;
2. write ``hf_state=claimed, hf_worker=me, hf_lease_until, hf_attempts, hf_claim_nonce=<random>``;
3. if the read→write gap (measured from before the read request to after the write answer) was not
   shorter than ``claim_pause``, undo: re-read, and if our nonce is still there, write back what step 1
   read; give up this video;
4. sleep ``claim_pause``, re-read: the claim is won iff the video still shows our worker and nonce.

``claim_pause = 0`` switches the check off: only for a single worker. ``renew`` refuses (``LostClaim``)
a lease with less than ``claim_pause`` left, so a renewal never lands after another worker read the
lease as expired; workers renew every few seconds or so, far inside the lease.

Why at most one worker wins (for gaps shorter than the pause, and a lease longer than pause + gap).
Drive applies the metadata writes of one file in some order with read-after-write consistency. Say A
and B both won, with A's write ``wA`` before B's write ``wB``. A won, so its re-read at ``cA >= wA +
pause`` still showed A's nonce: ``wB > cA >= wA + pause``. B's read ``rB`` came less than a pause before
``wB``, so ``rB > wB - pause > wA``: B's read saw A's claim (or something later), with a live lease, and
B would not have written. Contradiction. A write slower than the pause voids the proof, which is why
step 3 undoes it; the undo can in turn void a claim another worker just won — that worker finds out at
its next ``renew``/``complete``/``fail`` (``LostClaim``), so nothing is done twice. Workers should renew
right before one-off side effects (uploading the report); the upload is idempotent anyway
(``find_output``). Leases compare the wall clocks of different machines: keep ``lease_seconds`` far
above any clock skew (NTP keeps it under a second; the default lease is 300 s).

Ordering of writes makes every crash point recoverable: state first, then the move (``complete``,
``fail``), and the error file before the state. ``sweep`` (run by ``claim_next``) finishes what a crash
left: done/failed videos still in the inbox are moved, exhausted expired claims are failed.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Callable

from config.settings import DriveSettings
from drive.model import (
    NONCE_KEY,
    PREFIX,
    Folder,
    ReportRef,
    State,
    VideoFile,
    VideoState,
    error_file_name,
    format_time,
    utcnow,
)
from drive.settle import Selection, SettleTracker, classify
from drive.credentials import AuthError
from drive.storage import FileGone, Storage, StorageError

log = logging.getLogger(__name__)

STATE_KEYS = tuple(VideoState().to_properties()) + (NONCE_KEY,)


class LostClaim(Exception):
    """The video is no longer ours: another worker claimed it, or it was finished or reset."""


@dataclass(frozen=True)
class Claim:
    video: VideoFile
    worker_id: str
    lease_until: datetime
    attempt: int
    nonce: str = ""  # identifies this claim (the same worker may claim a video twice over time)


@dataclass(frozen=True)
class Lookup:
    """What the last ``claim_next`` saw besides a claim: work that is there but could not be taken yet."""

    waiting: tuple[VideoFile, ...] = ()  # claimable, not settled yet (still changing, or just seen)
    backed_off: int = 0  # processable videos given up because our claim write outlasted the pause


class VideoQueue:
    def __init__(
        self,
        storage: Storage,
        settings: DriveSettings,
        worker_id: str,
        settle: SettleTracker | None = None,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
        *,
        claim_pause: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        if not worker_id:
            raise ValueError("worker_id must not be empty")
        self.storage = storage
        self.settings = settings
        self.worker_id = worker_id
        # No tracker: settle in memory (a fresh worker then waits one settle period); pass
        # SettleTracker(None, 0) to rely on the watcher's settling instead.
        self.settle = settle if settle is not None else SettleTracker(None, settings.settle_seconds)
        self.clock = clock
        self.sleep = sleep
        self.monotonic = monotonic
        self.claim_pause = settings.claim_pause if claim_pause is None else float(claim_pause)
        self.lease = timedelta(seconds=settings.lease_seconds)
        self.last_lookup = Lookup()
        self._backed_off = 0
        self._trouble: dict[str, tuple[float, int]] = {}  # video id -> (retry after, failures)
        if settings.lease_seconds <= 2 * self.claim_pause:
            raise ValueError(
                f"drive.lease_seconds ({settings.lease_seconds}) must exceed twice drive.claim_pause "
                f"({self.claim_pause}) for claims to be unique"
            )

    # ---------------------------------------------------------------- looking

    def snapshot(self) -> list[tuple[VideoFile, VideoState]]:
        """Every inbox video with its parsed state."""
        return [(v, VideoState.from_properties(v.properties)) for v in self.storage.list_videos(Folder.INBOX)]

    def select(self) -> Selection:
        """One look at the inbox through the settle tracker (updates its observations)."""
        return self.settle.select(self.storage.list_videos(Folder.INBOX), self.clock(), self.settings.max_attempts)

    def processable(self) -> list[VideoFile]:
        """Settled videos that are pending, or claimed with an expired lease (attempts left)."""
        return self.select().process

    # ---------------------------------------------------------------- claiming

    def claim_next(self) -> Claim | None:
        """Sweep, then claim the first processable video that this worker wins; None if none."""
        self.last_lookup, self._backed_off = Lookup(), 0
        videos = self.storage.list_videos(Folder.INBOX)
        self.sweep(videos)
        sel = self.settle.select(videos, self.clock(), self.settings.max_attempts)
        later: list[VideoFile] = []
        try:
            for video in sel.process:
                if self._backing_off(video):
                    later.append(video)
                    continue
                try:
                    claim = self._try_claim(video)
                except AuthError:
                    raise  # not this video's fault: every call would fail the same way
                except StorageError as exc:
                    # One file's error (a 403, a name the file system refuses) must not stop the others.
                    self._note_trouble(video, exc)
                    later.append(video)
                    continue
                if claim is not None:
                    return claim
            return None
        finally:
            self.last_lookup = Lookup(tuple(sel.waiting) + tuple(later), self._backed_off)

    # A video whose storage calls failed waits before this worker tries it again: 2^n × RETRY_BASE seconds (capped), so a poison file costs a few calls, not a busy loop.
    RETRY_BASE, RETRY_MAX = 5.0, 600.0

    def _backing_off(self, video: VideoFile) -> bool:
        trouble = self._trouble.get(video.id)
        return trouble is not None and self.monotonic() < trouble[0]

    def set_aside(self, video: VideoFile) -> None:
        """Leave ``video`` to other workers for a while (this one cannot finish it in time)."""
        self._trouble[video.id] = (self.monotonic() + self.RETRY_MAX, 0)

    def _note_trouble(self, video: VideoFile, exc: BaseException | None = None) -> None:
        _, failures = self._trouble.get(video.id, (0.0, 0))
        wait = min(self.RETRY_MAX, self.RETRY_BASE * 2**failures)
        self._trouble[video.id] = (self.monotonic() + wait, failures + 1)
        if exc is not None:
            log.warning("%s: %s; trying the other videos, this one again in %.0f s", video.name, exc, wait)

    def _try_claim(self, listed: VideoFile) -> Claim | None:
        started = self.monotonic()
        try:
            fresh = self.storage.get_video(listed.id)
        except FileGone:
            return None
        if (fresh.size, fresh.md5) != (listed.size, listed.md5):
            return None  # changed since the listing: it settles again first
        before = VideoState.from_properties(fresh.properties)
        now = self.clock()
        kind = classify(before, now, self.settings.max_attempts)
        if kind == "exhausted":
            with contextlib.suppress(FileGone):
                self._fail_exhausted(fresh, before)
            return None
        if kind != "process":
            return None  # someone else holds it, or it finished meanwhile
        nonce = secrets.token_hex(6)
        lease_until = now + self.lease
        claimed = VideoState(
            state=State.CLAIMED,
            worker=self.worker_id,
            lease_until=lease_until,
            attempts=before.attempts + 1,
            progress=0,
            error=before.error,  # the previous attempt's reason stays visible until the outcome
        )
        try:
            self.storage.update_properties(listed.id, {**claimed.to_properties(), NONCE_KEY: nonce})
        except FileGone:
            return None
        except StorageError:
            self._undo_quietly(listed.id, nonce, fresh.properties)  # the write may have landed
            raise
        gap = self.monotonic() - started
        if self.claim_pause > 0 and gap >= self.claim_pause:
            log.warning(
                "claim write on %s took %.2fs, not under the %.2fs pause: undoing it", listed.name, gap, self.claim_pause
            )
            self._undo_claim(listed.id, nonce, fresh.properties)
            self._backed_off += 1
            return None
        self.sleep(self.claim_pause)
        try:
            check = self.storage.get_video(listed.id)
        except FileGone:
            return None
        except StorageError:
            self._undo_quietly(listed.id, nonce, fresh.properties)  # don't leave a claim nobody works on
            raise
        if check.properties.get(NONCE_KEY) != nonce or check.properties.get(PREFIX + "worker") != self.worker_id:
            log.info("lost the race for %s", listed.name)
            return None
        log.info("claimed %s (attempt %d)", listed.name, claimed.attempts)
        return Claim(video=check, worker_id=self.worker_id, lease_until=lease_until, attempt=claimed.attempts, nonce=nonce)

    def _undo_quietly(self, file_id: str, nonce: str, previous: dict[str, str]) -> None:
        try:
            self._undo_claim(file_id, nonce, previous)
        except StorageError as exc:  # the claim then simply expires with its lease
            log.warning("could not undo an unfinished claim on %s: %s", file_id, exc)

    def _undo_claim(self, file_id: str, nonce: str, previous: dict[str, str]) -> None:
        try:
            now = self.storage.get_video(file_id)
            if now.properties.get(NONCE_KEY) == nonce:
                self.storage.update_properties(file_id, {k: previous.get(k) for k in STATE_KEYS})
        except FileGone:
            pass

    # ---------------------------------------------------------------- holding

    def _owned(self, claim: Claim) -> VideoFile:
        """A fresh view of the claimed video; LostClaim unless it is still our live claim."""
        try:
            fresh = self.storage.get_video(claim.video.id)
        except FileGone as exc:
            raise LostClaim(f"{claim.video.name} left the inbox") from exc
        props = fresh.properties
        state = VideoState.from_properties(props)
        if (
            state.state is not State.CLAIMED
            or state.worker != claim.worker_id
            or (claim.nonce and props.get(NONCE_KEY) != claim.nonce)
        ):
            raise LostClaim(
                f"{claim.video.name} is now {state.state.value}"
                + (f" by {state.worker}" if state.worker and state.state is State.CLAIMED else "")
            )
        return fresh

    def _write_owned(self, claim: Claim, props: dict[str, str | None]) -> VideoFile:
        try:
            return self.storage.update_properties(claim.video.id, props)
        except FileGone as exc:  # deleted or moved away by someone while we worked
            raise LostClaim(f"{claim.video.name} left the inbox") from exc

    def renew(self, claim: Claim, progress: int | None = None) -> Claim:
        """Extend the lease (the worker's heartbeat) and record progress (0-100)."""
        fresh = self._owned(claim)
        now = self.clock()
        current = VideoState.from_properties(fresh.properties)
        if current.lease_until is None or (current.lease_until - now).total_seconds() < self.claim_pause:
            # Expired, or so nearly that our write could land after another worker read it as
            # expired: that worker may be claiming it right now, and extending would race with it.
            raise LostClaim(f"the lease on {claim.video.name} ran out at {format_time(current.lease_until or now)}")
        lease_until = now + self.lease
        props: dict[str, str | None] = {PREFIX + "lease_until": format_time(lease_until)}
        if progress is not None:
            props[PREFIX + "progress"] = str(max(0, min(100, int(progress))))
        view = self._write_owned(claim, props)
        return replace(claim, video=view, lease_until=lease_until)

    def complete(self, claim: Claim, report: ReportRef) -> None:
        """Mark done with the report's id and move the video to Done."""
        self._owned(claim)
        done = VideoState(
            state=State.DONE, worker=claim.worker_id, attempts=claim.attempt, progress=100, report_id=report.id,
            finished_at=self.clock(),
        )
        self._write_owned(claim, {**done.to_properties(), NONCE_KEY: None})
        self._move(claim.video, Folder.DONE)

    def fail(self, claim: Claim, reason: str, permanent: bool) -> VideoState:
        """Record a failed attempt: back to pending, or (permanent / attempts used up) failed."""
        fresh = self._owned(claim)
        attempts = claim.attempt
        if permanent or attempts >= self.settings.max_attempts:
            try:
                return self._mark_failed(fresh, attempts, reason, permanent, claim.worker_id)
            except FileGone as exc:
                raise LostClaim(f"{claim.video.name} left the inbox") from exc
        state = VideoState(state=State.PENDING, attempts=attempts, error=_one_line(reason))
        self._write_owned(claim, {**state.to_properties(), NONCE_KEY: None})
        log.info("%s failed (attempt %d of %d), will retry: %s", claim.video.name, attempts,
                 self.settings.max_attempts, reason)
        return state

    def release(self, claim: Claim) -> None:
        """Give the video back without counting the attempt (worker shutting down)."""
        try:
            self._owned(claim)
        except LostClaim:
            return  # not ours any more: nothing to give back
        previous = VideoState.from_properties(claim.video.properties)
        state = VideoState(state=State.PENDING, attempts=max(0, claim.attempt - 1), error=previous.error)
        try:
            self._write_owned(claim, {**state.to_properties(), NONCE_KEY: None})
        except LostClaim:
            pass

    # ---------------------------------------------------------------- failed videos

    def retry(self, file_id: str) -> None:
        """Put a failed video back into the inbox as pending with a fresh count of attempts."""
        # one get, not a listing of the Failed folder (which only grows)
        try:
            video = self.storage.get_video(file_id)
        except FileGone as exc:
            raise FileGone(f"no failed video with id {file_id!r} ({exc})") from exc
        folder = video.folder
        if folder not in (Folder.FAILED, Folder.INBOX):  # the inbox: its move to Failed was interrupted
            where = f"in {folder.value}" if folder is not None else "outside the hot folder"
            raise FileGone(f"no failed video with id {file_id!r} ({video.name} is {where})")
        state = VideoState.from_properties(video.properties)
        if folder is Folder.INBOX and state.state is not State.FAILED:
            # Pending or claimed videos are queued already; resetting a done one would report it twice.
            raise StorageError(f"{video.name} is {state.state.value}, not failed: nothing to retry")
        # State first: a crash before the move leaves a pending video in Failed, which retry fixes.
        self.storage.update_properties(file_id, {**VideoState().to_properties(), NONCE_KEY: None})
        if folder is not Folder.INBOX:
            self.storage.move_video(file_id, Folder.INBOX)
        log.info("%s queued again", video.name)

    def sweep(self, videos: list[VideoFile] | None = None) -> list[VideoFile]:
        """Finish interrupted transitions in the inbox; returns the videos it touched.

        Exhausted expired claims are failed; done/failed videos still in the inbox (a crash or an
        API error between the state write and the move) are moved on.
        """
        if videos is None:
            videos = self.storage.list_videos(Folder.INBOX)
        touched: list[VideoFile] = []
        for video in videos:
            try:
                if self._sweep_one(video):
                    touched.append(video)
            except AuthError:
                raise
            except StorageError as exc:  # this video's trouble; the next look tries again
                log.warning("could not finish the last step of %s yet (%s)", video.name, exc)
        return touched

    def _sweep_one(self, video: VideoFile) -> bool:
        """Finish one video's interrupted transition; True if it did something."""
        state = VideoState.from_properties(video.properties)
        if state.state in (State.DONE, State.FAILED):
            self._move(video, Folder.DONE if state.state is State.DONE else Folder.FAILED)
            return True
        if classify(state, self.clock(), self.settings.max_attempts) != "exhausted":
            return False
        try:
            fresh = self.storage.get_video(video.id)
            state = VideoState.from_properties(fresh.properties)
            if classify(state, self.clock(), self.settings.max_attempts) != "exhausted":
                return False
            self._fail_exhausted(fresh, state)
        except FileGone:
            return False
        return True

    def _fail_exhausted(self, video: VideoFile, state: VideoState) -> None:
        reason = (
            f"the worker processing it stopped without finishing (crashed, killed or lost its connection) "
            f"{state.attempts} time(s); last worker: {state.worker or 'unknown'}"
        )
        if state.error:
            reason += f"; an earlier attempt failed with: {state.error}"
        self._mark_failed(video, state.attempts, reason, False, state.worker)

    def _mark_failed(self, video: VideoFile, attempts: int, reason: str, permanent: bool, worker: str | None) -> VideoState:
        # Error file before state before move: each crash point leaves a recoverable state. An error
        # file that cannot be written does not keep the video in the queue: the reason is on the video.
        try:
            self.storage.write_text(Folder.FAILED, error_file_name(video.name), self._error_text(video, attempts, reason, permanent, worker))
        except FileGone:
            raise
        except StorageError as exc:
            log.error("%s: could not write its error file (%s); marking it failed anyway", video.name, exc)
        state = VideoState(state=State.FAILED, worker=worker, attempts=attempts, error=_one_line(reason),
                           finished_at=self.clock())
        self.storage.update_properties(video.id, {**state.to_properties(), NONCE_KEY: None})
        self._move(video, Folder.FAILED)
        log.warning("%s failed after %d attempt(s): %s", video.name, attempts, reason)
        return state

    def _error_text(self, video: VideoFile, attempts: int, reason: str, permanent: bool, worker: str | None) -> str:
        if permanent:
            advice = (
                "This file could not be read as a video, so trying again cannot help. Check that it plays "
                "on a computer; if it is damaged or empty, export or copy it again (MP4/H.264 is safest) and "
                "drop the new file into the hot folder."
            )
        else:
            advice = (
                f"The problem looked temporary (network, service or worker trouble) but happened "
                f"{attempts} time(s), the most allowed (drive.max_attempts = {self.settings.max_attempts}). "
                "To try again press Retry on the status page, or drop a fresh copy of the video into the "
                "hot folder. If it keeps failing, send this file to whoever runs the hot folder."
            )
        return (
            f"{video.name} could not be processed.\n\n"
            f"Reason: {reason}\n\n"
            f"What to do: {advice}\n\n"
            f"Attempts: {attempts} of {self.settings.max_attempts}\n"
            f"Failed at: {format_time(self.clock())}\n"
            f"Last worker: {worker or 'unknown'}\n"
            f"File id: {video.id}\n"
        )

    def _move(self, video: VideoFile, folder: Folder) -> None:
        # The state is already final; a failed move is retried by the next sweep, not reported as
        # a processing failure (which would turn a done video into a failed one).
        try:
            self.storage.move_video(video.id, folder)
        except FileGone:
            pass
        except StorageError as exc:
            log.warning("could not move %s to %s yet (%s); the next sweep retries", video.name, folder.value, exc)


def _one_line(reason: str) -> str:
    return " ".join(reason.split()) or "unknown error"
