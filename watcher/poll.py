"""One watcher cycle: list, settle, reap, launch, notice outcomes, notify, record.

Request budget: an idle poll (no video in the inbox that is pending or claimed, no worker alive
now or at the previous poll) makes exactly ONE storage request, the inbox listing. The Done and
Failed folders are listed only when an outcome can have appeared since the last poll: on the first
poll of a process, when a video left the inbox, while workers are (or were) alive, or after a retry.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Protocol

from config.settings import Settings
from drive.model import Folder, State, VideoFile, VideoState, format_time, utcnow
from drive.storage import Storage, StorageError
from pod_launcher.base import Launcher, LaunchError, NoCapacity, WorkerInfo
from watcher import launch_policy
from watcher import overview as ov
from watcher.history import History
from watcher.mailer import Notifier, digest_due

log = logging.getLogger("hotfolder.watcher")

BASELINE_KEY = "outcomes_baseline"


class Settle(Protocol):
    def settled(self, videos: list[VideoFile], now: datetime) -> list[VideoFile]: ...


ReapFn = Callable[[Launcher, dict[str, datetime], datetime, object], list[WorkerInfo]]


@dataclass
class PollResult:
    at: datetime
    inbox: list[tuple[VideoFile, VideoState]] = field(default_factory=list)
    processable: list[VideoFile] = field(default_factory=list)
    unsettled: list[VideoFile] = field(default_factory=list)
    alive: list[WorkerInfo] = field(default_factory=list)
    launched: list[WorkerInfo] = field(default_factory=list)
    reaped: list[WorkerInfo] = field(default_factory=list)
    outcomes: list[tuple[VideoFile, VideoState]] = field(default_factory=list)  # newly seen done/failed
    listed_outcomes: bool = False
    no_capacity: bool = False
    launch_held_until: datetime | None = None  # see watcher.launch_policy
    error: str | None = None


@dataclass
class PollContext:
    """Everything a poll needs, plus what it remembers between polls (in memory only)."""

    settings: Settings
    storage: Storage
    launcher: Launcher
    settle: Settle
    history: History
    notifier: Notifier
    worker_env: Callable[[], dict[str, str]]
    reap: ReapFn
    # Finishes interrupted transitions (drive.queue.VideoQueue.sweep): exhausted claims are failed,
    # done/failed videos left in the inbox are moved on.
    sweep: Callable[[list[VideoFile]], list[VideoFile]] | None = None
    clock: Callable[[], datetime] = utcnow
    # memory between polls
    previous_inbox: set[str] | None = None
    workers_were_alive: bool = False
    force_outcomes: bool = False
    done: list[tuple[VideoFile, VideoState]] = field(default_factory=list)
    failed: list[tuple[VideoFile, VideoState]] = field(default_factory=list)
    overview: ov.Overview = ov.EMPTY
    launched_ids: list[str] = field(default_factory=list)  # by this process (``watch --once`` waits on them)
    lock: threading.Lock = field(default_factory=threading.Lock)


def poll(ctx: PollContext) -> PollResult:
    """Run one cycle. Never raises for storage, launcher or mail trouble: it logs, records and carries on."""
    with ctx.lock:  # the scheduler already runs one poll at a time; `--once` and tests call directly
        return _poll(ctx)


def _poll(ctx: PollContext) -> PollResult:
    s = ctx.settings
    now = ctx.clock()
    result = PollResult(at=now)
    try:
        inbox_files = ctx.storage.list_videos(Folder.INBOX)
    except StorageError as exc:
        result.error = f"cannot list the inbox: {exc}"
        log.warning("%s; trying again next poll", result.error)
        ctx.history.add_event("error", result.error, at=now)
        _flush_mail(ctx)
        ctx.overview = ov.Overview(now, ctx.overview.videos, ctx.overview.workers, _events(ctx), result.error,
                                   s.storage.backend, s.launcher.backend, ctx.history.total_cost())
        return result
    result.inbox = [(v, VideoState.from_properties(v.properties)) for v in inbox_files]

    # Settling: observed for every video still to do; done/failed ones left in the inbox don't count.
    open_videos = [v for v, st in result.inbox if st.state in (State.PENDING, State.CLAIMED)]
    settled_ids = {v.id for v in ctx.settle.settled(open_videos, now)}
    to_sweep = []
    for v, st in result.inbox:
        expired = st.state == State.CLAIMED and st.lease_expired(now)
        if expired and st.attempts >= s.drive.max_attempts:
            to_sweep.append(v)  # a video that keeps killing workers: failed, not retried again
        elif st.state == State.PENDING or expired:
            (result.processable if v.id in settled_ids else result.unsettled).append(v)
        elif st.state in (State.DONE, State.FAILED):
            to_sweep.append(v)
    if to_sweep and ctx.sweep is not None:
        try:
            ctx.sweep(to_sweep)
            ctx.force_outcomes = True
        except StorageError as exc:
            log.warning("cannot finish the state of %d video(s) (%s); trying again next poll", len(to_sweep), exc)

    _record_inbox_states(ctx, result, now)

    # Workers: list, reap, launch.
    workers = _list_workers(ctx, result)
    if workers is not None:
        alive = [w for w in workers if w.alive]
        _record_workers(ctx, workers, now)
        if workers:  # the reaper also cleans up ended workers still listed (an exited pod keeps its disk)
            result.reaped = _reap(ctx, result, alive, now)
            reaped_ids = {w.id for w in result.reaped}
            alive = [w for w in alive if w.id not in reaped_ids]
        result.alive = alive
        _launch_if_needed(ctx, result, now)

    # Outcomes: only when something can have finished since the last poll.
    current = {v.id for v, _ in result.inbox}
    vanished = ctx.previous_inbox is not None and bool(ctx.previous_inbox - current)
    stuck = any(st.state in (State.DONE, State.FAILED) for _, st in result.inbox)
    any_alive = bool(result.alive or result.launched or result.reaped)
    if ctx.previous_inbox is None or vanished or stuck or any_alive or ctx.workers_were_alive \
            or ctx.force_outcomes:
        _notice_outcomes(ctx, result, now)
    launch_policy.observe(ctx.history, result.inbox, finished_any=bool(result.outcomes))
    ctx.previous_inbox = current
    ctx.workers_were_alive = any_alive

    _maybe_digest(ctx, result, now)
    _flush_mail(ctx)
    ctx.overview = _overview(ctx, result, settled_ids, now)
    return result


# -- inbox ------------------------------------------------------------------------------------------

def _record_inbox_states(ctx: PollContext, result: PollResult, now: datetime) -> None:
    known = ctx.history.known_videos()
    for v, st in result.inbox:
        state = st.state.value
        if known.get(v.id) == state or state in ("done", "failed"):
            continue  # outcomes are recorded (and mailed) by _notice_outcomes
        if state == "claimed":
            msg = f"{v.name}: taken by worker {st.worker} (attempt {max(1, st.attempts)})"
        elif known.get(v.id) == "claimed":
            msg = f"{v.name}: back in the queue" + (f" ({st.error})" if st.error else "")
        elif known.get(v.id) == "failed":
            msg = f"{v.name}: back in the inbox for a retry"
        else:
            msg = f"{v.name}: new video in the inbox"
        ctx.history.record_state(v.id, v.name, state, at=now, message=msg)


# -- workers ----------------------------------------------------------------------------------------

def _list_workers(ctx: PollContext, result: PollResult) -> list[WorkerInfo] | None:
    try:
        return ctx.launcher.list_workers()
    except Exception as exc:  # noqa: BLE001 - any launcher/API trouble: report, retry next poll
        result.error = f"cannot list workers: {exc}"
        log.warning("%s; trying again next poll", result.error)
        ctx.history.add_event("error", result.error, at=result.at)
        return None


def _record_workers(ctx: PollContext, workers: list[WorkerInfo], now: datetime) -> None:
    listed = {w.id: w for w in workers}
    for w in workers:
        ctx.history.record_seen(w.id, w.name, w.gpu_type, w.cost_per_hour, w.started_at, _uptime(w, now), now)
    for rec in ctx.history.workers(include_ended=False):
        w = listed.get(rec.id)
        if w is None or not w.alive:
            status = w.status.lower() if w else "gone"
            ctx.history.record_end(rec.id, "exited", now, f"worker {rec.name} ended ({status})")


def _uptime(w: WorkerInfo, now: datetime) -> float | None:
    if w.uptime_s is not None:
        return w.uptime_s
    return (now - w.started_at).total_seconds() if w.started_at else None


def last_activity(inbox: list[tuple[VideoFile, VideoState]], lease_seconds: float) -> dict[str, datetime]:
    """Per worker id, the latest lease renewal its claims show (a renewal sets lease_until = now + lease)."""
    out: dict[str, datetime] = {}
    for _, st in inbox:
        if st.state == State.CLAIMED and st.worker and st.lease_until:
            renewed = st.lease_until - timedelta(seconds=lease_seconds)
            if st.worker not in out or renewed > out[st.worker]:
                out[st.worker] = renewed
    return out


def _reap(ctx: PollContext, result: PollResult, alive: list[WorkerInfo], now: datetime) -> list[WorkerInfo]:
    s = ctx.settings
    activity = last_activity(result.inbox, s.drive.lease_seconds)
    try:
        reaped = ctx.reap(ctx.launcher, activity, now, s.launcher)
    except Exception as exc:  # noqa: BLE001
        log.warning("reaper failed (%s); trying again next poll", exc)
        ctx.history.add_event("error", f"reaper failed: {exc}", at=now)
        return []
    for w in reaped:
        uptime = _uptime(w, now)
        if uptime is not None and uptime >= s.launcher.max_lifetime:
            reason, text = "max lifetime", f"it ran longer than the maximum lifetime ({s.launcher.max_lifetime:.0f} s)"
        else:
            last = activity.get(w.id) or w.started_at
            idle = f"{(now - last).total_seconds():.0f} s" if last else "too long"
            reason, text = "idle", f"no lease renewed for {idle} (idle timeout {s.launcher.idle_timeout:.0f} s)"
        row = _worker_row(w, now)
        mail = ctx.notifier.render("worker_reaped", f"reaped:{w.id}", worker=row, reason=reason, reason_text=text)
        ctx.history.record_end(w.id, "reaped", now, f"worker {w.name} stopped by the reaper: {text}", mail)
        log.warning("reaper stopped worker %s: %s", w.name, text)
    return reaped


def _launch_if_needed(ctx: PollContext, result: PollResult, now: datetime) -> None:
    s = ctx.settings
    if not result.processable:
        return
    free = s.launcher.max_workers - len(result.alive)
    busy = {st.worker for _, st in result.inbox if st.state == State.CLAIMED and not st.lease_expired(now)}
    # A live worker without a claim is about to take one of the processable videos.
    waiting_workers = sum(1 for w in result.alive if w.id not in busy)
    wanted = min(free, len(result.processable) - waiting_workers)
    if wanted <= 0:
        return
    hold = launch_policy.launch_hold(ctx.history, result.processable, bool(result.alive), now, s.watcher.poll_seconds)
    if hold is not None:
        result.launch_held_until = hold.until
        log.info("not launching before %s: %s", format_time(hold.until), hold.reason)
        return
    try:
        env = ctx.worker_env()
    except Exception as exc:  # noqa: BLE001 - e.g. the Drive token file is missing
        result.error = f"cannot prepare the worker environment: {exc}"
        log.error("%s", result.error)
        ctx.history.add_event("error", result.error, at=now)
        return
    for _ in range(wanted):
        try:
            w = ctx.launcher.launch(env)
        except NoCapacity as exc:
            result.no_capacity = True
            launch_policy.record_no_capacity(ctx.history, now, s.runpod.retry_after)
            log.warning("no GPU capacity (%s); trying again in %.0f s", exc, s.runpod.retry_after)
            ctx.history.add_event("no_capacity", f"no GPU available: {exc}", at=now)
            return
        except LaunchError as exc:
            result.error = f"cannot start a worker: {exc}"
            log.error("%s; trying again next poll", result.error)
            ctx.history.add_event("error", result.error, at=now)
            return
        # Record the id before anything else can fail or wait.
        result.launched.append(w)
        ctx.launched_ids.append(w.id)
        launch_policy.record_batch(ctx.history, result.processable, now)
        row = _worker_row(w, now)
        mail = ctx.notifier.render("batch_started", f"started:{w.id}", worker=row,
                                   videos=[ov.VideoRow(v.id, v.name, "pending") for v in result.processable])
        where = f" on {w.gpu_type}" if w.gpu_type else ""
        ctx.history.record_launch(w.id, w.name, w.gpu_type, w.cost_per_hour, now,
                                  f"worker {w.name} launched{where} for {len(result.processable)} video(s)", mail)
        log.info("launched worker %s (%s)%s for %d video(s)", w.name, w.id, where, len(result.processable))
        result.alive.append(w)


def _worker_row(w: WorkerInfo, now: datetime) -> ov.WorkerRow:
    uptime = _uptime(w, now)
    cost = w.cost_per_hour * uptime / 3600.0 if w.cost_per_hour is not None and uptime is not None else None
    return ov.WorkerRow(w.id, w.name, w.status, w.gpu_type, w.cost_per_hour, uptime, cost, w.started_at)


# -- outcomes ---------------------------------------------------------------------------------------

def _notice_outcomes(ctx: PollContext, result: PollResult, now: datetime) -> None:
    s = ctx.settings
    try:
        done = ctx.storage.list_videos(Folder.DONE)
        failed = ctx.storage.list_videos(Folder.FAILED)
    except StorageError as exc:
        log.warning("cannot list the Done/Failed folders (%s); trying again next poll", exc)
        ctx.force_outcomes = True
        return
    ctx.force_outcomes = False
    result.listed_outcomes = True
    ctx.done = [(v, VideoState.from_properties(v.properties)) for v in done]
    ctx.failed = [(v, VideoState.from_properties(v.properties)) for v in failed]
    candidates = [(v, st) for v, st in result.inbox if st.state in (State.DONE, State.FAILED)]
    candidates += [(v, st) for v, st in ctx.done if st.state == State.DONE]
    candidates += [(v, st) for v, st in ctx.failed if st.state == State.FAILED]

    present = {v.id for v, _ in result.inbox} | {v.id for v, _ in ctx.done + ctx.failed}
    ctx.history.mark_gone_except(present)
    baseline = ctx.history.get_meta(BASELINE_KEY) is None and not ctx.history.has_seen_any_video()
    known = ctx.history.known_videos()
    for v, st in candidates:
        state = st.state.value
        if known.get(v.id) == state:
            continue
        if baseline:
            # A fresh history: these finished before it existed; record them, mail nothing.
            ctx.history.record_state(v.id, v.name, state, at=now)
            continue
        seq = ctx.history.outcome_count(v.id, state) + 1
        if st.state == State.DONE:
            link = ov.report_link(s, st.report_id)
            mail = ctx.notifier.render(
                "video_done", f"done:{v.id}:{seq}", video=v, report_link=link, report_name=None,
                verdicts=ov.verdicts(v.properties), done_folder=s.drive.done_folder)
            msg = f"{v.name}: report ready" + (f" ({link})" if link else "")
        else:
            mail = ctx.notifier.render(
                "video_failed", f"failed:{v.id}:{seq}", video=v, reason=st.error, attempts=st.attempts,
                advice=advice(st.error), failed_folder=s.drive.failed_folder)
            msg = f"{v.name}: failed: {st.error or 'unknown reason'}"
        if ctx.history.record_state(v.id, v.name, state, at=now, message=msg, mail=mail):
            result.outcomes.append((v, st))
            log.info("%s", msg)
    if ctx.history.get_meta(BASELINE_KEY) is None:
        ctx.history.set_meta(BASELINE_KEY, now.isoformat())


def advice(reason: str | None) -> str:
    """A short "what to do" for a failure reason (reasons come from the worker, in English)."""
    r = (reason or "").lower()
    if any(w in r for w in ("not a video", "decod", "corrupt", "empty", "0 bytes", "truncat", "unsupported")):
        return ("The file is not a playable video. Export it again from the camera or phone (MP4/H.264 "
                "works everywhere), upload the new file, and delete this one.")
    if any(w in r for w in ("too large", "too long", "huge", "memory", "disk")):
        return "The video is too large to process; cut it into shorter parts and upload them."
    if any(w in r for w in ("permission", "403", "auth", "token")):
        return "The worker could not access Drive; check the Drive authorisation (`hotfolder auth`), then retry."
    return ("Retry once; if it fails again, check the error file and the watcher's log, or send the video "
            "and the error file to whoever runs the hot folder.")


# -- digest, mail, overview ------------------------------------------------------------------------

def _maybe_digest(ctx: PollContext, result: PollResult, now: datetime) -> None:
    key = digest_due(ctx.history, ctx.settings.mail.digest_hour, now)
    if key is None:
        return
    since = now - timedelta(days=1)
    events = ctx.history.recent_events(10000, since=since)
    done = [e for e in events if e.kind == "done"]
    failed = [e for e in events if e.kind == "failed"]
    launched = sum(1 for e in events if e.kind == "launched")
    pending = len(result.processable) + len(result.unsettled)
    mail = ctx.notifier.render("digest", key, day=now.date().isoformat(), now=now, done=done, failed=failed,
                               pending=pending, launched=launched, cost=ctx.history.total_cost(since))
    ctx.history.enqueue_mail(mail, now)


def _flush_mail(ctx: PollContext) -> None:
    try:
        ctx.notifier.flush()
    except Exception:  # noqa: BLE001 - mail never stops a poll
        log.exception("sending notifications failed; retrying next poll")


def _events(ctx: PollContext, limit: int = 30) -> list[ov.EventRow]:
    return [ov.EventRow(e.at, e.kind, e.message) for e in ctx.history.recent_events(limit)]


def _overview(ctx: PollContext, result: PollResult, settled_ids: set[str], now: datetime) -> ov.Overview:
    s = ctx.settings
    rows = [ov.video_row(s, v, st, v.id in settled_ids, now) for v, st in result.inbox]
    shown = {r.id for r in rows}
    # Newest outcomes first; the Done folder can be long.
    for v, st in sorted(ctx.failed + ctx.done, key=lambda p: p[0].modified_time or now, reverse=True)[:200]:
        if v.id not in shown:
            rows.append(ov.video_row(s, v, st, True, now))
            shown.add(v.id)
    workers = [_worker_row(w, now) for w in result.alive]
    return ov.Overview(now, rows, workers, _events(ctx), result.error, s.storage.backend, s.launcher.backend,
                       ctx.history.total_cost())
