"""The per-video workbook under the NV 361/2007 catalogue: Summary, Catalogue, Episodes, Charts,
Per-frame angles, Method, Chart data.

The work time is an input cell on the Summary sheet: every row's minutes per shift, its category limits
(table 8) and category on the Catalogue sheet are formulas on it, so a lab can enter its own work time
in Excel or LibreOffice. The summary JSON carries the same numbers computed for the stated work time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname

from processor import episodes as rules
from processor import sufficiency as suf
from processor.accuracy import LEGS_HIDDEN_STATED, legs_hidden_error_table, legs_hidden_share, side_view_trunk_error, view_error_table
from processor.cleaning import NECK_FLEXION_LIMIT_DEG
from processor.model import AnalysisOptions, VideoInfo
from processor.nv361 import SOURCE, SOURCE_URL, TITLE
from processor.nv361 import signals as sig
from processor.nv361.category import BASE_LIMITS_MIN
from processor.nv361.evaluate import Assessment, CatalogueResult, sentence
from processor.keyframes import Keyframe, write_keyframes_sheet
from processor.report_data import ProtocolFields, protocol_fields
from processor.report_excel import (
    BOLD, FILL, NUM1, PCT, ChartSpec, MethodSheet, _angles, _fill, _header, _versions, _widths, angle_charts,
    chart_range, no_print, print_setup, record, thin,
)  # fmt: skip
from processor.report_labels import borderline_mark, freq_label, label, range_text

INPUT_FILL = PatternFill("solid", start_color="FFFF99", end_color="FFFF99")
CATEGORY_FILL = {1: FILL["acceptable"], 2: FILL["conditionally_acceptable"], 3: FILL["unacceptable"]}
WRAP = Alignment(wrap_text=True, vertical="top")


@dataclass(frozen=True)
class CatalogueReportData:
    video: Path
    info: VideoInfo | None
    analysed_at: datetime
    options: AnalysisOptions
    result: CatalogueResult
    assessment: Assessment
    angles: pd.DataFrame
    person_found: bool
    angle_source: str = "mediapipe"
    meta: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    measured_share: dict[str, float] = field(default_factory=dict)
    protocol: ProtocolFields | None = None  # None: from a time study beside the video, else empty fields
    keyframes: tuple[Keyframe, ...] = ()  # processor.keyframes: the worst moments, faces blurred

    @property
    def view(self) -> str:
        """The camera's view of the person for most of the video (processor.accuracy)."""
        from processor.accuracy import main_view

        if "camera_azimuth_deg" not in self.angles.columns:
            return "unknown"
        return main_view(self.angles["camera_azimuth_deg"].to_numpy(dtype=float))

    @property
    def legs_hidden_share(self) -> float:
        """The share of the measured frames with the legs hidden (processor.accuracy)."""
        return legs_hidden_share(self.angles)


def write_catalogue_excel(data: CatalogueReportData, path: Path) -> Path:
    lang = data.options.lang
    wb = Workbook()
    summary = wb.active
    summary.title = label(lang, "sheet_summary")
    catalogue = wb.create_sheet(label(lang, "sheet_catalogue"))
    work_cell, coef_cell = _summary_head(summary, data, lang)
    rows_at = _catalogue(catalogue, data, lang, f"{quote_sheetname(summary.title)}!{work_cell}",
                         f"{quote_sheetname(summary.title)}!{coef_cell}")
    _summary_rows(summary, data, lang, catalogue.title, rows_at)
    keyframes = wb.create_sheet(label(lang, "sheet_keyframes"))
    write_keyframes_sheet(keyframes, data.keyframes, lang, blurred=data.options.blur_faces,
                          deciding=data.assessment.category is not None and data.assessment.category > 1)
    episodes = wb.create_sheet(label(lang, "sheet_episodes"))
    _episodes(episodes, data, lang)
    charts = wb.create_sheet(label(lang, "sheet_charts"))
    _angles(wb.create_sheet(label(lang, "sheet_angles")), data, lang)
    _method(wb.create_sheet(label(lang, "sheet_method")), data, lang)
    chart_data = wb.create_sheet(label(lang, "sheet_chart_data"))
    angle_charts(charts, chart_data, data.angles, _chart_specs(data, lang), lang)
    header = f"{label(lang, 'title_catalogue')}: {data.video.name}"
    for ws in wb.worksheets:
        print_setup(ws, lang, landscape=ws in (catalogue, charts), header=header,
                    fit_height=1 if ws is summary else 0, title_rows="1:1" if ws is catalogue else None)
    no_print(episodes)
    no_print(chart_data)
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    wb.save(tmp)
    tmp.replace(path)
    return path


