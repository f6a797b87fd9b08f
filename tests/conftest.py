"""Shared fixtures. Tests mirror the package layout: tests/<package>/test_<module>.py."""

import pytest

from tests.support.drive_emulator import DriveEmulator


@pytest.fixture
def drive_emulator():
    """A fresh Drive v3 + OAuth token endpoint emulator on a loopback port (see tests/support)."""
    with DriveEmulator() as emu:
        yield emu


# --- RunPod emulator (h5) ---------------------------------------------------------------------


@pytest.fixture
def runpod_emulator(tmp_path, monkeypatch):
    """A running ``RunpodEmulator``; the real runpod SDK reaches it via ``RUNPOD_API_BASE_URL``."""
    from tests.support.runpod_emulator import RunpodEmulator

    with RunpodEmulator(tmp_path / "runpod") as emu:
        monkeypatch.setenv("RUNPOD_API_BASE_URL", emu.url)
        yield emu
