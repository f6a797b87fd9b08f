"""A position's result from its time study and the per-video summaries: minutes per shift per catalogue
row per worker, their average, the category (NV 361/2007 Sb. with table 8) and the protocol's sections
3 and 4 as a workbook and as JSON.

Per worker and row: Σ over the operations of (seconds in the posture ÷ the seconds the row's body signal
was measured in that operation's video) × the operation's minutes per shift. An operation whose video did
not measure the row (the body part was not visible) contributes nothing; a row no video of the worker
measured is "not measured" for that worker (None), and the average is over the workers that measured it.
An operation without any video (e.g. a safety break) contributes nothing to any row. Then ``assess()``
with the time study's work time (``work_time(study.work_min, "time_study")``).

Uncertainty: each video's summary gives per row its minutes within the measurement uncertainty (the
angles moved by the typical error of the view, the time a body part was not seen: ``evaluate.minutes_ranges``)
for that video's work time. As a share of that work time it is the video's range of the share of time in the
posture, so a worker's range is Σ over the operations of (low share, high share) × the operation's minutes,
like the minutes themselves, and the position's range is the average of the workers' lows and of their
highs. A row whose range crosses a category limit is borderline, as in a video's report. A summary without
ranges (written without an assessment) counts its point share at both ends beside videos that have one;
where no video of the row gave a range, the row has none (the workbook leaves it empty rather than show a
range of zero width).

Support: each video's seconds are used as its summary gives them, i.e. as the video was evaluated with
its own support marks. The time study's "Opora" column is what the videos should have been analysed
with; where a summary's ``supported`` differs from the operation's, the result carries a note saying so
(re-analyse the video with the right marks) and the video's own marks still count.

A video the study names with no summary (or a summary that cannot be read) is an error: a
``PositionError`` lists every such video with its operation and worker; no partial result is made.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from processor.nv361 import STANDARD_NAME, TITLE, CatalogueRow, load_catalogue
from processor.nv361.category import WorkTime, limits, work_time
from processor.nv361.evaluate import PART_NAMES, WORK_NAMES, Assessment, RowAssessment, assess, sentence
from processor.nv361.summary import SummaryError, read_summary
from processor.report_json import num as _num
from processor.report_labels import borderline_mark, freq_label, label, position_labels, range_text
from processor.nv361.timestudy import POSITION_SUFFIX, SUPPORT_WORDS_CS, TimeStudy, TimeStudyError, resolve_video

POSITION_SCHEMA = "ergo-hotfolder/position/1"
_SUPPORT_EN = {"trunk": "trunk", "head": "head", "arm": "arm"}


class PositionError(TimeStudyError):
    """The position cannot be evaluated (summaries missing or unusable); ``problems`` names each video."""


@dataclass(frozen=True)
class Contribution:
    """One video's share of one row: seconds ÷ analysed seconds × the operation's minutes."""

    operation: int  # index into study.operations
    worker: str
    video: str  # the name in the time study
    seconds: float
    analysed_s: float
    measured: bool
    minutes: float | None  # None when the video did not measure the row


@dataclass(frozen=True)
class WorkerRow:
    minutes: float | None  # None: no video of the worker measured the row
    by_operation: tuple[float | None, ...]  # aligned with study.operations; None: no video / not measured
    # the minutes within the measurement uncertainty: Σ over the operations of each video's range as a
    # share of its work time × the operation's minutes (a video without a range counts its point value;
    # None when none of the worker's videos gave a range)
    minutes_range: tuple[float, float] | None = None


@dataclass(frozen=True)
class PositionRow:
    row: CatalogueRow
    status: str  # "measured" | "not_applicable" (every video: support) | "not_measured" | "not_from_video"
    workers: dict[str, WorkerRow]
    average: float | None
    assessment: RowAssessment

    @property
    def occurred(self) -> bool:
        return self.average is not None and self.average > 0


@dataclass(frozen=True)
class Note:
    en: str
    cs: str

    def text(self, lang: str) -> str:
        return self.cs if lang == "cs" else self.en


@dataclass(frozen=True)
class PositionResult:
    study: TimeStudy
    work: WorkTime
    assessment: Assessment
    rows: tuple[PositionRow, ...]  # all 52 catalogue rows, in catalogue order
    videos: dict[str, str]  # the study's video name -> the summaries key it was matched to
    contributions: tuple[Contribution, ...]  # per row id: see ``contributions_of``
    contribution_rows: tuple[str, ...]  # the row id of each contribution
    notes: tuple[Note, ...]

    @property
    def category(self) -> int | None:
        return self.assessment.category

    def sentence(self, lang: str) -> str:
        return sentence(self.assessment, lang)

    def row(self, row_id: str) -> PositionRow:
        return next(r for r in self.rows if r.row.id == row_id)

    def contributions_of(self, row_id: str) -> list[Contribution]:
        return [c for c, rid in zip(self.contributions, self.contribution_rows) if rid == row_id]


def evaluate_position(study: TimeStudy, summaries: dict[str, dict | Path]) -> PositionResult:
    """The position's minutes per row per worker, averages and category. ``summaries`` maps a video file
    name to its summary JSON object (or the path of ``<stem> - summary.json``); a study's video name is
    matched to a key as ``timestudy.resolve_video`` does (same name, or same ignoring case, or the one
    key with that stem when the study omits the extension)."""
    catalogue = load_catalogue()
    src = study.source_name or "time study"
    problems: list[str] = []
    read: dict[str, dict] = {}  # study video name -> {row id: RowSeconds}
    statuses: dict[str, dict[str, str]] = {}
    supported_of: dict[str, frozenset[str] | None] = {}
    matched: dict[str, str] = {}
    for op, w, v in study.videos():
        key = resolve_video(v, summaries)
        if key is None:
            problems.append(f"{src}: no summary for video '{v}' (operation '{op.name}', worker {w}); analyse the video "
                            "first.")
            continue
        matched[v] = key
        obj = summaries[key]
        if isinstance(obj, (str, Path)):
            try:
                obj = json.loads(Path(obj).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                obj = Path(obj)  # read_summary names the problem
        try:
            _, rows = read_summary(obj, name=f"the summary of '{key}'")
        except SummaryError as exc:
            problems.append(f"{src}: video '{v}' (operation '{op.name}', worker {w}): {exc}.")
            continue
        read[v] = rows
        if isinstance(obj, dict):
            statuses[v] = {r.get("id"): r.get("status") for r in obj.get("rows", []) if isinstance(r, dict)}
            sup = obj.get("supported")
            supported_of[v] = frozenset(sup) if isinstance(sup, list) else None
        else:
            statuses[v], supported_of[v] = {}, None
    if problems:
        raise PositionError(problems)

    notes: list[Note] = []
    for op, w, v in study.videos():
        sup = supported_of.get(v)
        if sup is not None and sup != op.supported:
            def words(s, d):
                return ", ".join(d[k] for k in sorted(s)) or ("žádná" if d is SUPPORT_WORDS_CS else "none")
            notes.append(Note(
                en=f"Video '{v}' (operation '{op.name}', worker {w}) was analysed with support "
                   f"'{words(sup, _SUPPORT_EN)}' but the time study says '{words(op.supported, _SUPPORT_EN)}'; the "
                   "video's own marks are used. Analyse the video again with the time study's support to change that.",
                cs=f"Video '{v}' (operace '{op.name}', pracovník {w}) bylo vyhodnoceno s oporou "
                   f"'{words(sup, SUPPORT_WORDS_CS)}', časový snímek uvádí '{words(op.supported, SUPPORT_WORDS_CS)}'; "
                   "použito vyhodnocení videa. Pro změnu video vyhodnoťte znovu s oporou podle časového snímku.",
            ))  # fmt: skip

    contributions: list[Contribution] = []
    contribution_rows: list[str] = []
    per_row: dict[str, PositionRow] = {}
    minutes_avg: dict[str, float | None] = {}
    ranges_avg: dict[str, tuple[float, float]] = {}
    part_gaps: dict[tuple[str, int], set[str]] = {}  # (worker, operation) -> parts not measured there but elsewhere
    for row in catalogue:
        workers: dict[str, WorkerRow] = {}
        for w in study.workers:
            by_op: list[float | None] = []
            total, any_measured = 0.0, False
            low = high = 0.0
            any_range = False
            for i, op in enumerate(study.operations):
                v = op.videos.get(w)
                if v is None:
                    by_op.append(None)
                    continue
                rs = read[v].get(row.id)
                ok = rs is not None and rs.measured and rs.analysed_s > 0
                m = rs.seconds / rs.analysed_s * op.minutes if ok else None
                by_op.append(m)
                if ok:
                    total += m
                    any_measured = True
                    share = rs.share_range or (rs.seconds / rs.analysed_s,) * 2
                    any_range = any_range or rs.share_range is not None
                    low, high = low + share[0] * op.minutes, high + share[1] * op.minutes
                contributions.append(Contribution(i, w, v, rs.seconds if rs else 0.0, rs.analysed_s if rs else 0.0,
                                                  bool(ok), m))
                contribution_rows.append(row.id)
            if any_measured and row.measurable:
                for i, op in enumerate(study.operations):
                    if op.videos.get(w) is not None and by_op[i] is None:
                        part_gaps.setdefault((w, i), set()).add(row.part)
            workers[w] = WorkerRow(total if any_measured else None, tuple(by_op), (low, high) if any_range else None)
        values = [wr.minutes for wr in workers.values() if wr.minutes is not None]
        avg = sum(values) / len(values) if values else None
        minutes_avg[row.id] = avg
        if any(wr.minutes_range is not None for wr in workers.values()):
            # the average of the workers' lows and of their highs (the average is linear in each); a worker
            # whose videos gave no range counts the point value at both ends
            spans = [wr.minutes_range or (wr.minutes, wr.minutes) for wr in workers.values() if wr.minutes is not None]
            ranges_avg[row.id] = (sum(lo for lo, _ in spans) / len(spans), sum(hi for _, hi in spans) / len(spans))
        if not row.measurable:
            status = "not_from_video"
        elif avg is None:
            status = "not_measured"
        else:
            sts = [statuses.get(v, {}).get(row.id) for _, _, v in study.videos()]
            status = "not_applicable" if sts and all(s == "not_applicable" for s in sts) else "measured"
        per_row[row.id] = PositionRow(row, status, workers, avg, None)  # type: ignore[arg-type]

    for (w, i), parts in sorted(part_gaps.items(), key=lambda kv: (study.workers.index(kv[0][0]), kv[0][1])):
        op = study.operations[i]
        en_parts = ", ".join(PART_NAMES["en"][p] for p in sorted(parts))
        cs_parts = ", ".join(PART_NAMES["cs"][p] for p in sorted(parts))
        notes.append(Note(
            en=f"Worker {w}, operation '{op.name}' (video '{op.videos[w]}'): {en_parts} not measured in this video; "
               "those rows count this worker's other operations only.",
            cs=f"Pracovník {w}, operace '{op.name}' (video '{op.videos[w]}'): {cs_parts} – ve videu neměřeno; tyto "
               "položky zahrnují jen ostatní operace pracovníka.",
        ))  # fmt: skip

    work = work_time(study.work_min, "time_study")
    assessment = assess(minutes_avg, work, catalogue, ranges_avg)
    rows = tuple(
        PositionRow(r.row, per_row[r.row.id].status, per_row[r.row.id].workers, per_row[r.row.id].average, r)
        for r in assessment.rows
    )
    return PositionResult(study, work, assessment, rows, matched, tuple(contributions), tuple(contribution_rows),
                          tuple(notes))


# -- names ----------------------------------------------------------------------------------------------


def _safe(name: str) -> str:
    s = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", name)
    s = " ".join(s.split()).strip(" .")
    return s[:100].rstrip(" .")


def position_output_names(study: TimeStudy) -> tuple[str, str]:
    """(workbook name, JSON name): "<position> - pozice.xlsx" / "<position> - pozice.json", with the time
    study's file stem when it names no position (characters a file name cannot hold become spaces)."""
    base = _safe(study.position)
    if not base:
        stem = Path(study.source_name).stem if study.source_name else ""
        base = _safe(stem) or "pozice"
    return f"{base}{POSITION_SUFFIX}.xlsx", f"{base}{POSITION_SUFFIX}.json"


