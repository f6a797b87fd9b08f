"""The Excel report (openpyxl): Summary, Zones, Holds, Charts, Per-frame angles, Method, Chart data.

Numbers are stored as numbers with number formats (shares as %), so they can be recomputed in Excel.
Charts are native Excel charts: per body part the angle over time (line) over its zone bands
(a stacked area chart, one series per zone, coloured by level: see ``angle_charts``), and a stacked bar
of the time share per level for every body part.

Every sheet has a print setup (A4, fitted to the page width, header and page footer, ``print_setup``);
the raw-data sheets (per-frame angles, chart data) are left out of printing (``no_print``).
"""

from __future__ import annotations

import math
import platform
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
from openpyxl import Workbook
from openpyxl.chart import AreaChart, BarChart, LineChart, Reference
from openpyxl.chart.legend import LegendEntry
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from processor.cleaning import NECK_FLEXION_LIMIT_DEG
from processor.model import ANGLE_COLUMNS
from processor.report_data import ReportData
from processor.report_labels import label, meta_label, part_label, reason_text, record_value, zone_label

FILL = {  # Excel's own "good / neutral / bad" colours
    "acceptable": "C6EFCE", "conditionally_acceptable": "FFEB9C", "conditional": "FFEB9C",
    "unacceptable": "FFC7CE", "not_assessed": "D9D9D9",
}
BAND = {"acceptable": "A9D08E", "conditional": "FFD966", "unacceptable": "F4B084"}
MAX_CHART_POINTS = 1500
PCT = "0.0%"
NUM1 = "0.0"
BOLD = Font(bold=True)


def write_excel(data: ReportData, path: Path) -> Path:
    lang = data.options.lang
    wb = Workbook()
    summary = wb.active
    summary.title = label(lang, "sheet_summary")
    _summary(summary, data, lang)
    _zones(wb.create_sheet(label(lang, "sheet_zones")), data, lang)
    _holds(wb.create_sheet(label(lang, "sheet_holds")), data, lang)
    charts = wb.create_sheet(label(lang, "sheet_charts"))
    _angles(wb.create_sheet(label(lang, "sheet_angles")), data, lang)
    _method(wb.create_sheet(label(lang, "sheet_method")), data, lang)
    chart_data = wb.create_sheet(label(lang, "sheet_chart_data"))
    _charts(charts, chart_data, data, lang)
    header = f"{label(lang, 'title')}: {data.video.name}"
    for ws in wb.worksheets:
        print_setup(ws, lang, landscape=ws.title != summary.title, header=header,
                    fit_height=1 if ws.title == summary.title else 0,
                    title_rows="1:1" if ws in (wb.worksheets[1], wb.worksheets[2]) else None)
    no_print(chart_data)
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    wb.save(tmp)
    tmp.replace(path)  # never leave a half-written report under the final name
    return path



def _verdict_row(ws, r: int, lang: str, name: str, result, bold: bool = False) -> None:
    """One row of the verdict table: a body part, or the overall line (same columns)."""
    verdict = getattr(result, "verdict", None) or result.overall_verdict  # PartResult or the whole analysis
    first, cell = ws.cell(row=r, column=1, value=name), ws.cell(row=r, column=2, value=label(lang, verdict))
    if bold:
        first.font = cell.font = BOLD
    _fill(cell, verdict)
    ws.cell(row=r, column=3, value=result.conditional_shift_min).number_format = NUM1
    ws.cell(row=r, column=4, value=result.unacceptable_shift_min).number_format = NUM1
    ws.cell(row=r, column=5, value=result.analysed_share).number_format = PCT
    ws.cell(row=r, column=6, value="; ".join(reason_text(lang, x) for x in result.reasons))


def _fill(cell, key: str) -> None:
    cell.fill = PatternFill("solid", start_color=FILL.get(key, "FFFFFF"), end_color=FILL.get(key, "FFFFFF"))


def _widths(ws, widths: dict[str, float]) -> None:
    for col, w in widths.items():
        ws.column_dimensions[col].width = w


