"""run_worker in-process on the local folder backend, with the quick analyzer injected."""

import errno
import os
import threading
import time
from pathlib import Path

import pytest

from config import load_settings
from drive.factory import open_storage
from drive.model import Folder, State, VideoState
from processor.runtime.ending import end_own_pod
from processor.runtime.worker import EXIT_FATAL, EXIT_OK, run_worker
from tests.support.quick_analyzer import quick_analyze, report_source


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith(("HOTFOLDER_", "RUNPOD_")):
            monkeypatch.delenv(key)


def make_settings(tmp_path, **over):
    sections = {
        "local": {"root": str(tmp_path / "data")},
        "drive": {"settle_seconds": 0, "lease_seconds": 60, "claim_pause": 0.25, "max_attempts": 3, "chunk_size": 262144},
        "worker": {"scratch_dir": str(tmp_path / "scratch"), "idle_grace": 0.3, "heartbeat": 0.1},
        "watcher": {"state_dir": str(tmp_path / "state")},
    }
    for key, value in over.items():
        sections.setdefault(key, {}).update(value)
    return load_settings(**sections)


def add_video(settings, name, data=None):
    inbox = Path(settings.local.root) / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / name).write_bytes(data if data is not None else b"\x00\x00\x00\x18ftypmp42" + os.urandom(300_000))
    return inbox / name


FOLDERS = {"inbox": Folder.INBOX, "Reports": Folder.REPORTS, "Done": Folder.DONE, "Failed": Folder.FAILED}


def folder_path(settings, name) -> Path:
    """Where the local backend keeps ``name`` (the status folders sit inside the inbox by default)."""
    return open_storage(settings).path(FOLDERS[name])


def folder(settings, name):
    path = folder_path(settings, name)
    return sorted(p.name for p in path.iterdir() if not p.name.startswith(".") and p.is_file()) if path.exists() else []


def state_of(store, folder_, name):
    [v] = [v for v in store.list_videos(folder_) if v.name == name]
    return VideoState.from_properties(v.properties)


def test_drains_the_queue_and_cleans_scratch(tmp_path):
    settings = make_settings(tmp_path)
    sources = {name: add_video(settings, name).read_bytes() for name in ("a.mp4", "b b.MOV", "č – 3.mp4")}
    assert run_worker(settings, analyze=quick_analyze, install_signals=False) == EXIT_OK
    assert folder(settings, "Done") == sorted(sources)
    assert folder(settings, "inbox") == []
    assert folder(settings, "Reports") == sorted(
        f"{Path(n).stem} - {kind}" for n in sources for kind in ("ergonomics.xlsx", "angles.csv", "summary.json")
    )
    import hashlib

    for name, data in sources.items():
        xlsx = folder_path(settings, "Reports") / f"{Path(name).stem} - ergonomics.xlsx"
        assert report_source(xlsx) == hashlib.md5(data).hexdigest()
        st = state_of(open_storage(settings), Folder.DONE, name)
        assert st.state is State.DONE and st.report_id and st.attempts == 1
    assert not any((tmp_path / "scratch").rglob("*"))


def test_poison_input_fails_at_once_with_its_reason(tmp_path):
    settings = make_settings(tmp_path)
    add_video(settings, "notes.mp4", b"NOT A VIDEO, just text")
    add_video(settings, "good.mp4")
    assert run_worker(settings, analyze=quick_analyze, install_signals=False) == EXIT_OK
    assert folder(settings, "Done") == ["good.mp4"]
    assert folder(settings, "Failed") == ["notes.mp4", "notes.mp4 - error.txt"]
    st = state_of(open_storage(settings), Folder.FAILED, "notes.mp4")
    assert st.state is State.FAILED and st.attempts == 1 and "not a video" in st.error


def test_transient_errors_retry_then_fail_after_max_attempts(tmp_path):
    settings = make_settings(tmp_path)
    add_video(settings, "flaky.mp4")
    add_video(settings, "broken.mp4")
    calls = {"flaky.mp4": 0}

    def analyze(path, out_dir, options, progress=None):

        if Path(path).stat().st_size == flaky_size:
            calls["flaky.mp4"] += 1
            if calls["flaky.mp4"] == 1:
                raise ConnectionResetError("model server went away")
            return quick_analyze(path, out_dir, options, progress)
        raise RuntimeError("bug in the analysis")

    flaky_size = (Path(settings.local.root) / "inbox" / "flaky.mp4").stat().st_size
    add_video(settings, "broken.mp4", os.urandom(1000) + b"x")  # a different size
    assert run_worker(settings, analyze=analyze, install_signals=False) == EXIT_OK
    assert folder(settings, "Done") == ["flaky.mp4"]
    assert calls["flaky.mp4"] == 2
    st = state_of(open_storage(settings), Folder.FAILED, "broken.mp4")
    assert st.state is State.FAILED and st.attempts == 3 and "RuntimeError: bug in the analysis" in st.error