# -- JSON -----------------------------------------------------------------------------------------------


def _range(r: tuple[float, float] | None) -> list[float | None] | None:
    return [_num(r[0]), _num(r[1])] if r else None


def position_json(result: PositionResult) -> dict:
    """The position's machine-readable twin of the workbook. Schema ``ergo-hotfolder/position/1``::

        schema, standard ("nv361"), time_study (file name),
        company, ico, position, workplace, date (ISO when known), measured_by, workers [initials],
        shift_minutes, meal_break_minutes, work_minutes, work_minutes_source ("time_study"),
        coefficient (table 8), coefficient_in_table (false below 240 min),
        limits {"PP": [end of cat. 1, end of cat. 2], "N": [...]}  (minutes per shift, corrected),
        operations [{name, minutes, supported ["trunk"|"head"|"arm"], videos {initials: video name},
                     summaries {initials: the summaries key matched}}],
        rows [52 × {id, part, class ("N"|"PP"), work ("static"|"dynamic"), frequency (">=2/min"|"<2/min"|null),
                    text_cs (legal text, verbatim), text_en,
                    status ("measured"|"not_applicable"|"not_measured"|"not_from_video"),
                    workers {initials: {minutes (null: not measured for the worker),
                                        by_operation [minutes or null, aligned with operations],
                                        minutes_range [low, high] (null: not measured, or no video gave a range)}},
                    average (minutes per shift, null when no worker measured it),
                    minutes_range [low, high] (the average within the measurement uncertainty, or null),
                    category (1-3 or null), borderline (the range crosses a category limit),
                    limits [end of cat. 1, end of cat. 2]}],
        category (1-3, null when no row was assessed), category_rows [row ids that set it, when above 1],
        category_range [lowest, highest] (the category within the uncertainty, or null),
        pp_minutes, n_minutes (sums of the averages, the regulation's summary rule, for information),
        sentence_cs, sentence_en, notes [{en, cs}]

    Minutes are rounded to 3 decimals; the workbook holds the same numbers unrounded.
    """
    s, w = result.study, result.work
    ops = []
    for op in s.operations:
        ops.append({
            "name": op.name, "minutes": _num(op.minutes), "supported": sorted(op.supported),
            "videos": {k: op.videos[k] for k in s.workers if k in op.videos},
            "summaries": {k: result.videos.get(op.videos[k]) for k in s.workers if k in op.videos},
        })  # fmt: skip
    rows = []
    for pr in result.rows:
        r = pr.row
        rows.append({
            "id": r.id, "part": r.part, "class": r.row_class, "work": r.work, "frequency": r.frequency or None,
            "text_cs": r.text_cs, "text_en": r.text_en, "status": pr.status,
            "workers": {k: {"minutes": _num(wr.minutes), "by_operation": [_num(m) for m in wr.by_operation],
                            "minutes_range": _range(wr.minutes_range)}
                        for k, wr in pr.workers.items()},
            "average": _num(pr.average), "minutes_range": _range(pr.assessment.minutes_range),
            "category": pr.assessment.category, "borderline": pr.assessment.borderline,
            "limits": [_num(x) for x in pr.assessment.limits],
        })  # fmt: skip
    a = result.assessment
    return {
        "schema": POSITION_SCHEMA, "standard": STANDARD_NAME, "time_study": s.source_name,
        "company": s.company, "ico": s.ico, "position": s.position, "workplace": s.workplace, "date": s.date,
        "measured_by": s.measured_by, "workers": list(s.workers),
        "shift_minutes": _num(s.shift_min), "meal_break_minutes": _num(s.meal_break_min),
        "work_minutes": _num(w.minutes), "work_minutes_source": w.source, "coefficient": w.coefficient,
        "coefficient_in_table": w.in_table,
        "limits": {c: [_num(x) for x in limits(c, w.coefficient)] for c in ("PP", "N")},
        "operations": ops, "rows": rows, "category": a.category, "category_rows": list(a.deciding),
        "category_range": list(a.category_range) if a.category_range else None,
        "pp_minutes": _num(a.pp_minutes), "n_minutes": _num(a.n_minutes),
        "sentence_cs": sentence(a, "cs"), "sentence_en": sentence(a, "en"),
        "notes": [{"en": n.en, "cs": n.cs} for n in result.notes],
    }  # fmt: skip


