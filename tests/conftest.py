"""Shared fixtures. Tests mirror the package layout: tests/<package>/test_<module>.py."""


# --- RunPod emulator (h5) ---------------------------------------------------------------------
import pytest  # noqa: E402


@pytest.fixture
def runpod_emulator(tmp_path, monkeypatch):
    """A running ``RunpodEmulator``; the real runpod SDK reaches it via ``RUNPOD_API_BASE_URL``."""
    from tests.support.runpod_emulator import RunpodEmulator

    with RunpodEmulator(tmp_path / "runpod") as emu:
        monkeypatch.setenv("RUNPOD_API_BASE_URL", emu.url)
        yield emu
