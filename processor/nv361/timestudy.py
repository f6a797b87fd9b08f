"""The time study (časový snímek) a lab fills in for one position: the shift, the meal break, the
workers measured and the operations of the shift with their minutes and one video per worker.

The file is an .xlsx workbook with a sheet "Časový snímek" (template: ``casovy_snimek_vzor.xlsx`` beside
this module, written by ``write_template``). The parser finds the fields by their label text, not by
fixed cells, so a lab may insert rows or move the block; numbers may be typed as text with a decimal
comma ("7,5"). Every problem found is reported at once, in English, one sentence per problem naming the
file and the cell or row.

Layout of the template (rows as shipped; the parser only relies on the labels):

- A4:A9  "Firma", "IČO", "Profese / pracovní pozice", "Pracoviště", "Datum měření", "Měřil"; values in B.
- A11 "Délka směny (min)", A12 "Přestávka na jídlo a oddech (min)"; values in B. B13 (work time) and
  B14 (sum of the operations) are formulas for the lab's eye only; the parser recomputes both.
- A16 "Iniciály pracovníků": the workers' initials in D16:G16, one per video column.
- Row 17, the operations table's header: "Operace", "Minut za směnu", "Opora (trup, hlava, paže)",
  "Video – pracovník 1" … "Video – pracovník 4"; the operations in rows 18–47. A row whose name
  starts with "Celkem"/"Součet"/"Total" is skipped (a lab's own total line); a row starting with
  "Poznámka"/"Note" ends the table.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path, PureWindowsPath

TEMPLATE_PATH = Path(__file__).with_name("casovy_snimek_vzor.xlsx")
SHEET_NAME = "Časový snímek"
EXAMPLE_SHEET_NAME = "Příklad"
MAX_WORKERS = 4
TEMPLATE_OPERATION_ROWS = 30
SUM_TOLERANCE_MIN = 1.0
WORK_MIN_RANGE = (1.0, 1440.0)
POSITION_SUFFIX = " - pozice"

SUPPORT_WORDS_CS = {"trunk": "trup", "head": "hlava", "arm": "paže"}
_SUPPORT_ALIASES = {
    "trup": "trunk", "trunk": "trunk", "hlava": "head", "head": "head", "paze": "arm", "ruce": "arm",
    "ruka": "arm", "arm": "arm", "arms": "arm",
}  # fmt: skip
_NO_SUPPORT = {"", "-", "ne", "bez", "bez opory", "zadna", "no", "none"}

# label text (normalised: lower case, no accents, words only) -> field; a label matches when it equals
# one of the prefixes or starts with it followed by a space
_FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "company": ("firma", "company", "zamestnavatel", "employer"),
    "ico": ("ico", "company id"),
    "position": ("profese", "pracovni pozice", "pozice", "position"),
    "workplace": ("pracoviste", "workplace"),
    "date": ("datum", "date"),
    "measured_by": ("meril", "measured by"),
    "shift": ("delka smeny", "smena", "shift"),
    "meal_break": ("prestavka", "meal break"),
}
_FIELD_NAMES = {  # the template's label, for messages
    "company": "Firma", "ico": "IČO", "position": "Profese / pracovní pozice", "workplace": "Pracoviště",
    "date": "Datum měření", "measured_by": "Měřil", "shift": "Délka směny (min)",
    "meal_break": "Přestávka na jídlo a oddech (min)",
}  # fmt: skip
_INITIALS_LABELS = ("inicialy", "pracovnici", "initials", "workers")
_HEADER_OPERATION = ("operace", "operation", "cinnost")
_HEADER_MINUTES = ("minut", "min", "doba", "minutes")
_HEADER_SUPPORT = ("opora", "support")
_HEADER_VIDEO = ("video",)
_SKIP_ROW = ("celkem", "soucet", "total", "sum")
_END_ROW = ("poznamka", "poznamky", "note", "notes")


class TimeStudyError(ValueError):
    """The time study cannot be used. ``problems`` holds one sentence per problem (each names the file
    and the cell or row); ``str()`` is those sentences, one per line."""

    def __init__(self, problems: list[str] | tuple[str, ...]):
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Operation:
    name: str
    minutes: float  # minutes per shift
    supported: frozenset[str]  # of "trunk", "head", "arm"
    videos: dict[str, str]  # worker initials -> video file name; empty for an operation without video
    row: int | None = field(default=None, compare=False)  # the sheet row, for messages


@dataclass(frozen=True)
class TimeStudy:
    company: str
    ico: str
    position: str
    workplace: str
    date: str  # ISO (2025-03-12) when the cell is a date or reads as one, otherwise the text as typed
    measured_by: str
    shift_min: float
    meal_break_min: float
    workers: tuple[str, ...]
    operations: tuple[Operation, ...]
    source_name: str = ""

    @property
    def work_min(self) -> float:
        """Doba výkonu práce: the shift without the meal break (safety breaks are part of it)."""
        return self.shift_min - self.meal_break_min

    @property
    def operations_min(self) -> float:
        return sum(op.minutes for op in self.operations)

    def videos(self) -> list[tuple[Operation, str, str]]:
        """(operation, worker, video file name) for every video the study names, in sheet order."""
        return [(op, w, op.videos[w]) for op in self.operations for w in self.workers if w in op.videos]


# -- text helpers -------------------------------------------------------------------------------------


def _norm(text: object) -> str:
    """Lower case, accents removed, every run of other characters one space: 'Délka směny (min):' ->
    'delka smeny min'."""
    s = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", " ", s).strip()


def _matches(text: str, prefixes: tuple[str, ...]) -> bool:
    return any(text == p or text.startswith(p + " ") for p in prefixes)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return " ".join(str(value).split())


def _shown(value: object) -> str:
    """A cell's value as a lab would recognise it in a message."""
    return _text(value) if not isinstance(value, str) else value.strip()