def _header(ws, row: int, names: list[str]) -> None:
    for c, name in enumerate(names, start=1):
        cell = ws.cell(row=row, column=c, value=name)
        cell.font = BOLD
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _summary(ws, data: ReportData, lang: str) -> None:
    a = data.analysis
    ws["A1"] = label(lang, "title")
    ws["A1"].font = Font(bold=True, size=14)
    rows = [
        ("video", data.video.name, None),
        ("analysed_on", data.analysed_at.replace(tzinfo=None), "yyyy-mm-dd hh:mm"),
        ("duration_s", round(a.duration_s, 2), NUM1),
        ("analysed_share", a.analysed_share, PCT),
        ("person_found", label(lang, "yes" if data.person_found else "no"), None),
        ("standard", data.standard.title_cs if lang == "cs" else data.standard.title, None),
        ("shift_hours", data.options.shift_hours, "0.0"),
        ("angle_source", data.angle_source, None),
    ]
    r = 3
    for key, value, fmt in rows:
        ws.cell(row=r, column=1, value=label(lang, key)).font = BOLD
        cell = ws.cell(row=r, column=2, value=value)
        if fmt:
            cell.number_format = fmt
        r += 1
    notes = list(data.notes)
    if not data.person_found:
        notes.insert(0, label(lang, "no_person"))
    if notes:
        ws.cell(row=r, column=1, value=label(lang, "notes")).font = BOLD
        for note in notes:
            ws.cell(row=r, column=2, value=note)
            r += 1
    r += 1
    _header(ws, r, [label(lang, k) for k in ("body_part", "verdict", "cond_min", "unacc_min", "analysed_share", "reasons")])
    r += 1
    for p in a.parts:
        _verdict_row(ws, r, lang, part_label(lang, p.key), p)
        r += 1
    _verdict_row(ws, r, lang, label(lang, "overall"), a, bold=True)
    r += 2

    # Time share per level and body part, and the stacked bar chart on it.
    ws.cell(row=r, column=1, value=label(lang, "level_share_title")).font = BOLD
    r += 1
    head = r
    _header(ws, r, [label(lang, "body_part"), label(lang, "acceptable"), label(lang, "conditional"),
                    label(lang, "unacceptable")])
    for p in a.parts:
        r += 1
        ws.cell(row=r, column=1, value=part_label(lang, p.key))
        for c, level in enumerate(("acceptable", "conditional", "unacceptable"), start=2):
            share = sum(z.share for z in p.zones if z.effective_level == level)
            ws.cell(row=r, column=c, value=share).number_format = PCT
    if a.parts:
        chart = BarChart()
        chart.type = "bar"
        chart.grouping = "percentStacked"
        chart.overlap = 100
        chart.title = label(lang, "chart_levels")
        chart.add_data(Reference(ws, min_col=2, max_col=4, min_row=head, max_row=r), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=head + 1, max_row=r))
        for series, level in zip(chart.series, ("acceptable", "conditional", "unacceptable")):
            series.graphicalProperties.solidFill = BAND[level]
            series.graphicalProperties.line.solidFill = BAND[level]
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.y_axis.number_format = "0%"
        chart.height, chart.width = 8, 18
        ws.add_chart(chart, f"H{head}")
    _widths(ws, {"A": 34, "B": 28, "C": 18, "D": 18, "E": 16, "F": 70})


def _zones(ws, data: ReportData, lang: str) -> None:
    cols = ["body_part", "zone", "range", "table_level", "level", "time_s", "share", "shift_min",
            "episodes", "longest_hold_s", "holds_over", "frequency"]
    _header(ws, 1, [label(lang, k) for k in cols])
    r = 1
    for p in data.analysis.parts:
        for z in p.zones:
            r += 1
            values = [part_label(lang, p.key), zone_label(lang, z.key), z.interval, label(lang, z.level),
                      label(lang, z.effective_level), z.time_s, z.share, z.shift_min, z.episodes,
                      z.longest_hold_s, z.holds_over_limit, z.frequency_per_min]
            for c, v in enumerate(values, start=1):
                ws.cell(row=r, column=c, value=v)
            _fill(ws.cell(row=r, column=5), z.effective_level)
            for c, fmt in ((6, NUM1), (7, PCT), (8, NUM1), (10, NUM1), (12, "0.00")):
                ws.cell(row=r, column=c).number_format = fmt
    ws.freeze_panes = "A2"
    _widths(ws, {"A": 30, "B": 16, "C": 14, "D": 22, "E": 22, "F": 10, "G": 14, "H": 16, "I": 10,
                 "J": 14, "K": 12, "L": 16})


