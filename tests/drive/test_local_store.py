"""The local folder backend: listing, sidecar state, moves, outputs, odd names, several processes."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import drive.local_store as local_store
from config.settings import load_settings
from drive.factory import open_storage
from drive.local_store import LocalStore
from drive.model import PREFIX, Folder, State, VideoState
from drive.model import error_file_name
from drive.queue import VideoQueue
from drive.settle import SettleTracker
from drive.storage import FileGone, Storage, StorageError

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00" + b"moov" * 100
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings(tmp_path):
    return load_settings(
        local={"root": str(tmp_path / "hf")},
        drive={"settle_seconds": 0, "chunk_size": 256 * 1024},
    )


@pytest.fixture
def store(settings) -> LocalStore:
    return LocalStore(settings)


def inbox(store: LocalStore) -> Path:
    return store.path(Folder.INBOX)


def test_factory_and_protocol(settings, tmp_path):
    store = open_storage(settings)
    assert isinstance(store, LocalStore) and isinstance(store, Storage)
    assert not (tmp_path / "hf").exists()  # nothing happens before first use
    assert store.list_videos() == []
    assert (tmp_path / "hf" / "inbox").is_dir()
    for name in ("Reports", "Done", "Failed"):  # inside the hot folder (drive.status_folders = "inside")
        assert (tmp_path / "hf" / "inbox" / name).is_dir()


def test_folder_names_come_from_settings(tmp_path):
    s = load_settings(local={"root": str(tmp_path)}, drive={"done_folder": "Hotovo", "failed_folder": "Chyby"})
    store = LocalStore(s)
    (inbox(store) / "a.mp4").write_bytes(MP4)
    store.move_video("a.mp4", Folder.DONE)
    assert (tmp_path / "inbox" / "Hotovo" / "a.mp4").exists()
    assert [v.id for v in store.list_videos(Folder.DONE)] == ["Hotovo/a.mp4"]
    with pytest.raises(StorageError):
        LocalStore(load_settings(local={"root": str(tmp_path)}, drive={"done_folder": "Failed"}))


ODD_NAMES = [
    "line 3 – morning shift.mp4",
    "Žluťoučký kůň úpěl.MOV",
    "it's \"quoted\" & (1).mp4",
    "工作站 ✓ 😀.mkv",
    "x" * 240 + ".mp4",  # the sidecar name would be too long: it is hashed
]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_odd_names_go_through_the_whole_cycle(store, settings, name, tmp_path):
    (inbox(store) / name).write_bytes(MP4)
    [v] = store.list_videos()
    assert (v.id, v.name, v.link) == (name, name, str(inbox(store) / name))
    assert v.md5 == hashlib.md5(MP4).hexdigest() and v.size == len(MP4)
    queue = VideoQueue(store, settings.drive, "w1", SettleTracker(None, 0), sleep=lambda s: None)
    claim = queue.claim_next()
    assert claim.video.name == name
    got = store.download(claim.video.id, tmp_path / "scratch" / name)
    assert got.read_bytes() == MP4
    report = tmp_path / "r.xlsx"
    report.write_bytes(b"PK report")
    stem = name.rsplit(".", 1)[0][:100]
    ref = store.upload_output(report, f"{stem} - ergonomics.xlsx", claim.video.id, "application/vnd.ms-excel")
    assert store.find_output(f"{stem} - ergonomics.xlsx", claim.video.id) == ref
    queue.complete(claim, ref)
    [done] = store.list_videos(Folder.DONE)
    assert done.name == name and VideoState.from_properties(done.properties).report_id == ref.id
    assert Path(done.link).read_bytes() == MP4


def test_non_videos_and_partial_files_are_ignored(store):
    d = inbox(store)
    for name in ["notes.txt", "report.xlsx", ".hidden.mp4", "~$clip.mp4", "clip.mp4.part", "clip.mp4.crdownload",
                 "clip.mp4.tmp", "backup.mp4~", "Thumbs.db", "README"]:
        (d / name).write_bytes(MP4 if "mp4" in name else b"text")
    (d / "folder.mp4").mkdir()
    (d / "CAMERA01").write_bytes(MP4)  # no extension, but an MP4 inside: sniffed
    (d / "clip.MP4").write_bytes(b"anything")  # the extension decides; decoding fails later, clearly
    (d / "clip.webm").write_bytes(b"\x1a\x45\xdf\xa3 webm")
    names = [v.name for v in store.list_videos()]
    assert names == ["CAMERA01", "clip.MP4", "clip.webm"]
    by_name = {v.name: v for v in store.list_videos()}
    assert by_name["CAMERA01"].mime_type == "video/mp4"
    assert by_name["clip.webm"].mime_type == "video/webm"


def test_properties_merge_delete_and_survive_moves(store):
    (inbox(store) / "a.mp4").write_bytes(MP4)
    store.update_properties("a.mp4", {"hf_state": "claimed", "hf_worker": "w1"})
    v = store.update_properties("a.mp4", {"hf_worker": None, "hf_attempts": "2"})
    assert v.properties == {"hf_state": "claimed", "hf_attempts": "2"}
    store.move_video("a.mp4", Folder.FAILED)
    with pytest.raises(FileGone):
        store.get_video("a.mp4")
    with pytest.raises(FileGone):
        store.update_properties("a.mp4", {"hf_state": "done"})
    moved = store.get_video("Failed/a.mp4")
    assert moved.properties == {"hf_state": "claimed", "hf_attempts": "2"}
    store.move_video("Failed/a.mp4", Folder.INBOX)
    assert store.get_video("a.mp4").properties == {"hf_state": "claimed", "hf_attempts": "2"}
    assert not list((store.path(Folder.FAILED) / ".hotfolder").glob("a.mp4.*"))  # nothing left behind


@pytest.mark.parametrize("bad", ["../etc/passwd", "Nowhere/a.mp4", "", "Done/", "Done/../x"])
def test_ids_cannot_escape_the_tree(store, bad):
    with pytest.raises(FileGone):
        store.get_video(bad)


def test_moving_onto_an_existing_name_adds_a_suffix(store):
    for i in range(3):
        (inbox(store) / "same name.mp4").write_bytes(MP4 + bytes([i]))
        store.update_properties("same name.mp4", {"hf_state": "done", "hf_report_id": f"r{i}"})
        store.move_video("same name.mp4", Folder.DONE)
    done = {v.name: v for v in store.list_videos(Folder.DONE)}
    assert sorted(done) == ["same name (2).mp4", "same name (3).mp4", "same name.mp4"]
    assert done["same name.mp4"].properties["hf_report_id"] == "r0"
    assert done["same name (3).mp4"].properties["hf_report_id"] == "r2"
    assert Path(done["same name (2).mp4"].link).read_bytes() == MP4 + b"\x01"


def test_a_new_file_under_an_old_name_starts_pending(store):
    d = inbox(store)
    (d / "a.mp4").write_bytes(MP4)
    store.update_properties("a.mp4", {"hf_state": "done"})
    os.rename(d / "a.mp4", d.parent / "moved away by hand.mp4")  # the sidecar stays behind
    (d / "a.mp4").write_bytes(MP4 + b"new")
    assert store.get_video("a.mp4").properties == {}


def test_md5_is_cached_by_size_mtime_and_inode(store, settings, monkeypatch):
    calls = []
    real = local_store._file_md5
    monkeypatch.setattr(local_store, "_file_md5", lambda p, c: calls.append(p.name) or real(p, c))
    path = inbox(store) / "a.mp4"
    path.write_bytes(MP4)
    store.list_videos(), store.list_videos(), store.get_video("a.mp4")
    assert calls == ["a.mp4"]
    LocalStore(settings).list_videos()  # another process (e.g. the next `watch --once`) reuses it
    assert calls == ["a.mp4"]
    path.write_bytes(MP4 + b"more")
    assert store.get_video("a.mp4").md5 == hashlib.md5(MP4 + b"more").hexdigest()
    assert calls == ["a.mp4", "a.mp4"]


def test_download_streams_with_progress_and_checks_md5(store, tmp_path, monkeypatch):
    data = os.urandom(600_000)
    (inbox(store) / "big.mp4").write_bytes(data)
    seen = []
    out = store.download("big.mp4", tmp_path / "scratch" / "big.mp4", progress=lambda done, total: seen.append((done, total)))
    assert out.read_bytes() == data
    assert seen[-1] == (600_000, 600_000) and len(seen) == 3  # 256 KiB chunks
    monkeypatch.setattr(LocalStore, "_md5", lambda self, folder, path, st: "0" * 32)
    with pytest.raises(StorageError, match="changed"):
        store.download("big.mp4", tmp_path / "again.mp4")
    assert not (tmp_path / "again.mp4").exists() and not list(tmp_path.glob(".again*"))
    with pytest.raises(FileGone):
        store.download("missing.mp4", tmp_path / "x.mp4")


def test_outputs_are_tagged_and_never_overwrite_anything(store, tmp_path):
    d = inbox(store)
    (d / "a.mp4").write_bytes(MP4)
    store.update_properties("a.mp4", {"hf_state": "claimed"})
    report = tmp_path / "report.xlsx"
    report.write_bytes(b"v1")
    assert store.find_output("a - ergonomics.xlsx", "a.mp4") is None
    first = store.upload_output(report, "a - ergonomics.xlsx", "a.mp4", "application/octet-stream", claim="c1")
    report.write_bytes(b"v2")  # a late writer's copy: placed beside, the first one stays the one
    second = store.upload_output(report, "a - ergonomics.xlsx", "a.mp4", "application/octet-stream", claim="c2")
    assert second.name == "a - ergonomics (2).xlsx" and Path(first.link).read_bytes() == b"v1"
    assert store.find_output("a - ergonomics.xlsx", "a.mp4") == first  # the oldest
    store.delete_output(second.id)
    store.delete_output(second.id)  # idempotent
    assert not Path(second.link).exists() and store.find_output("a - ergonomics.xlsx", "a.mp4") == first
    # The video is done and moved; a new a.mp4 arrives: its report must not be confused with the old one.
    store.move_video("a.mp4", Folder.DONE)
    (d / "a.mp4").write_bytes(MP4 + b"other")
    store.update_properties("a.mp4", {"hf_state": "claimed"})
    assert store.find_output("a - ergonomics.xlsx", "a.mp4") is None
    report.write_bytes(b"new video")
    third = store.upload_output(report, "a - ergonomics.xlsx", "a.mp4", "application/octet-stream")
    assert third.name == "a - ergonomics (2).xlsx"
    assert Path(first.link).read_bytes() == b"v1"  # untouched
    assert store.find_output("a - ergonomics.xlsx", "a.mp4") == third
    reports = sorted(p.name for p in store.path(Folder.REPORTS).iterdir() if not p.name.startswith("."))
    assert reports == ["a - ergonomics (2).xlsx", "a - ergonomics.xlsx"]


def test_write_text_replaces(store):
    ref = store.write_text(Folder.FAILED, "a.mp4 - error.txt", "first")
    umask = os.umask(0)
    os.umask(umask)
    assert Path(ref.link).stat().st_mode & 0o777 == 0o666 & ~umask  # readable like any new file
    store.write_text(Folder.FAILED, "a.mp4 - error.txt", "second ✓")
    assert Path(ref.link).read_text(encoding="utf-8") == "second ✓"
    assert ref.id == "Failed/a.mp4 - error.txt"
    assert store.list_videos(Folder.FAILED) == []  # text files are not videos
    with pytest.raises(StorageError):
        store.write_text(Folder.FAILED, "../x.txt", "no")


def test_error_file_for_an_odd_name(store, settings):
    name = "it's \"bad\" – Ž.mp4"
    (inbox(store) / name).write_bytes(b"")
    queue = VideoQueue(store, settings.drive, "w1", SettleTracker(None, 0), sleep=lambda s: None)
    queue.fail(queue.claim_next(), "empty file (0 bytes)", permanent=True)
    text = (store.path(Folder.FAILED) / error_file_name(name)).read_text(encoding="utf-8")
    assert text.startswith(name) and "empty file (0 bytes)" in text
    [failed] = store.list_videos(Folder.FAILED)
    assert VideoState.from_properties(failed.properties).state is State.FAILED


UPDATER = textwrap.dedent(
    """
    import sys
    from config.settings import load_settings
    from drive.local_store import LocalStore
    store = LocalStore(load_settings(local={"root": sys.argv[1]}))
    who = sys.argv[2]
    for i in range(40):
        store.update_properties("shared.mp4", {f"{who}_{i}": str(i)})
        store.get_video("shared.mp4")
    """
)


def test_sidecar_updates_from_several_processes_lose_nothing(store, settings):
    (inbox(store) / "shared.mp4").write_bytes(MP4)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen([sys.executable, "-c", UPDATER, str(settings.local.root), who], env=env, cwd=ROOT)
        for who in ("p1", "p2", "p3")
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]
    props = store.get_video("shared.mp4").properties
    assert len(props) == 120 and props["p2_39"] == "39"


def test_claims_with_the_fake_state_of_another_file_are_not_inherited(store, settings):
    """A half-finished move (sidecar copied, file not yet moved) leaves nothing that misleads later."""
    (inbox(store) / "a.mp4").write_bytes(MP4)
    store.update_properties("a.mp4", {PREFIX + "state": "done"})
    sidecar = store._sidecar_path(Folder.INBOX, "a.mp4")
    target = store._sidecar_path(Folder.DONE, "a.mp4")
    target.write_bytes(sidecar.read_bytes())  # as if a move crashed after writing the sidecar
    (store.path(Folder.DONE) / "a.mp4").write_bytes(b"a different file")
    assert store.get_video("Done/a.mp4").properties == {}
    assert json.loads(sidecar.read_text())["properties"] == {PREFIX + "state": "done"}