# The Summary sheet is one A4 page: seven columns, the long texts merged across B:G (or A:G).
_SUMMARY_WIDTHS = {"A": 40, "B": 20, "C": 16, "D": 6, "E": 10, "F": 9, "G": 12}
_LAST = "G"


def _section(ws, row: int, key: str, lang: str) -> None:
    ws.cell(row=row, column=1, value=label(lang, key)).font = Font(bold=True, size=12)
    for c in range(1, 8):
        ws.cell(row=row, column=c).border = Border(bottom=Side(style="thin", color="808080"))


def _pair(ws, row: int, name: str, value, fmt: str | None = None, merge: bool = True) -> None:
    ws.cell(row=row, column=1, value=name).font = BOLD
    cell = ws.cell(row=row, column=2, value=value)
    cell.alignment = Alignment(horizontal="left", vertical="top")
    if fmt:
        cell.number_format = fmt
    if merge:
        ws.merge_cells(f"B{row}:{_LAST}{row}")


def camera_text(data: CatalogueReportData, lang: str) -> str:
    return label(lang, f"view_{data.view}")


def _summary_head(ws, data: CatalogueReportData, lang: str) -> tuple[str, str]:
    """Title, the protocol's metadata, the video, the work-time input; returns the addresses of the
    work-time and coefficient cells."""
    r = data.result
    _widths(ws, _SUMMARY_WIDTHS)
    ws["A1"] = label(lang, "title_catalogue")
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells(f"A1:{_LAST}1")
    ws["A2"] = f"{label(lang, 'summary_standard')}: {TITLE.get(lang, TITLE['en'])}"
    ws["A2"].font = Font(italic=True, color="595959")
    ws.merge_cells(f"A2:{_LAST}2")
    row = 4
    _section(ws, row, "meta_block", lang)
    row += 1
    p = data.protocol if data.protocol is not None else protocol_fields(data.video)
    fields = [("company", p.company), ("ico", p.ico), ("position", p.position), ("workplace", p.workplace),
              ("workers", p.workers), ("date", p.date), ("measured_by", p.measured_by),
              ("camera", camera_text(data, lang))]
    if p.time_study:
        fields.append(("time_study", p.time_study))
    for key, value in fields:
        _pair(ws, row, label(lang, f"meta_{key}"), value or None)
        for c in range(2, 8):  # an empty field is a line to write on
            ws.cell(row=row, column=c).border = Border(bottom=Side(style="hair", color="A6A6A6"))
        row += 1
    row += 1
    _section(ws, row, "measurement_block", lang)
    row += 1
    supported = ", ".join(sorted(data.result.supported)) or label(lang, "none")
    parts = ", ".join(f"{label(lang, f'mpart_{k}')} {v:.0%}" for k, v in data.measured_share.items())
    rows = [
        ("video", data.video.name, None),
        ("analysed_on", data.analysed_at.replace(tzinfo=None), "yyyy-mm-dd hh:mm"),
        ("duration_s", round(r.duration_s, 2), NUM1),
        ("analysed_s", round(r.analysed_s, 2), NUM1),
        ("analysed_share", min(1.0, r.analysed_s / r.duration_s) if r.duration_s > 0 else 0.0, PCT),
        ("person_found", label(lang, "yes" if data.person_found else "no"), None),
        ("supported_marks", supported, None),
    ]
    for key, value, fmt in rows:
        _pair(ws, row, label(lang, key), value, fmt)
        row += 1
    if parts:
        _pair(ws, row, label(lang, "measured_parts"), parts)
        row += 1
    notes = list(data.notes)
    if not data.person_found:
        notes.insert(0, label(lang, "no_person"))
    for note in notes:
        _pair(ws, row, label(lang, "notes"), note)
        _fit(ws, row, note, 73)
        row += 1
    row += 1
    w = data.assessment.work
    ws.cell(row=row, column=1, value=label(lang, "work_minutes")).font = BOLD
    work = ws.cell(row=row, column=2, value=w.minutes)
    work.fill = INPUT_FILL
    work.number_format = "0"
    work.alignment = Alignment(horizontal="left")
    work_addr = f"$B${row}"
    src = label(lang, f"work_source_{w.source}") if w.source != "setting" else label(lang, "work_source_setting")
    _pair(ws, row + 1, label(lang, "work_source"), src)
    _fit(ws, row + 1, src, 73)
    ws.cell(row=row + 2, column=1, value=label(lang, "coefficient")).font = BOLD
    # Table 8 as a formula on the input cell (see processor.nv361.category.table8_coefficient).
    x = work_addr
    coef = ws.cell(row=row + 2, column=2, value=(
        f"=IF({x}<480,MAX(0.8,0.8+0.025*INT(({x}-240)/30)),IF({x}=480,1,IF({x}<510,1.025,"
        f"MIN(1.2,1.05+0.025*INT(({x}-510)/30)))))"))
    coef.number_format = "0.000"
    coef.alignment = Alignment(horizontal="left")
    if not w.in_table:
        ws.cell(row=row + 2, column=3, value=label(lang, "table8_out"))
    ws._hf_next_row = row + 4  # where the result block starts
    return work_addr, f"$B${row + 2}"