def write_position_json(result: PositionResult, path: str | Path) -> Path:
    from processor.nv361.summary import write_json

    return write_json(position_json(result), Path(path))


# -- the workbook ---------------------------------------------------------------------------------------

# The wording lives in processor/report_labels.py (keys "pos_*" and the shared "meta_*").
LABELS = {lang: position_labels(lang) for lang in ("cs", "en")}
MIN_FMT = "0.0"
COEF_FMT = "0.000"
LIMIT_FMT = "0.0##"
CAT_FILL = {1: "C6EFCE", 2: "FFEB9C", 3: "FFC7CE"}


def write_position_workbook(result: PositionResult, path: str | Path, lang: str = "cs") -> Path:
    """The position workbook: "Protokol" (metadata, section 3 and section 4 of the protocol), "Všechny
    položky" (all 52 rows, also those not assessed from the video), "Časový snímek" (the operations and
    videos) and "Výpočet" (each video's seconds behind every minute). English labels with ``lang="en"``."""
    from openpyxl import Workbook

    if lang not in LABELS:
        raise ValueError(f"unknown language {lang!r}; use cs or en")
    L = LABELS[lang]
    wb = Workbook()
    ws = wb.active
    ws.title = L["sheet_protocol"]
    _protocol(ws, result, lang, L)
    _all_rows(wb.create_sheet(L["sheet_all"]), result, lang, L)
    _study(wb.create_sheet(L["sheet_study"]), result, lang, L)
    _calculation(wb.create_sheet(L["sheet_calc"]), result, lang, L)
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    wb.save(tmp)
    tmp.replace(path)
    return path


