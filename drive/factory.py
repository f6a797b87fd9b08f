"""Pick the storage backend named by ``settings.storage.backend``."""

from __future__ import annotations

from config.settings import Settings
from drive.storage import Storage


def open_storage(settings: Settings) -> Storage:
    backend = settings.storage.backend
    if backend == "local":
        from drive.local_store import LocalStore

        return LocalStore(settings)
    if backend == "drive":
        # Imported lazily: the Google client libraries are slow to import and not needed locally.
        from drive.drive_store import DriveStore

        return DriveStore(settings)
    raise ValueError(f"unknown storage backend {backend!r} (expected 'local' or 'drive')")
