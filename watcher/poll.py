"""One watcher cycle: list, settle, reap, launch, notice outcomes, notify, record.

Request budget: an idle poll (no video in the inbox that is pending or claimed, no worker alive
now or at the previous poll) makes exactly ONE storage request, the inbox listing. Outcomes are
looked for only when one can have appeared since the last poll (the first poll of a process, a
video left the inbox, workers are or were alive, a retry), and then with ONE windowed request
(``Storage.list_outcomes(since)``: what arrived in Done/Failed since the last look, with an
overlap), so a poll costs the same on day 1000 as on day 1. The launcher lists its workers once
per poll; the reaper and the overview share that list. The inbox is classified once, by
``drive.settle`` (``Selection``: process, waiting, exhausted).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Protocol

from config.settings import Settings
from drive.model import Folder, State, VideoFile, VideoState, format_time, parse_time, utcnow
from drive.settle import Selection
from drive.storage import Storage, StorageError
from pod_launcher.base import Launcher, LaunchError, NoCapacity, WorkerInfo
from watcher import launch_policy
from watcher import overview as ov
from watcher.history import History
from watcher.mailer import Notifier, digest_due

log = logging.getLogger("hotfolder.watcher")

BASELINE_KEY = "outcomes_baseline"
CHECKED_KEY = "outcomes_checked_at"  # when outcomes were last looked for (the next window starts there)
FIRST_LOOK = timedelta(days=7)  # a history that never looked: how far back the first window reaches
RECENT_SHOWN = 200  # outcomes the page keeps showing


class Settle(Protocol):
    def select(self, videos: list[VideoFile], now: datetime, max_attempts: int | None = None) -> Selection: ...


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
    outcomes_since: datetime | None = None  # the next outcome window starts here (minus the overlap)
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

    # Settling and the lease rule, once (drive.settle): done/failed videos left in the inbox don't count.
    open_videos = [v for v, st in result.inbox if st.state in (State.PENDING, State.CLAIMED)]
    selection = ctx.settle.select(open_videos, now, s.drive.max_attempts)
    result.processable, result.unsettled = list(selection.process), list(selection.waiting)
    settled_ids = {v.id for v in selection.process}
    # Exhausted claims (a video that keeps killing workers) are failed, not retried again; finished
    # videos left in the inbox are moved on.
    to_sweep = list(selection.exhausted) + [v for v, st in result.inbox if st.state in (State.DONE, State.FAILED)]
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
            result.reaped = _reap(ctx, result, workers, now)
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


def _reap(ctx: PollContext, result: PollResult, workers: list[WorkerInfo], now: datetime) -> list[WorkerInfo]:
    s = ctx.settings
    activity = last_activity(result.inbox, s.drive.lease_seconds)
    try:
        # The poll's own listing: one launcher list per poll, shared with the overview.
        reaped = ctx.reap(ctx.launcher, activity, now, s.launcher, workers=workers)
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
    hold = launch_policy.launch_hold(ctx.history, result.processable, bool(result.alive), now, s.watcher.poll_seconds,
                                     max_daily_cost=s.launcher.max_daily_cost, recipients=s.mail.recipients)
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

def _outcome_window(ctx: PollContext, now: datetime) -> datetime:
    """Where this look for outcomes starts: the last look (this process's, else the history's), less
    an overlap for clocks that differ between workers, Drive and the watcher, and for slow moves."""
    since = ctx.outcomes_since
    if since is None:
        stored = ctx.history.get_meta(CHECKED_KEY)
        since = parse_time(stored) if stored else None
    if since is None or since < now - 4 * FIRST_LOOK:
        since = now - FIRST_LOOK if since is None else since
    overlap = timedelta(seconds=max(600.0, 2 * ctx.settings.watcher.poll_seconds))
    return min(since, now) - overlap


def _list_outcomes(ctx: PollContext, since: datetime) -> list[VideoFile]:
    lister = getattr(ctx.storage, "list_outcomes", None)
    if lister is not None:
        return lister(since)
    return ctx.storage.list_videos(Folder.DONE) + ctx.storage.list_videos(Folder.FAILED)  # an older Storage


def report_link(ctx: PollContext, report_id: str | None) -> str | None:
    """Where a person opens a report: the storage says (Storage.output_link)."""
    if not report_id:
        return None
    return ctx.storage.output_link(report_id)


def _notice_outcomes(ctx: PollContext, result: PollResult, now: datetime) -> None:
    s = ctx.settings
    try:
        arrived = _list_outcomes(ctx, _outcome_window(ctx, now))
    except StorageError as exc:
        log.warning("cannot list the Done/Failed folders (%s); trying again next poll", exc)
        ctx.force_outcomes = True
        return
    ctx.force_outcomes = False
    ctx.outcomes_since = now
    ctx.history.set_meta(CHECKED_KEY, format_time(now))
    result.listed_outcomes = True
    # The page's recent outcomes: what was shown, updated with what arrived, newest RECENT_SHOWN kept;
    # a video back in the inbox (a retry) is no longer an outcome.
    recent = {v.id: (v, st) for v, st in ctx.failed + ctx.done}
    for v in arrived:
        recent[v.id] = (v, VideoState.from_properties(v.properties))
    in_inbox = {v.id for v, _ in result.inbox}
    kept = sorted((p for vid, p in recent.items() if vid not in in_inbox),
                  key=lambda p: p[0].modified_time or now, reverse=True)[:RECENT_SHOWN]
    ctx.done = [(v, st) for v, st in kept if st.state == State.DONE]
    ctx.failed = [(v, st) for v, st in kept if st.state == State.FAILED]
    candidates = [(v, st) for v, st in result.inbox if st.state in (State.DONE, State.FAILED)]
    candidates += [(v, VideoState.from_properties(v.properties)) for v in arrived]
    candidates = [(v, st) for v, st in candidates if st.state in (State.DONE, State.FAILED)]

    baseline = ctx.history.get_meta(BASELINE_KEY) is None and not ctx.history.has_seen_any_video()
    known = ctx.history.known_outcomes({v.id for v, _ in candidates})
    for v, st in candidates:
        state = st.state.value
        seen_state, seen_at = known.get(v.id, (None, None))
        if seen_state == state and not _another_file(s, v, seen_at):
            continue
        if baseline:
            # A fresh history: these finished before it existed; record them, mail nothing.
            ctx.history.record_state(v.id, v.name, state, at=now)
            continue
        seq = ctx.history.outcome_count(v.id, state) + 1
        if st.state == State.DONE:
            link = report_link(ctx, st.report_id)
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


def _another_file(settings: Settings, video: VideoFile, seen_at: datetime | None) -> bool:
    """A local id is a name: a file whose content is newer than when its id was last seen finishing
    is another file under the old name (the old one was removed by hand), so it is news again."""
    return (settings.storage.backend == "local" and seen_at is not None and video.modified_time is not None
            and video.modified_time > seen_at)


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
    link_of = ctx.storage.output_link
    rows = [ov.video_row(s, v, st, v.id in settled_ids, now, link_of) for v, st in result.inbox]
    shown = {r.id for r in rows}
    # Newest outcomes first (ctx.done/failed hold the recent ones only; the Done folder can be long).
    for v, st in sorted(ctx.failed + ctx.done, key=lambda p: p[0].modified_time or now, reverse=True)[:RECENT_SHOWN]:
        if v.id not in shown:
            rows.append(ov.video_row(s, v, st, True, now, link_of))
            shown.add(v.id)
    workers = [_worker_row(w, now) for w in result.alive]
    return ov.Overview(now, rows, workers, _events(ctx), result.error, s.storage.backend, s.launcher.backend,
                       ctx.history.total_cost())
