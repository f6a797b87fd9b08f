"""Where Reports/Done/Failed live (issue 16): inside the hot folder by default, on both backends,
so a colleague who was given only the hot folder sees every report; ``drive.status_folders =
"beside"`` keeps the old layout. The inbox listing never counts them (or what is in them) as inbox
content. ``list_outcomes`` looks at a time window only; ``output_link`` says where a report opens."""

from __future__ import annotations

from datetime import timedelta

import pytest

from config.settings import load_settings
from drive.drive_store import FOLDER_MIME, DriveStore
from drive.factory import open_storage
from drive.model import Folder, ReportRef, utcnow
from drive.queue import VideoQueue
from drive.settle import SettleTracker
from tests.support.drive_setup import FAST_BACKOFF

NAMES = ("Reports", "Done", "Failed")


def _local(tmp_path, **drive):
    settings = load_settings(storage={"backend": "local"}, local={"root": str(tmp_path / "hf")},
                             drive={"settle_seconds": 0, "claim_pause": 0, **drive})
    return settings, open_storage(settings)


def _drive(emu, tmp_path, account=None, **drive):
    token = tmp_path / f"token-{account or 'owner'}.json"
    emu.write_token(token, account=account)
    settings = load_settings(storage={"backend": "drive"},
                             drive=emu.drive_settings(token, settle_seconds=0, claim_pause=0, **drive))
    return settings, DriveStore(settings, backoff=FAST_BACKOFF)


def _finish(store, settings, video_id, report_bytes=b"PK report"):
    """What a worker does: claim, upload a report, complete (moves the video to Done)."""
    q = VideoQueue(store, settings.drive, "w1", settle=SettleTracker(None, 0), sleep=lambda s: None)
    claim = q.claim_next()
    assert claim is not None and claim.video.id == video_id
    return claim, q


# -- local backend ------------------------------------------------------------------------------

def test_local_status_folders_are_inside_the_inbox_and_not_inbox_content(tmp_path):
    settings, store = _local(tmp_path)
    assert settings.drive.status_folders == "inside"
    inbox = tmp_path / "hf" / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "a.mp4").write_bytes(b"video a")
    assert [v.id for v in store.list_videos()] == ["a.mp4"]
    for name in NAMES:
        assert (inbox / name).is_dir() and not (tmp_path / "hf" / name).exists()
    # A video inside Done (or anything in a status folder) is not inbox content, nor the folders themselves.
    store.move_video("a.mp4", Folder.DONE)
    assert (inbox / "Done" / "a.mp4").is_file()
    assert store.list_videos() == [] and store.list_files(Folder.INBOX, (".mp4", "")) == []
    assert [v.id for v in store.list_videos(Folder.DONE)] == ["Done/a.mp4"]
    store.move_video("Done/a.mp4", Folder.INBOX)  # a retry brings it back
    assert [v.id for v in store.list_videos()] == ["a.mp4"]


def test_local_beside_keeps_the_old_layout(tmp_path):
    settings, store = _local(tmp_path, status_folders="beside")
    (tmp_path / "hf" / "inbox").mkdir(parents=True)
    (tmp_path / "hf" / "inbox" / "a.mp4").write_bytes(b"video a")
    store.move_video("a.mp4", Folder.FAILED)
    assert (tmp_path / "hf" / "Failed" / "a.mp4").is_file()
    assert not (tmp_path / "hf" / "inbox" / "Failed").exists()


def test_local_moving_an_installation_is_one_mv(tmp_path):
    """README "Moving the status folders": `mv Reports Done Failed inbox/` keeps states and reports."""
    old_settings, old = _local(tmp_path, status_folders="beside")
    (tmp_path / "hf" / "inbox").mkdir(parents=True)
    (tmp_path / "hf" / "inbox" / "a.mp4").write_bytes(b"video a")
    claim, q = _finish(old, old_settings, "a.mp4")
    src = tmp_path / "r.xlsx"
    src.write_bytes(b"PK report")
    ref = old.upload_output(src, "a - report.xlsx", "a.mp4", "application/octet-stream")
    q.complete(claim, ref)
    root = tmp_path / "hf"
    for name in NAMES:
        (root / name).rename(root / "inbox" / name)
    _, new = _local(tmp_path)
    [done] = new.list_videos(Folder.DONE)
    assert done.id == "Done/a.mp4" and done.properties["hf_state"] == "done"
    assert new.find_output("a - report.xlsx", "Done/a.mp4") is not None
    assert new.output_link(ref.id) == str(root / "inbox" / "Reports" / "a - report.xlsx")


def test_local_outcomes_window_and_output_link(tmp_path):
    settings, store = _local(tmp_path)
    inbox = tmp_path / "hf" / "inbox"
    inbox.mkdir(parents=True)
    for name in ("old.mp4", "new.mp4", "bad.mp4"):
        (inbox / name).write_bytes(name.encode())
    store.move_video("old.mp4", Folder.DONE)
    import os
    import time

    past = time.time() - 3 * 86400  # finished three days ago (ctime cannot be set: use a window in the future)
    os.utime(inbox / "Done" / "old.mp4", (past, past))
    since = utcnow() + timedelta(seconds=-1)
    time.sleep(0.01)
    store.move_video("new.mp4", Folder.DONE)
    store.move_video("bad.mp4", Folder.FAILED)
    assert sorted(v.id for v in store.list_outcomes()) == ["Done/new.mp4", "Done/old.mp4", "Failed/bad.mp4"]
    recent = {v.id for v in store.list_outcomes(since)}
    assert {"Done/new.mp4", "Failed/bad.mp4"} <= recent
    assert store.list_outcomes(utcnow() + timedelta(hours=1)) == []
    assert store.output_link("Reports/x.xlsx") == str(inbox / "Reports" / "x.xlsx")
    assert store.output_link("x.xlsx") == str(inbox / "Reports" / "x.xlsx")