def _fit(ws, row: int, text: str, width_chars: float) -> None:
    """A row tall enough for ``text`` wrapped in ``width_chars`` (openpyxl does not measure text)."""
    lines = max(1, -(-len(str(text)) // int(width_chars)))
    if lines > 1:
        ws.row_dimensions[row].height = max(ws.row_dimensions[row].height or 15, 14 * lines + 2)
    for c in range(1, 8):
        cell = ws.cell(row=row, column=c)
        if cell.value is not None:
            cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal=cell.alignment.horizontal)


def _summary_rows(ws, data: CatalogueReportData, lang: str, catalogue_title: str, rows_at: dict[str, int]) -> None:
    """The result: the proposed category (a formula on the catalogue sheet), the sentence, the rows that
    occurred with minutes, N/PP, category and borderline marks; the uncertainty; the signature block."""
    a = data.assessment
    row = ws._hf_next_row
    _section(ws, row, "result_block", lang)
    row += 1
    cat_ref = quote_sheetname(catalogue_title)
    cat_col = get_column_letter(_COLS.index("category") + 1)
    first, last = min(rows_at.values()), max(rows_at.values())
    ws.cell(row=row, column=1, value=label(lang, "category")).font = Font(bold=True, size=12)
    # Too little or too holey data: no category at all, not a formula that could compute one.
    formula = f"=MAX({cat_ref}!{cat_col}{first}:{cat_col}{last})"
    cell = ws.cell(row=row, column=2, value=label(lang, "no_category") if a.withheld else formula)
    cell.font = Font(bold=True, size=12)
    cell.alignment = Alignment(horizontal="left")
    if a.category:
        cell.fill = PatternFill("solid", start_color=CATEGORY_FILL[a.category], end_color=CATEGORY_FILL[a.category])
    row += 1
    ws.cell(row=row, column=1, value=label(lang, "assessment")).font = BOLD
    ws.cell(row=row, column=1).alignment = WRAP
    for_work = "" if a.withheld else f" {label(lang, 'assessment_for', minutes=a.work.minutes)}"
    _long_text(ws, row, f"{sentence(a, lang)}{for_work}")
    row += 1
    k = a.work.coefficient
    ws.cell(row=row, column=1, value=label(lang, "summary_rule")).font = BOLD
    ws.cell(row=row, column=1).alignment = WRAP
    _long_text(ws, row, label(lang, "summary_rule_text", pp=a.pp_minutes, pp_lim=160 * k, n=a.n_minutes,
                              n_lim=30 * k, half=a.work.minutes / 2))
    row += 2
    ws.cell(row=row, column=1, value=label(lang, "rows_occurred")).font = Font(bold=True, size=12)
    row += 1
    occurred = [r for r in data.result.rows if r.seconds > 0]
    if not occurred:
        ws.cell(row=row, column=1, value=label(lang, "no_rows_occurred"))
    else:
        _header(ws, row, [label(lang, k) for k in ("legal_text", "part", "work", "class", "col_minutes_shift",
                                                    "col_category", "borderline")])
        ws.row_dimensions[row].height = 30
        by_id = {ra.row.id: ra for ra in a.rows}
        for r in occurred:
            row += 1
            at = rows_at[r.row.id]
            ws.cell(row=row, column=1, value=r.row.text_cs).alignment = WRAP
            ws.cell(row=row, column=2, value=_part(r.row.part, lang)).alignment = WRAP
            ws.cell(row=row, column=3, value=_work_text(r.row, lang)).alignment = WRAP
            ws.cell(row=row, column=4, value=r.row.row_class)
            minutes = ws.cell(row=row, column=5, value=f"={cat_ref}!{get_column_letter(_COLS.index('minutes') + 1)}{at}")
            minutes.number_format = NUM1
            ws.cell(row=row, column=6, value=f"={cat_ref}!{cat_col}{at}")
            ra = by_id[r.row.id]
            if ra.category:
                _fill(ws.cell(row=row, column=6), {1: "acceptable", 2: "conditionally_acceptable", 3: "unacceptable"}[ra.category])
            if ra.borderline:
                ws.cell(row=row, column=7, value=borderline_mark(lang, ra))
                _fill(ws.cell(row=row, column=7), "conditionally_acceptable")
            for c in range(1, 8):
                cell = ws.cell(row=row, column=c)
                cell.border = thin_box()
                cell.alignment = Alignment(wrap_text=c <= 3, vertical="top", horizontal=cell.alignment.horizontal)
            lines = max(-(-len(r.row.text_cs) // 40), -(-len(_part(r.row.part, lang)) // 19), 1)
            if lines > 1:
                ws.row_dimensions[row].height = 14 * lines + 2
    row += 2
    _section(ws, row, "uncertainty_block", lang)
    row += 1
    errors = view_error_table(data.view)
    text = label(lang, "uncertainty_statement", view=camera_text(data, lang), trunk=errors["trunk_flexion_deg"],
                 head=errors["head_inclination_deg"], arm=errors["upper_arm_elevation_left_deg"],
                 seconds=data.result.analysed_s)
    if data.legs_hidden_share >= LEGS_HIDDEN_STATED:
        hidden = legs_hidden_error_table(data.view)
        text += " " + label(lang, "uncertainty_legs_hidden", share=data.legs_hidden_share,
                            trunk=hidden["trunk_flexion_deg"], head=hidden["head_inclination_deg"],
                            arm=hidden["upper_arm_elevation_left_deg"])
    side = side_view_trunk_error(data.view)
    if side is not None:
        text += " " + label(lang, "uncertainty_film_side", side=side)
    ws.cell(row=row, column=1, value=text).alignment = WRAP
    ws.merge_cells(f"A{row}:{_LAST}{row}")
    ws.row_dimensions[row].height = 14 * max(1, -(-len(text) // 105)) + 4
    row += 2
    _section(ws, row, "signature_block", lang)
    for key in ("sig_name", "sig_date", "sig_signature"):
        row += 1
        ws.cell(row=row, column=1, value=f"{label(lang, key)}:").font = BOLD
        ws.cell(row=row, column=1).alignment = Alignment(horizontal="right", vertical="bottom")
        for c in (2, 3, 4):
            ws.cell(row=row, column=c).border = Border(bottom=Side(style="thin", color="000000"))
        ws.row_dimensions[row].height = 28
    ws.print_area = f"A1:{_LAST}{row}"


def thin_box() -> Border:
    s = Side(style="thin", color="A6A6A6")
    return Border(left=s, right=s, top=s, bottom=s)


def _long_text(ws, row: int, text: str, width_chars: int = 70) -> None:
    """Wrapped text in columns B:G (merged) with a row tall enough for it (Excel does not grow rows that
    openpyxl writes, and LibreOffice draws the overflow over the next row)."""
    ws.cell(row=row, column=2, value=text).alignment = WRAP
    ws.merge_cells(f"B{row}:{_LAST}{row}")
    lines = max(1, -(-len(text) // width_chars))
    ws.row_dimensions[row].height = 14 * lines + 2


def _part(part: str, lang: str) -> str:
    return label(lang, f"cpart_{part}")


def _work_text(row, lang: str) -> str:
    w = label(lang, f"{row.work}_w")
    return f"{w}, {freq_label(lang, row.frequency)}" if row.frequency else w


_COLS = ("row_id", "part", "legal_text", "text_en", "class", "work", "status", "seconds", "measured_s", "episodes",
         "longest_s", "minutes", "limit1", "limit2", "category", "uncertainty", "borderline")


def _catalogue(ws, data: CatalogueReportData, lang: str, work_ref: str, coef_ref: str) -> dict[str, int]:
    """All 52 rows; minutes, limits and category are formulas on the Summary's work time. Returns row numbers."""
    _header(ws, 1, [label(lang, k) for k in _COLS])
    by_id = {a.row.id: a for a in data.assessment.rows}
    col = {k: get_column_letter(i + 1) for i, k in enumerate(_COLS)}
    if lang == "cs":  # the English rendering of the legal text serves English readers only
        ws.column_dimensions[col["text_en"]].hidden = True
    at: dict[str, int] = {}
    for i, r in enumerate(data.result.rows, start=2):
        at[r.row.id] = i
        assessed = r.measured
        values = {
            "row_id": r.row.id, "part": _part(r.row.part, lang),
            "legal_text": r.row.text_cs, "text_en": r.row.text_en, "class": r.row.row_class,
            "work": _work_text(r.row, lang), "status": label(lang, f"status_{r.status}"),
            "seconds": round(r.seconds, 2) if assessed else None,
            "measured_s": round(r.analysed_s, 2) if assessed else None,
            "episodes": r.episodes if assessed else None, "longest_s": round(r.longest_s, 2) if assessed else None,
        }  # fmt: skip
        lo, hi = BASE_LIMITS_MIN[r.row.row_class]
        if assessed:
            values["minutes"] = f"={col['seconds']}{i}/{col['measured_s']}{i}*{work_ref}"
            if data.assessment.withheld is None:  # too little data: minutes for information, no category
                values["category"] = (f"=IF({col['minutes']}{i}<={col['limit1']}{i}+1E-9,1,"
                                      f"IF({col['minutes']}{i}<={col['limit2']}{i}+1E-9,2,3))")
        values["limit1"] = f"={lo:g}*{coef_ref}"
        values["limit2"] = f"={hi:g}*{coef_ref}"
        ra = by_id[r.row.id]
        if ra.minutes_range is not None:
            values["uncertainty"] = range_text(ra)
            if ra.borderline:
                c0, c1 = ra.category_range
                values["borderline"] = label(lang, "borderline_text", lo=c0, hi=c1, work=data.assessment.work.minutes)
        for c, key in enumerate(_COLS, start=1):
            cell = ws.cell(row=i, column=c, value=values.get(key))
            if key in ("legal_text", "text_en"):
                cell.alignment = WRAP
            elif key in ("seconds", "measured_s", "longest_s", "minutes", "limit1", "limit2"):
                cell.number_format = NUM1
        cat = by_id[r.row.id].category
        if cat:
            _fill(ws.cell(row=i, column=_COLS.index("category") + 1),
                  {1: "acceptable", 2: "conditionally_acceptable", 3: "unacceptable"}[cat])
        if ra.borderline:
            _fill(ws.cell(row=i, column=_COLS.index("borderline") + 1), "conditionally_acceptable")
        elif not assessed:
            _fill(ws.cell(row=i, column=_COLS.index("status") + 1), "not_assessed")
    ws.freeze_panes = "C2"
    widths = {"A": 24, "B": 14, "C": 44, "D": 36, "E": 6, "F": 16, "G": 18, "H": 10, "I": 10, "J": 9,
              "K": 10, "L": 10, "M": 10, "N": 10, "O": 9, "P": 11, "Q": 30}
    _widths(ws, widths)
    if lang == "cs":
        ws.column_dimensions["D"].hidden = True  # the English text is for English readers
    ws.row_dimensions[1].height = 45
    for i in range(2, ws.max_row + 1):  # rows tall enough for their wrapped texts
        lines = 1
        for c, key in enumerate(_COLS, start=1):
            v = ws.cell(row=i, column=c).value
            letter = get_column_letter(c)
            if isinstance(v, str) and not v.startswith("=") and not ws.column_dimensions[letter].hidden:
                lines = max(lines, -(-len(v) // int(widths[letter] * 0.95)))
                ws.cell(row=i, column=c).alignment = WRAP
        ws.row_dimensions[i].height = 13 * lines + 2
    return at


def _episodes(ws, data: CatalogueReportData, lang: str) -> None:
    cols = ["signal", "zone", "row_id", "start_s", "end_s", "duration_ep", "work", "per_min", "low", "high"]
    _header(ws, 1, [label(lang, k) for k in cols])
    r = 1
    for e in data.result.episodes:
        if e.row_id is None and e.zone in ("neutral", "none"):
            continue  # neutral stays: the bulk of the time, nothing to check
        r += 1
        values = [label(lang, f"sig_{e.signal}"), label(lang, f"zone_{e.zone}"), e.row_id or label(lang, "no_row"),
                  e.start_s, e.start_s + e.duration_s, e.duration_s, label(lang, "static_w" if e.static else "dynamic_w"),
                  e.per_min, None if np.isnan(e.low) else e.low, None if np.isnan(e.high) else e.high]
        for c, v in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=v)
            if c >= 4:
                cell.number_format = "0.00" if c == 8 else NUM1
    if r == 1:
        ws.cell(row=2, column=1, value=label(lang, "no_episodes"))
    ws.freeze_panes = "A2"
    _widths(ws, {"A": 26, "B": 22, "C": 36, "D": 10, "E": 10, "F": 12, "G": 14, "H": 16, "I": 12, "J": 12})


_LEVEL = {"N": "unacceptable", "PP": "conditional", None: "acceptable"}


def _chart_specs(data: CatalogueReportData, lang: str) -> list[ChartSpec]:
    """Angle charts with the catalogue's borders, each band coloured by its most severe row class."""
    from processor.nv361 import load_catalogue

    rows = load_catalogue()
    df = data.angles
    specs = []
    for key, column, absolute in (("trunk_flexion", "trunk_flexion_deg", False),
                                  ("trunk_bend_twist", None, True), ("head_flexion", "head_inclination_deg", False),
                                  ("arm_R", "upper_arm_elevation_right_deg", True),
                                  ("arm_L", "upper_arm_elevation_left_deg", True)):
        signal = sig.SIGNALS[key]
        values, _ = signal.evaluate(df)
        if column is None:
            y = values
        elif column in df.columns:
            y = df[column].to_numpy(dtype=float)
        else:
            continue
        y = thin(df, y) if len(df) else np.zeros(0)
        rng = chart_range(y, absolute)
        if rng is None:
            continue
        lo, hi = rng
        borders = [-np.inf] + [b.at for b in (signal.borders or (sig.Border(40.0), sig.Border(60.0)))] + [np.inf]
        zones = signal.zones[1:] if key.startswith("arm") else signal.zones  # the arm's "behind" is not an elevation
        bands = []
        for zi in reversed(range(len(zones))):
            top = min(borders[zi + 1], hi)
            if top <= lo:
                continue
            classes = {r.row_class for r in rows if r.signal == key and r.zone == zones[zi] and r.measurable}
            level = _LEVEL["N" if "N" in classes else "PP" if classes else None]
            bands.append((top, level, f"{label(lang, 'zone_' + zones[zi])} ({label(lang, level)})"))
        specs.append(ChartSpec(label(lang, f"sig_{key}"), y, tuple(bands), lo, hi))
    return specs


def method_rules(lang: str) -> list[tuple[str, str]]:
    """The episode rules (processor.episodes) as the Method sheet states them."""
    h, m, s, w = rules.HYSTERESIS_DEG, rules.MIN_EPISODE_S, rules.STATIC_AFTER_S, rules.FREQUENCY_WINDOW_S
    if lang == "cs":
        return [
            ("Hystereze", f"Snímek zůstává v pásmu předchozího snímku, dokud úhel nepřekročí hranici pásma o více než {h:g}°: "
                          "úhel kolísající kolem 60° je jedna poloha, ne deset. Náběh přes hranici se zpozdí stejně na vstupu i výstupu, doba se tím nezkreslí."),
            ("Nejkratší epizoda", f"Pobyt v pásmu kratší než {m:g} s není poloha (šum odhadu pózy trvá typicky 2–5 snímků): jeho čas připadne "
                                  "sousedním pásmům, napůl předchozímu a napůl následujícímu, nejkratší pobyty první. Rychlý průchod pásmem se tak nepočítá jako pohyb do něj."),
            ("Statická / dynamická", f"Epizoda držená déle než {s:g} s je statická (definice NV 361/2007); kolísání uvnitř pásma a hystereze je „mírné kolísání“. Kratší je dynamická."),
            ("Frekvence", f"Pohyby do pásma za minutu: epizody téhož pásma začínající v okně {w:g} s kolem začátku epizody, děleno změřeným časem v okně; "
                          "video kratší než okno je jedno okno. Dynamická epizoda patří do položky ≥ 2/min, je-li frekvence alespoň 2."),
            ("Přiřazení", "Každá epizoda patří nejvýše jedné položce katalogu své veličiny a pásma (statická, nebo dynamická podle frekvence). "
                          "Minuty za směnu = čas v položce ÷ čas, kdy byla část těla změřena × doba výkonu práce (v časovém snímku minuty operace)."),
            ("Kategorie", "Položky PP: kategorie 1 do 100 min, 2 do 160 min, 3 nad; položky N: 1 do 20 min, 2 do 30 min, 3 nad; "
                          "limity násobené koeficientem tabulky č. 8 podle doby výkonu práce. Navržená kategorie je nejvyšší kategorie položky."),
            ("Dostatek dat", f"Kategorie se neuvádí, byl-li pracovník změřen méně než {suf.MIN_ANALYSED_S:g} s (nejméně jedna statická poloha nad {s:g} s a jedna změna polohy), "
                             f"mají-li snímky videa mezeru delší než {suf.MAX_GAP_S:g} s (může skrýt celou polohu) nebo jsou-li od sebe dál než {suf.MAX_STEP_S:g} s (rozlišení epizod)."),
        ]
    return [
        ("Hysteresis", f"A frame keeps the zone of the frame before it until the angle is more than {h:g}° beyond the zone's border: "
                       "an angle wobbling around 60° is one posture, not ten. A ramp through a border is delayed equally going in and out, so durations are not biased."),
        ("Shortest episode", f"A stay in a zone shorter than {m:g} s is not a posture (pose-estimation glitches last 2–5 frames): its time goes to "
                             "the neighbouring zones, half to the one before and half to the one after, the shortest stays first. A quick swing through a zone is not a movement into it."),
        ("Static / dynamic", f"An episode held longer than {s:g} s is static (the definition in NV 361/2007); fluctuation within the zone and the hysteresis is the 'slight fluctuation'. Shorter is dynamic."),
        ("Frequency", f"Movements into the zone per minute: the episodes of the same zone that start in a {w:g}-s window around the episode's start, divided by the measured time in the window; "
                      "a video shorter than the window is one window. A dynamic episode belongs to the >= 2/min row when that rate is at least 2."),
        ("Assignment", "Each episode belongs to at most one catalogue row of its quantity and zone (the static row, or the dynamic row of its frequency class). "
                       "Minutes per shift = time in the row ÷ time the body part was measured × the work time (in a time study, the operation's minutes)."),
        ("Category", "PP rows: category 1 up to 100 min, 2 up to 160 min, 3 above; N rows: 1 up to 20 min, 2 up to 30 min, 3 above; "
                     "limits multiplied by the table-8 coefficient of the work time. The proposed category is the highest row category."),
        ("Enough data", f"No category is given when the worker was measured for less than {suf.MIN_ANALYSED_S:g} s (at least one static hold over {s:g} s and one change of posture), "
                        f"when the video's frames have a gap over {suf.MAX_GAP_S:g} s (it can hide a whole posture), or when they are more than {suf.MAX_STEP_S:g} s apart (the episode resolution)."),
    ]


THRESHOLD_REASONS = {
    "en": [
        ("Extension from −10°", "A single camera cannot tell a few degrees of backward lean from upright; the head's 'up to 15°' row covers −15…−10°."),
        (f"Head side bend / rotation from {sig.HEAD_NEUTRAL_DEG:g}°", "Every head is a few degrees off the trunk's axes at any moment, and the measured head angles reach 7–13° (95th percentile) where the truth is 0° in front and side views; in oblique views (one ear hidden) they are left unmeasured."),
        ("Trunk side bend / twist", "The side bend is measured only in the frames seen from in front or behind (within 30°): from the side or obliquely it turns about an axis in the picture, where the camera's depth decides, and on the rendered people an 11° side bend never read over 10° there, while up to 37 % of the frames without one did. "
                                    "Those frames are left empty, and the rows (the larger of side bend and twist) count the frames seen from in front or behind, or are not measured."),
        (f"Arm behind the trunk from {sig.ARM_EXTENSION_FROM_DEG:g}°", "A hanging arm swings ±10–15° in walking and handling; counted only while the arm is below horizontal, and never also as elevation."),
        (f"Extreme knee flexion over {sig.KNEE_EXTREME_DEG:g}°", "The normal active knee flexion range ends near 140° (AAOS); 'near the maximum range' = within 10° of it."),
        ("Kneeling / squatting / lying", f"Kneeling: the lower knee at most {sig.KNEEL_KNEE_RATIO:g} leg lengths above the lower ankle; squatting: both knees over {sig.SQUAT_KNEE_DEG:g}° and the hips at most {sig.SQUAT_HIP_RATIO:g} leg lengths above the ankles; lying: the trunk within {sig.LYING_TRUNK_FROM_HORIZONTAL_DEG:g}° of horizontal and the hips at most {sig.LYING_HIP_RATIO:g} leg lengths up."),
        ("Support", "Support of the trunk, head or arms is not visible on video: rows that need it count as unsupported unless the video is marked (setting analysis.supported, --supported, or the time study's Opora column)."),
    ],
    "cs": [
        ("Záklon od −10°", "Jedna kamera nerozliší několik stupňů záklonu od vzpřímeného postoje; položka „záklon hlavy do 15°“ pokrývá −15…−10°."),
        (f"Úklon / rotace hlavy od {sig.HEAD_NEUTRAL_DEG:g}°", "Hlava je vůči osám trupu vždy o několik stupňů vychýlená a měřené úhly hlavy dosahují 7–13° (95. percentil) i tam, kde je skutečnost 0° (pohled zepředu a z boku); v šikmém pohledu (jedno ucho skryté) se nehodnotí."),
        ("Úklon / rotace trupu", "Úklon se měří jen ve snímcích zepředu nebo zezadu (do 30°): z boku nebo šikmo se otáčí kolem osy v rovině obrazu, kde rozhoduje hloubka, a na vykreslených postavách tam úklon 11° nikdy nepřekročil 10°, kdežto až 37 % snímků bez úklonu ano. "
                                "Takové snímky zůstávají prázdné a položky (větší z úklonu a rotace) počítají snímky zepředu nebo zezadu, jinak nejsou změřeny."),
        (f"Zapažení od {sig.ARM_EXTENSION_FROM_DEG:g}°", "Volně visící paže se při chůzi a manipulaci kývá o ±10–15°; počítá se jen pod vodorovnou a nikdy zároveň jako vzpažení."),
        (f"Extrémní flexe kolena nad {sig.KNEE_EXTREME_DEG:g}°", "Běžný aktivní rozsah flexe kolena končí kolem 140° (AAOS); „blízko maximálního rozsahu“ = do 10° od něj."),
        ("Klek / dřep / leh", f"Klek: nižší koleno nejvýše {sig.KNEEL_KNEE_RATIO:g} délky nohy nad nižším kotníkem; dřep: obě kolena nad {sig.SQUAT_KNEE_DEG:g}° a kyčle nejvýše {sig.SQUAT_HIP_RATIO:g} délky nohy nad kotníky; leh: trup do {sig.LYING_TRUNK_FROM_HORIZONTAL_DEG:g}° od vodorovné a kyčle nejvýše {sig.LYING_HIP_RATIO:g} délky nohy."),
        ("Opora", "Opora trupu, hlavy či paží není na videu vidět: položky, které ji vyžadují, se počítají jako bez opory, pokud video není označeno (nastavení analysis.supported, --supported nebo sloupec Opora v časovém snímku)."),
    ],
}


def _method(ws, data: CatalogueReportData, lang: str) -> None:
    o = data.options
    sheet = MethodSheet(ws, lang)
    section, row = sheet.section, sheet.row

    section("method_software")
    for name, version in _versions():
        row(name, version)
    section("method_settings")
    row(label(lang, "standard"), TITLE.get(lang, TITLE["en"]))
    row(label(lang, "quality"), o.quality)
    row(label(lang, "work_minutes"), data.assessment.work.minutes)
    row(label(lang, "supported_marks"), ", ".join(sorted(data.result.supported)) or label(lang, "none"))
    row(label(lang, "camera_pitch"), o.camera_pitch_deg if o.camera_pitch_deg is not None else "—")
    row(label(lang, "body_model"), str(o.body_model) if o.body_model else "—")
    section("method_standard")
    row(label(lang, "source"), SOURCE.get(lang, SOURCE["en"]))
    row(label(lang, "source_url"), SOURCE_URL)
    section("method_episodes")
    for name, text in method_rules(lang):
        row(name, text)
    section("method_signals")
    for key, signal in sig.SIGNALS.items():
        borders = ", ".join(f"{b.at:g}°" for b in signal.borders) or "—"
        row(label(lang, f"sig_{key}"), f"{label(lang, 'sigdef_' + key)}; {label(lang, 'borders')} {borders}")
    for name, text in THRESHOLD_REASONS.get(lang, THRESHOLD_REASONS["en"]):
        row(name, text)
    section("method_accuracy")
    view = data.view
    row(label(lang, "view_seen"), label(lang, f"view_{view}"))
    for col, e in view_error_table(view).items():
        row(label(lang, "typical_error", name=label(lang, f"col_{col}")), f"± {e:g}°")
    if data.legs_hidden_share >= LEGS_HIDDEN_STATED:
        hidden = legs_hidden_error_table(view)
        row(label(lang, "legs_hidden_seen"), label(lang, "legs_hidden_value", share=data.legs_hidden_share,
                                                   trunk=hidden["trunk_flexion_deg"], head=hidden["head_inclination_deg"],
                                                   arm=hidden["upper_arm_elevation_left_deg"]))
    row(label(lang, "uncertainty"), label(lang, "uncertainty_text"))
    section("method_angles")
    row(label(lang, "angle_source"), data.angle_source)
    row(label(lang, "not_analysed"), label(lang, "nan_text", neck_limit=NECK_FLEXION_LIMIT_DEG))
    section("method_record")
    record(sheet, lang, data.meta)
    section("method_limits")
    for key in ("limit_mono", "limit_vertical", "limit_neck", "limit_sample"):
        row("", label(lang, key))
    _widths(ws, {"A": 36, "B": 120})