def test_an_output_uploaded_before_a_crash_is_reused_not_duplicated(tmp_path):
    settings = make_settings(tmp_path)
    add_video(settings, "v.mp4")
    store = open_storage(settings)
    [video] = store.list_videos()
    earlier = tmp_path / "earlier.xlsx"
    earlier.write_bytes(b"uploaded by the attempt that crashed")
    store.upload_output(earlier, "v - ergonomics.xlsx", video.id, "application/octet-stream")
    assert run_worker(settings, analyze=quick_analyze, install_signals=False) == EXIT_OK
    assert folder(settings, "Reports") == ["v - angles.csv", "v - ergonomics.xlsx", "v - summary.json"]
    assert (folder_path(settings, "Reports") / "v - ergonomics.xlsx").read_bytes() == earlier.read_bytes()


def test_heartbeat_renews_the_lease_and_reports_progress(tmp_path, monkeypatch):
    settings = make_settings(tmp_path)
    add_video(settings, "slow.mp4")
    monkeypatch.setenv("HF_TEST_ANALYZE_SECONDS", "4")
    seen: list[tuple[str, str | None]] = []
    leases: set[str] = set()
    store = open_storage(settings)
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            for v in store.list_videos():
                seen.append((v.properties.get("hf_state"), v.properties.get("hf_progress")))
                if v.properties.get("hf_state") == "claimed":
                    leases.add(v.properties["hf_lease_until"])
            time.sleep(0.05)

    t = threading.Thread(target=watch)
    t.start()
    try:
        assert run_worker(settings, analyze=quick_analyze, install_signals=False) == EXIT_OK
    finally:
        stop.set()
        t.join()
    progress = [int(p) for s, p in seen if s == "claimed" and p is not None]
    assert progress == sorted(progress) and any(10 < p < 90 for p in progress) and max(progress) >= 80
    assert len(leases) >= 10  # renewed every heartbeat (0.1 s) while the analysis moved
    st = state_of(store, Folder.DONE, "slow.mp4")
    assert st.state is State.DONE and st.attempts == 1  # never lost its claim


def test_full_disk_is_a_clear_failure_and_stops_the_worker(tmp_path):
    settings = make_settings(tmp_path)
    add_video(settings, "big.mp4")

    def analyze(path, out_dir, options, progress=None):
        raise OSError(errno.ENOSPC, "No space left on device")

    assert run_worker(settings, analyze=analyze, install_signals=False) == EXIT_FATAL
    st = state_of(open_storage(settings), Folder.INBOX, "big.mp4")
    assert st.state is State.PENDING and st.attempts == 1
    assert "disk is full" in st.error or "disk is full" in st.error.replace("...", "")
    assert not any((tmp_path / "scratch").rglob("*"))


def test_a_video_larger_than_the_free_disk_is_not_downloaded(tmp_path, monkeypatch):
    settings = make_settings(tmp_path, drive={"max_attempts": 1})
    add_video(settings, "huge.mp4")
    import shutil

    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**9, 10**9 - 1000, 1000))
    assert run_worker(settings, analyze=quick_analyze, install_signals=False) == EXIT_FATAL
    assert folder(settings, "Failed") == ["huge.mp4", "huge.mp4 - error.txt"]
    text = (folder_path(settings, "Failed") / "huge.mp4 - error.txt").read_text()
    assert "disk is full" in text and "runpod.container_disk_gb" in text


def test_a_stolen_claim_is_left_alone(tmp_path):
    settings = make_settings(tmp_path)
    add_video(settings, "v.mp4")
    store = open_storage(settings)

    def analyze(path, out_dir, options, progress=None):
        [v] = store.list_videos()
        store.update_properties(v.id, {"hf_worker": "someone-else", "hf_claim_nonce": "x"})
        return quick_analyze(path, out_dir, options, progress)

    assert run_worker(settings, analyze=analyze, install_signals=False) == EXIT_OK
    assert folder(settings, "Reports") == []  # nothing uploaded for a video that is not ours
    assert state_of(store, Folder.INBOX, "v.mp4").worker == "someone-else"


def test_idle_worker_exits_after_the_grace(tmp_path):
    settings = make_settings(tmp_path, worker={"idle_grace": 1.0})
    t0 = time.monotonic()
    assert run_worker(settings, analyze=quick_analyze, install_signals=False) == EXIT_OK
    assert 1.0 <= time.monotonic() - t0 < 10


