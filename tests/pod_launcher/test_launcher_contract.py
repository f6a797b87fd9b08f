"""The launcher port's contract, run against every adapter: local processes and RunPod pods (emulator).

What the watcher and the pod runtime rely on: a launched worker is listed and described with its
creation time; ``stop`` ends its compute; ``terminate`` ends it for good and is idempotent, also for
ids it never knew; ``describe`` of an unknown id is None.
"""

from __future__ import annotations

import sys
import time

import pytest

from config import load_settings
from pod_launcher.base import Launcher, WorkerInfo

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


def _settings(tmp_path, **over):
    return load_settings(
        local={"root": str(tmp_path / "data")},
        watcher={"state_dir": str(tmp_path / "state")},
        worker={"scratch_dir": str(tmp_path / "scratch")},
        launcher={"name_prefix": "hf-contract", **over.pop("launcher", {})},
        **over,
    )


@pytest.fixture(params=["local", "runpod"])
def launcher(request, tmp_path) -> Launcher:
    if request.param == "local":
        from pod_launcher.local_launcher import LocalLauncher

        return LocalLauncher(_settings(tmp_path), command=SLEEPER, stop_grace=2.0)
    from pod_launcher.runpod_launcher import RunpodLauncher

    emu = request.getfixturevalue("runpod_emulator")
    emu.command = SLEEPER
    settings = _settings(tmp_path, launcher={"backend": "runpod"},
                         runpod={"api_key": emu.api_key, "image": "ghcr.io/acme/hotfolder-worker:1"})
    return RunpodLauncher(settings)


def wait_until(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_launch_list_describe(launcher):
    assert isinstance(launcher, Launcher)
    info = launcher.launch({"HOTFOLDER_WORKER_ID": "contract"})
    assert isinstance(info, WorkerInfo) and info.alive and info.name.startswith("hf-contract")
    listed = {w.id: w for w in launcher.list_workers()}
    assert info.id in listed and listed[info.id].alive
    described = launcher.describe(info.id)
    assert described is not None and described.id == info.id and described.started_at is not None
    launcher.terminate(info.id)


def test_stop_ends_the_compute_and_terminate_ends_the_worker(launcher):
    info = launcher.launch({})
    launcher.stop(info.id)
    assert wait_until(lambda: (launcher.describe(info.id) is None) or not launcher.describe(info.id).alive)
    launcher.stop(info.id)  # idempotent
    launcher.terminate(info.id)
    assert wait_until(lambda: all(w.id != info.id or not w.alive for w in launcher.list_workers()))
    assert launcher.describe(info.id) is None or not launcher.describe(info.id).alive


def test_terminate_is_idempotent_and_unknown_ids_are_no_error(launcher):
    info = launcher.launch({})
    launcher.terminate(info.id)
    launcher.terminate(info.id)
    launcher.terminate("no-such-worker")
    assert launcher.describe("no-such-worker") is None
    assert wait_until(lambda: all(w.id != info.id or not w.alive for w in launcher.list_workers()))