def _number(value: object) -> float:
    """A number from a cell: numbers as they are, text with a decimal comma or point, spaces as thousands
    separators, an optional trailing "min". Raises ValueError with the reason."""
    if isinstance(value, bool):
        raise ValueError("is not a number")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, (datetime, date, time)):
        raise ValueError("is a date or time of day, not a number of minutes")
    s = str(value).strip().replace("\u00a0", " ").replace("\u202f", " ")
    s = re.sub(r"\s*min\.?$", "", s, flags=re.IGNORECASE)
    s = re.sub(r"(?<=\d) (?=\d{3}\b)", "", s).replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", s):
        raise ValueError("is not a number")
    return float(s)


def _date_text(value: object) -> str:
    if isinstance(value, (datetime, date)):
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    s = _text(value)
    m = re.fullmatch(r"(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})", s)
    if m:
        try:
            return date(int(m[3]), int(m[2]), int(m[1])).isoformat()
        except ValueError:
            return s
    return s


def _video_name(value: object) -> str:
    """A video cell's file name; a path typed into it is cut to its last part."""
    s = _text(value)
    return PureWindowsPath(s).name if ("/" in s or "\\" in s) else s


def _fmt(x: float) -> str:
    return f"{x:g}" if abs(x) < 1e6 else f"{x:.0f}"


