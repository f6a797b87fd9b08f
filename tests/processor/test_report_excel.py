"""The workbook, opened back with openpyxl: sheets, numbers as numbers, charts, Czech labels."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

from processor.model import ANGLE_COLUMNS, AnalysisOptions
from processor.report_csv import write_csv
from processor.report_data import ReportData
from processor.report_excel import write_excel
from processor.report_labels import label
from processor.standards import load_standard
from processor.time_analysis import analyse_times
from tests.processor.angle_tables import make_angles


def report(tmp_path: Path, lang="en", standard="iso11226-shift", person=True, df=None) -> Path:
    if df is None:
        df = make_angles(
            60, fps=10,
            trunk_flexion_deg=lambda t: np.where(t < 20, 5.0, np.where(t < 40, 45.0, 75.0)),
            upper_arm_elevation_right_deg=lambda t: 90 + 80 * np.sin(t / 3),
        )
        df.loc[(df.time_s >= 10) & (df.time_s < 12), "upper_arm_elevation_left_deg"] = np.nan
    std = load_standard(standard)
    data = ReportData(
        video=Path("Linka 3 – balení.mp4"), info=None, analysed_at=datetime(2026, 11, 22, 6, 0, tzinfo=timezone.utc),
        options=AnalysisOptions(lang=lang, standard=standard), standard=std,
        analysis=analyse_times(df, std, duration_s=float(df.time_s.max() + 0.1) if len(df) else 1.0),
        angles=df, person_found=person, meta={"fit_residual_mm": 12.5},
    )
    return write_excel(data, tmp_path / f"report-{lang}.xlsx")


def find_row(ws, col: int, text: str) -> int:
    for row in ws.iter_rows(min_col=col, max_col=col):
        if row[0].value == text:
            return row[0].row
    raise AssertionError(f"{text!r} not in column {col} of {ws.title}")


def test_sheets_numbers_and_formats(tmp_path):
    wb = load_workbook(report(tmp_path))
    assert wb.sheetnames == ["Summary", "Zones", "Holds", "Charts", "Per-frame angles", "Method", "Chart data"]
    zones = wb["Zones"]
    header = [c.value for c in zones[1]]
    assert header[:3] == ["Body part", "Zone", "Range"]
    rows = [row for row in zones.iter_rows(min_row=2, values_only=False) if row[0].value == "Trunk (forward bend)"]
    by_zone = {row[1].value: row for row in rows}
    assert set(by_zone) == {"backward", "neutral", "moderate", "severe"}
    moderate = by_zone["moderate"]
    assert isinstance(moderate[5].value, (int, float)) and moderate[5].value == pytest.approx(20.0)  # seconds
    assert moderate[6].value == pytest.approx(20 / 60) and moderate[6].number_format == "0.0%"
    assert isinstance(moderate[8].value, int)  # episodes
    summary = wb["Summary"]
    assert summary["B3"].value == "Linka 3 – balení.mp4"
    share_row = find_row(summary, 1, "Analysed share of the video")
    assert summary.cell(share_row, 2).value == pytest.approx(1.0)
    assert summary.cell(share_row, 2).number_format == "0.0%"
    overall = find_row(summary, 1, "Overall")
    assert summary.cell(overall, 2).value == "unacceptable"
    assert summary.cell(overall, 2).fill.start_color.rgb.endswith("FFC7CE")  # red
    angles = wb["Per-frame angles"]
    # column headers for people, not variable names (the CSV keeps the names)
    assert [c.value for c in angles[1]] == [label("en", f"col_{c}") for c in ANGLE_COLUMNS]
    assert angles.cell(1, 2).value == "Trunk flexion (°)"
    assert angles.max_row == 601
    left = list(ANGLE_COLUMNS).index("upper_arm_elevation_left_deg") + 1
    assert angles.cell(102, left).value is None  # t = 10.0 s: not measured -> empty, not 0
    assert angles.cell(2, left).value == 0.0
    holds = wb["Holds"]
    assert holds.max_row >= 3 and holds.cell(2, 6).value == pytest.approx(20.0)
    method = wb["Method"]
    texts = [c.value for c in method["B"] if c.value]
    assert any("361/2007" in str(t) for t in texts)
    assert "fit_residual_mm" in [c.value for c in method["A"]]


def test_native_charts_are_present(tmp_path):
    wb = load_workbook(report(tmp_path))
    charts = wb["Charts"]._charts
    # one angle-over-time chart per measured body part (7 in NV 361), each an area (bands) + a line
    assert len(charts) == 7
    assert len(wb["Summary"]._charts) == 1  # stacked time-per-level bars
    bar = wb["Summary"]._charts[0]
    assert bar.grouping == "percentStacked" and len(bar.series) == 3


def test_czech_labels(tmp_path):
    wb = load_workbook(report(tmp_path, lang="cs"))
    assert wb.sheetnames[:3] == ["Souhrn", "Pásma", "Výdrže"]
    summary = wb["Souhrn"]
    assert summary["A1"].value == "Ergonomické hodnocení pracovních poloh"
    overall = find_row(summary, 1, "Celkově")
    assert summary.cell(overall, 2).value == "nepřijatelná"
    assert find_row(summary, 1, "Trup (předklon)")
    assert find_row(wb["Pásma"], 1, "Pravá paže (zvednutí)")


def test_a_report_without_a_person_says_so(tmp_path):
    df = make_angles(10, **{c: np.nan for c in ANGLE_COLUMNS if c != "time_s"})
    wb = load_workbook(report(tmp_path, person=False, df=df))
    summary = wb["Summary"]
    texts = [c.value for c in summary["B"] if c.value]
    assert "No person was found in the video, so no posture could be assessed." in texts
    assert summary.cell(find_row(summary, 1, "Overall"), 2).value == "not assessed"
    assert wb["Charts"]._charts == []


def test_the_csv_has_the_contract_columns_and_empty_cells_for_nan(tmp_path):
    df = make_angles(1, trunk_flexion_deg=lambda t: np.where(t < 0.5, np.nan, 12.3456))
    path = write_csv(df, tmp_path / "a.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].split(",") == list(ANGLE_COLUMNS)
    assert lines[1].split(",")[1] == "" and lines[-1].split(",")[1] == "12.346"


def test_every_label_exists_in_both_languages():
    from processor.report_labels import LABELS

    assert set(LABELS["en"]) == set(LABELS["cs"])
    assert all(LABELS["cs"][k] for k in LABELS["cs"])
