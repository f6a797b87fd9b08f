"""Chunked downloads and resumable uploads with our own retry loops.

Downloads use ``MediaIoBaseDownload`` (Range requests of ``chunk_size``); a dropped connection loses
at most the chunk in flight, which is asked for again. Uploads use ``MediaFileUpload`` resumable
sessions driven chunk by chunk with ``num_retries=0`` (the library's own chunk retries re-send an
empty body and hang): after a failure the next ``next_chunk`` asks the session for its state
(``Content-Range: bytes */N``) and continues from what Drive has; a 404/410 means the session
expired, so it starts over. Memory stays at a few chunks whatever the file size.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path
from typing import Any, BinaryIO, Callable

from googleapiclient.errors import HttpError
from googleapiclient.http import MediaFileUpload, MediaIoBaseDownload

from drive.drive_api import TRANSPORT_ERRORS, DriveApi, describe, is_retryable
from drive.storage import FileGone, ProgressFn, StorageError

log = logging.getLogger(__name__)


class _HashingWriter:
    """File writer that feeds an md5 as bytes pass (no second read of a big file)."""

    def __init__(self, fh: BinaryIO):
        self.fh = fh
        self.md5 = hashlib.md5()

    def write(self, data: bytes) -> int:
        self.md5.update(data)
        return self.fh.write(data)


def file_md5(path: Path, block: int = 1 << 20) -> str:
    md5 = hashlib.md5()
    with open(path, "rb") as fh:
        while data := fh.read(block):
            md5.update(data)
    return md5.hexdigest()


def _chunk_loop(api: DriveApi, what: str, step: Callable[[], Any], on_error: Callable[[Exception], None] | None = None) -> Any:
    """Call ``step()`` until it returns non-None; retry transient failures with backoff.

    The failure count resets whenever a step succeeds, so a long transfer survives many
    isolated resets but gives up on a connection that stays down.
    """
    failures = 0
    while True:
        try:
            result = step()
        except Exception as exc:
            if isinstance(exc, TRANSPORT_ERRORS):
                api.drop_connections()
            if on_error is not None:
                on_error(exc)  # may raise, or reset state and return
            if not is_retryable(exc) and not getattr(exc, "_hf_restart", False):
                raise
            failures += 1
            if failures >= api.backoff.attempts:
                raise
            delay = api.backoff.wait(failures)
            log.warning("Drive %s: %s; retrying in %.1fs (%d)", what, describe(exc), delay, failures)
            time.sleep(delay)
            continue
        failures = 0
        if result is not None:
            return result


def download(api: DriveApi, file_id: str, dest: Path, chunk_size: int, expected_md5: str | None, progress: ProgressFn | None = None) -> Path:
    """Stream ``file_id`` to ``dest`` in chunks, resuming after dropped connections; md5-checked."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    request = api.files().get_media(fileId=file_id, supportsAllDrives=True)
    try:
        with open(dest, "wb") as fh:
            writer = _HashingWriter(fh)
            downloader = MediaIoBaseDownload(writer, request, chunksize=chunk_size)

            def step() -> Any:
                downloader._request.http = api.http()  # this thread's connection
                status, done = downloader.next_chunk(num_retries=0)
                if progress is not None:
                    progress(status.resumable_progress, status.total_size)
                return True if done else None

            _chunk_loop(api, f"download of {file_id}", step)
    except BaseException as exc:
        dest.unlink(missing_ok=True)  # a partial file must not pass for the video
        if isinstance(exc, HttpError):
            if exc.resp.status == 404:
                raise FileGone(f"Drive file {file_id} no longer exists") from exc
            raise StorageError(f"downloading Drive file {file_id} failed: {describe(exc)}") from exc
        if isinstance(exc, TRANSPORT_ERRORS):
            raise StorageError(f"downloading Drive file {file_id} failed: network error: {describe(exc)}") from exc
        raise
    got = writer.md5.hexdigest()
    if expected_md5 and got != expected_md5:
        dest.unlink(missing_ok=True)
        raise StorageError(f"download of Drive file {file_id} is corrupt: md5 {got}, Drive says {expected_md5}")
    return dest


def upload(
    api: DriveApi,
    local: Path,
    metadata: dict[str, Any],
    mime_type: str,
    chunk_size: int,
    fields: str,
    progress: ProgressFn | None = None,
    file_id: str | None = None,
) -> dict[str, Any]:
    """Resumable upload of ``local`` (a new file with ``metadata``, or new content for ``file_id``)."""
    size = local.stat().st_size
    media = MediaFileUpload(str(local), mimetype=mime_type, chunksize=chunk_size, resumable=True)
    if file_id is None:
        request = api.files().create(body=metadata, media_body=media, fields=fields, supportsAllDrives=True)
    else:
        request = api.files().update(fileId=file_id, body=metadata, media_body=media, fields=fields, supportsAllDrives=True)

    def step() -> Any:
        status, response = request.next_chunk(http=api.http(), num_retries=0)
        if progress is not None:
            progress(size if response is not None else (status.resumable_progress if status else 0), size)
        return response

    def on_error(exc: Exception) -> None:
        if isinstance(exc, HttpError) and exc.resp.status in (404, 410) and request.resumable_uri is not None:
            log.warning("Drive upload session for %s expired (%d); starting a new one", local.name, exc.resp.status)
            request.resumable_uri = None
            request.resumable_progress = 0
            exc._hf_restart = True  # type: ignore[attr-defined]

    try:
        result = _chunk_loop(api, f"upload of {local.name}", step, on_error)
    except HttpError as exc:
        raise StorageError(f"uploading {local.name} to Drive failed: {describe(exc)}") from exc
    except TRANSPORT_ERRORS as exc:
        raise StorageError(f"uploading {local.name} to Drive failed: network error: {describe(exc)}") from exc
    finally:
        media.stream().close()
    want = file_md5(local)
    if result.get("md5Checksum") and result["md5Checksum"] != want:
        if file_id is None:
            api.call("delete corrupt upload", lambda: api.files().delete(fileId=result["id"], supportsAllDrives=True))
        raise StorageError(f"upload of {local.name} arrived corrupt (md5 {result['md5Checksum']}, local {want})")
    return result