def _match_key(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip().casefold()


def is_time_study_name(name: str) -> bool:
    """Whether a file in the hot folder is a time study: an .xlsx whose name starts with "časový snímek",
    "casovy snimek" or "time study" (any case, accents optional, spaces, "_" or "-" between the words).
    Excel's lock files ("~$…") and the position workbook this product writes ("… - pozice.xlsx") are not."""
    base = PureWindowsPath(str(name)).name
    if not base.lower().endswith(".xlsx") or base.startswith("~$"):
        return False
    stem = base[: -len(".xlsx")]
    if _match_key(stem).endswith(POSITION_SUFFIX):
        return False
    return _matches(_norm(stem), ("casovy snimek", "time study", "timestudy"))


# -- parsing ------------------------------------------------------------------------------------------


def _load(path: Path, src: str, data_only: bool):
    from openpyxl import load_workbook

    if not zipfile.is_zipfile(path):
        raise TimeStudyError([f"{src} is not an .xlsx workbook (an .xls, .ods or .csv file has to be saved "
                              "as 'Excel Workbook (.xlsx)' first)."])
    try:
        with path.open("rb") as fh:  # a file object: openpyxl does not insist on the .xlsx extension
            return load_workbook(fh, data_only=data_only, read_only=False)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise TimeStudyError([f"{src} cannot be read as an .xlsx workbook ({type(exc).__name__}: {exc})."]) from None


def _find_sheet(wb):
    for ws in wb.worksheets:
        if _norm(ws.title) in (_norm(SHEET_NAME), "time study"):
            return ws
    return None


def _right_of(ws, row: int, col: int) -> int:
    """The first column right of a label cell (past the label's merged range)."""
    for rng in ws.merged_cells.ranges:
        if rng.min_row <= row <= rng.max_row and rng.min_col <= col <= rng.max_col:
            return rng.max_col + 1
    return col + 1


def parse_time_study(path: str | Path, name: str | None = None) -> TimeStudy:
    """Read a time study workbook; ``TimeStudyError`` lists every problem found (``name`` is the file name
    used in the messages, the path's name by default)."""
    from openpyxl.utils import get_column_letter

    path = Path(path)
    src = name or path.name
    try:
        if not path.is_file():
            raise TimeStudyError([f"{src} cannot be read: no such file."])
    except OSError as exc:
        raise TimeStudyError([f"{src} cannot be read ({exc})."]) from None
    wb = _load(path, src, data_only=True)
    ws = _find_sheet(wb)
    if ws is None:
        sheets = ", ".join(f"'{t}'" for t in wb.sheetnames)
        raise TimeStudyError([f"{src} has no sheet '{SHEET_NAME}' (its sheets: {sheets}); use the template "
                              f"{TEMPLATE_PATH.name}."])
    problems: list[str] = []
    formulas = None

    def ref(r: int, c: int) -> str:
        return f"{get_column_letter(c)}{r}"

    def formula_at(r: int, c: int) -> str | None:
        nonlocal formulas
        if formulas is None:
            formulas = _find_sheet(_load(path, src, data_only=False))
        v = formulas.cell(r, c).value if formulas is not None else None
        return v if isinstance(v, str) and v.startswith("=") else None

    max_row, max_col = ws.max_row, min(ws.max_column, 60)
    cells = {(r, c): ws.cell(r, c).value for r in range(1, max_row + 1) for c in range(1, max_col + 1)}

    # the operations table's header
    header_row = name_col = None
    for r in range(1, max_row + 1):
        for c in range(1, max_col + 1):
            v = cells[(r, c)]
            if isinstance(v, str) and _matches(_norm(v), _HEADER_OPERATION):
                header_row, name_col = r, c
                break
        if header_row:
            break
    minutes_col = support_col = None
    video_cols: list[int] = []
    if header_row is None:
        problems.append(f"{src}: the operations table's header 'Operace' was not found on sheet '{ws.title}'.")
    else:
        for c in range(name_col + 1, max_col + 1):
            h = _norm(cells[(header_row, c)] or "")
            if not h:
                continue
            if minutes_col is None and _matches(h, _HEADER_MINUTES):
                minutes_col = c
            elif support_col is None and _matches(h, _HEADER_SUPPORT):
                support_col = c
            elif _matches(h, _HEADER_VIDEO):
                video_cols.append(c)
        if minutes_col is None:
            problems.append(f"{src}, row {header_row}: the operations table has no column 'Minut za směnu'.")
        if not video_cols:
            problems.append(f"{src}, row {header_row}: the operations table has no 'Video' column.")

    # labelled fields above the table
    last_field_row = (header_row - 1) if header_row else max_row
    found: dict[str, tuple[int, int, object]] = {}  # field -> (row, value column, value)
    initials_row = None
    for r in range(1, last_field_row + 1):
        for c in range(1, max_col + 1):
            v = cells[(r, c)]
            if not isinstance(v, str) or len(v) > 80:
                continue
            label = _norm(v)
            if initials_row is None and _matches(label, _INITIALS_LABELS):
                initials_row = r
                continue
            for key, prefixes in _FIELD_LABELS.items():
                if key in found or not _matches(label, prefixes):
                    continue
                vc = _right_of(ws, r, c)
                value_col = next((cc for cc in range(vc, min(vc + 3, max_col + 1)) if cells[(r, cc)] not in (None, "")), vc)
                found[key] = (r, value_col, cells.get((r, value_col)))
                break

    meta = {k: _text(found[k][2]) if k in found else "" for k in ("company", "position", "workplace", "measured_by")}
    ico_raw = found["ico"][2] if "ico" in found else None
    ico = str(int(ico_raw)).zfill(8) if isinstance(ico_raw, (int, float)) and not isinstance(ico_raw, bool) \
        and float(ico_raw).is_integer() and 0 <= ico_raw < 1e8 else _text(ico_raw)
    meta_date = _date_text(found["date"][2]) if "date" in found else ""

    def minutes_field(key: str, what: str, allow_zero: bool) -> float | None:
        if key not in found:
            problems.append(f"{src}: the label '{_FIELD_NAMES[key]}' was not found on sheet '{ws.title}'.")
            return None
        r, c, v = found[key]
        where = f"{src}, cell {ref(r, c)} ({_FIELD_NAMES[key]})"
        if v is None or (isinstance(v, str) and not v.strip()):
            if formula_at(r, c):
                problems.append(f"{where}: the {what} is a formula with no saved result; open the file in Excel "
                                "or LibreOffice and save it again.")
            elif allow_zero:
                problems.append(f"{where}: the {what} is empty; write 0 if there is none.")
            else:
                problems.append(f"{where}: the {what} is missing.")
            return None
        try:
            x = _number(v)
        except ValueError as exc:
            problems.append(f"{where}: the {what} '{_shown(v)}' {exc}.")
            return None
        if x < 0 or (x == 0 and not allow_zero):
            problems.append(f"{where}: the {what} must be {'0 or more' if allow_zero else 'more than 0'} "
                            f"minutes (it is {_fmt(x)}).")
            return None
        return x

    shift = minutes_field("shift", "shift length", allow_zero=False)
    meal = minutes_field("meal_break", "meal break", allow_zero=True)
    work = None
    if shift is not None and meal is not None:
        work = shift - meal
        lo, hi = WORK_MIN_RANGE
        if not lo <= work <= hi:
            problems.append(f"{src}: the work time {_fmt(work)} min (shift {_fmt(shift)} − meal break {_fmt(meal)}) "
                            f"is outside {lo:.0f}–{hi:.0f} min.")
            work = None

    # workers: the initials above the video columns
    workers: dict[int, str] = {}  # video column -> initials
    doubled: set[int] = set()  # columns whose initials repeat another's (reported once, videos there ignored)
    if header_row is not None and video_cols:
        if initials_row is None:
            problems.append(f"{src}: the label 'Iniciály pracovníků' (the workers' initials above the video "
                            f"columns) was not found on sheet '{ws.title}'.")
        else:
            seen: dict[str, int] = {}
            for c in video_cols:
                w = _text(cells[(initials_row, c)])
                if not w:
                    continue
                if _match_key(w) in seen:
                    doubled.add(c)
                    problems.append(f"{src}, cells {ref(initials_row, seen[_match_key(w)])} and {ref(initials_row, c)}: "
                                    f"the worker initials '{w}' appear twice.")
                    continue
                seen[_match_key(w)] = c
                workers[c] = w
            if not workers:
                cols = f"{ref(initials_row, video_cols[0])}–{ref(initials_row, video_cols[-1])}"
                problems.append(f"{src}, row {initials_row}: no workers; write the initials of at least one worker "
                                f"in {cols}, above that worker's video column.")

    # operations
    operations: list[Operation] = []
    all_minutes_ok = True
    rows_seen = 0
    if header_row is not None and minutes_col is not None and video_cols:
        for r in range(header_row + 1, max_row + 1):
            raw_name = cells[(r, name_col)]
            used = [cells[(r, c)] for c in [name_col, minutes_col, support_col, *video_cols] if c]
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in used):
                continue
            op_name = _text(raw_name)
            if _matches(_norm(op_name), _END_ROW):
                break
            if _matches(_norm(op_name), _SKIP_ROW):
                continue
            rows_seen += 1
            where = f"{src}, operation '{op_name}' (row {r})" if op_name else f"{src}, row {r}"
            if not op_name:
                problems.append(f"{where}: an operation without a name; write it in column "
                                f"{get_column_letter(name_col)} ('Operace').")
            # minutes
            mv = cells[(r, minutes_col)]
            minutes = None
            if mv is None or (isinstance(mv, str) and not mv.strip()):
                if formula_at(r, minutes_col):
                    problems.append(f"{where}: minutes per shift (cell {ref(r, minutes_col)}) is a formula with no "
                                    "saved result; open the file in Excel or LibreOffice and save it again.")
                else:
                    problems.append(f"{where}: minutes per shift (cell {ref(r, minutes_col)}) are missing.")
            else:
                try:
                    minutes = _number(mv)
                    if minutes <= 0:
                        problems.append(f"{where}: minutes per shift must be more than 0 (cell {ref(r, minutes_col)} "
                                        f"is {_fmt(minutes)}).")
                        minutes = None
                except ValueError as exc:
                    problems.append(f"{where}: minutes per shift '{_shown(mv)}' {exc}.")
            all_minutes_ok &= minutes is not None and bool(op_name)
            # support
            supported: set[str] = set()
            if support_col:
                sv = _text(cells[(r, support_col)])
                if _norm(sv) not in _NO_SUPPORT:
                    for word in re.split(r"[,;/+]|\s+a\s+|\s+and\s+", sv):
                        if not word.strip():
                            continue
                        kind = _SUPPORT_ALIASES.get(_norm(word))
                        if kind is None:
                            problems.append(f"{where}: support '{word.strip()}' (cell {ref(r, support_col)}) is not "
                                            "known; leave the cell empty or write trup, hlava or paže, separated by commas.")
                        else:
                            supported.add(kind)
            # videos
            videos: dict[str, str] = {}
            for c in video_cols:
                vname = _video_name(cells[(r, c)])
                if not vname:
                    continue
                if c not in workers:
                    if initials_row is not None and c not in doubled:
                        problems.append(f"{where}: video '{vname}' is in column {get_column_letter(c)}, but "
                                        f"{ref(initials_row, c)} has no worker initials; write the worker's initials there.")
                    continue
                videos[workers[c]] = vname
            if op_name and minutes is not None:
                operations.append(Operation(op_name, minutes, frozenset(supported), videos, row=r))
            elif op_name:
                operations.append(Operation(op_name, 0.0, frozenset(supported), videos, row=r))

        if not rows_seen:
            problems.append(f"{src}: no operations under the header 'Operace' (row {header_row}); list the operations "
                            "of the shift with their minutes per shift.")
        # duplicate video names (case-insensitive), over all operations and workers
        first: dict[str, tuple[Operation, str]] = {}
        for op in operations:
            for w, v in op.videos.items():
                k = _match_key(v)
                if k in first:
                    op0, w0 = first[k]
                    problems.append(f"{src}: video '{v}' is named twice: operation '{op0.name}' (row {op0.row}, worker "
                                    f"{w0}) and operation '{op.name}' (row {op.row}, worker {w}); every operation and "
                                    "worker needs its own video.")
                else:
                    first[k] = (op, w)
        # a worker without any video; an operation with videos for some workers only
        filmed = {w for op in operations for w in op.videos}
        for c, w in workers.items():
            if operations and w not in filmed:
                problems.append(f"{src}: worker {w} (column {get_column_letter(c)}) has no video in any operation.")
        for op in operations:
            missing = [w for w in workers.values() if w in filmed and w not in op.videos]
            if op.videos and missing:
                problems.append(f"{src}, operation '{op.name}' (row {op.row}): no video for worker(s) {', '.join(missing)}; "
                                "give every worker's video of the operation, or none for an operation without recorded "
                                "posture (such as a safety break).")
        # the operations add up to the work time
        if work is not None and operations and all_minutes_ok:
            total = sum(op.minutes for op in operations)
            if abs(total - work) > SUM_TOLERANCE_MIN + 1e-9:
                problems.append(f"{src}: the operations add up to {_fmt(total)} min, but the work time is {_fmt(work)} min "
                                f"(shift {_fmt(shift)} − meal break {_fmt(meal)}); they must agree within "
                                f"±{SUM_TOLERANCE_MIN:g} min.")
    if problems:
        raise TimeStudyError(problems)
    return TimeStudy(
        company=meta["company"], ico=ico, position=meta["position"], workplace=meta["workplace"], date=meta_date,
        measured_by=meta["measured_by"], shift_min=float(shift), meal_break_min=float(meal),
        workers=tuple(workers.values()), operations=tuple(operations), source_name=src,
    )  # fmt: skip


