"""The reports as a lab prints them (issue 17): a worked example of the per-video workbook and of the
position workbook, converted to PDF with headless LibreOffice; the summary is one A4 page, raw data is
not printed, the charts' series are in drawing order and no visible cell is left in English in a Czech
workbook. The first pages are rendered as PNG into test-artifacts/ for a person to look at."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

from processor.keyframes import Keyframe, encode
from processor.model import ANGLE_COLUMNS, AnalysisOptions
from processor.nv361.category import work_time
from processor.nv361.evaluate import evaluate_and_assess
from processor.nv361.position import evaluate_position, write_position_workbook
from processor.report_catalogue import CatalogueReportData, write_catalogue_excel
from processor.report_data import ProtocolFields
from processor.report_labels import LABELS
from tests.processor.angle_tables import make_angles
from tests.processor.test_position import study, summaries_450

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "report_print"
CLIP = ROOT / "tests" / "data" / "synthetic" / "bodyA_front.mp4"
PROTOCOL = ProtocolFields(company="Strojírny Vzor s.r.o.", ico="12345678", position="Lisař", workplace="Lisovna, hala 2",
                          workers="PK", date="2025-03-12", measured_by="Ing. Jana Nováková",
                          time_study="casovy snimek lisovna.xlsx")


def _still() -> np.ndarray:
    import cv2

    cap = cv2.VideoCapture(str(CLIP))
    cap.set(cv2.CAP_PROP_POS_MSEC, 3000)
    ok, frame = cap.read()
    cap.release()
    assert ok
    return frame


def worked_example(out: Path, lang: str, front_legs_hidden: bool = False) -> Path:
    """Five minutes: trunk over 60° for 30 s, 40–60° for 10 s, the right arm over 60° for a minute, the head
    over 25° at the end; three rows set category 3, each with a keyframe. Filmed from the side, or with
    ``front_legs_hidden`` from the front behind a bench (the longest uncertainty statement: the legs-hidden
    errors and the advice to film from the side)."""
    hidden = {"knee_flexion_left_deg": np.nan, "knee_flexion_right_deg": np.nan} if front_legs_hidden else {}
    df = make_angles(
        300, camera_azimuth_deg=0.0 if front_legs_hidden else 90.0, **hidden,
        trunk_flexion_deg=lambda t: np.where((t >= 100) & (t < 130), 70.0, np.where((t >= 200) & (t < 210), 50.0, 5.0)),
        upper_arm_elevation_right_deg=lambda t: np.where((t >= 20) & (t < 80), 75.0, 20.0),
        head_inclination_deg=lambda t: np.where(t > 250, 35.0, 10.0),
    )  # fmt: skip
    result, assessment = evaluate_and_assess(df, work_time(480, "default"))
    still = _still()
    jpeg = encode(still)
    keyframes = tuple(Keyframe(rid, result.row(rid).row.text_cs, result.row(rid).row.text_en, result.row(rid).row.signal,
                               101.5, 72.0, jpeg, still.shape[1], still.shape[0], True) for rid in assessment.deciding)
    data = CatalogueReportData(
        video=Path("lis 2.mp4"), info=None, analysed_at=datetime(2025, 3, 12, 9, 30, tzinfo=timezone.utc),
        options=AnalysisOptions(lang=lang), result=result, assessment=assessment, angles=df, person_found=True,
        measured_share={"trunk": 1.0, "neck": 0.98, "arm_left": 0.9, "arm_right": 0.95, "legs": 1.0},
        protocol=PROTOCOL, keyframes=keyframes,
    )  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    return write_catalogue_excel(data, out / f"lis 2 - ergonomics-{lang}.xlsx")


def position_example(out: Path, lang: str) -> Path:
    res = evaluate_position(study(480.0, (200.0, 150.0, 100.0)), summaries_450())
    out.mkdir(parents=True, exist_ok=True)
    return write_position_workbook(res, out / f"pozice-{lang}.xlsx", lang=lang)


def to_pdf(paths: list[Path], out: Path) -> list[Path]:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    assert exe, "LibreOffice (Debian libreoffice-calc-nogui) is installed by `make test`"
    subprocess.run([exe, "--headless", f"-env:UserInstallation=file://{out}/profile", "--convert-to", "pdf",
                    "--outdir", str(out), *map(str, paths)], check=True, capture_output=True, timeout=240)
    return [out / (p.stem + ".pdf") for p in paths]


def page_sheets(pdf: Path, sheets: list[str]) -> list[str]:
    """The sheet each printed page comes from (every page's header names its sheet, top right)."""
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                                                             check=True).stdout).group(1))
    out = []
    for p in range(1, pages + 1):
        text = subprocess.run(["pdftotext", "-f", str(p), "-l", str(p), str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
        lines = {line.strip() for line in text.splitlines()}
        out.append(next((s for s in sheets if s in lines), "?"))
    return out


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    out = tmp_path_factory.mktemp("print")
    books = [worked_example(out, "cs"), position_example(out, "cs"), worked_example(out, "en", front_legs_hidden=True)]
    pdfs = to_pdf(books, out)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for pdf in pdfs:  # the pages, for a person to look at
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(ARTIFACTS / pdf.stem)], check=True)
    return dict(zip(("cs", "position", "en"), zip(books, pdfs)))