def _holds(ws, data: ReportData, lang: str) -> None:
    cols = ["body_part", "zone", "level", "start_s", "end_s", "hold_s", "median_angle", "limit_s",
            "over_limit", "static"]
    _header(ws, 1, [label(lang, k) for k in cols])
    r = 1
    for p in data.analysis.parts:
        for h in p.holds:
            r += 1
            values = [part_label(lang, p.key), zone_label(lang, h.zone), label(lang, h.level), h.start_s,
                      h.end_s, h.duration_s, h.median_angle_deg, h.limit_s,
                      label(lang, "yes" if h.over_limit else "no"), label(lang, "yes" if h.static else "no")]
            for c, v in enumerate(values, start=1):
                ws.cell(row=r, column=c, value=v)
            for c in (4, 5, 6, 7, 8):
                ws.cell(row=r, column=c).number_format = NUM1
            if h.over_limit:
                _fill(ws.cell(row=r, column=9), "unacceptable")
    if r == 1:
        ws.cell(row=2, column=1, value=label(lang, "no_holds"))
    ws.freeze_panes = "A2"
    _widths(ws, {"A": 30, "B": 16, "C": 22, "D": 10, "E": 10, "F": 12, "G": 16, "H": 10, "I": 12, "J": 14})


def _angles(ws, data, lang: str) -> None:
    cols = [c for c in ANGLE_COLUMNS if c in data.angles.columns]
    _header(ws, 1, [label(lang, f"col_{c}") for c in cols])
    # Rounded values rather than per-cell number formats: a long video has hundreds of thousands
    # of cells here, and a style per cell costs time and memory (the CSV keeps 3 decimals).
    digits = [3 if c == "time_s" else 2 for c in cols]
    for values in data.angles[cols].itertuples(index=False, name=None):
        ws.append([None if math.isnan(v) else round(float(v), d) for v, d in zip(values, digits)])
    for c in range(1, len(cols) + 1):
        ws.column_dimensions[get_column_letter(c)].width = 14
    ws.freeze_panes = "B2"
    no_print(ws)


