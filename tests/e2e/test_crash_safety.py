"""Workers die at every step; the storage protocol still gives each video exactly one report.

Worker subprocesses (``tests.support.quick_worker``: ``hotfolder work`` with the quick analyzer)
are SIGKILLed at chosen points — mid-download, mid-analysis, between the two uploads, after the
uploads but before marking done, after marking done but before the move — and at random moments
from outside; each kill is followed by a relaunch. Then hung and overage workers meet the reaper.
"""

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import psutil
import pytest

from config import load_settings
from drive.factory import open_storage
from drive.model import Folder, State, VideoState, format_time, utcnow
from pod_launcher.local_launcher import REGISTRY, LocalLauncher
from pod_launcher.reaper import reap
from pod_launcher.pod_env import build_worker_env
from tests.support.quick_analyzer import report_source
from drive.model import OutputNames

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
POINTS = ["download", "analysis", "upload", "before_complete", "before_move", "random"]
TRIALS = 24
N_VIDEOS = 6


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith(("HOTFOLDER_", "HF_TEST_", "RUNPOD_")):
            monkeypatch.delenv(key)


def local_settings(tmp_path, **over):
    sections = {
        "local": {"root": str(tmp_path / "data")},
        # The shortest lease the settings allow; a killed worker's claim is expired by the test
        # (expire_claims: the minute that would pass) before the next worker starts.
        "drive": {"settle_seconds": 0, "lease_seconds": 60.0, "claim_pause": 0.25, "max_attempts": 100,
                  "chunk_size": 262144},
        "worker": {"scratch_dir": str(tmp_path / "scratch"), "idle_grace": 3.0, "heartbeat": 0.3},
        "launcher": {"max_workers": 1},
        "watcher": {"state_dir": str(tmp_path / "state")},
    }  # fmt: skip
    for key, value in over.items():
        sections.setdefault(key, {}).update(value)
    return load_settings(**sections)


class LocalSide:
    """The folder backend as the crash trials see it."""

    def __init__(self, tmp_path):
        self.settings = local_settings(tmp_path)
        self.token_json = None
        self.root = Path(self.settings.local.root)
        (self.root / "inbox").mkdir(parents=True, exist_ok=True)

    def add(self, name, data):
        (self.root / "inbox" / name).write_bytes(data)

    def inbox_empty(self):
        return not open_storage(self.settings).list_videos(Folder.INBOX)

    def assert_exactly_one_report_each(self, md5):
        reports_dir = open_storage(self.settings).path(Folder.REPORTS)
        reports = sorted(p.name for p in reports_dir.iterdir() if p.is_file() and not p.name.startswith("."))
        assert reports == expected_reports(md5)
        store = open_storage(self.settings)
        done = {v.name: v for v in store.list_videos(Folder.DONE)}
        assert sorted(done) == sorted(md5) and store.list_videos(Folder.INBOX) == []
        assert store.list_videos(Folder.FAILED) == []
        for name, digest in md5.items():
            state = VideoState.from_properties(done[name].properties)
            assert state.state is State.DONE and state.report_id
            assert report_source(reports_dir / f"{Path(name).stem} - ergonomics.xlsx") == digest


class DriveSide:
    """The Drive emulator, reached by the workers through the real client library."""

    def __init__(self, emu, tmp_path):
        self.emu = emu
        token = tmp_path / "watcher-token.json"
        emu.write_token(token)
        self.token_json = token.read_text()
        base = local_settings(tmp_path)
        self.settings = load_settings(
            storage={"backend": "drive"},
            drive=emu.drive_settings(token, **{k: v for k, v in base.drive if k in
                                               ("settle_seconds", "lease_seconds", "claim_pause", "max_attempts", "chunk_size")}),
            worker={"scratch_dir": str(tmp_path / "scratch"), "idle_grace": 3.0, "heartbeat": 0.3},
            watcher={"state_dir": str(tmp_path / "state")},
        )  # fmt: skip
        self.tmp = tmp_path

    def add(self, name, data):
        self.emu.add_file(name, data)

    def inbox_empty(self):
        return not [f for f in self.emu.children(self.emu.folder_id)
                    if f.get("mimeType") != "application/vnd.google-apps.folder"]

    def folder(self, name):
        found = self.emu.find(name, parent=self.emu.folder_id)  # the status folders sit inside the hot folder
        assert len(found) == 1, found
        return found[0]["id"]

    def assert_exactly_one_report_each(self, md5):
        reports = self.emu.children(self.folder("Reports"))
        assert sorted(f["name"] for f in reports) == expected_reports(md5)
        done = {f["name"]: f for f in self.emu.children(self.folder("Done"))}
        assert sorted(done) == sorted(md5) and self.inbox_empty()
        assert not self.emu.find("Failed") or not self.emu.children(self.folder("Failed"))
        for name, digest in md5.items():
            state = VideoState.from_properties(done[name].get("properties") or {})
            assert state.state is State.DONE and state.report_id
            xlsx = self.tmp / "report.xlsx"
            xlsx.write_bytes(self.emu.content(state.report_id))
            assert report_source(xlsx) == digest


