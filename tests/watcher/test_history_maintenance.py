"""The history file is private, shrinks on a schedule and forgets videos that are gone (issue 16)."""

from __future__ import annotations

import os
import stat
from datetime import timedelta

from drive.model import utcnow
from watcher.history import EventStore, History, MetaStore, Outbox, VideoStore, WorkerStore
from watcher.mailer import MAX_ATTEMPTS


def test_file_is_0600_and_split_into_stores_over_one_connection(tmp_path):
    old = os.umask(0o022)
    try:
        h = History(tmp_path / "state" / "history.sqlite3")
    finally:
        os.umask(old)
    h.add_event("x", "y")
    assert stat.S_IMODE((tmp_path / "state" / "history.sqlite3").stat().st_mode) == 0o600
    assert isinstance(h.meta, MetaStore) and isinstance(h.events, EventStore) and isinstance(h.outbox, Outbox)
    assert isinstance(h.videos, VideoStore) and isinstance(h.workers_store, WorkerStore)
    assert len({id(s._d.conn) for s in (h.meta, h.events, h.outbox, h.videos, h.workers_store)}) == 1
    h.close()


def test_prune_drops_old_events_and_mail_and_forgets_missing_videos():
    from watcher.history import Mail

    h = History(None)
    now = utcnow()
    old = now - timedelta(days=100)
    h.add_event("done", "old", at=old)
    h.add_event("done", "new", at=now)
    h.enqueue_mail(Mail("done:a:1", "video_done", "s", "t", "h", ["x@y"]), old)
    h.mark_sent("done:a:1", old)
    h.enqueue_mail(Mail("done:b:1", "video_done", "s", "t", "h", ["x@y"]), old)  # never sent: kept
    h.record_state("a", "a.mp4", "done", at=old)
    h.record_state("b", "b.mp4", "done", at=now)
    out = h.prune(90, now, present={"b"}, mail_attempts=MAX_ATTEMPTS)
    assert out == {"events": 1, "mail": 1, "videos": 1}
    assert [e.message for e in h.recent_events()] == ["new"]
    assert not h.has_mail("done:a:1") and h.has_mail("done:b:1")
    assert h.known_videos() == {"b": "done"}
    assert h.known_outcomes({"a", "b"}) == {"b": ("done", h.known_outcomes({"b"})["b"][1])}


def test_the_daemon_schedules_the_daily_maintenance(tmp_path, monkeypatch):
    import threading

    from config import load_settings
    from tests.watcher.fakes import FakeLauncher, MemorySettle, MemoryStorage, RecordingReaper, Clock
    from watcher import daemon

    settings = load_settings(watcher={"state_dir": str(tmp_path / "s"), "poll_seconds": 3600},
                             web={"enabled": False})
    storage = MemoryStorage()
    storage.add("a.mp4")
    ctx = daemon.build_context(settings, storage=storage, launcher=FakeLauncher(Clock()), settle=MemorySettle(0),
                               history=History(None), worker_env=lambda: {}, reap=RecordingReaper())
    service = daemon.WatcherService(ctx)
    ctx.history.record_state("gone-id", "gone.mp4", "done")
    assert service.maintain()["videos"] == 1 and "gone-id" not in ctx.history.known_videos()
    jobs = {}

    class Spy(daemon.WatcherService):
        pass

    stop = threading.Event()
    orig = __import__("apscheduler.schedulers.blocking", fromlist=["BlockingScheduler"]).BlockingScheduler

    class Sched(orig):
        def start(self, *a, **k):
            jobs.update({j.id: j for j in self.get_jobs()})
            return None

    monkeypatch.setattr("apscheduler.schedulers.blocking.BlockingScheduler", Sched)
    ctx2 = daemon.build_context(settings, storage=storage, launcher=FakeLauncher(Clock()), settle=MemorySettle(0),
                                history=History(None), worker_env=lambda: {}, reap=RecordingReaper())
    daemon.run_watch(settings, Spy(ctx2), stop)
    assert daemon.MAINTENANCE_JOB_ID in jobs and daemon.JOB_ID in jobs