# -- the videos a study names ---------------------------------------------------------------------------


def resolve_video(name: str, available: set[str] | list[str] | dict) -> str | None:
    """The available name a study's video name refers to: the same name, else the same ignoring case and
    Unicode form, else (when the study omits the extension) the one name with that stem; None if none."""
    names = list(available)
    if name in names:
        return name
    key = _match_key(name)
    same = [n for n in names if _match_key(n) == key]
    if len(same) == 1:
        return same[0]
    if "." not in name:
        stems = [n for n in names if _match_key(n).rsplit(".", 1)[0] == key]
        if len(stems) == 1:
            return stems[0]
    return None


def check_videos(study: TimeStudy, available: set[str]) -> list[str]:
    """One sentence per video the study names that is not among ``available`` (file names), naming the
    operation and the worker; empty when every video is there."""
    out = []
    for op, w, v in study.videos():
        if resolve_video(v, available) is None:
            hint = difflib.get_close_matches(v, sorted(available), n=1, cutoff=0.75)
            out.append(f"{study.source_name}: video '{v}' of operation '{op.name}' (worker {w}) is not in the folder"
                       + (f" (did you mean '{hint[0]}'?)." if hint else "."))
    return out


# -- the template ----------------------------------------------------------------------------------------

EXAMPLE = {
    "company": "Strojírny Příklad s.r.o.", "ico": "12345678", "position": "Svářeč", "workplace": "Hala 2, svařovna",
    "date": date(2025, 3, 12), "measured_by": "Ing. Jana Nováková", "shift": 480, "meal_break": 30,
    "workers": ("PK", "MS"),
    "operations": (
        ("Příprava a stehování dílců", 120, "", ("priprava PK.mp4", "priprava MS.mp4")),
        ("Svařování", 240, "paže", ("svarovani PK.mp4", "svarovani MS.mp4")),
        ("Broušení a kontrola svarů", 90, "trup", ("brouseni PK.mp4", "brouseni MS.mp4")),
    ),
}  # fmt: skip

