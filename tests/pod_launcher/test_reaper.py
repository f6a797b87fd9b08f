"""reap(): workers past max_lifetime or idle past idle_timeout are terminated; ended ones cleaned up."""

from datetime import datetime, timedelta, timezone

from config import load_settings
from pod_launcher.base import LaunchError, WorkerInfo
from pod_launcher.reaper import reap

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)


class RecordingLauncher:
    def __init__(self, workers, failing=()):
        self.workers = {w.id: w for w in workers}
        self.failing = set(failing)
        self.terminated = []

    def launch(self, env):
        raise NotImplementedError

    def list_workers(self):
        return list(self.workers.values())

    def terminate(self, worker_id):
        if worker_id in self.failing:
            raise LaunchError("API down")
        self.terminated.append(worker_id)
        self.workers.pop(worker_id, None)


def worker(wid, age_s, status="RUNNING"):
    return WorkerInfo(id=wid, name=f"hf-{wid}", status=status, started_at=NOW - timedelta(seconds=age_s))


def test_lifetime_idle_and_ended_workers():
    settings = load_settings(launcher={"max_lifetime": 3600, "idle_timeout": 600})
    la = RecordingLauncher([
        worker("old", 4000),                  # past max_lifetime, even though it renewed just now
        worker("hung", 1500),                 # last renewal 20 min ago
        worker("busy", 1500),                 # renewed 1 min ago
        worker("by-name", 1500),              # activity keyed by its name
        worker("fresh", 300),                 # started 5 min ago, nothing claimed yet
        worker("never-claimed", 900),         # started 15 min ago, never claimed anything
        worker("exited", 100, status="EXITED"),
        WorkerInfo(id="unknown-age", name="hf-u", status="RUNNING", started_at=None),
    ])  # fmt: skip
    activity = {
        "old": NOW - timedelta(seconds=10),
        "hung": NOW - timedelta(seconds=1200),
        "busy": NOW - timedelta(seconds=60),
        "hf-by-name": NOW - timedelta(seconds=30),
    }
    stopped = reap(la, activity, NOW, settings)
    assert sorted(w.id for w in stopped) == ["hung", "never-claimed", "old"]
    assert sorted(la.terminated) == ["exited", "hung", "never-claimed", "old"]
    assert sorted(la.workers) == ["busy", "by-name", "fresh", "unknown-age"]


def test_a_failed_terminate_is_logged_and_the_rest_go_on(caplog):
    settings = load_settings(launcher={"max_lifetime": 100, "idle_timeout": 50})
    la = RecordingLauncher([worker("a", 200), worker("b", 200)], failing={"a"})
    stopped = reap(la, {}, NOW, settings.launcher)  # a LauncherSettings works too
    assert [w.id for w in stopped] == ["b"]
    assert "could not terminate worker a" in caplog.text and "max_lifetime" in caplog.text
