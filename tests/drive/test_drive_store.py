"""DriveStore through the real google-api-python-client against the Drive emulator."""

from __future__ import annotations

import pytest

from drive.drive_store import DriveStore, is_video
from drive.model import Folder
from drive.storage import FileGone, Storage, StorageError
from tests.support.drive_setup import make_store


@pytest.fixture
def store(drive_emulator, tmp_path) -> DriveStore:
    return make_store(drive_emulator, tmp_path)


def test_implements_storage_protocol(store):
    assert isinstance(store, Storage)


def test_listing_follows_every_page(drive_emulator, store):
    ids = {drive_emulator.add_file(f"clip{i}.mp4", b"x" * (i + 1)) for i in range(5)}
    drive_emulator.max_page_size = 1  # one item per page: 5 pages
    drive_emulator.reset_counts()
    videos = store.list_videos()
    assert {v.id for v in videos} == ids
    assert drive_emulator.request_count("list") == 5
    assert {v.size for v in videos} == {1, 2, 3, 4, 5}


def test_listing_skips_docs_folders_trash_and_non_videos(drive_emulator, store):
    emu = drive_emulator
    keep = {
        emu.add_file("a.mp4", b"1"),
        emu.add_file("b.MOV", b"2", mime_type="application/octet-stream"),  # by extension
        emu.add_file("c", b"3", mime_type="video/x-msvideo"),  # by MIME type
    }
    emu.add_doc("Notes")
    emu.add_folder("Sub", parent=emu.folder_id)
    emu.add_file("notes.txt", b"t", mime_type="text/plain")
    emu.trash(emu.add_file("gone.mp4", b"4"))
    emu.add_file("elsewhere.mp4", b"5", parent=emu.add_folder("Other"))
    assert {v.id for v in store.list_videos()} == keep


def test_shortcuts_resolve_to_their_targets(drive_emulator, store, tmp_path):
    emu = drive_emulator
    other = emu.add_folder("Team uploads")
    target = emu.add_file("line3.mp4", b"video-bytes", parent=other)
    shortcut = emu.add_shortcut("line3.mp4", target)
    emu.add_shortcut("a doc", emu.add_doc("Doc", parent=other))
    emu.add_shortcut("a folder", other)
    [video] = store.list_videos()
    assert video.id == shortcut
    assert (video.size, video.md5, video.mime_type) == (11, emu.file(target)["md5Checksum"], "video/mp4")
    # State goes on the shortcut; the owner's original is not touched or moved.
    store.update_properties(shortcut, {"hf_state": "claimed"})
    assert emu.properties(shortcut) == {"hf_state": "claimed"} and emu.properties(target) == {}
    assert store.download(shortcut, tmp_path / "v.mp4").read_bytes() == b"video-bytes"
    store.move_video(shortcut, Folder.DONE)
    assert emu.parents(target) == [other]


def test_properties_round_trip_and_null_deletes(drive_emulator, store):
    vid = drive_emulator.add_file("a.mp4", b"1", properties={"keep": "me"})
    v = store.update_properties(vid, {"hf_state": "claimed", "hf_worker": "pod-1", "hf_attempts": "1"})
    assert v.properties == {"keep": "me", "hf_state": "claimed", "hf_worker": "pod-1", "hf_attempts": "1"}
    v = store.update_properties(vid, {"hf_worker": None, "hf_state": "done"})
    assert v.properties == {"keep": "me", "hf_state": "done", "hf_attempts": "1"}
    assert store.get_video(vid).properties == v.properties == drive_emulator.properties(vid)


def test_get_video_of_deleted_or_trashed_file_is_file_gone(drive_emulator, store):
    vid = drive_emulator.add_file("a.mp4", b"1")
    drive_emulator.trash(vid)
    with pytest.raises(FileGone):
        store.get_video(vid)
    drive_emulator.remove(vid)
    with pytest.raises(FileGone):
        store.get_video(vid)
    with pytest.raises(FileGone):
        store.update_properties(vid, {"hf_state": "done"})


def test_folders_created_once_inside_the_inbox_and_moves(drive_emulator, store):
    emu = drive_emulator
    parent = emu.folder_id  # drive.status_folders = "inside" (tests/drive/test_folder_layout.py: both layouts)
    vid = emu.add_file("a.mp4", b"1")
    assert emu.find("Done", parent) == []
    store.move_video(vid, Folder.DONE)
    [done] = emu.find("Done", parent)
    assert emu.parents(vid) == [done["id"]]
    assert [v.id for v in store.list_videos(Folder.DONE)] == [vid]
    assert store.list_videos() == []
    store.move_video(vid, Folder.INBOX)  # retry moves it back
    assert emu.parents(vid) == [emu.folder_id]
    # A second store (another worker) finds the same folder instead of creating one.
    other = DriveStore(store.settings, credentials=store.api.credentials)
    other.move_video(vid, Folder.DONE)
    assert len(emu.find("Done", parent)) == 1 and emu.parents(vid) == [done["id"]]