def _styles():
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="808080")
    return {
        "bold": Font(bold=True), "title": Font(bold=True, size=14), "section": Font(bold=True, size=12),
        "italic": Font(italic=True, color="595959"), "head": PatternFill("solid", fgColor="D9E1F2"),
        "part": PatternFill("solid", fgColor="EDEDED"), "box": Border(left=thin, right=thin, top=thin, bottom=thin),
        "wrap": Alignment(wrap_text=True, vertical="top"), "center": Alignment(horizontal="center", vertical="top"),
        "top": Alignment(vertical="top"),
    }  # fmt: skip


def _fill(color: str):
    from openpyxl.styles import PatternFill

    return PatternFill("solid", fgColor=color)


def _print_setup(ws, landscape: bool, title_rows: str | None = None, lang: str = "cs", fit_height: int = 0,
                 header: str = "") -> None:
    """A4, one page wide, header and page footer (processor.report_excel.print_setup); the Protocol
    sheet is one page high."""
    from processor.report_excel import print_setup

    print_setup(ws, lang, landscape=landscape, fit_height=fit_height, title_rows=title_rows, header=header)


def _widths(ws, widths: list[float]) -> None:
    from openpyxl.utils import get_column_letter

    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w


def _header(ws, r: int, headers: list[str], st) -> None:
    for c, h in enumerate(headers, start=1):
        cell = ws.cell(r, c, h)
        cell.font, cell.fill, cell.border, cell.alignment = st["bold"], st["head"], st["box"], st["wrap"]