def print_setup(ws, lang: str, *, landscape: bool = False, fit_height: int = 0, title_rows: str | None = None,
                header: str = "") -> None:
    """A4, fitted to one page wide (and ``fit_height`` pages high; 0 = as many as needed), the report's
    name in the header and "page N of M" in the footer. Excel and LibreOffice both honour these."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = fit_height
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.print_options.horizontalCentered = True
    if title_rows:
        ws.print_title_rows = title_rows
    if header:
        ws.oddHeader.left.text = header.replace("&", "&&")
        ws.oddHeader.left.size = 8
    ws.oddHeader.right.text = "&A"
    ws.oddHeader.right.size = 8
    ws.oddFooter.center.text = label(lang, "footer_page")
    ws.oddFooter.center.size = 8


def no_print(ws) -> None:
    """Leave a raw-data sheet out of printing: its print area is one empty cell right of the data, and an
    empty page is not printed (LibreOffice's PDF export skips it; the data stays on screen and in the CSV)."""
    ws.print_area = f"{get_column_letter(ws.max_column + 2)}1"


@dataclass(frozen=True)
class ChartSpec:
    """One angle-over-time chart: the series and its zone bands (upper border, level, legend name)."""

    title: str
    values: np.ndarray  # one per row of the time column (already thinned)
    bands: tuple[tuple[float, str, str], ...]  # highest border first
    lo: float
    hi: float


def chart_range(values: np.ndarray, floor_at_zero: bool) -> tuple[float, float] | None:
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return None
    lo = 0.0 if floor_at_zero else min(-30.0, math.floor(finite.min() / 10) * 10)
    return lo, max(90.0, math.ceil(finite.max() / 10) * 10)


def thin(df, column_values: np.ndarray) -> np.ndarray:
    step = max(1, math.ceil(len(df) / MAX_CHART_POINTS))
    return column_values[::step]


def _charts(ws, data_ws, data: ReportData, lang: str) -> None:
    """Per body part: the angle over time on zone bands. The data sits on the chart-data sheet."""
    df = data.angles
    specs = []
    for p in data.analysis.parts:
        part = data.standard.part(p.key)
        y = thin(df, df[part.column].to_numpy(dtype=float)) if len(df) else np.zeros(0)
        if part.absolute:
            y = np.abs(y)
        rng = chart_range(y, part.absolute or "upper_arm" in part.key)
        if rng is None:
            continue
        lo, hi = rng
        bands = tuple((min(z.hi, hi), z.level, f"{zone_label(lang, z.key)} ({label(lang, z.level)})")
                      for z in reversed(part.zones) if z.hi > lo)
        specs.append(ChartSpec(part_label(lang, p.key), y, bands, lo, hi))
    angle_charts(ws, data_ws, df, specs, lang)


def time_format(seconds: float) -> str:
    """The number format of a time axis held as a fraction of a day: mm:ss, or h:mm:ss past an hour."""
    return "[h]:mm:ss" if seconds >= 3600 else "mm:ss"


def angle_charts(ws, data_ws, df, specs: list[ChartSpec], lang: str) -> None:
    """Write the time column and each spec's bands and series to ``data_ws``, the charts to ``ws``.

    The zone bands are a stacked area chart: a transparent base series at the axis minimum, then one
    series per zone holding its thickness (border above minus border below), lowest zone first. Stacked
    areas never overlap, so Excel, LibreOffice and Google Sheets draw the same bands (overlapping
    "standard" areas are drawn in opposite orders by Excel and LibreOffice). The angle is a line over them.
    Times are fractions of a day with an mm:ss format, so the axis reads 00:00, 00:15, ...
    """
    t = thin(df, df["time_s"].to_numpy(dtype=float)) if len(df) else np.zeros(0)
    fmt = time_format(float(t[-1]) if len(t) else 0.0)
    data_ws.cell(row=1, column=1, value=label(lang, "time_axis_mmss"))
    for i, v in enumerate(t, start=2):
        data_ws.cell(row=i, column=1, value=float(v) / 86400.0).number_format = fmt
    col = 2
    anchor_row = 1
    n = len(t)
    for spec in specs:
        first = col
        stack = [(spec.lo, None, label(lang, "chart_base"))]  # transparent: lifts the stack to the axis minimum
        below = spec.lo
        for top, level, name in reversed(spec.bands):  # lowest zone first
            stack.append((top - below, level, name))
            below = top
        for value, _level, name in stack:
            data_ws.cell(row=1, column=col, value=name)
            for i in range(n):
                data_ws.cell(row=i + 2, column=col, value=float(value))
            col += 1
        data_ws.cell(row=1, column=col, value=spec.title)
        for i, v in enumerate(spec.values, start=2):
            data_ws.cell(row=i, column=col, value=None if math.isnan(v) else float(v)).number_format = "0.0"
        cats = Reference(data_ws, min_col=1, min_row=2, max_row=n + 1)

        area = AreaChart()
        area.grouping = "stacked"
        area.overlap = 100
        area.add_data(Reference(data_ws, min_col=first, max_col=col - 1, min_row=1, max_row=n + 1),
                      titles_from_data=True)
        for series, (_, level, _) in zip(area.series, stack):
            if level is None:
                series.graphicalProperties.noFill = True
            else:
                series.graphicalProperties.solidFill = BAND[level]
            series.graphicalProperties.line.noFill = True
        area.set_categories(cats)
        line = LineChart()
        line.add_data(Reference(data_ws, min_col=col, max_col=col, min_row=1, max_row=n + 1),
                      titles_from_data=True)
        line.set_categories(cats)
        s = line.series[0]
        s.graphicalProperties.line.solidFill = "1F4E79"
        s.graphicalProperties.line.width = 15000
        s.smooth = False
        area.title = label(lang, "chart_angle", part=spec.title)
        area.y_axis.title = label(lang, "angle_deg")
        area.x_axis.title = label(lang, "time_axis_mmss")
        area.y_axis.scaling.min = spec.lo
        area.y_axis.scaling.max = spec.hi
        area.x_axis.crosses = "min"
        area.x_axis.tickLblSkip = max(1, n // 8)
        area.x_axis.tickMarkSkip = max(1, n // 8)
        area.x_axis.number_format = fmt
        area.x_axis.txPr = _rotated_labels()  # LibreOffice lays out every label it does not skip
        area.x_axis.delete = False
        area.y_axis.delete = False
        area.legend.position = "b"
        area.legend.legendEntry = [LegendEntry(idx=0, delete=True)]  # the transparent base
        area += line
        area.height, area.width = 8.5, 24
        ws.add_chart(area, f"A{anchor_row}")
        anchor_row += 18
        col += 1


def _rotated_labels():
    """Axis labels at 45°, 8 pt: dense mm:ss labels never overlap."""
    from openpyxl.chart.text import RichText
    from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RichTextProperties

    return RichText(bodyPr=RichTextProperties(rot=-2700000, vert="horz"),
                    p=[Paragraph(pPr=ParagraphProperties(defRPr=CharacterProperties(sz=800)), endParaRPr=CharacterProperties())])


def _versions() -> list[tuple[str, str]]:
    out = [("python", platform.python_version())]
    for dist in ("ergo-hotfolder", "mediapipe", "opencv-contrib-python", "numpy", "pandas", "scipy",
                 "openpyxl", "torch", "smplx"):
        try:
            out.append((dist, metadata.version(dist)))
        except metadata.PackageNotFoundError:
            continue
    return out


class MethodSheet:
    """Writes the Method sheet top to bottom: headed sections of (name, value) rows."""

    def __init__(self, ws, lang: str):
        self.ws, self.lang, self.r = ws, lang, 1

    def section(self, key: str) -> None:
        self.r += 1
        self.ws.cell(row=self.r, column=1, value=label(self.lang, key)).font = Font(bold=True, size=12)
        self.r += 1

    def row(self, name: str, value) -> None:
        wrap = Alignment(wrap_text=True, vertical="top")
        self.ws.cell(row=self.r, column=1, value=name).alignment = wrap
        self.ws.cell(row=self.r, column=2, value=value).alignment = wrap
        self.r += 1


def record(sheet: MethodSheet, lang: str, meta: dict) -> None:
    """The processing record (pose, cleaning, vertical...): names and sentences from the label tables."""
    for key, value in sorted(meta.items()):
        if isinstance(value, (int, float, str)):
            sheet.row(meta_label(lang, key), record_value(lang, value))


def _method(ws, data: ReportData, lang: str) -> None:
    o = data.options
    std = data.standard
    sheet = MethodSheet(ws, lang)
    section, row = sheet.section, sheet.row

    section("method_software")
    for name, version in _versions():
        row(name, version)
    section("method_settings")
    row(label(lang, "standard"), std.name)
    row(label(lang, "quality"), o.quality)
    row(label(lang, "lang"), o.lang)
    row(label(lang, "shift_hours"), o.shift_hours)
    row(label(lang, "camera_pitch"), o.camera_pitch_deg if o.camera_pitch_deg is not None else "—")
    row(label(lang, "body_model"), str(o.body_model) if o.body_model else "—")
    section("method_standard")
    row(label(lang, "standard"), std.title_cs if lang == "cs" else std.title)
    row(label(lang, "source"), std.source_cs if lang == "cs" and std.source_cs else std.source)
    if std.source_url:
        row(label(lang, "source_url"), std.source_url)
    lim = std.shift_limits
    for key, value in (("conditional_max_min", lim.conditional_max_min), ("unacceptable_max_min", lim.unacceptable_max_min),
                       ("combined_max_share", lim.combined_max_share)):
        if value is not None:
            row(label(lang, key), value)
    section("method_parts")
    for part in std.parts:
        zones = ", ".join(f"{zone_label(lang, z.key)} {z.interval_text()} = {label(lang, z.level)}" for z in part.zones)
        row(part_label(lang, part.key), f"{label(lang, 'part_column')} {label(lang, 'col_' + part.column)}: {zones}"
            + (f". {part.note_cs if lang == 'cs' and part.note_cs else part.note}" if part.note else ""))
    section("method_angles")
    row(label(lang, "angle_source"), data.angle_source)
    record(sheet, lang, data.meta)
    row(label(lang, "extrapolation"), label(lang, "extrapolation_text"))
    row(label(lang, "not_analysed"), label(lang, "nan_text", neck_limit=NECK_FLEXION_LIMIT_DEG))
    section("method_not_assessed")
    for note in (std.not_assessed_cs if lang == "cs" and std.not_assessed_cs else std.not_assessed):
        row("", note)
    section("method_limits")
    for key in ("limit_mono", "limit_support", "limit_vertical", "limit_neck", "limit_sample"):
        row("", label(lang, key))
    _widths(ws, {"A": 32, "B": 120})