_INSTRUCTIONS = (
    "Vyplňte žluté buňky. Doba výkonu práce = délka směny − přestávka na jídlo a oddech (bezpečnostní přestávky "
    "se do ní započítávají). Součet minut operací musí odpovídat době výkonu práce (±1 min). Do řádku 'Iniciály "
    "pracovníků' napište iniciály měřených pracovníků (nejvýše 4), pod ně do sloupců Video název souboru videa "
    "dané operace tak, jak je v hot folderu. Opora: prázdné, nebo trup, hlava, paže (odděleně čárkou), je-li "
    "část těla při operaci opřena. Operace bez videa (např. bezpečnostní přestávka) nechte bez videí. Soubor "
    "uložte jako .xlsx s názvem začínajícím 'časový snímek'."
)


def _template_sheet(ws, example: bool) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    fill_in = PatternFill("solid", fgColor="FFF2CC")
    head = PatternFill("solid", fgColor="D9E1F2")
    thin = Side(style="thin", color="808080")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws["A1"] = "Časový snímek pracovní směny — hodnocení pracovních poloh (NV č. 361/2007 Sb.)"
    ws["A1"].font = Font(bold=True, size=14)
    last_col = 3 + MAX_WORKERS
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=last_col)
    ws["A2"] = _INSTRUCTIONS
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[2].height = 92
    fields = [("company", 4), ("ico", 5), ("position", 6), ("workplace", 7), ("date", 8), ("measured_by", 9),
              ("shift", 11), ("meal_break", 12)]
    for key, r in fields:
        ws.cell(r, 1, _FIELD_NAMES[key]).font = bold
        cell = ws.cell(r, 2, EXAMPLE[key] if example else None)
        cell.fill, cell.border = fill_in, box
        if key == "ico":
            cell.number_format = "@"
        if key == "date":
            cell.number_format = "d. m. yyyy"
        if key in ("company", "position", "workplace", "measured_by"):
            ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=4)
    first_op, last_op = 18, 18 + TEMPLATE_OPERATION_ROWS - 1
    ws["A13"], ws["B13"] = "Doba výkonu práce (min)", "=B11-B12"
    ws["A14"], ws["B14"] = "Součet minut operací (min)", f"=SUM(B{first_op}:B{last_op})"
    ws["C13"] = "vypočte se"
    ws["C14"] = "musí odpovídat době výkonu práce (±1 min)"
    for r in (13, 14):
        ws.cell(r, 1).font = Font(italic=True)
        ws.cell(r, 3).font = Font(italic=True, color="808080")
    ws.merge_cells("A16:C16")
    ws["A16"] = "Iniciály pracovníků"
    ws["A16"].font = bold
    ws["A16"].alignment = Alignment(horizontal="right")
    headers = ["Operace", "Minut za směnu", "Opora (trup, hlava, paže)"] + [
        f"Video – pracovník {i}" for i in range(1, MAX_WORKERS + 1)]
    for i, h in enumerate(headers, start=1):
        c = ws.cell(17, i, h)
        c.font, c.fill, c.border = bold, head, box
        c.alignment = Alignment(wrap_text=True, vertical="center")
    for i in range(MAX_WORKERS):
        c = ws.cell(16, 4 + i, EXAMPLE["workers"][i] if example and i < len(EXAMPLE["workers"]) else None)
        c.fill, c.border, c.font = fill_in, box, bold
        c.alignment = Alignment(horizontal="center")
    for r in range(first_op, last_op + 1):
        for col in range(1, last_col + 1):
            ws.cell(r, col).border = box
            ws.cell(r, col).fill = fill_in
    if example:
        for i, (name, minutes, support, videos) in enumerate(EXAMPLE["operations"]):
            r = first_op + i
            ws.cell(r, 1, name)
            ws.cell(r, 2, minutes)
            ws.cell(r, 3, support or None)
            for j, v in enumerate(videos):
                ws.cell(r, 4 + j, v)
    widths = [36, 16, 24] + [26] * MAX_WORKERS
    for i, wdt in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = wdt
    ws.row_dimensions[17].height = 30
    _print_setup(ws, landscape=True)


def _print_setup(ws, landscape: bool = False) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0


def write_template(path: str | Path, example: bool = False) -> Path:
    """Write the time-study template: the sheet "Časový snímek" (empty, or with ``example`` the worked
    example: 2 workers, 3 operations, shift 480 min, meal break 30 min). The empty template also carries
    the example on a second sheet "Příklad", which the parser ignores."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_NAME
    _template_sheet(ws, example)
    if not example:
        _template_sheet(wb.create_sheet(EXAMPLE_SHEET_NAME), True)
    wb.properties.creator = "ergo hot folder"
    wb.properties.title = "Časový snímek"
    wb.properties.created = datetime(2025, 1, 1)
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    wb.save(tmp)
    tmp.replace(path)
    return path


if __name__ == "__main__":  # regenerate the shipped template: python -m processor.nv361.timestudy
    print(write_template(TEMPLATE_PATH))
