"""Big chunked transfers through the real client, with dropped connections and expired sessions."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from drive.storage import StorageError
from tests.support.drive_emulator import Fault
from tests.support.drive_setup import make_store

MB = 1024 * 1024


def random_file(path: Path, size: int) -> str:
    """Write ``size`` random bytes (made on the fly, never committed); returns the md5."""
    md5 = hashlib.md5()
    with open(path, "wb") as out:
        left = size
        while left:
            block = os.urandom(min(4 * MB, left))
            out.write(block)
            md5.update(block)
            left -= len(block)
    return md5.hexdigest()


def test_50mb_download_survives_three_connection_resets(drive_emulator, tmp_path):
    src = tmp_path / "src.mp4"
    md5 = random_file(src, 50 * MB)
    vid = drive_emulator.add_file("big.mp4", src)
    store = make_store(drive_emulator, tmp_path, chunk_size=8 * MB)
    # Resets part-way into the 1st, 3rd and 5th chunk requests.
    for skip, after in ((0, 3 * MB), (2, 100_000), (4, 7 * MB)):
        drive_emulator.inject(Fault(kind="reset", op="media", after_bytes=after, skip=skip))
    seen: list[tuple[int, int | None]] = []
    out = store.download(vid, tmp_path / "dl" / "big.mp4", progress=lambda done, total: seen.append((done, total)))
    assert drive_emulator.pending_faults() == []
    assert hashlib.md5(out.read_bytes()).hexdigest() == md5
    assert seen[-1] == (50 * MB, 50 * MB)
    # 7 chunks + 3 repeated ones.
    assert drive_emulator.request_count("media") == 10


def test_download_with_wrong_checksum_is_rejected(drive_emulator, tmp_path):
    vid = drive_emulator.add_file("a.mp4", b"abc" * 1000)
    store = make_store(drive_emulator, tmp_path)
    drive_emulator._files[vid].md5 = "0" * 32  # Drive's checksum disagrees with the bytes
    with pytest.raises(StorageError, match="corrupt"):
        store.download(vid, tmp_path / "a.mp4")
    assert not (tmp_path / "a.mp4").exists()


def test_empty_file_downloads(drive_emulator, tmp_path):
    vid = drive_emulator.add_file("empty.mp4", b"")
    store = make_store(drive_emulator, tmp_path)
    assert store.download(vid, tmp_path / "e.mp4").read_bytes() == b""


def test_30mb_upload_survives_a_503_and_a_reset(drive_emulator, tmp_path):
    local = tmp_path / "report.mp4"
    md5 = random_file(local, 30 * MB)
    vid = drive_emulator.add_file("a.mp4", b"1")
    store = make_store(drive_emulator, tmp_path, chunk_size=8 * MB)
    drive_emulator.inject(Fault(kind="status", op="upload", status=503, skip=1))  # on the 2nd chunk
    drive_emulator.inject(Fault(kind="reset", op="upload", after_bytes=5 * MB, skip=3))  # mid-chunk later
    ref = store.upload_output(local, "preview.mp4", vid, "video/mp4")
    assert drive_emulator.pending_faults() == []
    assert drive_emulator.file(ref.id)["md5Checksum"] == md5
    assert drive_emulator.file(ref.id)["size"] == str(30 * MB)
    assert drive_emulator.properties(ref.id) == {"hf_source": vid}
    assert len(drive_emulator.find("preview.mp4")) == 1
    ranges = [r.content_range for r in drive_emulator.requests if r.op == "upload"]
    assert ranges.count(f"bytes */{30 * MB}") == 2  # asked Drive where to resume, after each failure
    # After the reset, the upload went on from the 256 KiB-aligned bytes Drive had kept, not from 0.
    assert f"bytes {21 * MB}-{29 * MB - 1}/{30 * MB}" in ranges


def test_upload_restarts_when_the_session_expired(drive_emulator, tmp_path):
    local = tmp_path / "out.bin"
    md5 = random_file(local, 3 * MB)
    store = make_store(drive_emulator, tmp_path, chunk_size=1 * MB)
    expired = []

    def progress(done: int, total: int | None) -> None:
        if done >= 2 * MB and not expired:
            drive_emulator.expire_upload_sessions()  # Drive forgot the session (404 from now on)
            expired.append(done)

    vid = drive_emulator.add_file("a.mp4", b"1")
    ref = store.upload_output(local, "out.bin", vid, "application/octet-stream", progress=progress)
    assert expired and drive_emulator.file(ref.id)["md5Checksum"] == md5
    sessions = [r for r in drive_emulator.requests if r.op == "create" and r.query.get("uploadType") == "resumable"]
    assert len(sessions) == 2  # a second session was opened


def test_upload_gives_up_readably_when_drive_stays_down(drive_emulator, tmp_path):
    local = tmp_path / "out.bin"
    random_file(local, 1 * MB)
    store = make_store(drive_emulator, tmp_path, chunk_size=256 * 1024)
    store.folder_id  # noqa: B018
    vid = drive_emulator.add_file("a.mp4", b"1")
    drive_emulator.inject(Fault(kind="status", op="upload", status=503, times=1000))
    with pytest.raises(StorageError, match="uploading out.bin to Drive failed: Drive API error 503"):
        store.upload_output(local, "out.bin", vid, "application/octet-stream")


def test_failed_download_leaves_no_partial_file(drive_emulator, tmp_path):
    vid = drive_emulator.add_file("a.mp4", os.urandom(2 * MB))
    store = make_store(drive_emulator, tmp_path, chunk_size=256 * 1024)
    store.get_video(vid)
    drive_emulator.inject(Fault(kind="reset", op="media", after_bytes=1000, times=100, skip=2))
    with pytest.raises(StorageError, match="network error"):
        store.download(vid, tmp_path / "a.mp4")
    assert not (tmp_path / "a.mp4").exists()