def _fit_rows(ws, first: int, last: int) -> None:
    """Row heights for wrapped text (openpyxl does not measure text; Excel and LibreOffice keep what is set).
    Call after the column widths are set."""
    from openpyxl.utils import get_column_letter

    spans = {(m.min_row, m.min_col): range(m.min_col, m.max_col + 1) for m in ws.merged_cells.ranges}
    for r in range(first, last + 1):
        lines = 1
        for cell in ws[r]:
            if not isinstance(cell.value, str) or not (cell.alignment and cell.alignment.wrap_text):
                continue
            cols = spans.get((r, cell.column), [cell.column])
            width = sum(ws.column_dimensions[get_column_letter(c)].width or 8.43 for c in cols)
            factor = 1.1 if cell.font and cell.font.b else 1.0
            lines = max(lines, math.ceil(len(cell.value) * factor / max(width, 1.0)))
        if lines > 1:
            ws.row_dimensions[r].height = 15 * lines


def _metadata(ws, result: PositionResult, L, st, r: int) -> int:
    s = result.study
    items = [("company", s.company), ("ico", s.ico), ("position", s.position), ("workplace", s.workplace),
             ("date", s.date), ("measured_by", s.measured_by), ("workers", ", ".join(s.workers)),
             ("time_study", s.source_name), ("standard", TITLE["cs" if L is LABELS["cs"] else "en"])]
    for key, value in items:
        ws.cell(r, 1, L[key]).font = st["bold"]
        ws.cell(r, 2, value)
        r += 1
    return r


