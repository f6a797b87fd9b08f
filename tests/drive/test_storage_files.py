"""The storage verbs for files that are not videos (a time study beside the videos, outputs read back):
``list_files``, ``fetch``, ``replace_output``, and properties on such files; run on every backend."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from drive.model import Folder, ReportRef, State, VideoState
from drive.storage import FileGone
from tests.drive.test_queue import VIDEO, make_queue

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STUDY = "časový snímek – linka 2.xlsx"


def xlsx_bytes(text: str = "minutes") -> bytes:
    """A small zip as an .xlsx is (its first bytes are not a video's)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", f"<workbook>{text}</workbook>")
    return buf.getvalue()


def add_folder_named(backend, name: str) -> None:
    """Something that is not a plain file, under a name that would match."""
    if backend.name == "drive":
        emu = backend.extra["emulator"]
        emu.add_folder(name, parent=emu.folder_id)
        emu.add_doc("časový snímek Doc.xlsx")  # a Google Sheet whose name ends in .xlsx
        emu.add_shortcut("shortcut.xlsx", emu.add_file("target.xlsx", b"x", parent=emu.add_folder("Else"), mime_type=XLSX_MIME))
    else:
        (backend.storage.path(Folder.INBOX) / name).mkdir()


def test_list_files_gives_plain_files_by_suffix_with_their_metadata(backend):
    data = xlsx_bytes()
    video = backend.add_video("line 2.mp4", VIDEO)
    study = backend.add_file(STUDY, data, XLSX_MIME)
    upper = backend.add_file("OLD STUDY.XLSX", xlsx_bytes("old"), XLSX_MIME)
    backend.add_file("notes.txt", b"text", "text/plain")
    backend.add_file("mislabelled.mp4", b"\x00\x00\x00\x18ftypmp42", "application/octet-stream")  # a video by name
    add_folder_named(backend, "folder.xlsx")

    files = backend.storage.list_files(Folder.INBOX, (".xlsx",))
    assert sorted(f.name for f in files) == sorted([STUDY, "OLD STUDY.XLSX"])
    by_id = {f.id: f for f in files}
    assert set(by_id) == {study, upper}
    f = by_id[study]
    assert (f.size, f.md5, f.properties) == (len(data), hashlib.md5(data).hexdigest(), {})
    assert f.modified_time is not None
    assert [f.name for f in backend.storage.list_files(Folder.INBOX, (".TXT", ".csv"))] == ["notes.txt"]
    assert backend.storage.list_files(Folder.INBOX, (".mp4",)) == []  # videos are list_videos' business
    assert backend.storage.list_files(Folder.INBOX, ()) == []
    videos = backend.storage.list_videos()
    assert {v.name for v in videos} == {"line 2.mp4", "mislabelled.mp4"} and video in {v.id for v in videos}
    assert backend.storage.list_files(Folder.REPORTS, (".xlsx",)) == []


def test_properties_of_a_plain_file_merge_and_delete(backend):
    data = xlsx_bytes()
    study = backend.add_file(STUDY, data, XLSX_MIME)
    view = backend.storage.update_properties(study, {"hf_position_md5": hashlib.md5(data).hexdigest(), "hf_x": "1"})
    assert view.id == study and view.name == STUDY and view.properties["hf_x"] == "1"
    backend.storage.update_properties(study, {"hf_x": None})
    [f] = backend.storage.list_files(Folder.INBOX, (".xlsx",))
    assert f.properties == {"hf_position_md5": hashlib.md5(data).hexdigest()}
    assert f.md5 == hashlib.md5(data).hexdigest()  # properties are not content


def test_a_time_study_in_the_inbox_is_never_listed_or_claimed_as_a_video(backend, tmp_path):
    from processor.nv361.timestudy import write_template

    template = write_template(tmp_path / "study.xlsx", example=True)
    study = backend.add_file("Časový snímek svářeč.xlsx", template.read_bytes(), XLSX_MIME)
    video = backend.add_video("svarovani PK.mp4", VIDEO)
    assert [v.id for v in backend.storage.list_videos()] == [video]
    queue = make_queue(backend)
    claim = queue.claim_next()
    assert claim is not None and claim.video.id == video
    queue.complete(claim, ReportRef(id="r1", name="svarovani PK - ergonomics.xlsx"))
    assert queue.claim_next() is None  # the study is never offered
    assert backend.folder_names(Folder.INBOX) == ["Časový snímek svářeč.xlsx"]  # and stays where it is
    [f] = backend.storage.list_files(Folder.INBOX, (".xlsx",))
    assert f.id == study and "hf_state" not in f.properties
    assert backend.storage.list_videos(Folder.DONE)[0].name == "svarovani PK.mp4"


def test_fetch_gives_listed_files_and_outputs(backend, tmp_path):
    data = xlsx_bytes("study")
    study = backend.add_file(STUDY, data, XLSX_MIME)
    assert backend.storage.fetch(study, tmp_path / "a" / "study.xlsx").read_bytes() == data
    vid = backend.add_video("v.mp4", VIDEO)
    backend.storage.update_properties(vid, {"hf_state": "claimed"})
    local = tmp_path / "summary.json"
    local.write_text('{"rows": []}', encoding="utf-8")
    ref = backend.storage.upload_output(local, "v - summary.json", vid, "application/json")
    got = backend.storage.fetch(ref.id, tmp_path / "got.json")
    assert got == tmp_path / "got.json" and got.read_bytes() == local.read_bytes()
    missing = "nope.xlsx" if backend.name == "local" else "f9999missing"
    with pytest.raises(FileGone):
        backend.storage.fetch(missing, tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_replace_output_keeps_name_id_and_tags(backend, tmp_path):
    vid = backend.add_video("v.mp4", VIDEO)
    backend.storage.update_properties(vid, {"hf_state": "claimed"})
    local = tmp_path / "out.xlsx"
    local.write_bytes(b"first numbers")
    ref = backend.storage.upload_output(local, "line - pozice.xlsx", vid, XLSX_MIME)
    local.write_bytes(b"corrected numbers, longer")
    new = backend.storage.replace_output(ref, local, XLSX_MIME)
    assert (new.id, new.name) == (ref.id, ref.name)
    assert backend.storage.fetch(new.id, tmp_path / "back.xlsx").read_bytes() == b"corrected numbers, longer"
    found = backend.storage.find_output("line - pozice.xlsx", vid)
    assert found is not None and found.id == ref.id
    assert backend.folder_names(Folder.REPORTS) == ["line - pozice.xlsx"]  # replaced, not added
    gone = ReportRef(id="Reports/gone.xlsx" if backend.name == "local" else "f9999gone", name="gone.xlsx")
    with pytest.raises(FileGone):
        backend.storage.replace_output(gone, local, XLSX_MIME)


def test_outputs_are_found_for_their_source_after_it_moved(backend, tmp_path, clock):
    vid = backend.add_video("press.mp4", VIDEO)
    queue = make_queue(backend, clock=clock)
    claim = queue.claim_next()
    local = tmp_path / "s.json"
    local.write_text("{}")
    ref = backend.storage.upload_output(local, "press - summary.json", vid, "application/json")
    queue.complete(claim, ref)
    [done] = backend.storage.list_videos(Folder.DONE)
    assert VideoState.from_properties(done.properties).state is State.DONE
    found = backend.storage.find_output("press - summary.json", done.id)
    assert found is not None and found.id == ref.id
    assert backend.storage.find_output("press - ergonomics.xlsx", done.id) is None
