"""End to end through both emulators and the real SDKs (runpod, google-api-python-client).

One launch of a RunPod pod drains a Drive folder of 5 videos and terminates itself. The pod runs
``tests.support.quick_worker`` — ``hotfolder work`` with the quick analyzer injected — because the
point here is the pod/queue/Drive machinery; the real pipeline has its own tests.
"""

import base64
import json
import os
import sys
import time
from pathlib import Path

import pytest

from config import load_settings
from drive.model import State, VideoState, utcnow
from pod_launcher.reaper import reap
from pod_launcher.runpod_launcher import RunpodLauncher
from pod_launcher.pod_env import build_worker_env
from tests.support.quick_analyzer import report_source

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]

VIDEOS = ["line 1 – lifting.mp4", 'packing "B".mov', "shelf{3}.mp4", "weld\nstation.mp4", "žehlení.MP4"]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith("HOTFOLDER_"):
            monkeypatch.delenv(key)


def watcher_settings(drive_emulator, runpod_emulator, tmp_path, **over):
    token = tmp_path / "watcher" / "drive-token.json"
    drive_emulator.write_token(token)
    sections = {
        "storage": {"backend": "drive"},
        "drive": drive_emulator.drive_settings(token, settle_seconds=0.5, lease_seconds=60, claim_pause=0.3),
        "launcher": {"backend": "runpod", "name_prefix": "hf-e2e", "max_lifetime": 1800, "idle_timeout": 120},
        "runpod": {"api_key": runpod_emulator.api_key, "image": "ghcr.io/acme/hotfolder-worker:1.0",
                   "gpu_types": ["NVIDIA GeForce RTX 4090", "NVIDIA L4"],
                   "drive_token_secret": "{{ RUNPOD_SECRET_hf_drive_token }}", "pod_kind": "gpu"},
        "worker": {"idle_grace": 1.5, "heartbeat": 0.5},
        "analysis": {"quality": "fast"},
        "watcher": {"state_dir": str(tmp_path / "watcher" / "state")},
    }  # fmt: skip
    for key, value in over.items():
        sections[key].update(value)
    # The token lives in a RunPod secret; the pod env carries only its reference.
    runpod_emulator.secrets["hf_drive_token"] = base64.b64encode(token.read_bytes()).decode()
    return load_settings(**sections), token


def children(emu, folder_id):
    """The files in a folder (the status folders inside the hot folder are not its content)."""
    return sorted(f["name"] for f in emu.children(folder_id) if f.get("mimeType") != "application/vnd.google-apps.folder")


def folder_named(emu, name):
    """Reports/Done/Failed are created inside the hot folder."""
    [f] = emu.find(name, parent=emu.folder_id)
    return f["id"]


def test_five_videos_one_pod_five_reports_pod_gone(drive_emulator, runpod_emulator, tmp_path, caplog):
    runpod_emulator.command = [sys.executable, "-m", "tests.support.quick_worker"]
    settings, token_file = watcher_settings(drive_emulator, runpod_emulator, tmp_path)
    ids = {name: drive_emulator.add_file(name, b"\x00\x00\x00\x18ftypmp42" + os.urandom(400_000)) for name in VIDEOS}
    md5 = {name: drive_emulator.file(fid)["md5Checksum"] for name, fid in ids.items()}
    runpod_emulator.unavailable = {"NVIDIA GeForce RTX 4090"}  # lands on the second GPU type

    launcher = RunpodLauncher(settings)
    t0 = time.monotonic()
    info = launcher.launch(build_worker_env(settings, drive_token_json=None))
    pod = runpod_emulator.wait_terminated(info.id, timeout=180)
    wall = time.monotonic() - t0
    print(f"e2e: 5 videos through one pod in {wall:.1f} s")

    log = pod.log_text()
    assert pod.terminated_by == "pod", log  # it ended itself
    assert len(runpod_emulator.ops("podFindAndDeployOnDemand")) == 2  # one launch (4090 refused, L4 taken)
    assert launcher.list_workers() == [] and runpod_emulator.running_pods() == []
    assert reap(launcher, {}, utcnow(), settings) == []

    reports, done = folder_named(drive_emulator, "Reports"), folder_named(drive_emulator, "Done")
    stems = [os.path.splitext(n)[0] for n in VIDEOS]
    assert children(drive_emulator, reports) == sorted(
        [f"{s} - angles.csv" for s in stems] + [f"{s} - ergonomics.xlsx" for s in stems] + [f"{s} - summary.json" for s in stems])
    assert children(drive_emulator, done) == sorted(VIDEOS)
    assert children(drive_emulator, drive_emulator.folder_id) == []
    for name, fid in ids.items():
        state = VideoState.from_properties(drive_emulator.properties(fid))
        assert state.state is State.DONE and state.attempts == 1 and state.worker == info.id
        report = drive_emulator.file(state.report_id)
        assert report["name"] == f"{os.path.splitext(name)[0]} - ergonomics.xlsx"
        xlsx = tmp_path / "r.xlsx"
        xlsx.write_bytes(drive_emulator.content(state.report_id))
        assert report_source(xlsx) == md5[name]

    # No secret in any log line: the pod's, or this process's records of the API traffic.
    token = json.loads(token_file.read_text())
    secrets = [runpod_emulator.api_key, pod.key, token["refresh_token"], token["client_secret"], token["token"],
               runpod_emulator.secrets["hf_drive_token"], *drive_emulator.access_tokens]  # fmt: skip
    for secret in secrets:
        assert secret not in log and secret not in caplog.text