def _protocol(ws, result: PositionResult, lang: str, L) -> None:
    from openpyxl.styles import Alignment, Border, Side

    st = _styles()
    s, a, w = result.study, result.assessment, result.work
    en = lang == "en"
    ws.cell(1, 1, L["title"]).font = st["title"]
    r = _metadata(ws, result, L, st, 3) + 1

    # section 3
    ws.cell(r, 1, L["s3"]).font = st["section"]
    r += 1
    headers = [L["posture"]] + ([L["posture_en"]] if en else []) + [L["work"], L["frequency"]]
    headers += [f"{k} ({L['per_shift']})" for k in s.workers] + [L["average"], L["class"], L["category"],
                                                                   label(lang, "borderline")]
    _header(ws, r, headers, st)
    r += 1
    ncol = len(headers)
    occurred = [pr for pr in result.rows if pr.occurred]
    if not occurred:
        ws.cell(r, 1, L["none_occurred"]).font = st["italic"]
        r += 1
    for part in PART_NAMES[lang]:
        rows = [pr for pr in occurred if pr.row.part == part]
        if not rows:
            continue
        name = PART_NAMES[lang][part]
        cell = ws.cell(r, 1, name[:1].upper() + name[1:])
        cell.font = st["bold"]
        for c in range(1, ncol + 1):
            ws.cell(r, c).fill = st["part"]
            ws.cell(r, c).border = st["box"]
        r += 1
        for pr in rows:
            c = 1
            values: list = [pr.row.text_cs] + ([pr.row.text_en] if en else [])
            values += [WORK_NAMES[lang][pr.row.work], freq_label(lang, pr.row.frequency)]
            values += [pr.workers[k].minutes for k in s.workers] + [pr.average, pr.row.row_class, pr.assessment.category]
            values.append(borderline_mark(lang, pr.assessment))
            for v in values:
                cell = ws.cell(r, c, v)
                cell.border = st["box"]
                cell.alignment = st["wrap"] if isinstance(v, str) and c <= (2 if en else 1) else st["center"]
                if isinstance(v, float):
                    cell.number_format = MIN_FMT
                c += 1
            ws.cell(r, ncol - 1).fill = _fill(CAT_FILL[pr.assessment.category])
            ws.cell(r, ncol - 3).font = st["bold"]
            if pr.assessment.borderline:
                ws.cell(r, ncol).fill = _fill(CAT_FILL[2])
            r += 1
    ws.cell(r, 1, L["s3_note"]).font = st["italic"]
    ws.cell(r, 1).alignment = st["wrap"]
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncol)
    r += 2

    # section 4
    ws.cell(r, 1, L["s4"]).font = st["section"]
    r += 1

    def line(key: str, *values, fmt: str = MIN_FMT, bold: bool = False):
        nonlocal r
        ws.cell(r, 1, L[key])
        if bold:
            ws.cell(r, 1).font = st["bold"]
        ws.cell(r, 1).alignment = st["wrap"]
        for i, v in enumerate(values):
            cell = ws.cell(r, 2 + i, v)
            cell.alignment = st["top"]
            if isinstance(v, (int, float)):
                cell.number_format = fmt
            if bold:
                cell.font = st["bold"]
        r += 1

    line("shift", s.shift_min, fmt="0.##")
    line("meal_break", s.meal_break_min, fmt="0.##")
    line("work_time", w.minutes, fmt="0.##", bold=True)
    line("coefficient", w.coefficient, fmt=COEF_FMT)
    if not w.in_table:
        ws.cell(r - 1, 3, L["below_table"]).font = st["italic"]
    line("limits_pp", *limits("PP", w.coefficient), fmt=LIMIT_FMT)
    line("limits_n", *limits("N", w.coefficient), fmt=LIMIT_FMT)
    ws.cell(r, 1, L["rule"]).font = st["italic"]
    r += 1
    line("rule_pp", a.pp_minutes, 160.0 * w.coefficient)
    line("rule_n", a.n_minutes, 30.0 * w.coefficient)
    line("rule_both", a.pp_minutes + a.n_minutes, w.minutes / 2.0)
    ws.cell(r, 1, L["overall"]).font = st["bold"]
    ws.cell(r, 1).alignment = st["top"]
    ws.cell(r, 2, sentence(a, lang)).alignment = st["wrap"]
    ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=max(ncol, 4))
    r += 1
    line("proposed", a.category, fmt="0", bold=True)
    if a.category:
        ws.cell(r - 1, 2).fill = _fill(CAT_FILL[a.category])
    if result.notes:
        r += 1
        ws.cell(r, 1, L["notes"]).font = st["bold"]
        r += 1
        for n in result.notes:
            ws.cell(r, 1, n.text(lang)).alignment = st["wrap"]
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=max(ncol, 4))
            r += 1
    r += 1
    ws.cell(r, 1, label(lang, "uncertainty_block")).font = st["section"]
    r += 1
    ws.cell(r, 1, L["uncertainty"]).alignment = st["wrap"]
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=max(ncol, 4))
    r += 2
    ws.cell(r, 1, label(lang, "signature_block")).font = st["section"]
    for key in ("sig_name", "sig_date", "sig_signature"):
        r += 1
        ws.cell(r, 1, f"{label(lang, key)}:").font = st["bold"]
        ws.cell(r, 1).alignment = Alignment(horizontal="right", vertical="bottom")
        for c in (2, 3):
            ws.cell(r, c).border = Border(bottom=Side(style="thin", color="000000"))
        ws.row_dimensions[r].height = 26
    _widths(ws, [58] + ([40] if en else []) + [14, 12] + [13] * len(s.workers) + [13, 8, 10, 13])
    _fit_rows(ws, 1, r - 3)
    _print_setup(ws, landscape=True, lang=lang, fit_height=1, header=f"{L['title']}: {s.position}")
    ws.print_area = f"A1:{ws.cell(1, max(ncol, 4)).column_letter}{r}"