# -- Drive (emulator) -----------------------------------------------------------------------------

def _folders(emu, parent):
    return sorted(f["name"] for f in emu.children(parent) if f["mimeType"] == FOLDER_MIME)


def test_drive_status_folders_are_inside_the_hot_folder(drive_emulator, tmp_path):
    emu = drive_emulator
    settings, store = _drive(emu, tmp_path)
    vid = emu.add_file("a.mp4", b"video a")
    bad = emu.add_file("b.mp4", b"video b")
    src = tmp_path / "r.xlsx"
    src.write_bytes(b"PK report")
    ref = store.upload_output(src, "a - report.xlsx", vid, "application/octet-stream")
    store.move_video(vid, Folder.DONE)
    store.move_video(bad, Folder.FAILED)
    store.write_text(Folder.FAILED, "b.mp4 - error.txt", "boom")
    assert _folders(emu, emu.folder_id) == sorted(NAMES)
    assert _folders(emu, emu.parents(emu.folder_id)[0]) == ["Hot folder"]  # nothing beside it
    assert store.list_videos() == []  # folders and what is in them are not inbox content
    assert [v.id for v in store.list_videos(Folder.DONE)] == [vid]
    assert store.output_link(ref.id) == f"https://drive.google.com/file/d/{ref.id}/view"


def test_drive_beside_keeps_the_old_layout_and_inside_warns_about_it(drive_emulator, tmp_path, caplog):
    emu = drive_emulator
    parent = emu.parents(emu.folder_id)[0]
    _, old = _drive(emu, tmp_path, status_folders="beside")
    vid = emu.add_file("a.mp4", b"video a")
    old.move_video(vid, Folder.DONE)
    assert _folders(emu, parent) == ["Done", "Hot folder"] and _folders(emu, emu.folder_id) == []
    # Upgrading without moving: a new Done inside, and a warning that names the one step to take.
    _, new = _drive(emu, tmp_path)
    other = emu.add_file("b.mp4", b"video b")
    new.move_video(other, Folder.DONE)
    assert _folders(emu, emu.folder_id) == ["Done"]
    assert "Moving the status folders" in caplog.text


def test_drive_colleague_with_only_the_hot_folder_sees_every_output(drive_emulator, tmp_path):
    """The owner keeps the hot folder in My Drive's root and shares only it; a colleague's account
    (its own token) runs the worker or watcher: everything is made inside, where both see it."""
    emu = drive_emulator
    emu.share(emu.folder_id, "colleague")
    c_settings, colleague = _drive(emu, tmp_path, account="colleague")
    # The colleague cannot see the owner's root, nor files outside the shared folder.
    secret = emu.add_file("owner-only.mp4", b"x", parent=emu.parents(emu.folder_id)[0])
    with pytest.raises(Exception):
        colleague.get_video(secret)
    vid = emu.add_file("line 1.mp4", b"video")
    assert [v.name for v in colleague.list_videos()] == ["line 1.mp4"]
    claim, q = _finish(colleague, c_settings, vid)
    src = tmp_path / "r.xlsx"
    src.write_bytes(b"PK report")
    ref = colleague.upload_output(src, "line 1 - report.xlsx", vid, "application/octet-stream")
    q.complete(claim, ref)
    assert _folders(emu, emu.folder_id) == ["Done", "Reports"]
    assert emu.parents(ref.id) == [emu.folder_id] or emu.parents(emu.parents(ref.id)[0]) == [emu.folder_id]
    # Both accounts see the report and the finished video through their own stores.
    _, owner = _drive(emu, tmp_path)
    for store in (owner, colleague):
        assert store.find_output("line 1 - report.xlsx", vid) == ReportRef(ref.id, ref.name, ref.link)
        assert [v.id for v in store.list_outcomes()] == [vid]
        assert store.list_videos() == []


def test_drive_colleague_with_beside_layout_falls_back_inside(drive_emulator, tmp_path):
    """"beside" needs the parent: an account that cannot see it gets the folders inside instead."""
    emu = drive_emulator
    emu.share(emu.folder_id, "colleague")
    _, colleague = _drive(emu, tmp_path, account="colleague", status_folders="beside")
    vid = emu.add_file("a.mp4", b"video")
    colleague.move_video(vid, Folder.FAILED)
    assert _folders(emu, emu.folder_id) == ["Failed"]


def test_drive_outcomes_is_one_windowed_request(drive_emulator, tmp_path):
    emu = drive_emulator
    _, store = _drive(emu, tmp_path)
    done = store.folder_id(Folder.DONE)
    store.folder_id(Folder.FAILED)
    for i in range(30):  # finished long ago
        fid = emu.add_file(f"old{i}.mp4", b"v", parent=done, properties={"hf_state": "done"})
        emu._files[fid].modified = "2024-01-01T00:00:00.000Z"
    since = utcnow()
    vid = emu.add_file("new.mp4", b"video")
    store.move_video(vid, Folder.DONE)
    emu.reset_counts()
    assert [v.id for v in store.list_outcomes(since - timedelta(seconds=1))] == [vid]
    assert emu.request_count() == 1
    assert len(store.list_outcomes()) == 31
