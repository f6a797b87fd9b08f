"""Fixtures for the drive package: one ``backend`` fixture that runs each state-machine test against
every storage backend.

Adding a backend is one function ``make_<name>(request, tmp_path) -> Backend`` registered in
``BACKENDS`` (the Drive one starts the emulator via ``request.getfixturevalue("drive_emulator")``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import pytest

from config.settings import Settings, load_settings
from drive.factory import open_storage
from drive.model import Folder
from drive.storage import Storage


@dataclass
class Backend:
    name: str
    overrides: dict[str, Any]  # load_settings(**overrides) gives this backend (child processes use it)
    settings: Settings
    storage: Storage
    add_video: Callable[[str, bytes], str]  # put a new video into the inbox; returns its id
    rewrite_video: Callable[[str, bytes], None]  # change a video's content (an upload still going on)
    folder_names: Callable[[Folder], list[str]]  # names of every file in a folder, videos or not
    read_text: Callable[[Folder, str], str]  # content of a small text file in a folder
    extra: dict[str, Any] = field(default_factory=dict)


def queue_overrides(**drive: Any) -> dict[str, Any]:
    """Fast queue rules for tests."""
    return {"settle_seconds": 0, "lease_seconds": 60, "max_attempts": 3, "claim_pause": 0.02, **drive}


def make_local(request, tmp_path: Path) -> Backend:
    root = tmp_path / "hotfolder"
    overrides = {"storage": {"backend": "local"}, "local": {"root": str(root)}, "drive": queue_overrides()}
    settings = load_settings(**overrides)
    storage = open_storage(settings)
    inbox = root / "inbox"

    def add_video(name: str, data: bytes) -> str:
        inbox.mkdir(parents=True, exist_ok=True)
        (inbox / name).write_bytes(data)
        return name

    def rewrite_video(file_id: str, data: bytes) -> None:
        (inbox / file_id).write_bytes(data)

    def folder_dir(folder: Folder) -> Path:
        return storage.path(folder)

    def folder_names(folder: Folder) -> list[str]:
        return sorted(p.name for p in folder_dir(folder).iterdir() if not p.name.startswith("."))

    def read_text(folder: Folder, name: str) -> str:
        return (folder_dir(folder) / name).read_text(encoding="utf-8")

    return Backend("local", overrides, settings, storage, add_video, rewrite_video, folder_names, read_text)


BACKENDS: dict[str, Callable[..., Backend]] = {"local": make_local}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request, tmp_path) -> Backend:
    return BACKENDS[request.param](request, tmp_path)


class FakeClock:
    """A settable UTC clock for leases and settling."""

    def __init__(self, start: datetime | None = None):
        self.now = start or datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