def _all_rows(ws, result: PositionResult, lang: str, L) -> None:
    st = _styles()
    s = result.study
    en = lang == "en"
    headers = [L["id"], L["part"], L["posture"]] + ([L["posture_en"]] if en else [])
    headers += [L["work"], L["frequency"], L["class"]] + [f"{k} ({L['per_shift']})" for k in s.workers]
    headers += [L["average"], label(lang, "uncertainty"), L["limit1"], L["limit2"], L["category"],
                label(lang, "borderline"), L["status"]]
    _header(ws, 1, headers, st)
    cat_col = len(headers) - 2
    for i, pr in enumerate(result.rows, start=2):
        a = pr.assessment
        values: list = [pr.row.id, PART_NAMES[lang][pr.row.part], pr.row.text_cs] + ([pr.row.text_en] if en else [])
        values += [WORK_NAMES[lang][pr.row.work], freq_label(lang, pr.row.frequency), pr.row.row_class]
        values += [pr.workers[k].minutes for k in s.workers]
        values += [pr.average, range_text(a), *a.limits, a.category, borderline_mark(lang, a), L[f"status_{pr.status}"]]
        for c, v in enumerate(values, start=1):
            cell = ws.cell(i, c, v)
            cell.border = st["box"]
            cell.alignment = st["wrap"]
            if isinstance(v, float):
                cell.number_format = MIN_FMT if c < cat_col - 2 else LIMIT_FMT
            if c in (6 + en, cat_col):  # N/PP and the category
                cell.alignment = st["center"]
        if a.category:
            ws.cell(i, cat_col).fill = _fill(CAT_FILL[a.category])
        if a.borderline:
            ws.cell(i, cat_col + 1).fill = _fill(CAT_FILL[2])
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{ws.cell(1, len(headers)).column_letter}{len(result.rows) + 1}"
    _widths(ws, [34, 16, 50] + ([40] if en else []) + [12, 10, 7] + [12] * len(s.workers) + [12, 13, 12, 12, 10, 14, 28])
    _fit_rows(ws, 1, len(result.rows) + 1)
    _print_setup(ws, landscape=True, title_rows="1:1", lang=lang)