def expected_reports(md5):
    names = [OutputNames.of(n) for n in md5]
    return sorted([o.report for o in names] + [o.angles for o in names] + [o.summary for o in names])


def add_videos(side, names):
    md5 = {}
    for name in names:
        data = b"\x00\x00\x00\x18ftypmp42" + os.urandom(700_000)  # three download chunks
        side.add(name, data)
        md5[name] = hashlib.md5(data).hexdigest()
    return md5


def expire_claims(settings) -> int:
    """Let the leases of dead workers' claims run out now, as a minute of waiting would (leases may not be
    shorter than 60 s); the next worker then takes the video over exactly as after a real expiry."""
    store = open_storage(settings)
    past = utcnow() - timedelta(seconds=1)
    expired = 0
    for video in store.list_videos(Folder.INBOX):
        state = VideoState.from_properties(video.properties)
        if state.state is State.CLAIMED and state.lease_until and state.lease_until > past:
            store.update_properties(video.id, {"hf_lease_until": format_time(past)})
            expired += 1
    return expired


def worker_env(side, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTFOLDER_", "HF_TEST_"))}
    pythonpath = [p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p]
    return {**env, **build_worker_env(side.settings, side.token_json), "PYTHONPATH": os.pathsep.join(pythonpath), **extra}


def run_worker_process(side, point, rng, tmp_path, n):
    extra = {"HOTFOLDER_WORKER_ID": f"trial-{n}", "HF_TEST_ANALYZE_SECONDS": "0.6"}
    if point != "random":
        extra["HF_TEST_KILL_AT"] = point
    log = tmp_path / "logs" / f"trial-{n:02d}-{point}.log"
    log.parent.mkdir(exist_ok=True)
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.quick_worker"], cwd=tmp_path,
            env=worker_env(side, **extra), stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        if point == "random":
            # From outside, at any moment after start-up: listing, claiming, any stage of a video.
            try:
                proc.wait(rng.uniform(1.0, 4.0))
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
        rc = proc.wait(120)
    return rc, log.read_text()


@pytest.mark.parametrize("backend, trials", [("local", 24), ("drive", 12)])
def test_sigkill_at_every_step_then_relaunch_loses_and_duplicates_nothing(backend, trials, tmp_path, request):
    side = LocalSide(tmp_path) if backend == "local" else DriveSide(request.getfixturevalue("drive_emulator"), tmp_path)
    md5 = add_videos(side, [f"station {i}.mp4" for i in range(N_VIDEOS)])
    rng = random.Random(int(os.environ.get("HF_CRASH_SEED", "20261122")))
    kills: dict[str, int] = {}
    t0 = time.monotonic()
    for n in range(trials):
        point = POINTS[n % len(POINTS)]
        rc, log = run_worker_process(side, point, rng, tmp_path, n)
        if rc == -signal.SIGKILL:
            kills[point] = kills.get(point, 0) + 1
            expire_claims(side.settings)
        else:
            assert point == "random" or "queue empty" in log, log  # ran out of work before that point
        if side.inbox_empty():
            # Every video made it: drop fresh ones so the remaining trials still have work.
            md5.update(add_videos(side, [f"late {n}-{i}.mp4" for i in range(2)]))
    # The relaunch after the last kill, and any further ones until the queue is drained.
    for extra in range(5):
        rc, log = run_worker_process(side, "none", rng, tmp_path, trials + extra)
        assert rc == 0, log
        if side.inbox_empty():
            break
    killed = sum(kills.values())
    print(f"crash trials ({backend}): {trials} runs, {killed} SIGKILLs {kills}, {len(md5)} videos, "
          f"{time.monotonic() - t0:.0f} s")  # fmt: skip
    # A point can be missed when a worker under load loses its lease first (harmless: another takes over).
    per_point = max(1, trials // len(POINTS) // 2)
    assert killed >= min(20, trials - 2) and all(kills.get(p, 0) >= per_point for p in POINTS if p != "random")
    side.assert_exactly_one_report_each(md5)


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def last_activity(store, settings):
    """What the watcher derives from the queue: each claiming worker's latest lease renewal."""
    seen = {}
    for v in store.list_videos(Folder.INBOX):
        st = VideoState.from_properties(v.properties)
        if st.state is State.CLAIMED and st.worker and st.lease_until:
            seen[st.worker] = st.lease_until - timedelta(seconds=settings.drive.lease_seconds)
    return seen


def test_a_hung_worker_is_reaped_and_its_video_reclaimed(tmp_path, monkeypatch):
    settings = local_settings(tmp_path, launcher={"idle_timeout": 3.0, "max_lifetime": 600})
    side = LocalSide(tmp_path)
    settings = side.settings = settings
    md5 = add_videos(side, ["station 0.mp4"])
    store = open_storage(settings)
    monkeypatch.setenv("HF_TEST_ANALYZE_SECONDS", "60")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p))
    launcher = LocalLauncher(settings, command=[sys.executable, "-m", "tests.support.quick_worker"], stop_grace=2.0)
    hung = launcher.launch(build_worker_env(settings, None))
    wait_for(lambda: last_activity(store, settings).get(hung.id), 60, "the claim")
    time.sleep(4.0)  # renewing: older than idle_timeout, yet alive and well
    assert reap(launcher, last_activity(store, settings), utcnow(), settings) == []

    registry = json.loads((Path(settings.watcher.state_dir) / REGISTRY).read_text())
    proc = psutil.Process(registry["workers"][hung.id]["pid"])
    proc.send_signal(signal.SIGSTOP)  # hung: no more renewals
    wait_for(lambda: (utcnow() - last_activity(store, settings)[hung.id]).total_seconds() > 3.5, 30, "staleness")
    [reaped] = reap(launcher, last_activity(store, settings), utcnow(), settings)
    assert reaped.id == hung.id
    wait_for(lambda: not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE, 10, "the hung worker to die")
    assert [w.id for w in launcher.list_workers() if w.alive] == []
    assert expire_claims(settings) == 1  # the dead worker's lease runs out

    monkeypatch.setenv("HF_TEST_ANALYZE_SECONDS", "0")
    fresh = launcher.launch(build_worker_env(settings, None))
    wait_for(lambda: not any(w.alive for w in launcher.list_workers()), 90, "the new worker to finish")
    side.assert_exactly_one_report_each(md5)
    [video] = store.list_videos(Folder.DONE)
    state = VideoState.from_properties(video.properties)
    assert state.worker == fresh.id and state.attempts == 2  # the hung attempt counted


