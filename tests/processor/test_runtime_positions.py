"""Time studies in the hot folder: the worker (quick analyzer) analyses the videos with the study's support
marks and writes one position workbook + JSON per study into Reports, replaced when the study is
corrected, with an error file in Failed when the study or its videos cannot be used."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from openpyxl import load_workbook

from config import load_settings
from drive.factory import open_storage
from drive.model import Folder
from drive.storage import StorageError
from processor.runtime.positions import ERROR_KEY, MD5_KEY, REPORT_KEY, WAITING_KEY, TimeStudyCache, refresh_positions
from processor.runtime.worker import EXIT_OK, run_worker
from tests.processor.test_runtime_worker import folder_path, make_settings  # the worker tests' local-folder settings
from tests.support.quick_analyzer import QUICK_ROW, QUICK_SHARE, quick_analyze

STUDY = "časový snímek svářeč.xlsx"
BOOK, TWIN = "Svářeč - pozice.xlsx", "Svářeč - pozice.json"
VIDEO = b"\x00\x00\x00\x18ftypmp42"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith(("HOTFOLDER_", "RUNPOD_", "HF_TEST_")):
            monkeypatch.delenv(key)


def root(settings) -> Path:
    return Path(settings.local.root)


def add_video(settings, name, data=None):
    inbox = root(settings) / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / name).write_bytes(data if data is not None else VIDEO + os.urandom(2000))


def folder(settings, name):
    path = folder_path(settings, name)
    return sorted(p.name for p in path.iterdir() if not p.name.startswith(".") and p.is_file()) if path.exists() else []


def study_bytes(tmp_path, ops, shift=480, meal=30, workers=("PK",)) -> bytes:
    """A time study from the template: ``ops`` = [(operation, minutes, support, {initials: video})]."""
    from processor.nv361.timestudy import write_template

    path = tmp_path / "study-build.xlsx"
    write_template(path, example=True)
    wb = load_workbook(path)
    ws = wb["Časový snímek"]
    ws["B11"], ws["B12"] = shift, meal
    for i in range(4):
        ws.cell(16, 4 + i).value = workers[i] if i < len(workers) else None
    for r in range(18, 48):
        for c in range(1, 8):
            ws.cell(r, c).value = None
    for i, (name, minutes, support, videos) in enumerate(ops):
        r = 18 + i
        ws.cell(r, 1).value, ws.cell(r, 2).value, ws.cell(r, 3).value = name, minutes, support or None
        for j, w in enumerate(workers):
            ws.cell(r, 4 + j).value = videos.get(w)
    wb.save(path)
    data = path.read_bytes()
    path.unlink()
    return data


def put_study(settings, tmp_path, name=STUDY, **kw) -> Path:
    """Save a study into the inbox as an editor does: a new file renamed over the old one."""
    inbox = root(settings) / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    tmp = inbox / (".~" + name)
    tmp.write_bytes(study_bytes(tmp_path, **kw))
    os.replace(tmp, inbox / name)
    return inbox / name


TWO = [("Svařování", 300, "paže", {"PK": "a.mp4"}), ("Broušení", 150, "", {"PK": "b.mp4"})]  # 450 = 480 - 30
TWO_CORRECTED = [("Svařování", 240, "paže", {"PK": "a.mp4"}), ("Broušení", 150, "", {"PK": "b.mp4"})]  # 390 = 420 - 30


def study_file(settings, name=STUDY):
    [f] = [f for f in open_storage(settings).list_files(Folder.INBOX, (".xlsx",)) if f.name == name]
    return f


def twin(settings) -> dict:
    return json.loads((folder_path(settings, "Reports") / TWIN).read_text(encoding="utf-8"))


def summary(settings, video_stem) -> dict:
    return json.loads((folder_path(settings, "Reports") / f"{video_stem} - summary.json").read_text(encoding="utf-8"))


def average(position: dict, row_id: str = QUICK_ROW) -> float:
    [row] = [r for r in position["rows"] if r["id"] == row_id]
    return row["average"]


def work(settings) -> int:
    return run_worker(settings, analyze=quick_analyze, install_signals=False)


# -- the local folder, end to end ------------------------------------------------------------------------


def test_a_time_study_gives_one_position_workbook_and_is_replaced_when_corrected(tmp_path):
    settings = make_settings(tmp_path, analysis={"supported": ["head"]})
    for name in ("a.mp4", "b.mp4", "c.mp4"):
        add_video(settings, name)
    put_study(settings, tmp_path, ops=TWO)

    assert work(settings) == EXIT_OK
    assert folder(settings, "Done") == ["a.mp4", "b.mp4", "c.mp4"]
    assert folder(settings, "inbox") == [STUDY]  # never claimed, never moved
    reports = folder(settings, "Reports")
    assert reports.count(BOOK) == 1 and reports.count(TWIN) == 1 and len(reports) == 3 * 3 + 2
    f = study_file(settings)
    assert f.properties[MD5_KEY] == f.md5 and f.properties[REPORT_KEY] == f"Reports/{BOOK}"
    assert ERROR_KEY not in f.properties and WAITING_KEY not in f.properties and "hf_state" not in f.properties
    position = twin(settings)
    assert position["time_study"] == STUDY and position["work_minutes"] == 450
    assert average(position) == pytest.approx(QUICK_SHARE * 300 + QUICK_SHARE * 150)
    wb = load_workbook(folder_path(settings, "Reports") / BOOK)
    assert len(wb.sheetnames) == 4
    # support marks: the study's operation replaces analysis.supported for the videos it names
    assert summary(settings, "a")["supported"] == ["arm"]
    # the report's metadata block: the study's fields, the [protocol] settings only where it is silent
    from processor.nv361.timestudy import parse_time_study

    study = parse_time_study(folder_path(settings, "inbox") / STUDY)
    protocol = load_workbook(folder_path(settings, "Reports") / "a - ergonomics.xlsx").active["B3"].value
    assert protocol == f"{study.company}|PK|{study.measured_by}|{STUDY}" and study.company
    assert summary(settings, "b")["supported"] == []
    assert summary(settings, "c")["supported"] == ["head"]

    # Again: nothing changed, nothing is written.
    book = folder_path(settings, "Reports") / BOOK
    stamp = book.stat().st_mtime_ns, book.read_bytes()
    assert work(settings) == EXIT_OK
    assert folder(settings, "Reports") == reports
    assert (book.stat().st_mtime_ns, book.read_bytes()) == stamp
    assert refresh_positions(open_storage(settings), settings, tmp_path / "s") == []

    # Corrected: a shorter shift. The same two files get the new numbers.
    put_study(settings, tmp_path, ops=TWO_CORRECTED, shift=420)
    assert work(settings) == EXIT_OK  # nothing to analyse: the refresh before exiting does it
    assert folder(settings, "Reports") == reports
    position = twin(settings)
    assert position["work_minutes"] == 390
    assert average(position) == pytest.approx(QUICK_SHARE * 240 + QUICK_SHARE * 150)
    assert book.read_bytes() != stamp[1]
    f = study_file(settings)
    assert f.properties[MD5_KEY] == f.md5 == hashlib.md5((root(settings) / "inbox" / STUDY).read_bytes()).hexdigest()


def test_a_correction_after_a_wait_still_replaces_the_outputs(tmp_path):
    """The corrected study is a new file that waits for a new video first (so it gets state of its own):
    its outputs are still the old ones, replaced, not a second pair."""
    settings = make_settings(tmp_path)
    add_video(settings, "a.mp4")
    add_video(settings, "b.mp4")
    put_study(settings, tmp_path, ops=TWO)
    assert work(settings) == EXIT_OK
    reports = folder(settings, "Reports")
    three = TWO + [("Kontrola", 60, "", {"PK": "c.mp4"})]
    put_study(settings, tmp_path, ops=three, shift=540)  # 510 = 300 + 150 + 60
    store = open_storage(settings)
    assert refresh_positions(store, settings, tmp_path / "s") == []  # c.mp4 is not there at all
    assert "c.mp4" in study_file(settings).properties[ERROR_KEY]
    add_video(settings, "c.mp4")
    assert refresh_positions(store, settings, tmp_path / "s") == []
    assert study_file(settings).properties[WAITING_KEY] == "c.mp4"
    assert work(settings) == EXIT_OK
    assert folder(settings, "Reports") == sorted(reports + ["c - angles.csv", "c - ergonomics.xlsx", "c - summary.json"])
    assert average(twin(settings)) == pytest.approx(QUICK_SHARE * 510)
    assert ERROR_KEY not in study_file(settings).properties


def test_a_video_analysed_again_updates_a_settled_position(tmp_path):
    """Videos analysed before the study came (without its support marks), then one dropped again: the
    position is evaluated again with the new analysis, in the same workbook."""
    settings = make_settings(tmp_path)
    add_video(settings, "a.mp4")
    add_video(settings, "b.mp4")
    assert work(settings) == EXIT_OK
    put_study(settings, tmp_path, ops=TWO)
    assert work(settings) == EXIT_OK
    support_notes = [n["en"] for n in twin(settings)["notes"] if "'a.mp4'" in n["en"] and "support" in n["en"]]
    assert len(support_notes) == 1  # analysed with 'none', the study says 'arm'
    reports = folder(settings, "Reports")

    add_video(settings, "a.mp4")  # dropped again: analysed with the study's marks
    assert work(settings) == EXIT_OK
    assert folder(settings, "Done") == ["a (2).mp4", "a.mp4", "b.mp4"]
    assert json.loads((folder_path(settings, "Reports") / "a - summary (2).json").read_text())["supported"] == ["arm"]
    assert [n for n in twin(settings)["notes"] if "'a.mp4'" in n["en"] and "support" in n["en"]] == []
    assert [r for r in folder(settings, "Reports") if "pozice" in r] == [TWIN, BOOK]
    assert len(folder(settings, "Reports")) == len(reports) + 3  # the new analysis' three files


def test_a_broken_study_gets_an_error_file_and_the_videos_are_still_processed(tmp_path):
    settings = make_settings(tmp_path)
    add_video(settings, "a.mp4")
    add_video(settings, "b.mp4")
    bad_sum = [("Svařování", 300, "", {"PK": "a.mp4"}), ("Broušení", 100, "", {"PK": "b.mp4"})]  # 400, not 450
    put_study(settings, tmp_path, name="časový snímek rozbitý.xlsx", ops=bad_sum)
    (root(settings) / "inbox" / "Casovy snimek prazdny.xlsx").write_bytes(b"not a workbook")
    put_study(settings, tmp_path, ops=TWO)  # a good one beside them is still evaluated

    assert work(settings) == EXIT_OK
    assert folder(settings, "Done") == ["a.mp4", "b.mp4"]
    assert folder(settings, "inbox") == sorted(["Casovy snimek prazdny.xlsx", STUDY, "časový snímek rozbitý.xlsx"])
    assert folder(settings, "Failed") == sorted(["Casovy snimek prazdny.xlsx - error.txt",
                                                 "časový snímek rozbitý.xlsx - error.txt"])
    text = (folder_path(settings, "Failed") / "časový snímek rozbitý.xlsx - error.txt").read_text(encoding="utf-8")
    assert "add up to 400 min, but the work time is 450 min" in text and "What to do" in text
    empty = (folder_path(settings, "Failed") / "Casovy snimek prazdny.xlsx - error.txt").read_text(encoding="utf-8")
    assert "is not an .xlsx workbook" in empty
    f = study_file(settings, "časový snímek rozbitý.xlsx")
    assert f.properties[MD5_KEY] == f.md5 and "add up to" in f.properties[ERROR_KEY]
    assert len(f.properties[ERROR_KEY].encode()) + len(ERROR_KEY) <= 124
    assert BOOK in folder(settings, "Reports")

    # Not read again until it changes: the error file is left as it is.
    error = folder_path(settings, "Failed") / "časový snímek rozbitý.xlsx - error.txt"
    stamp = error.stat().st_mtime_ns
    assert work(settings) == EXIT_OK
    assert error.stat().st_mtime_ns == stamp


def test_a_study_naming_a_missing_or_failed_video_says_which_and_checks_again(tmp_path):
    settings = make_settings(tmp_path)
    add_video(settings, "a.mp4")
    add_video(settings, "broken.mp4", b"NOT A VIDEO")
    ops = [("Svařování", 300, "", {"PK": "a.mp4"}), ("Broušení", 100, "", {"PK": "broken.mp4"}),
           ("Kontrola", 50, "", {"PK": "later.mp4"})]  # fmt: skip
    put_study(settings, tmp_path, ops=ops)
    assert work(settings) == EXIT_OK
    assert folder(settings, "Failed") == ["broken.mp4", "broken.mp4 - error.txt", f"{STUDY} - error.txt"]
    text = (folder_path(settings, "Failed") / f"{STUDY} - error.txt").read_text(encoding="utf-8")
    assert "'later.mp4' of operation 'Kontrola' (worker PK) is not in the folder" in text
    assert "'broken.mp4' of operation 'Broušení' (worker PK) could not be analysed" in text
    assert "broken.mp4 - error.txt" in text
    f = study_file(settings)
    assert MD5_KEY not in f.properties and ERROR_KEY in f.properties  # checked again next time
    assert BOOK not in folder(settings, "Reports")

    # The user fixes the video and adds the missing one: the next run makes the workbook.
    (folder_path(settings, "Failed") / "broken.mp4").unlink()
    add_video(settings, "broken.mp4")
    add_video(settings, "later.mp4")
    assert work(settings) == EXIT_OK
    assert BOOK in folder(settings, "Reports")
    f = study_file(settings)
    assert f.properties[MD5_KEY] == f.md5 and ERROR_KEY not in f.properties
    assert average(twin(settings)) == pytest.approx(QUICK_SHARE * 450)


def test_videos_still_in_the_inbox_mean_not_yet(tmp_path, caplog):
    settings = make_settings(tmp_path)
    add_video(settings, "a.mp4")
    add_video(settings, "b.mp4")
    put_study(settings, tmp_path, ops=TWO)
    store = open_storage(settings)
    caplog.set_level("INFO")
    assert refresh_positions(store, settings, tmp_path / "s") == []
    f = study_file(settings)
    assert f.properties[WAITING_KEY] == "a.mp4, b.mp4" and MD5_KEY not in f.properties
    assert folder(settings, "Failed") == []
    assert any("not yet" in r.getMessage() and r.levelname == "INFO" for r in caplog.records)


def test_a_summary_that_is_not_nv361_is_an_error_naming_the_video(tmp_path):
    settings = make_settings(tmp_path)
    add_video(settings, "a.mp4")
    add_video(settings, "b.mp4")
    assert work(settings) == EXIT_OK
    (folder_path(settings, "Reports") / "b - summary.json").write_text('{"standard": "iso11226", "rows": []}')
    put_study(settings, tmp_path, ops=TWO)
    assert refresh_positions(open_storage(settings), settings, tmp_path / "s") == []
    text = (folder_path(settings, "Failed") / f"{STUDY} - error.txt").read_text(encoding="utf-8")
    assert "'b.mp4'" in text and "not an NV 361 catalogue summary" in text


class ListingFails:
    """The local store whose listing of plain files fails (Drive trouble while the videos work)."""

    def __init__(self, store):
        self._store = store

    def __getattr__(self, name):
        return getattr(self._store, name)

    def list_files(self, folder, suffixes):
        raise StorageError("Drive said 500 five times")


def test_storage_trouble_with_the_studies_never_stops_the_worker(tmp_path, caplog):
    settings = make_settings(tmp_path)
    add_video(settings, "a.mp4")
    add_video(settings, "b.mp4")
    put_study(settings, tmp_path, ops=TWO)
    assert run_worker(settings, analyze=quick_analyze, storage=ListingFails(open_storage(settings)),
                      install_signals=False) == EXIT_OK
    assert folder(settings, "Done") == ["a.mp4", "b.mp4"]
    assert BOOK not in folder(settings, "Reports")
    assert "could not bring the position workbooks up to date" in caplog.text
    assert "could not read the time studies" in caplog.text
    assert work(settings) == EXIT_OK  # the next worker catches up
    assert BOOK in folder(settings, "Reports")


def test_the_support_marks_come_from_the_study_naming_the_video(tmp_path):
    settings = make_settings(tmp_path)
    put_study(settings, tmp_path, ops=[("Svařování", 300, "paže, trup", {"PK": "A.MP4"}),
                                       ("Broušení", 150, "hlava", {"PK": "b"})])  # fmt: skip
    (root(settings) / "inbox" / "časový snímek jiný.xlsx").write_bytes(b"broken: ignored for the marks")
    cache = TimeStudyCache()
    cache.refresh(open_storage(settings), tmp_path / "s")
    assert cache.supported_for("a.mp4") == frozenset({"arm", "trunk"})  # names match as resolve_video does
    assert cache.supported_for("b.mov") == frozenset({"head"})
    assert cache.supported_for("c.mp4") is None


# -- Drive (emulator) --------------------------------------------------------------------------------------


def test_position_on_drive_is_written_once_and_replaced(drive_emulator, tmp_path):
    from drive.drive_store import DriveStore
    from tests.support.drive_setup import FAST_BACKOFF

    emu = drive_emulator
    token = tmp_path / "token.json"
    emu.write_token(token)
    settings = load_settings(
        storage={"backend": "drive"},
        drive=emu.drive_settings(token, settle_seconds=0, lease_seconds=60, claim_pause=0.25, max_attempts=3),
        worker={"scratch_dir": str(tmp_path / "scratch"), "idle_grace": 0.3, "heartbeat": 0.1},
        watcher={"state_dir": str(tmp_path / "state")},
    )
    store = DriveStore(settings, backoff=FAST_BACKOFF)
    for name in ("a.mp4", "b.mp4"):
        emu.add_file(name, VIDEO + os.urandom(1000))
    xlsx_mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    study = emu.add_file(STUDY, study_bytes(tmp_path, TWO), mime_type=xlsx_mime)

    assert run_worker(settings, analyze=quick_analyze, storage=store, install_signals=False) == EXIT_OK
    reports = {f["name"]: f for f in emu.children(store.folder_id(Folder.REPORTS))}
    assert BOOK in reports and TWIN in reports and len(reports) == 2 * 3 + 2
    props = emu.properties(study)
    assert props[MD5_KEY] == emu.file(study)["md5Checksum"] and props[REPORT_KEY] == reports[BOOK]["id"]
    assert emu.parents(study) == [emu.folder_id] and "hf_state" not in props
    assert average(json.loads(emu.content(reports[TWIN]["id"]))) == pytest.approx(QUICK_SHARE * 450)

    emu.set_content(study, study_bytes(tmp_path, TWO_CORRECTED, shift=420))  # a new version, same file
    assert run_worker(settings, analyze=quick_analyze, storage=store, install_signals=False) == EXIT_OK
    again = {f["name"]: f for f in emu.children(store.folder_id(Folder.REPORTS))}
    assert sorted(again) == sorted(reports) and again[BOOK]["id"] == reports[BOOK]["id"]
    assert average(json.loads(emu.content(again[TWIN]["id"]))) == pytest.approx(QUICK_SHARE * 390)
    assert emu.properties(study)[MD5_KEY] == emu.file(study)["md5Checksum"]


def test_a_video_no_study_names_gets_the_protocol_settings(tmp_path):
    settings = make_settings(tmp_path, protocol={"company": "Strojírny Příklad s.r.o.", "measured_by": "Lab A"})
    add_video(settings, "lone.mp4")
    assert work(settings) == EXIT_OK
    protocol = load_workbook(folder_path(settings, "Reports") / "lone - ergonomics.xlsx").active["B3"].value
    assert protocol == "Strojírny Příklad s.r.o.||Lab A|"