def _support_text(supported: frozenset[str], lang: str) -> str:
    words = SUPPORT_WORDS_CS if lang == "cs" else _SUPPORT_EN
    return ", ".join(words[k] for k in sorted(supported))


def _study(ws, result: PositionResult, lang: str, L) -> None:
    st = _styles()
    s = result.study
    r = _metadata(ws, result, L, st, 1) + 1
    for key, v in (("shift", s.shift_min), ("meal_break", s.meal_break_min), ("work_time", s.work_min)):
        ws.cell(r, 1, L[key]).font = st["bold"]
        ws.cell(r, 2, v).number_format = "0.##"
        r += 1
    r += 1
    _header(ws, r, [L["operation"], L["minutes"], L["support"]] + [f"{L['video']} {k}" for k in s.workers], st)
    r += 1
    for op in s.operations:
        ws.cell(r, 1, op.name)
        ws.cell(r, 2, op.minutes).number_format = "0.##"
        ws.cell(r, 3, _support_text(op.supported, lang))
        for j, k in enumerate(s.workers):
            ws.cell(r, 4 + j, op.videos.get(k, ""))
        for c in range(1, 4 + len(s.workers)):
            ws.cell(r, c).border = st["box"]
        r += 1
    ws.cell(r, 1, L["operations_sum"]).font = st["bold"]
    ws.cell(r, 2, s.operations_min).number_format = "0.##"
    _widths(ws, [36, 16, 18] + [28] * len(s.workers))
    _fit_rows(ws, 1, r)
    _print_setup(ws, landscape=True, lang=lang)


def _calculation(ws, result: PositionResult, lang: str, L) -> None:
    """Every video's contribution with seconds in the posture: seconds, measured seconds, share, the
    operation's minutes and the minutes per shift it adds (values, not formulas)."""
    st = _styles()
    s = result.study
    headers = [L["id"], L["posture"], L["worker"], L["operation"], L["video"], L["seconds"], L["analysed"],
               L["share"], L["op_minutes"], L["row_minutes"]]
    _header(ws, 1, headers, st)
    r = 2
    by_id = {pr.row.id: pr for pr in result.rows}
    for c, rid in zip(result.contributions, result.contribution_rows):
        if c.seconds <= 0:
            continue
        pr = by_id[rid]
        op = s.operations[c.operation]
        values = [rid, pr.row.text_cs, c.worker, op.name, c.video, c.seconds, c.analysed_s]
        for col, v in enumerate(values, start=1):
            ws.cell(r, col, v)
        ws.cell(r, 6).number_format = ws.cell(r, 7).number_format = "0.0"
        if c.measured:
            ws.cell(r, 8, c.seconds / c.analysed_s).number_format = "0.0%"
            ws.cell(r, 10, c.minutes).number_format = MIN_FMT
        ws.cell(r, 9, op.minutes).number_format = "0.##"
        for col in range(1, len(headers) + 1):
            ws.cell(r, col).border = st["box"]
        ws.cell(r, 2).alignment = ws.cell(r, 4).alignment = st["wrap"]
        r += 1
    ws.cell(r + 1, 1, L["calc_note"]).font = st["italic"]
    ws.freeze_panes = "A2"
    _widths(ws, [32, 46, 10, 28, 26, 12, 12, 9, 14, 14])
    _fit_rows(ws, 1, r - 1)
    _print_setup(ws, landscape=True, title_rows="1:1", lang=lang)
