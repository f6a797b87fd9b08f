"""The storage port: what the state machine, the worker and the watcher need from a backend.

Two adapters implement it: ``drive.drive_store.DriveStore`` (Google Drive v3) and
``drive.local_store.LocalStore`` (a folder tree). Neither knows about pods or posture.
The claim protocol and the state transitions live once, in ``drive.queue``, on top of this.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Callable, Protocol, runtime_checkable

from drive.model import Folder, ReportRef, VideoFile

ProgressFn = Callable[[int, int | None], None]  # (bytes done, total bytes or None)


class StorageError(Exception):
    """A backend operation failed after its retries (network, API, permissions)."""


class FileGone(StorageError):
    """The file was deleted or moved away by someone else."""


@runtime_checkable
class Storage(Protocol):
    def list_videos(self, folder: Folder = Folder.INBOX) -> list[VideoFile]:
        """Every video directly in ``folder`` (any state), all pages, trash and non-videos excluded."""

    def get_video(self, file_id: str) -> VideoFile:
        """Fresh metadata and properties of one video; ``FileGone`` if it left the inbox."""

    def update_properties(self, file_id: str, props: dict[str, str | None]) -> VideoFile:
        """Merge ``props`` into the file's properties (``None`` deletes a key); returns the new view."""

    def download(self, file_id: str, dest: Path, progress: ProgressFn | None = None) -> Path:
        """Stream the video to ``dest`` in chunks (never whole in memory), verifying its checksum."""

    def find_output(self, name: str, source_id: str) -> ReportRef | None:
        """An output file already uploaded to Reports for ``source_id`` under ``name`` (crash recovery)."""

    def upload_output(self, local: Path, name: str, source_id: str, mime_type: str, claim: str = "",
                      progress: ProgressFn | None = None) -> ReportRef:
        """Upload ``local`` into the Reports folder, tagged with ``source_id`` and the ``claim`` nonce
        that made it (``hf_claim``: a late writer's files can be told apart); resumable. ``progress``
        hears of every chunk (a worker's heartbeat tells a slow upload from a stalled one by it)."""

    def delete_output(self, ref_id: str) -> None:
        """Remove an output file (a late writer's duplicate); idempotent."""

    def server_time(self) -> datetime:
        """The storage's own clock (Drive: the ``Date`` of an answer), against which leases are read."""

    def move_video(self, file_id: str, folder: Folder) -> None:
        """Move the video between the inbox and the Done/Failed folders (Retry moves it back)."""

    def write_text(self, folder: Folder, name: str, text: str) -> ReportRef:
        """Create or replace a small text file (the ``<name> - error.txt``) in ``folder``."""

    def list_files(self, folder: Folder, suffixes: tuple[str, ...]) -> list[VideoFile]:
        """Plain files directly in ``folder`` whose names end with one of ``suffixes`` (any case): not
        videos, folders, shortcuts or Google-native documents; with their properties, which
        ``update_properties`` changes as for videos. Hidden and partial files are left out as for videos."""

    def list_outcomes(self, since: datetime | None = None) -> list[VideoFile]:
        """Videos that arrived in Done or Failed (or changed there) at or after ``since``; all of them
        when None. Its cost follows what changed in the window, not how many videos the folders hold."""

    def output_link(self, ref_id: str) -> str | None:
        """Where a person opens an output (a ``ReportRef.id``): a Drive web link or a local path."""

    def fetch(self, file_id: str, dest: Path) -> Path:
        """Stream any file ``list_files`` returned, or any ``ReportRef.id``, to ``dest``; ``FileGone`` if gone."""

    def replace_output(self, ref: ReportRef, local: Path, mime_type: str) -> ReportRef:
        """New content for an existing output file, same name, same tags (``find_output`` still finds it)."""
