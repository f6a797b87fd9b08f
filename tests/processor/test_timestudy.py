"""The time study (časový snímek): the shipped template, parsing by labels, and one sentence per problem."""

from __future__ import annotations

import unicodedata
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from processor.nv361.timestudy import (
    EXAMPLE, EXAMPLE_SHEET_NAME, SHEET_NAME, TEMPLATE_PATH, Operation, TimeStudy, TimeStudyError, check_videos,
    is_time_study_name, parse_time_study, resolve_video, write_template,
)  # fmt: skip

EXAMPLE_STUDY = TimeStudy(
    company="Strojírny Příklad s.r.o.", ico="12345678", position="Svářeč", workplace="Hala 2, svařovna",
    date="2025-03-12", measured_by="Ing. Jana Nováková", shift_min=480.0, meal_break_min=30.0,
    workers=("PK", "MS"),
    operations=(
        Operation("Příprava a stehování dílců", 120.0, frozenset(), {"PK": "priprava PK.mp4", "MS": "priprava MS.mp4"}),
        Operation("Svařování", 240.0, frozenset({"arm"}), {"PK": "svarovani PK.mp4", "MS": "svarovani MS.mp4"}),
        Operation("Broušení a kontrola svarů", 90.0, frozenset({"trunk"}),
                  {"PK": "brouseni PK.mp4", "MS": "brouseni MS.mp4"}),
    ),
    source_name="časový snímek.xlsx",
)  # fmt: skip


def example_file(tmp_path: Path, edits: dict[str, object] | None = None, name: str = "časový snímek.xlsx") -> Path:
    """The worked example, with cells changed (``{"B19": "4x"}``) and saved under ``name``."""
    path = write_template(tmp_path / name, example=True)
    if edits:
        wb = load_workbook(path)
        ws = wb[SHEET_NAME]
        for ref, value in edits.items():
            ws[ref] = value
        wb.save(path)
    return path


def problems(path: Path) -> tuple[str, ...]:
    with pytest.raises(TimeStudyError) as info:
        parse_time_study(path)
    assert str(info.value) == "\n".join(info.value.problems)
    return info.value.problems


def test_example_round_trips(tmp_path):
    study = parse_time_study(example_file(tmp_path))
    assert study == EXAMPLE_STUDY
    assert study.work_min == 450.0 and study.operations_min == 450.0
    assert [op.row for op in study.operations] == [18, 19, 20]
    assert len(study.videos()) == 6
    assert study.videos()[1] == (study.operations[0], "MS", "priprava MS.mp4")
    # the example constant and the sheet say the same thing
    assert [op.name for op in study.operations] == [o[0] for o in EXAMPLE["operations"]]


def test_shipped_template_is_the_generated_one(tmp_path):
    fresh = load_workbook(write_template(tmp_path / "t.xlsx"))
    shipped = load_workbook(TEMPLATE_PATH)
    assert shipped.sheetnames == fresh.sheetnames == [SHEET_NAME, EXAMPLE_SHEET_NAME]
    for name in fresh.sheetnames:
        a, b = shipped[name], fresh[name]
        assert a.max_row == b.max_row and a.max_column == b.max_column
        for ra, rb in zip(a.iter_rows(values_only=True), b.iter_rows(values_only=True)):
            assert ra == rb, f"{TEMPLATE_PATH.name} is stale: run python -m processor.nv361.timestudy"
        assert int(a.page_setup.paperSize) == 9 and a.page_setup.fitToWidth == 1 and a.sheet_properties.pageSetUpPr.fitToPage
    # the empty template names what is missing
    found = problems(TEMPLATE_PATH)
    assert any("shift length is missing" in p for p in found)
    assert any("no workers" in p for p in found)
    assert any("no operations" in p for p in found)