def test_summary_is_one_page_and_raw_data_is_not_printed(printed):
    for lang in ("cs", "en"):
        book, pdf = printed[lang]
        sheets = load_workbook(book).sheetnames
        pages = page_sheets(pdf, sheets)
        summary, catalogue, keyframes, episodes, charts, angles, method, chart_data = sheets
        assert pages[0] == summary and pages.count(summary) == 1, pages
        assert "?" not in pages, pages
        for raw in (episodes, angles, chart_data):
            assert raw not in pages, pages
        for shown in (catalogue, keyframes, charts, method):
            assert shown in pages, pages
        assert len(pages) <= 10  # the report printed as 57 pages before
        if lang == "en":  # the longest statement still fits the Summary's page
            text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True,
                                  text=True).stdout
            assert "film from the side" in " ".join(text.split()) and "Signature:" in text
        assert (ARTIFACTS / f"{pdf.stem}-1.png").exists() or (ARTIFACTS / f"{pdf.stem}-01.png").exists()


def test_position_protocol_is_one_page(printed):
    book, pdf = printed["position"]
    pages = page_sheets(pdf, load_workbook(book).sheetnames)
    assert pages[0] == "Protokol" and pages.count("Protokol") == 1, pages
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Podpis:" in text and "Nejistota měření" in text


def test_every_sheet_has_a_print_setup(tmp_path):
    for path in (worked_example(tmp_path, "cs"), position_example(tmp_path, "cs")):
        for ws in load_workbook(path).worksheets:
            assert int(ws.page_setup.paperSize) == 9 and ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
            assert "&P" in ws.oddFooter.center.text, ws.title


def test_chart_series_are_stacked_bands_in_drawing_order_then_the_angle(tmp_path):
    path = worked_example(tmp_path, "cs")
    with zipfile.ZipFile(path) as z:
        charts = sorted(n for n in z.namelist() if re.match(r"xl/charts/chart\d+\.xml$", n))
        assert charts
        xml = z.read(charts[0]).decode("utf-8")
    area = xml[xml.index("<areaChart>"):xml.index("</areaChart>")]
    assert '<grouping val="stacked" />' in area  # bands never overlap: same picture in Excel and LibreOffice
    series = re.findall(r'<ser><idx val="\d+" /><order val="(\d+)" /><tx><strRef><f>(.*?)</f>', xml)
    orders = [int(o) for o, _ in series]
    assert orders == sorted(orders) and len(orders) == len(set(orders))
    assert xml.index("</areaChart>") < xml.index("<lineChart>")  # the angle is drawn over the bands
    data_ws = load_workbook(path)["Data grafů"]
    names = [data_ws[ref.split("!")[1].replace("$", "")].value for _, ref in series]
    # trunk flexion: the transparent base, then extension, neutral, 40–60°, > 60° (lowest first), then the angle
    assert names[0] == "(osa)" and names[-1] == "Předklon trupu", names
    assert [n.split(" (")[0] for n in names[1:-1]] == ["záklon / zapažení", "neutrální", "40–60°", "> 60°"]
    wb = load_workbook(path)
    data = wb["Data grafů"]
    t = data.cell(3, 1).value  # a time of day for openpyxl: the second frame at 0.2 s
    assert data.cell(2, 1).number_format == "mm:ss" and (t.minute, t.second, t.microsecond) == (0, 0, 200000)
    col = [c.value for c in data[1]].index("> 60° (nepřijatelná)") + 1
    assert data.cell(2, col).value == pytest.approx(90 - 60)  # a band's thickness, stacked on the one below


def _visible_cells(path: Path):
    wb = load_workbook(path)
    for ws in wb.worksheets:
        hidden = {k for k, d in ws.column_dimensions.items() if d.hidden}
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.column_letter not in hidden and not cell.value.startswith("="):
                    yield ws.title, cell.coordinate, cell.value


def test_czech_workbooks_have_no_english_or_variable_names(tmp_path):
    en, cs = LABELS["en"], LABELS["cs"]
    english = {v for k, v in en.items() if isinstance(v, str) and v != cs.get(k) and "{" not in v and len(v) > 2}
    names = set(ANGLE_COLUMNS) | {"conditional_max_min", "unacceptable_max_min", "combined_max_share"}
    for path in (worked_example(tmp_path, "cs"), position_example(tmp_path, "cs")):
        bad = [(s, c, v) for s, c, v in _visible_cells(path) if v in english or v in names]
        assert not bad, bad
    # and the other way round: nothing Czech-only in the English workbook's labels
    czech = {v for k, v in cs.items() if isinstance(v, str) and v != en.get(k) and "{" not in v and len(v) > 2}
    bad = [(s, c, v) for s, c, v in _visible_cells(worked_example(tmp_path, "en")) if v in czech]
    assert not bad, bad


def test_label_tables_are_complete():
    assert set(LABELS["en"]) == set(LABELS["cs"])
    assert all(LABELS["cs"][k] for k in LABELS["cs"])