def test_a_revoked_drive_token_ends_the_pod_with_a_clear_reason(drive_emulator, runpod_emulator, tmp_path):
    runpod_emulator.command = [sys.executable, "-m", "tests.support.quick_worker"]
    settings, token_file = watcher_settings(drive_emulator, runpod_emulator, tmp_path)
    fid = drive_emulator.add_file("v.mp4", b"\x00\x00\x00\x18ftypmp42" + os.urandom(1000))
    token = json.loads(token_file.read_text())
    drive_emulator.revoke(token["refresh_token"])
    drive_emulator.expire_access_tokens()

    info = RunpodLauncher(settings).launch(build_worker_env(settings, drive_token_json=None))
    pod = runpod_emulator.wait_terminated(info.id, timeout=120)
    assert pod.terminated_by == "pod"
    assert "hotfolder auth" in pod.log_text()
    assert token["refresh_token"] not in pod.log_text()
    assert VideoState.from_properties(drive_emulator.properties(fid)).state is State.PENDING  # nothing lost


def test_a_drive_hosted_smplx_model_is_fetched_once_and_used(drive_emulator, tmp_path, caplog):
    """`analysis.smplx_model = "drive:<id>"`: the worker downloads it with its own Drive access."""
    from processor.runtime.worker import EXIT_FATAL, EXIT_OK, run_worker
    from tests.support.quick_analyzer import quick_analyze
    from tests.support.synthetic_smplx import write_synthetic_smplx

    model = write_synthetic_smplx(tmp_path / "SMPLX_NEUTRAL.npz")
    models = drive_emulator.add_folder("models")
    model_id = drive_emulator.add_file("SMPLX_NEUTRAL.npz", model, parent=models, mime_type="application/octet-stream")
    drive_emulator.add_file("v.mp4", b"\x00\x00\x00\x18ftypmp42" + os.urandom(1000))
    token = tmp_path / "tok.json"
    drive_emulator.write_token(token)
    used = []

    def analyze(path, out_dir, options, progress=None):
        used.append(options.body_model)
        return quick_analyze(path, out_dir, options, progress)

    def settings_with(spec):
        return load_settings(
            storage={"backend": "drive"},
            drive=drive_emulator.drive_settings(token, settle_seconds=0, claim_pause=0.3),
            worker={"scratch_dir": str(tmp_path / "scratch"), "idle_grace": 0.5, "heartbeat": 0.5},
            analysis={"smplx_model": spec},
        )

    assert run_worker(settings_with(f"drive:{model_id}"), analyze=analyze, environ={}, install_signals=False) == EXIT_OK
    assert len(used) == 1 and used[0].read_bytes() == model.read_bytes()
    assert used[0] == tmp_path / "scratch" / "models" / f"smplx-{model_id}"

    garbage_id = drive_emulator.add_file("not-a-model.npz", b"garbage", parent=models, mime_type="application/octet-stream")
    assert run_worker(settings_with(f"drive:{garbage_id}"), analyze=analyze, environ={}, install_signals=False) == EXIT_FATAL
    assert "cannot start" in caplog.text and "SMPL-X" in caplog.text


def test_real_pipeline_five_clips_one_pod(drive_emulator, runpod_emulator, tmp_path):
    """The same run with the real `hotfolder work` and the real analysis (`fast` quality) on the
    committed synthetic clips: five real Excel reports from one pod."""
    pytest.importorskip("processor.pipeline")
    from openpyxl import load_workbook

    clips = [ROOT / "tests" / "data" / "synthetic" / f"{c}.mp4"
             for c in ("bodyA_45", "bodyA_front", "bodyA_side", "bodyB_45", "bodyB_front")]
    assert len(clips) == 5
    settings, _ = watcher_settings(drive_emulator, runpod_emulator, tmp_path, worker={"heartbeat": 2.0})
    ids = {c.name: drive_emulator.add_file(c.name, c) for c in clips}
    launcher = RunpodLauncher(settings)
    t0 = time.monotonic()
    info = launcher.launch(build_worker_env(settings, drive_token_json=None))
    pod = runpod_emulator.wait_terminated(info.id, timeout=400)
    print(f"e2e real pipeline: 5 clips through one pod in {time.monotonic() - t0:.1f} s")
    log = pod.log_text()
    assert pod.terminated_by == "pod" and runpod_emulator.running_pods() == [], log[-3000:]
    for name, fid in ids.items():
        state = VideoState.from_properties(drive_emulator.properties(fid))
        assert state.state is State.DONE, (name, state, log[-3000:])
        xlsx = tmp_path / "report.xlsx"
        xlsx.write_bytes(drive_emulator.content(state.report_id))
        assert len(load_workbook(xlsx, read_only=True).sheetnames) >= 2
    reports = drive_emulator.children(folder_named(drive_emulator, "Reports"))
    assert len(reports) == 15 and len(drive_emulator.children(folder_named(drive_emulator, "Done"))) == 5  # xlsx, csv, json