def test_labels_not_cells_and_text_numbers(tmp_path):
    """Another layout (block shifted one column right, rows elsewhere, English labels for some) parses;
    numbers typed as text with a decimal comma and a unit are read."""
    wb = Workbook()
    ws = wb.active
    ws.title = "casovy snimek"
    ws["B2"], ws["C2"] = "Firma:", "ACME a.s."
    ws["B3"], ws["C3"] = "IČO", 1234567  # typed as a number: the leading zero comes back
    ws["B4"], ws["D4"] = "Pracovní pozice", "Lakýrník"  # value one cell further right
    ws["B5"], ws["C5"] = "Datum", "3. 4. 2025"
    ws["B7"], ws["C7"] = "Shift length", "450 min"
    ws["B8"], ws["C8"] = "Přestávka", "0"
    ws["B10"] = "Iniciály"
    ws["E10"], ws["F10"] = "AB", "CD"
    for c, h in zip("BCDEF", ["Operace / činnost", "Doba (min)", "Opora", "Video 1", "Video 2"]):
        ws[f"{c}11"] = h
    ws.append([None, "Lakování", "400,5", "trup a paže", "lak AB.mp4", r"C:\videa\lak CD.mp4"])
    ws.append([None, "Bezpečnostní přestávka", "49,5", "-", None, None])
    ws.append([None, "Celkem", 450])  # the lab's own total line is skipped
    ws.append([None, "Poznámka: měřeno na lince 2"])  # ends the table
    ws.append([None, "nic", "x"])
    path = tmp_path / "time study.xlsx"
    wb.save(path)
    s = parse_time_study(path)
    assert (s.company, s.ico, s.position, s.date) == ("ACME a.s.", "01234567", "Lakýrník", "2025-04-03")
    assert (s.shift_min, s.meal_break_min, s.work_min) == (450.0, 0.0, 450.0)
    assert s.workers == ("AB", "CD")
    assert s.operations == (
        Operation("Lakování", 400.5, frozenset({"trunk", "arm"}), {"AB": "lak AB.mp4", "CD": "lak CD.mp4"}),
        Operation("Bezpečnostní přestávka", 49.5, frozenset(), {}),
    )


def test_not_an_xlsx(tmp_path):
    p = tmp_path / "časový snímek.xlsx"
    p.write_text("Operace;Minut\n", encoding="utf-8")
    assert problems(p) == ("časový snímek.xlsx is not an .xlsx workbook (an .xls, .ods or .csv file has to be saved "
                           "as 'Excel Workbook (.xlsx)' first).",)
    broken = tmp_path / "b.xlsx"
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    (p2,) = problems(broken)
    assert p2.startswith("b.xlsx cannot be read as an .xlsx workbook (")
    (p3,) = problems(tmp_path / "missing.xlsx")
    assert p3 == "missing.xlsx cannot be read: no such file."


def test_sheet_missing(tmp_path):
    path = example_file(tmp_path)
    wb = load_workbook(path)
    wb[SHEET_NAME].title = "List1"
    wb.save(path)
    assert problems(path) == ("časový snímek.xlsx has no sheet 'Časový snímek' (its sheets: 'List1'); use the "
                              "template casovy_snimek_vzor.xlsx.",)


def test_minutes_problems_each_name_the_operation_and_row(tmp_path):
    assert problems(example_file(tmp_path, {"B19": "4x"})) == (
        "časový snímek.xlsx, operation 'Svařování' (row 19): minutes per shift '4x' is not a number.",)
    assert problems(example_file(tmp_path, {"B19": None})) == (
        "časový snímek.xlsx, operation 'Svařování' (row 19): minutes per shift (cell B19) are missing.",)
    assert problems(example_file(tmp_path, {"B19": -5})) == (
        "časový snímek.xlsx, operation 'Svařování' (row 19): minutes per shift must be more than 0 "
        "(cell B19 is -5).",)
    assert problems(example_file(tmp_path, {"B19": 250})) == (
        "časový snímek.xlsx: the operations add up to 460 min, but the work time is 450 min (shift 480 − meal "
        "break 30); they must agree within ±1 min.",)
    # within ±1 min is fine; a decimal comma as text too
    s = parse_time_study(example_file(tmp_path, {"B19": "240,9"}))
    assert s.operations[1].minutes == pytest.approx(240.9)


def test_shift_and_break_problems(tmp_path):
    assert problems(example_file(tmp_path, {"B11": "osm hodin"})) == (
        "časový snímek.xlsx, cell B11 (Délka směny (min)): the shift length 'osm hodin' is not a number.",)
    assert problems(example_file(tmp_path, {"B12": None})) == (
        "časový snímek.xlsx, cell B12 (Přestávka na jídlo a oddech (min)): the meal break is empty; write 0 if "
        "there is none.",)
    assert problems(example_file(tmp_path, {"B11": 2000, "B12": 30})) == (
        "časový snímek.xlsx: the work time 1970 min (shift 2000 − meal break 30) is outside 1–1440 min.",)
    assert problems(example_file(tmp_path, {"B11": 30, "B12": 30})) == (
        "časový snímek.xlsx: the work time 0 min (shift 30 − meal break 30) is outside 1–1440 min.",)
    (p,) = problems(example_file(tmp_path, {"A11": "Celková doba"}))  # the label no longer says "Délka směny"
    assert p == "časový snímek.xlsx: the label 'Délka směny (min)' was not found on sheet 'Časový snímek'."