def test_on_runpod_the_worker_terminates_its_own_pod(tmp_path, runpod_emulator):
    """Every exit path ends the pod through the launcher with the pod-scoped key: normal and fatal here."""
    import sys

    import runpod

    runpod_emulator.command = [sys.executable, "-c", "import time; time.sleep(60)"]
    runpod.api_key = runpod_emulator.api_key
    pods = [runpod.create_pod(f"hf-{i}", "img", "NVIDIA L4")["id"] for i in range(2)]
    keys = {p.id: p.key for p in runpod_emulator.all_pods()}
    settings = make_settings(tmp_path)
    env = {"RUNPOD_POD_ID": pods[0], "RUNPOD_API_KEY": keys[pods[0]]}
    assert run_worker(settings, analyze=quick_analyze, environ=env, install_signals=False) == EXIT_OK

    class BrokenStore:
        def list_videos(self, folder=None):
            from drive.storage import StorageError

            raise StorageError("Drive said 500 five times")

    env = {"RUNPOD_POD_ID": pods[1], "RUNPOD_API_KEY": keys[pods[1]]}
    settings = make_settings(tmp_path, worker={"idle_grace": 0.1})
    assert run_worker(settings, analyze=quick_analyze, storage=BrokenStore(), environ=env, install_signals=False) == EXIT_FATAL
    for pod_id in pods:
        assert runpod_emulator.wait_terminated(pod_id, timeout=10).terminated_by == "pod"
    assert runpod_emulator.running_pods() == []
    assert end_own_pod({}, settings) is False  # not on RunPod: nothing to do


def test_a_misconfigured_standard_stops_the_worker_before_claiming(tmp_path, caplog):
    settings = make_settings(tmp_path, analysis={"standard": "nv999"})
    add_video(settings, "v.mp4")
    assert run_worker(settings, analyze=quick_analyze, install_signals=False) == EXIT_FATAL
    assert "cannot start" in caplog.text and "nv999" in caplog.text
    assert state_of(open_storage(settings), Folder.INBOX, "v.mp4").attempts == 0  # untouched


class SlowStore:
    """The local store with slow listings and/or slow claim writes, as a loaded machine or Drive gives."""

    def __init__(self, store, list_delay=0.0, slow_claims=0, claim_delay=0.0):
        self._store, self.list_delay, self.slow_claims, self.claim_delay = store, list_delay, slow_claims, claim_delay
        self.claim_writes = 0

    def __getattr__(self, name):
        return getattr(self._store, name)

    def list_videos(self, *args, **kw):
        time.sleep(self.list_delay)
        return self._store.list_videos(*args, **kw)

    def update_properties(self, file_id, props):
        if props.get("hf_state") == "claimed":
            self.claim_writes += 1
            if self.slow_claims is None or self.claim_writes <= self.slow_claims:
                time.sleep(self.claim_delay)
        return self._store.update_properties(file_id, props)


def test_slow_listings_do_not_end_a_fresh_worker_before_its_video_settles(tmp_path):
    """A fresh worker first sees the video unsettled; listings of 0.6 s must not run out its grace."""
    settings = make_settings(tmp_path, drive={"settle_seconds": 1.0}, worker={"idle_grace": 1.0})
    add_video(settings, "v.mp4")
    store = SlowStore(open_storage(settings), list_delay=0.6)
    assert run_worker(settings, analyze=quick_analyze, storage=store, install_signals=False) == EXIT_OK
    assert folder(settings, "Done") == ["v.mp4"]


def test_a_claim_write_slower_than_the_pause_is_undone_and_tried_again(tmp_path, caplog):
    settings = make_settings(tmp_path, worker={"idle_grace": 0.3})
    add_video(settings, "v.mp4")
    store = SlowStore(open_storage(settings), slow_claims=2, claim_delay=0.5)
    assert run_worker(settings, analyze=quick_analyze, storage=store, install_signals=False) == EXIT_OK
    assert folder(settings, "Done") == ["v.mp4"]
    assert store.claim_writes == 3
    assert sum("not under the 0.25s pause" in r.getMessage() for r in caplog.records) == 2


def test_claim_writes_that_are_always_too_slow_end_the_worker_with_the_remedy(tmp_path, caplog):
    settings = make_settings(tmp_path, worker={"idle_grace": 0.3})
    add_video(settings, "v.mp4")
    store = SlowStore(open_storage(settings), slow_claims=None, claim_delay=0.3)
    assert run_worker(settings, analyze=quick_analyze, storage=store, install_signals=False) == EXIT_FATAL
    st = state_of(open_storage(settings), Folder.INBOX, "v.mp4")
    assert st.state is State.PENDING and st.attempts == 0  # every slow claim was undone
    [error] = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert "drive.claim_pause" in error and "5 times" in error


def test_a_video_that_never_settles_does_not_keep_the_worker(tmp_path):
    """A file still growing holds an idle worker for one settle period past the grace, not longer."""
    settings = make_settings(tmp_path, drive={"settle_seconds": 1.0}, worker={"idle_grace": 0.5})
    path = add_video(settings, "growing.mp4")
    stop = threading.Event()

    def grow():
        while not stop.wait(0.1):
            with path.open("ab") as fh:
                fh.write(b"\x00" * 1000)

    writer = threading.Thread(target=grow, daemon=True)
    writer.start()
    try:
        t0 = time.monotonic()
        assert run_worker(settings, analyze=quick_analyze, install_signals=False) == EXIT_OK
        elapsed = time.monotonic() - t0
    finally:
        stop.set()
        writer.join()
    assert folder(settings, "inbox") == ["growing.mp4"]
    assert 1.0 <= elapsed < 10
