"""WatcherService and poll over the real local folder backend and queue (the launcher is a fake;
the "worker" is the test driving drive.queue.VideoQueue the way a worker does)."""

from pathlib import Path

import pytest

from config import load_settings
from drive.local_store import LocalStore
from drive.model import Folder
from drive.queue import VideoQueue
from drive.settle import SettleTracker
from tests.watcher.fakes import Clock, FakeLauncher, RecordingReaper
from watcher.daemon import WatcherService, build_context
from watcher.history import History
from watcher.web import ActionError
from watcher.poll import poll


@pytest.fixture
def setup(tmp_path):
    clock = Clock()
    settings = load_settings(
        local={"root": str(tmp_path / "hf")},
        drive={"settle_seconds": 10, "claim_pause": 1.0},
        watcher={"state_dir": str(tmp_path / "hf" / "state")},
    )
    store = LocalStore(settings)
    launcher = FakeLauncher(clock)
    ctx = build_context(settings, storage=store, launcher=launcher,
                        settle=SettleTracker(tmp_path / "hf" / "state" / "settle.json", 10),
                        history=History(tmp_path / "hf" / "state" / "history.sqlite3"),
                        worker_env=lambda: {}, reap=RecordingReaper(), clock=clock)
    return settings, store, launcher, clock, WatcherService(ctx)


def drop(store: LocalStore, name: str, data: bytes = b"\x00\x00\x00\x18ftypmp42 fake video") -> None:
    (store.path(Folder.INBOX) / name).write_bytes(data)


def work_one(store, settings, clock, worker_id: str, fail: str | None = None) -> str:
    q = VideoQueue(store, settings.drive, worker_id, settle=SettleTracker(None, 0), clock=clock, sleep=lambda s: None)
    claim = q.claim_next()
    assert claim is not None
    if fail:
        q.fail(claim, fail, permanent=True)
        return claim.video.name
    out = Path(settings.local.root) / "scratch.xlsx"
    out.write_bytes(b"PK\x03\x04 report")
    ref = store.upload_output(out, f"{claim.video.name} - posture report.xlsx", claim.video.id,
                              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    q.complete(claim, ref)
    return claim.video.name


def test_local_flow_report_link_retry_and_report_file(setup):
    settings, store, launcher, clock, service = setup
    drop(store, "a.mp4")
    drop(store, "bad.mp4")
    service.run_poll()
    clock.advance(11)
    r = service.run_poll()
    assert len(r.launched) == 1 and [v.name for v in r.processable] == ["a.mp4", "bad.mp4"]

    work_one(store, settings, clock, "pod-1")
    work_one(store, settings, clock, "pod-1", fail="bad.mp4 is not a video file (no video stream found)")
    launcher.exit("pod-1")
    clock.advance(60)
    r = service.run_poll()
    assert sorted(v.name for v, _ in r.outcomes) == ["a.mp4", "bad.mp4"]
    o = service.overview()
    [done] = o.with_status("done")
    assert done.report_id == "Reports/a.mp4 - posture report.xlsx"
    assert Path(done.report_link).is_file()
    assert service.report_file(done.report_id) == Path(done.report_link).resolve()
    assert service.report_file("../state/history.sqlite3") is None, "only files inside Reports are served"
    assert service.report_file("Done/a.mp4") is None

    [failed] = o.with_status("failed")
    assert "not a video" in failed.error
    assert "back in the queue" in service.retry(failed.id)
    assert [v.name for v in store.list_videos(Folder.INBOX)] == ["bad.mp4"]
    with pytest.raises(ActionError, match="Could not retry") as err:
        service.retry("Failed/nope.mp4")
    assert err.value.status == 404  # the API answers 404, the page shows the message
    clock.advance(11)
    service.background.join(10)  # retry triggered a check in the background
    r = poll(service.ctx)
    assert [v.name for v in r.processable] == ["bad.mp4"]
    mails = {m.kind for m in service.ctx.history.sent_mail()}
    assert mails == {"batch_started", "video_done", "video_failed"}


def test_stop_workers_terminates_every_live_worker(setup):
    settings, store, launcher, clock, service = setup
    launcher.launch({})
    launcher.launch({})
    launcher.exit("pod-2")
    assert service.stop_workers().startswith("Stopped 1 worker")
    assert launcher.terminated == ["pod-1"]
    assert any("stopped from the web page" in e.message for e in service.ctx.history.recent_events())


def test_once_reports_a_storage_outage_instead_of_nothing_to_do(tmp_path):
    from tests.watcher.fakes import MemorySettle, MemoryStorage
    from watcher.daemon import run_once

    clock = Clock()
    settings = load_settings(watcher={"state_dir": str(tmp_path / "state")})
    storage = MemoryStorage()
    storage.fail_listing = True
    ctx = build_context(settings, storage=storage, launcher=FakeLauncher(clock), settle=MemorySettle(0),
                        history=History(None), worker_env=lambda: {}, reap=RecordingReaper(), clock=clock)
    lines = []
    assert run_once(settings, WatcherService(ctx), out=lines.append, sleep=lambda s: None) == 2
    assert "503" in lines[0]
