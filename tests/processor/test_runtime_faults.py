"""The pod runtime under the faults issue 14 reproduced: each failed before the fix.

On both storage backends where it applies (the local folder, and Drive through the real client
against the emulator): a poison file never stalls the videos behind it, a resumed late writer leaves
no second report, a skewed clock refuses to work, reasons name the user's file; and, off storage,
a frozen pose process, a video longer than a worker may live, a pod's age, a failing terminate call.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import psutil
import pytest

from config import SettingsError, load_settings
from drive.factory import open_storage
from drive.model import Folder, State, VideoState, format_time, utcnow
from drive.storage import StorageError
from processor.runtime.ending import end_own_pod
from processor.runtime.worker import EXIT_FATAL, EXIT_OK, run_worker
from tests.support.quick_analyzer import quick_analyze

VIDEO = b"\x00\x00\x00\x18ftypmp42"
CLIP = Path(__file__).resolve().parents[1] / "data" / "synthetic" / "bodyA_side.mp4"
CYCLE = CLIP.with_name("bodyA_front_cycle.mp4")
QUEUE = {"settle_seconds": 0, "lease_seconds": 60, "claim_pause": 0.25, "max_attempts": 3, "chunk_size": 262144}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith(("HOTFOLDER_", "RUNPOD_", "HF_TEST_")):
            monkeypatch.delenv(key)


class Side:
    """One storage backend as these tests see it: add videos, list folders, read the error files."""

    def __init__(self, kind: str, tmp_path: Path, request, **over):
        self.kind = kind
        sections = {
            "worker": {"scratch_dir": str(tmp_path / "scratch"), "idle_grace": 0.3, "heartbeat": 0.1},
            "watcher": {"state_dir": str(tmp_path / "state")},
        }
        for key, value in over.items():
            sections.setdefault(key, {}).update(value)
        drive = {**QUEUE, **sections.pop("drive", {})}
        if kind == "local":
            self.settings = load_settings(local={"root": str(tmp_path / "data")}, drive=drive, **sections)
            self.store = open_storage(self.settings)
            self.store.path(Folder.INBOX).mkdir(parents=True, exist_ok=True)
        else:
            from drive.drive_store import DriveStore
            from tests.support.drive_setup import FAST_BACKOFF

            self.emu = request.getfixturevalue("drive_emulator")
            token = tmp_path / "token.json"
            self.emu.write_token(token)
            self.settings = load_settings(storage={"backend": "drive"}, drive=self.emu.drive_settings(token, **drive),
                                          **sections)
            self.store = DriveStore(self.settings, backoff=FAST_BACKOFF)

    def add(self, name: str, data: bytes | None = None) -> str:
        data = data if data is not None else VIDEO + os.urandom(3000)
        if self.kind == "local":
            (self.store.path(Folder.INBOX) / name).write_bytes(data)
            return name
        return self.emu.add_file(name, data)

    def names(self, folder: Folder) -> list[str]:
        """Videos in the inbox, Done or Failed; every file in Reports."""
        if folder is not Folder.REPORTS:
            return sorted(v.name for v in self.store.list_videos(folder))
        if self.kind == "local":
            return sorted(p.name for p in self.store.path(folder).iterdir() if p.is_file() and not p.name.startswith("."))
        return sorted(f["name"] for f in self.emu.children(self.store.folder_id(folder)))

    def state(self, folder: Folder, name: str) -> VideoState:
        [v] = [v for v in self.store.list_videos(folder) if v.name == name]
        return VideoState.from_properties(v.properties)

    def error_text(self, video_name: str) -> str:
        name = f"{video_name} - error.txt"
        if self.kind == "local":
            return (self.store.path(Folder.FAILED) / name).read_text(encoding="utf-8")
        [f] = [f for f in self.store.list_files(Folder.FAILED, (".txt",)) if f.name == name]
        return self.emu.content(f.id).decode("utf-8")


@pytest.fixture(params=["local", "drive"])
def side(request, tmp_path):
    return Side(request.param, tmp_path, request)


class Faulty:
    """The real store with chosen calls failing, as a Drive 403 or a full error folder would."""

    def __init__(self, store, **faults):
        self._store, self.faults = store, faults

    def __getattr__(self, name):
        real = getattr(self._store, name)
        fault = self.faults.get(name)
        if fault is None:
            return real

        def call(*args, **kwargs):
            fault(*args, **kwargs)
            return real(*args, **kwargs)

        return call


# -- 3. nothing stalls the queue ----------------------------------------------------------------------


def test_a_poison_file_and_a_forbidden_one_do_not_stall_the_good_videos(side):
    long_name = "Lisovna linka 3 – ranní směna " * 7 + ".mp4"  # ~250 bytes: outputs would exceed 255
    assert 240 < len(long_name.encode()) <= 255
    forbidden = side.add("forbidden.mp4")
    side.add(long_name)
    side.add("not a video.mp4", b"NOT A VIDEO")  # fails at once; its error file cannot be written
    # A claim a dead worker left with its attempts used up: the sweep fails it, error file or not.
    dead = side.add("dead worker.mp4")
    side.store.update_properties(dead, VideoState(
        state=State.CLAIMED, worker="gone", attempts=3, lease_until=utcnow() - timedelta(seconds=5)).to_properties())
    good = [side.add(f"good {i}.mp4") for i in range(2)]

    def get_video(file_id):
        if file_id == forbidden:
            raise StorageError("Drive answered 403: the user has not granted the app access to the file")

    def write_text(folder, name, text):
        raise StorageError("Drive answered 500 writing the error file")

    store = Faulty(side.store, get_video=get_video, write_text=write_text)
    assert run_worker(side.settings, analyze=quick_analyze, storage=store, install_signals=False) == EXIT_OK
    done = side.names(Folder.DONE)
    assert done == sorted([long_name, "good 0.mp4", "good 1.mp4"])
    assert sorted(side.names(Folder.FAILED)) == ["dead worker.mp4", "not a video.mp4"]
    assert side.state(Folder.FAILED, "not a video.mp4").error.startswith("not a video.mp4 is not a video")
    assert "stopped without finishing" in side.state(Folder.FAILED, "dead worker.mp4").error
    assert side.state(Folder.INBOX, "forbidden.mp4").state is State.PENDING  # untouched, tried again later
    assert good  # the good ones were processed behind all of that
    reports = side.names(Folder.REPORTS)
    assert len(reports) == 3 * 3 and all(len(n.encode()) <= 255 for n in reports)
    assert sum(n.endswith(" - ergonomics.xlsx") for n in reports) == 3


@pytest.mark.parametrize("chunks_reported", [True, False])
def test_a_slow_upload_that_keeps_sending_chunks_is_not_taken_for_a_stall(tmp_path, request, chunks_reported):
    """A report that takes longer than ``worker.stall_seconds`` to go up (a long preview on a slow line)
    is finished while its chunks keep moving; an upload with no sign of life for that long is stopped."""
    for kind in ("local", "drive"):
        s = Side(kind, tmp_path / kind, request, worker={"stall_seconds": 1.0}, drive={"max_attempts": 1})
        s.add("slow line.mp4")

        def slow(local, name, *args, progress=None, **kwargs):
            if name.endswith(" - ergonomics.xlsx"):
                for i in range(15):  # 1.5 s in all, a chunk every 0.1 s
                    time.sleep(0.1)
                    if progress is not None and chunks_reported:
                        progress(i + 1, 15)

        store = Faulty(s.store, upload_output=slow)
        assert run_worker(s.settings, analyze=quick_analyze, storage=store, install_signals=False) == EXIT_OK
        if chunks_reported:
            assert s.names(Folder.DONE) == ["slow line.mp4"], kind
        else:
            assert s.names(Folder.FAILED) == ["slow line.mp4"], kind
            assert "upload stopped: the work made no progress" in s.state(Folder.FAILED, "slow line.mp4").error


def test_a_reason_names_the_users_file_not_the_workers_copy(side):
    side.add("Lisování – linka 3.mp4", b"NOT A VIDEO at all")
    assert run_worker(side.settings, analyze=quick_analyze, install_signals=False, storage=side.store) == EXIT_OK
    state = side.state(Folder.FAILED, "Lisování – linka 3.mp4")
    assert state.error.startswith("Lisování – linka 3.mp4 is not a video file")
    text = side.error_text("Lisování – linka 3.mp4")
    assert "Reason: Lisování – linka 3.mp4 is not a video file" in text and "input" not in text


# -- 5. ownership before every write that matters ----------------------------------------------------


def test_a_worker_frozen_mid_upload_that_resumes_leaves_exactly_one_report(side):
    """A freezes (SIGSTOP-like: its uploads and its heartbeat stop) after its first upload; its lease
    runs out, B takes the video and finishes it; A resumes, finds the claim lost, removes its file."""
    side.add("press.mp4")
    frozen, resume = threading.Event(), threading.Event()
    uploads = []

    def upload_output(local, name, source_id, mime_type, claim="", progress=None):
        uploads.append(name)
        if len(uploads) == 2:  # A's second output: frozen just before it lands
            frozen.set()
            resume.wait(60)

    def update_properties(file_id, props):
        if frozen.is_set() and not resume.is_set() and threading.current_thread().name == "heartbeat":
            resume.wait(60)  # the frozen process renews nothing

    store_a = Faulty(side.store, upload_output=upload_output, update_properties=update_properties)
    env_a = {"HOTFOLDER_WORKER_ID": "pod-a"}
    a = threading.Thread(target=lambda: results.append(
        run_worker(side.settings, analyze=quick_analyze, storage=store_a, environ=env_a, install_signals=False)))
    results: list[int] = []
    a.start()
    assert frozen.wait(60)
    # The minute of A's lease passes (the shortest the settings allow): B finds it expired.
    [video] = side.store.list_videos(Folder.INBOX)
    side.store.update_properties(video.id, {"hf_lease_until": format_time(utcnow() - timedelta(seconds=1))})
    env_b = {"HOTFOLDER_WORKER_ID": "pod-b"}
    assert run_worker(side.settings, analyze=quick_analyze, storage=side.store, environ=env_b,
                      install_signals=False) == EXIT_OK
    assert side.state(Folder.DONE, "press.mp4").worker == "pod-b"
    resume.set()
    a.join(60)
    assert results == [EXIT_OK]
    reports = side.names(Folder.REPORTS)
    assert reports == ["press - angles.csv", "press - ergonomics.xlsx", "press - summary.json"], reports
    state = side.state(Folder.DONE, "press.mp4")
    assert (state.worker, state.attempts) == ("pod-b", 2)


# -- 6. clock sanity -----------------------------------------------------------------------------------


def test_a_worker_whose_clock_is_off_refuses_to_work(side, caplog):
    side.add("v.mp4")
    if side.kind == "drive":
        side.emu.clock_offset = 30.0  # the server's Date header is half a minute ahead
        store = side.store
    else:
        real = side.store

        class Skewed:
            def __getattr__(self, name):
                return getattr(real, name)

            def server_time(self):
                return utcnow() + timedelta(seconds=30)

        store = Skewed()
    assert run_worker(side.settings, analyze=quick_analyze, storage=store, install_signals=False) == EXIT_FATAL
    assert re.search(r"clock is (29|30|31) s behind the storage's", caplog.text) and "NTP" in caplog.text
    assert side.state(Folder.INBOX, "v.mp4").attempts == 0  # nothing claimed


def test_leases_shorter_than_a_minute_or_three_heartbeats_are_refused():
    with pytest.raises(SettingsError, match="at least 60 s"):
        load_settings(drive={"lease_seconds": 5}, worker={"heartbeat": 1})
    with pytest.raises(SettingsError, match="three worker.heartbeat periods"):
        load_settings(drive={"lease_seconds": 80}, worker={"heartbeat": 30})
    assert load_settings(drive={"lease_seconds": 90}, worker={"heartbeat": 30}).drive.lease_seconds == 90


# -- 4. hangs end --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_frozen_pose_process_is_killed_and_the_next_video_is_processed(tmp_path, request, caplog):
    """The real pipeline on a rendered clip, two pose processes; both freeze (SIGSTOP) mid-video."""
    s = Side("local", tmp_path, request, worker={"stall_seconds": 8.0}, drive={"max_attempts": 1},
             analysis={"quality": "fast", "processes": 2})
    # 50 s of video: long enough for the pool (segments of at least 15 s), one clip played twice.
    longer = tmp_path / "twice.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-stream_loop", "1", "-i", str(CYCLE), "-c", "copy", str(longer)], check=True)
    shutil.copy(longer, s.store.path(Folder.INBOX) / "frozen.mp4")
    shutil.copy(CLIP, s.store.path(Folder.INBOX) / "next.mp4")
    me = psutil.Process()
    stopped: list[int] = []

    def freeze_when_the_pose_moves():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not stopped:
            try:
                state = s.state(Folder.INBOX, "frozen.mp4")
            except ValueError:
                state = None
            kids = [c for c in me.children() if "spawn_main" in " ".join(c.cmdline())]  # the pose pool
            if state and state.state is State.CLAIMED and (state.progress or 0) > 12 and kids:
                for kid in kids:
                    kid.send_signal(signal.SIGSTOP)
                    stopped.append(kid.pid)
            time.sleep(0.2)

    t = threading.Thread(target=freeze_when_the_pose_moves, daemon=True)
    t.start()
    t0 = time.monotonic()
    assert run_worker(s.settings, storage=s.store, install_signals=False) == EXIT_OK
    t.join(5)
    assert stopped, "the pose pool never started"
    assert s.names(Folder.FAILED) == ["frozen.mp4"] and s.names(Folder.DONE) == ["next.mp4"]
    assert "made no progress" in s.state(Folder.FAILED, "frozen.mp4").error
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in stopped)
    assert time.monotonic() - t0 < 240


def test_a_video_longer_than_a_worker_may_live_fails_with_the_setting_to_raise(tmp_path, request):
    s = Side("local", tmp_path, request, launcher={"max_lifetime": 240})
    shutil.copy(CLIP, s.store.path(Folder.INBOX) / "long shift.mp4")
    assert run_worker(s.settings, analyze=quick_analyze, storage=s.store, install_signals=False) == EXIT_OK
    text = s.error_text("long shift.mp4")
    assert "the video is 17 s long" in text and "more than a worker may live (launcher.max_lifetime = 4 min)" in text


# -- 8. pods end, and count their age from RunPod --------------------------------------------------------


def test_a_terminate_call_that_fails_three_times_then_succeeds(tmp_path, request, runpod_emulator):
    import runpod

    runpod.api_key = runpod_emulator.api_key
    runpod_emulator.command = ["sleep", "60"]
    pod_id = runpod.create_pod("hf-1", "img", "NVIDIA L4")["id"]
    key = {p.id: p.key for p in runpod_emulator.all_pods()}[pod_id]
    runpod_emulator.inject("html_5xx", "podTerminate", count=3)
    waits: list[float] = []
    s = Side("local", tmp_path, request)
    assert end_own_pod({"RUNPOD_POD_ID": pod_id, "RUNPOD_API_KEY": key}, s.settings, sleep=waits.append) is True
    pod = runpod_emulator.wait_terminated(pod_id, timeout=10)
    assert pod.terminated_by == "pod" and pod.stopped_by == "pod"  # stopped after the third failure
    assert len(runpod_emulator.ops("podTerminate")) == 4 and len(waits) == 3 and waits == sorted(waits)


def test_a_pod_counts_its_lifetime_from_its_creation_not_from_a_restart(tmp_path, request, runpod_emulator):
    """A container restarted in a pod created 10 min ago, with 15 min of lifetime: a video that may
    need 10 min is left for a fresh worker (uncounted), not started here; then the pod ends."""
    from pod_launcher.runpod_launcher import RunpodLauncher

    runpod_emulator.command = ["sleep", "60"]
    s = Side("local", tmp_path, request, launcher={"max_lifetime": 900, "backend": "runpod"},
             runpod={"api_key": runpod_emulator.api_key, "image": "img:1", "gpu_types": ["NVIDIA L4"]})
    shutil.copy(CLIP, s.store.path(Folder.INBOX) / "press.mp4")
    created = utcnow() - timedelta(minutes=10)
    info = RunpodLauncher(s.settings, clock=lambda: created).launch({})
    key = {p.id: p.key for p in runpod_emulator.all_pods()}[info.id]
    env = {"RUNPOD_POD_ID": info.id, "RUNPOD_API_KEY": key}
    assert run_worker(s.settings, analyze=quick_analyze, storage=s.store, environ=env, install_signals=False) == EXIT_OK
    state = s.state(Folder.INBOX, "press.mp4")
    assert (state.state, state.attempts) == (State.PENDING, 0)
    assert runpod_emulator.wait_terminated(info.id, timeout=10).terminated_by == "pod"


@pytest.mark.slow
def test_sigterm_with_a_frozen_pose_pool_ends_the_worker_at_once(tmp_path, request):
    """`hotfolder work` in its own process, real pipeline; the pool freezes, then the pod is told to stop:
    the worker kills the pool, hands the video back uncounted and exits (it used to wait forever)."""
    s = Side("local", tmp_path, request, analysis={"quality": "fast", "processes": 2})
    subprocess.run(["ffmpeg", "-v", "error", "-stream_loop", "1", "-i", str(CYCLE), "-c", "copy",
                    str(s.store.path(Folder.INBOX) / "press.mp4")], check=True)
    from pod_launcher.pod_env import build_worker_env

    env = {**{k: v for k, v in os.environ.items() if not k.startswith("HOTFOLDER_")},
           **build_worker_env(s.settings, None), "HOTFOLDER_WORKER_ID": "pod-x"}
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-c", "from processor.runtime.worker import worker_main; "
                             "import sys; sys.exit(worker_main())"], cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = psutil.Process(proc.pid)
    kids: list[psutil.Process] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not kids:
        state = s.state(Folder.INBOX, "press.mp4")
        pool = [c for c in worker.children() if "spawn_main" in " ".join(c.cmdline())]
        if state.state is State.CLAIMED and (state.progress or 0) > 12 and pool:
            kids = pool
        time.sleep(0.2)
    assert kids, "the pose pool never started"
    for kid in kids:
        kid.send_signal(signal.SIGSTOP)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 143 and time.monotonic() - t0 < 30
    assert not any(k.is_running() and k.status() != psutil.STATUS_ZOMBIE for k in kids)
    state = s.state(Folder.INBOX, "press.mp4")
    assert (state.state, state.attempts) == (State.PENDING, 0)  # handed back, not counted