def test_workers_problems(tmp_path):
    found = problems(example_file(tmp_path, {"D16": None, "E16": None}))
    assert found[0] == ("časový snímek.xlsx, row 16: no workers; write the initials of at least one worker in "
                        "D16–G16, above that worker's video column.")
    assert ("časový snímek.xlsx, operation 'Svařování' (row 19): video 'svarovani PK.mp4' is in column D, but D16 "
            "has no worker initials; write the worker's initials there.") in found
    assert problems(example_file(tmp_path, {"F19": "navic.mp4"})) == (
        "časový snímek.xlsx, operation 'Svařování' (row 19): video 'navic.mp4' is in column F, but F16 has no "
        "worker initials; write the worker's initials there.",)
    assert problems(example_file(tmp_path, {"E16": "pk"})) == (
        "časový snímek.xlsx, cells D16 and E16: the worker initials 'pk' appear twice.",)
    assert problems(example_file(tmp_path, {"E19": None})) == (
        "časový snímek.xlsx, operation 'Svařování' (row 19): no video for worker(s) MS; give every worker's video "
        "of the operation, or none for an operation without recorded posture (such as a safety break).",)
    found = problems(example_file(tmp_path, {"F16": "JN"}))
    assert found == ("časový snímek.xlsx: worker JN (column F) has no video in any operation.",)


def test_operations_problems(tmp_path):
    edits = {f"{c}{r}": None for c in "ABCDE" for r in (18, 19, 20)}
    assert problems(example_file(tmp_path, edits)) == (
        "časový snímek.xlsx: no operations under the header 'Operace' (row 17); list the operations of the shift "
        "with their minutes per shift.",)
    assert problems(example_file(tmp_path, {"E19": "svarovani PK.MP4"})) == (
        "časový snímek.xlsx: video 'svarovani PK.MP4' is named twice: operation 'Svařování' (row 19, worker PK) and "
        "operation 'Svařování' (row 19, worker MS); every operation and worker needs its own video.",)
    assert problems(example_file(tmp_path, {"C19": "paže, noha"})) == (
        "časový snímek.xlsx, operation 'Svařování' (row 19): support 'noha' (cell C19) is not known; leave the cell "
        "empty or write trup, hlava or paže, separated by commas.",)
    assert problems(example_file(tmp_path, {"A19": None})) == (
        "časový snímek.xlsx, row 19: an operation without a name; write it in column A ('Operace').",)
    s = parse_time_study(example_file(tmp_path, {"C19": "Trup; HLAVA, paze"}))
    assert s.operations[1].supported == {"trunk", "head", "arm"}


def test_every_problem_at_once(tmp_path):
    found = problems(example_file(tmp_path, {"B18": "dvě hodiny", "C19": "koleno", "E20": "priprava PK.mp4"}))
    assert len(found) == 3
    assert "'Příprava a stehování dílců' (row 18): minutes per shift 'dvě hodiny' is not a number." in found[0]
    assert "support 'koleno'" in found[1]
    assert "video 'priprava PK.mp4' is named twice" in found[2]


def test_check_videos_names_operation_and_worker():
    available = {v for _, _, v in EXAMPLE_STUDY.videos()} - {"svarovani MS.mp4"} | {"svarovani_MS.mp4"}
    assert check_videos(EXAMPLE_STUDY, available) == [
        "časový snímek.xlsx: video 'svarovani MS.mp4' of operation 'Svařování' (worker MS) is not in the folder "
        "(did you mean 'svarovani_MS.mp4'?).",
    ]
    assert check_videos(EXAMPLE_STUDY, {v for _, _, v in EXAMPLE_STUDY.videos()}) == []
    assert len(check_videos(EXAMPLE_STUDY, set())) == 6
    # the same name in another case or Unicode form, or without its extension, is found
    nfd = unicodedata.normalize("NFD", "svařování pk.mp4")
    assert resolve_video("Svařování PK.MP4", {nfd, "x.mp4"}) == nfd
    assert resolve_video("SVAROVANI PK.MP4", {"svarovani PK.mp4"}) == "svarovani PK.mp4"
    assert resolve_video("svarovani PK", {"svarovani PK.mp4", "x.mp4"}) == "svarovani PK.mp4"
    assert resolve_video("svarovani PK", {"svarovani PK.mp4", "svarovani PK.mov"}) is None


@pytest.mark.parametrize(("name", "expected"), [
    ("časový snímek.xlsx", True), ("Časový snímek – svářeč.XLSX", True), ("casovy_snimek_vzor.xlsx", True),
    ("CASOVY SNIMEK lakovna.xlsx", True), ("Time study line 3.xlsx", True), ("časový snímek.xls", False),
    ("~$časový snímek.xlsx", False), ("časový snímek - pozice.xlsx", False), ("snímek.xlsx", False),
    ("casovy snimek.mp4", False), ("casovy snimky.xlsx", False),
])  # fmt: skip
def test_is_time_study_name(name, expected):
    assert is_time_study_name(name) is expected
