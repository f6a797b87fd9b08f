"""Wiring a real ``DriveStore`` to a ``DriveEmulator`` (token file, settings, fast retries)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from config.settings import Settings, load_settings
from drive.drive_api import Backoff
from drive.drive_store import DriveStore
from tests.support.drive_emulator import DriveEmulator

# Real backoff shape, test-sized waits.
FAST_BACKOFF = Backoff(attempts=8, initial=0.01, maximum=0.05)


def drive_settings(emu: DriveEmulator, tmp_path: Path, expired: bool = False, **drive: Any) -> Settings:
    token = tmp_path / "drive-token.json"
    if not token.exists():
        emu.write_token(token, expired=expired)
    return load_settings(None, storage={"backend": "drive"}, drive=emu.drive_settings(token, **drive))


def make_store(emu: DriveEmulator, tmp_path: Path, backoff: Backoff = FAST_BACKOFF, **drive: Any) -> DriveStore:
    return DriveStore(drive_settings(emu, tmp_path, **drive), backoff=backoff)
