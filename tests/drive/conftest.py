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
    overrides: dict[str, Any]  # load_settings(**overrides) gives this backend (child processes use it);
    # it has a "drive" section (queue_overrides() plus the backend's own keys)
    settings: Settings
    storage: Storage
    add_video: Callable[[str, bytes], str]  # put a new video into the inbox; returns its id
    rewrite_video: Callable[[str, bytes], None]  # change a video's content (an upload still going on)
    folder_names: Callable[[Folder], list[str]]  # names of every file in a folder, videos or not
    read_text: Callable[[Folder, str], str]  # content of a small text file in a folder
    extra: dict[str, Any] = field(default_factory=dict)
    delete_video: Callable[[str], None] | None = None  # delete a video for good (as a user would)
    # put any file into the inbox with its MIME type (Drive; the local folder has none); returns its id
    add_file: Callable[[str, bytes, str], str] | None = None


def queue_overrides(**drive: Any) -> dict[str, Any]:
    """Queue rules for tests (single-worker tests run VideoQueue without real waiting)."""
    return {"settle_seconds": 0, "lease_seconds": 60, "max_attempts": 3, "claim_pause": 1.0, **drive}


# The shortest lease the settings allow (60 s) needs heartbeats of at most 20 s.
WORKER = {"heartbeat": 5.0}


def make_local(request, tmp_path: Path) -> Backend:
    root = tmp_path / "hotfolder"
    overrides = {"storage": {"backend": "local"}, "local": {"root": str(root)}, "drive": queue_overrides(),
                 "worker": WORKER}
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
        # files only: the status folders live inside the inbox (drive.status_folders = "inside")
        return sorted(p.name for p in folder_dir(folder).iterdir() if not p.name.startswith(".") and not p.is_dir())

    def read_text(folder: Folder, name: str) -> str:
        return (folder_dir(folder) / name).read_text(encoding="utf-8")

    def delete_video(file_id: str) -> None:
        (inbox / file_id).unlink()

    def add_file(name: str, data: bytes, mime_type: str) -> str:
        return add_video(name, data)

    return Backend("local", overrides, settings, storage, add_video, rewrite_video, folder_names, read_text,
                   delete_video=delete_video, add_file=add_file)


def make_drive(request, tmp_path: Path) -> Backend:
    """DriveStore through the real Google client against the Drive emulator (tests/support)."""
    from drive.drive_store import DriveStore
    from tests.support.drive_setup import FAST_BACKOFF

    emu = request.getfixturevalue("drive_emulator")
    token = tmp_path / "drive-token.json"
    emu.write_token(token)
    # A claim write is an HTTP round trip here: give it a pause it can fit in on a busy CI box.
    overrides = {"storage": {"backend": "drive"}, "drive": emu.drive_settings(token, **queue_overrides(claim_pause=0.3)),
                 "worker": WORKER}
    settings = load_settings(**overrides)
    storage = DriveStore(settings, backoff=FAST_BACKOFF)

    def add_video(name: str, data: bytes) -> str:
        return emu.add_file(name, data)

    def rewrite_video(file_id: str, data: bytes) -> None:
        emu.set_content(file_id, data)

    def folder_names(folder: Folder) -> list[str]:
        return sorted(f["name"] for f in emu.children(storage.folder_id(folder))
                      if f["mimeType"] != "application/vnd.google-apps.folder")  # not the status folders

    def read_text(folder: Folder, name: str) -> str:
        [f] = emu.find(name, storage.folder_id(folder))
        return emu.content(f["id"]).decode("utf-8")

    def add_file(name: str, data: bytes, mime_type: str) -> str:
        return emu.add_file(name, data, mime_type=mime_type)

    return Backend("drive", overrides, settings, storage, add_video, rewrite_video, folder_names, read_text, {"emulator": emu},
                   delete_video=emu.remove, add_file=add_file)


BACKENDS: dict[str, Callable[..., Backend]] = {"local": make_local, "drive": make_drive}


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
