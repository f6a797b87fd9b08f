import threading
import time

from config import load_settings
from tests.watcher.fakes import FakeLauncher, MemorySettle, MemoryStorage, RecordingReaper
from watcher.daemon import JOB_ID, WatcherService, build_context, run_watch
from watcher.history import History


class SlowStorage(MemoryStorage):
    """Listing takes a while; records how many listings ever ran at the same time."""

    def __init__(self):
        super().__init__()
        self.running = 0
        self.max_running = 0
        self.started: list[float] = []  # monotonic start of each listing
        self.guard = threading.Lock()

    def list_videos(self, folder=None):
        with self.guard:
            self.running += 1
            self.max_running = max(self.max_running, self.running)
            self.started.append(time.monotonic())
        time.sleep(0.3)
        with self.guard:
            self.running -= 1
        return super().list_videos(folder) if folder else super().list_videos()


def service_for(tmp_path, storage):
    from drive.model import utcnow

    class RealClock:
        def __call__(self):
            return utcnow()

    settings = load_settings(watcher={"state_dir": str(tmp_path / "state"), "poll_seconds": 3600},
                             web={"enabled": False})
    launcher = FakeLauncher(RealClock())
    ctx = build_context(settings, storage=storage, launcher=launcher, settle=MemorySettle(30),
                        history=History(tmp_path / "state" / "history.sqlite3"), worker_env=lambda: {},
                        reap=RecordingReaper())
    return settings, WatcherService(ctx)


def wait_until(cond, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False


def test_scheduler_job_and_check_now_never_overlap(tmp_path):
    storage = SlowStorage()
    settings, service = service_for(tmp_path, storage)
    stop = threading.Event()
    thread = threading.Thread(target=run_watch, args=(settings, service, stop), daemon=True)
    thread.start()
    try:
        assert wait_until(lambda: storage.calls["list_videos:inbox"] >= 1), "the first poll runs at start"
        job = service.scheduler.get_job(JOB_ID)
        assert job.max_instances == 1 and job.coalesce and job.misfire_grace_time >= 60
        assert job.trigger.interval.total_seconds() == 3600
        assert str(service.scheduler.timezone) == "UTC"
        assert wait_until(lambda: not service.checking), "the first poll ends"
        before = storage.calls["list_videos:inbox"]
        messages = []
        for _ in range(10):  # impatient clicks on "Check now", most of them while a poll runs
            messages.append(service.check_now())
            time.sleep(0.05)
        last_click = time.monotonic()
        assert messages[0].startswith("Checking the folder now")
        assert any("as soon as the check that is running ends" in m for m in messages[1:])
        assert wait_until(lambda: storage.started[-1] > last_click), "a poll starts after the last click"
        assert wait_until(lambda: storage.running == 0 and not service.checking)
        time.sleep(0.5)
        assert storage.max_running == 1, "two polls ran at once"
        # 10 clicks in 0.5 s over 0.3-s polls: the click's poll, then one more per poll that clicks hit.
        assert 2 <= storage.calls["list_videos:inbox"] - before <= 3, "clicks coalesce instead of queueing polls"
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive(), "the daemon stops cleanly"


def test_check_now_during_a_poll_runs_one_more_and_none_after_close(tmp_path):
    storage = SlowStorage()
    _, service = service_for(tmp_path, storage)
    assert service.check_now().startswith("Checking the folder now")
    assert wait_until(lambda: storage.running == 1)
    assert "as soon as the check that is running ends" in service.check_now()
    assert wait_until(lambda: storage.calls["list_videos:inbox"] == 2 and not service.checking)
    assert service.last_result is not None and storage.max_running == 1
    service.close()
    assert service.check_now() == "The watcher is stopping." and service.run_poll() is None


def test_a_busy_web_port_does_not_stop_the_watcher(tmp_path, caplog):
    import socket

    from watcher.daemon import _start_web

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    settings = load_settings(watcher={"state_dir": str(tmp_path / "state")},
                             web={"port": taken.getsockname()[1], "token": "tok-0123456789"})
    _, service = service_for(tmp_path, MemoryStorage())
    assert _start_web(settings, service) is None
    assert "cannot serve the status page" in caplog.text
    taken.close()