def test_a_worker_past_max_lifetime_is_terminated_and_releases_its_video(tmp_path, runpod_emulator):
    """The reaper ends an overage pod even while it renews; SIGTERM makes it hand the video back."""
    from pod_launcher.runpod_launcher import RunpodLauncher

    runpod_emulator.command = [sys.executable, "-m", "tests.support.quick_worker"]
    runpod_emulator.extra_env = {"HF_TEST_ANALYZE_SECONDS": "60"}
    settings = local_settings(
        tmp_path,
        launcher={"backend": "runpod", "max_lifetime": 600, "idle_timeout": 600},
        runpod={"api_key": runpod_emulator.api_key, "image": "img:1", "gpu_types": ["NVIDIA L4"]},
    )
    LocalSide(tmp_path).add("station 0.mp4", b"\x00\x00\x00\x18ftypmp42" + os.urandom(1000))
    store = open_storage(settings)
    launcher = RunpodLauncher(settings)
    # A pod has its own disk: only the folder tree (local backend, for this test) is shared.
    info = launcher.launch({**build_worker_env(settings, None), "HOTFOLDER_LOCAL__ROOT": str(tmp_path / "data")})
    wait_for(lambda: last_activity(store, settings).get(info.id), 60, "the claim")
    assert reap(launcher, last_activity(store, settings), utcnow(), settings) == []  # young and busy
    # The same pod, judged by a lifetime it has outlived (the watcher's config, e.g. 6 h, in small).
    short = settings.launcher.model_copy(update={"max_lifetime": 1.0})
    wait_for(lambda: (utcnow() - launcher.list_workers()[0].started_at).total_seconds() > 1.0, 10, "age")
    [reaped] = reap(launcher, last_activity(store, settings), utcnow(), short)
    assert reaped.id == info.id
    pod = runpod_emulator.wait_terminated(info.id, timeout=30)
    wait_for(lambda: not pod.running, 30, "the pod process to end")
    assert pod.terminated_by == "account" and launcher.list_workers() == []
    [video] = store.list_videos(Folder.INBOX)
    state = VideoState.from_properties(video.properties)
    assert state.state is State.PENDING and state.attempts == 0, pod.log_text()


def test_two_local_workers_share_a_backlog_without_doing_anything_twice(tmp_path, monkeypatch):
    """`launcher.max_workers = 2`: two workers drain one folder; claims keep them apart."""
    # Nobody is killed here: a long lease, so a loaded machine stalling a heartbeat cannot hand a
    # video to the other worker (that would be correct, but counts a second attempt).
    settings = local_settings(tmp_path, worker={"idle_grace": 1.0}, launcher={"max_workers": 2},
                              drive={"lease_seconds": 120.0})
    side = LocalSide(tmp_path)
    side.settings = settings
    md5 = add_videos(side, [f"station {i}.mp4" for i in range(6)])
    monkeypatch.setenv("HF_TEST_ANALYZE_SECONDS", "1.0")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p))
    launcher = LocalLauncher(settings, command=[sys.executable, "-m", "tests.support.quick_worker"])
    workers = [launcher.launch(build_worker_env(settings, None)) for _ in range(settings.launcher.max_workers)]
    wait_for(lambda: not any(w.alive for w in launcher.list_workers()), 120, "both workers to finish")
    side.assert_exactly_one_report_each(md5)
    by_worker = {}
    for v in open_storage(settings).list_videos(Folder.DONE):
        state = VideoState.from_properties(v.properties)
        assert state.attempts == 1
        by_worker[state.worker] = by_worker.get(state.worker, 0) + 1
    assert set(by_worker) == {w.id for w in workers}  # both took part
