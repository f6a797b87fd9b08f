"""LocalLauncher: subprocess workers, a registry that survives a watcher restart, pid-reuse safety."""

import json
import os
import sys
import time

import psutil
import pytest

from config import load_settings
from pod_launcher.local_launcher import REGISTRY, LocalLauncher

# A worker stand-in: reports its env, starts a grandchild, and idles.
CHILD = (
    "import json, os, subprocess, sys, time, signal\n"
    "if os.environ.get('IGNORE_TERM'): signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "g = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
    "print(json.dumps({'id': os.environ['HOTFOLDER_WORKER_ID'], 'x': os.environ.get('X'), 'grandchild': g.pid,\n"
    "                  'key': os.environ.get('HOTFOLDER_RUNPOD__API_KEY'), 'inherited': os.environ.get('INHERITED')}), flush=True)\n"
    "time.sleep(120)\n"
)


@pytest.fixture
def settings(tmp_path):
    return load_settings(watcher={"state_dir": str(tmp_path / "state")}, launcher={"name_prefix": "hf-local"})


def launcher(settings, **kw):
    return LocalLauncher(settings, command=[sys.executable, "-c", CHILD], stop_grace=kw.pop("stop_grace", 5.0), **kw)


def gone(pid, timeout=5.0):
    """The process ended (a SIGKILL is delivered asynchronously; a zombie has ended too)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def first_line(path, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text() if path.exists() else ""
        if text.strip():
            return json.loads(text.splitlines()[0])
        time.sleep(0.05)
    raise AssertionError(f"no output in {path}")


def test_launch_list_terminate_with_the_process_group(settings, monkeypatch):
    monkeypatch.setenv("HOTFOLDER_RUNPOD__API_KEY", "rpa_WATCHER_ONLY_SECRET")
    monkeypatch.setenv("INHERITED", "yes")
    la = launcher(settings)
    a = la.launch({"X": 'quoted "value"\nnewline'})
    b = la.launch({})
    assert (a.id, b.id) == ("local-1", "local-2") and a.name == "hf-local-local-1"
    log_dir = settings.watcher.state_dir.resolve() / "workers"
    out = first_line(log_dir / "local-1.log")
    assert out["id"] == "local-1" and out["x"] == 'quoted "value"\nnewline'
    assert out["inherited"] == "yes" and out["key"] is None
    assert {w.id: w.status for w in la.list_workers()} == {"local-1": "RUNNING", "local-2": "RUNNING"}

    la.terminate("local-1")
    la.terminate("local-1")  # idempotent
    assert gone(out["grandchild"])
    assert [w.id for w in la.list_workers()] == ["local-2"]
    la.terminate("local-2")
    assert la.list_workers() == []


def test_a_restarted_watcher_sees_and_stops_workers_it_did_not_start(settings):
    first = launcher(settings)
    info = first.launch({})
    pid = json.loads((settings.watcher.state_dir / REGISTRY).read_text())["workers"][info.id]["pid"]
    del first  # the watcher restarts

    second = launcher(settings)
    [w] = second.list_workers()
    assert w.id == info.id and w.alive and w.uptime_s >= 0
    assert second.launch({}).id == "local-2"  # numbering continues
    second.terminate(info.id)
    second.terminate("local-2")
    assert gone(pid)


def test_a_reused_pid_is_never_signalled(settings):
    la = launcher(settings)
    la.launch({})
    path = settings.watcher.state_dir / REGISTRY
    reg = json.loads(path.read_text())
    la.terminate("local-1")
    # Pretend the old worker's pid now belongs to an unrelated process: this test process.
    reg["workers"]["local-1"]["pid"] = os.getpid()
    path.write_text(json.dumps(reg))
    [w] = la.list_workers()
    assert w.status == "EXITED" and not w.alive
    la.terminate("local-1")  # must not kill us
    assert la.list_workers() == []


def test_a_worker_ignoring_sigterm_is_killed_after_the_grace(settings, monkeypatch):
    monkeypatch.setenv("IGNORE_TERM", "1")
    la = launcher(settings, stop_grace=0.5)
    info = la.launch({})
    first_line(settings.watcher.state_dir.resolve() / "workers" / "local-1.log")
    pid = json.loads((settings.watcher.state_dir / REGISTRY).read_text())["workers"][info.id]["pid"]
    t0 = time.monotonic()
    la.terminate(info.id)
    assert time.monotonic() - t0 < 5
    assert gone(pid)


def test_an_ended_worker_is_listed_as_exited(settings):
    la = LocalLauncher(settings, command=[sys.executable, "-c", "print('bye')"])
    info = la.launch({})
    deadline = time.monotonic() + 20
    while la.list_workers()[0].alive:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    [w] = la.list_workers()
    assert w.id == info.id and w.status == "EXITED"