def test_outputs_are_tagged_and_found_after_a_crash(drive_emulator, store, tmp_path):
    vid = drive_emulator.add_file("a.mp4", b"1")
    report = tmp_path / "a.xlsx"
    report.write_bytes(b"PK\x03\x04 fake excel")
    assert store.find_output("a - report.xlsx", vid) is None
    ref = store.upload_output(report, "a - report.xlsx", vid, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert drive_emulator.content(ref.id) == report.read_bytes()
    assert drive_emulator.properties(ref.id) == {"hf_source": vid}
    assert store.find_output("a - report.xlsx", vid) == ref
    assert store.find_output("a - report.xlsx", "another-video") is None
    assert store.find_output("b - report.xlsx", vid) is None


def test_write_text_creates_then_replaces(drive_emulator, store):
    ref = store.write_text(Folder.FAILED, "it's.mp4 - error.txt", "not a video\n")
    again = store.write_text(Folder.FAILED, "it's.mp4 - error.txt", "still not a video\n")
    assert again.id == ref.id
    assert drive_emulator.content(ref.id) == b"still not a video\n"


def test_rate_limits_and_server_errors_are_retried(drive_emulator, store):
    vid = drive_emulator.add_file("a.mp4", b"1")
    store.list_videos()  # resolve the inbox first
    for status in (429, 403, 500, 503):
        drive_emulator.inject(status=status, op="list")
    drive_emulator.reset_counts()
    assert [v.id for v in store.list_videos()] == [vid]
    assert drive_emulator.request_count("list") == 5
    assert drive_emulator.pending_faults() == []
    drive_emulator.inject(status=429, op="update")
    assert store.update_properties(vid, {"hf_state": "claimed"}).properties == {"hf_state": "claimed"}


def test_permission_errors_are_not_retried(drive_emulator, store):
    store.list_videos()
    drive_emulator.inject(status=403, op="list", reason="insufficientFilePermissions", times=5)
    drive_emulator.reset_counts()
    with pytest.raises(StorageError, match="403"):
        store.list_videos()
    assert drive_emulator.request_count("list") == 1


def test_persistent_outage_gives_a_readable_error(drive_emulator, store):
    store.list_videos()
    drive_emulator.inject(status=503, op="list", times=100)
    with pytest.raises(StorageError, match="Drive list files failed: Drive API error 503"):
        store.list_videos()


def test_wrong_folder_id_is_explained(drive_emulator, tmp_path):
    store = make_store(drive_emulator, tmp_path, folder_id="no-such-folder")
    with pytest.raises(FileGone, match="drive.folder_id"):
        store.list_videos()


def test_video_detection():
    assert is_video("x.MP4", None) and is_video("x", "video/quicktime") and is_video("a.b.mts", "application/octet-stream")
    assert not is_video("x.mp4", "application/vnd.google-apps.document") and not is_video("x.txt", "text/plain")


def test_inbox_in_a_shared_drive(drive_emulator, tmp_path):
    emu = drive_emulator
    inbox = emu.add_folder("Shared inbox", parent=emu.add_folder("Team drive root", drive_id="0AteamDrive"), drive_id="0AteamDrive")
    vid = emu.add_file("a.mp4", b"1", parent=inbox)
    emu._files[vid].drive_id = "0AteamDrive"
    store = make_store(emu, tmp_path, folder_id=inbox)
    emu.reset_counts()
    assert [v.id for v in store.list_videos()] == [vid]
    [listing] = [r for r in emu.requests if r.op == "list"]
    assert listing.query["driveId"] == "0AteamDrive" and listing.query["corpora"] == "drive"
    assert listing.query["includeItemsFromAllDrives"] == listing.query["supportsAllDrives"] == "true"
    store.update_properties(vid, {"hf_state": "claimed"})
    store.move_video(vid, Folder.DONE)
    assert emu.properties(vid) == {"hf_state": "claimed"}


def test_slow_responses_are_tolerated(drive_emulator, store):
    vid = drive_emulator.add_file("a.mp4", b"1")
    drive_emulator.inject(kind="latency", delay=0.3, op="list")
    assert [v.id for v in store.list_videos()] == [vid]


def test_threads_share_one_store_safely(drive_emulator, store):
    from concurrent.futures import ThreadPoolExecutor

    ids = [drive_emulator.add_file(f"v{i}.mp4", b"x") for i in range(16)]
    import threading

    https: dict[int, int] = {}

    def claim(vid: str):
        https[threading.get_ident()] = id(store.api.http())
        return store.update_properties(vid, {"hf_state": "claimed", "hf_worker": vid})

    with ThreadPoolExecutor(8) as pool:
        done = list(pool.map(claim, ids))
    assert [v.properties["hf_worker"] for v in done] == ids
    assert len(set(https.values())) == len(https) > 1  # one Http per thread, never shared


def test_emulator_speaks_multipart_uploads_of_the_real_client(drive_emulator, store):
    """Simple (multipart) create and media update, as other code or Apps Script-like callers use them."""
    from googleapiclient.http import MediaInMemoryUpload

    data = bytes(range(256)) * 40 + b"\n\n--trailing\r\n"
    meta = {"name": "m.bin", "parents": [drive_emulator.folder_id], "properties": {"k": "v"}}
    made = store.api.call("create", lambda: store.api.files().create(body=meta, media_body=MediaInMemoryUpload(data, "application/octet-stream"), fields="id"))
    assert drive_emulator.content(made["id"]) == data and drive_emulator.properties(made["id"]) == {"k": "v"}
    store.api.call("update", lambda: store.api.files().update(fileId=made["id"], body={"name": "n.bin"}, media_body=MediaInMemoryUpload(b"new", "text/plain")))
    assert drive_emulator.content(made["id"]) == b"new" and drive_emulator.file(made["id"])["name"] == "n.bin"
