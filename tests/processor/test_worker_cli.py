"""`hotfolder work` as a process: the pod image's entrypoint, SIGTERM, max_lifetime, bad pod env."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from drive.model import State, VideoState
from pod_launcher.pod_env import TOKEN_VAR
from pod_launcher.runpod_launcher import RunpodLauncher
from tests.processor.test_runtime_worker import add_video, folder, make_settings

ROOT = Path(__file__).resolve().parents[2]


def write_config(tmp_path, extra="") -> Path:
    cfg = tmp_path / "hotfolder.toml"
    cfg.write_text(
        f"""
[local]
root = "{tmp_path / 'data'}"
[drive]
settle_seconds = 0
lease_seconds = 60
claim_pause = 0.25
[worker]
scratch_dir = "{tmp_path / 'scratch'}"
idle_grace = 1.0
heartbeat = 0.2
{extra}
"""
    )
    return cfg


def child_env(cfg: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTFOLDER_", "RUNPOD_"))}
    pythonpath = [p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p]
    return {**env, "PYTHONPATH": os.pathsep.join(pythonpath), "HOTFOLDER_CONFIG": str(cfg), **extra}


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def video_state(tmp_path, name):
    from config import load_settings
    from drive.factory import open_storage

    store = open_storage(load_settings(local={"root": str(tmp_path / "data")}))
    for v in store.list_videos():
        if v.name == name:
            return VideoState.from_properties(v.properties)
    return None


def test_entrypoint_exits_0_on_an_empty_inbox(tmp_path):
    """What the pod image runs: `hotfolder work` (here `python -m hotfolder work`)."""
    cfg = write_config(tmp_path)
    (tmp_path / "data" / "inbox").mkdir(parents=True)
    t0 = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "hotfolder", "work"], cwd=tmp_path, env=child_env(cfg),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "queue empty" in run.stderr
    assert time.monotonic() - t0 >= 1.0


def test_sigterm_releases_the_claim_uncounted(tmp_path):
    cfg = write_config(tmp_path)
    settings = make_settings(tmp_path)
    add_video(settings, "long.mp4")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.quick_worker"], cwd=tmp_path,
        env=child_env(cfg, HF_TEST_ANALYZE_SECONDS="60"), stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for(lambda: (s := video_state(tmp_path, "long.mp4")) and s.progress and s.progress > 10, 60, "analysis")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 143
    finally:
        proc.kill()
    err = proc.stderr.read()
    st = video_state(tmp_path, "long.mp4")
    assert st.state is State.PENDING and st.attempts == 0, err
    assert "released long.mp4" in err and folder(settings, "Reports") == []
    assert not any((tmp_path / "scratch").rglob("*"))


def test_max_lifetime_stops_the_worker_mid_video_and_counts_the_attempt(tmp_path):
    cfg = write_config(tmp_path, "[launcher]\nmax_lifetime = 3.0\n")
    settings = make_settings(tmp_path)
    add_video(settings, "long.mp4")
    t0 = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "tests.support.quick_worker"], cwd=tmp_path,
        env=child_env(cfg, HF_TEST_ANALYZE_SECONDS="60"), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert time.monotonic() - t0 < 30
    assert "max_lifetime reached" in run.stderr
    st = video_state(tmp_path, "long.mp4")
    assert st.state is State.PENDING and st.attempts == 1 and "max_lifetime" in st.error


def test_on_runpod_sigterm_releases_then_the_pod_ends(tmp_path, runpod_emulator):
    """The watcher (or a person) terminates a busy pod: the claim goes back, the pod is gone."""
    from config import load_settings
    from pod_launcher.pod_env import build_worker_env

    runpod_emulator.command = [sys.executable, "-m", "tests.support.quick_worker"]
    runpod_emulator.extra_env = {"HF_TEST_ANALYZE_SECONDS": "60"}
    settings = make_settings(tmp_path)
    add_video(settings, "long.mp4")
    rp = load_settings(
        local={"root": str(tmp_path / "data")},
        drive={"settle_seconds": 0, "lease_seconds": 60, "claim_pause": 0.25},
        worker={"idle_grace": 1.0, "heartbeat": 0.2},
        launcher={"backend": "runpod"},
        runpod={"api_key": runpod_emulator.api_key, "image": "img:1", "gpu_types": ["NVIDIA L4"]},
    )  # fmt: skip
    launcher = RunpodLauncher(rp)
    env = {**build_worker_env(rp, None), "HOTFOLDER_LOCAL__ROOT": str(tmp_path / "data")}
    info = launcher.launch(env)
    wait_for(lambda: (s := video_state(tmp_path, "long.mp4")) and s.state is State.CLAIMED and s.progress, 60, "claim")
    launcher.terminate(info.id)
    pod = runpod_emulator.wait_terminated(info.id, timeout=30)
    wait_for(lambda: not pod.running, 30, "pod process end")
    st = video_state(tmp_path, "long.mp4")
    assert st.state is State.PENDING and st.attempts == 0, pod.log_text()
    assert "released long.mp4" in pod.log_text()


def test_an_unusable_pod_env_ends_the_pod_with_a_clear_reason(tmp_path, runpod_emulator):
    from config import load_settings

    rp = load_settings(
        launcher={"backend": "runpod"},
        runpod={"api_key": runpod_emulator.api_key, "image": "img:1", "gpu_types": ["NVIDIA L4"]},
    )
    info = RunpodLauncher(rp).launch({TOKEN_VAR: "{{ RUNPOD_SECRET_not_created }}"})
    pod = runpod_emulator.wait_terminated(info.id, timeout=60)
    assert pod.terminated_by == "pod"
    assert "create that secret in RunPod" in pod.log_text()
