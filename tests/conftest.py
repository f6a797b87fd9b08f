"""Shared fixtures. Tests mirror the package layout: tests/<package>/test_<module>.py."""

import pytest

from tests.support.drive_emulator import DriveEmulator


@pytest.fixture
def drive_emulator():
    """A fresh Drive v3 + OAuth token endpoint emulator on a loopback port (see tests/support)."""
    with DriveEmulator() as emu:
        yield emu
