"""Per-frame angles -> seconds per NV 361 catalogue row -> minutes per shift -> category.

Every episode of every signal (``processor.episodes``) goes to at most one row: the row of its signal
and zone whose work (static if held > 4 s, else dynamic), frequency class, condition and support match.
Episodes that match no row (e.g. a dynamic trunk flexion of 40–60°, which the catalogue does not list)
are kept in the episode list with no row. A row's minutes per shift are its seconds ÷ the seconds its
signal was measured × the work time (or the operation's minutes, in a time study).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from processor.episodes import Episode, find_episodes, frame_durations
from processor.nv361 import CatalogueRow, load_catalogue
from processor.nv361.category import BASE_LIMITS_MIN, WorkTime, category, limits
from processor.nv361.signals import SIGNALS, Signal
from processor.sufficiency import Withheld, withheld

SIDE_BEND_ROW_DEG = 20.0
HEAD_FLEXION_ROW_MAX_DEG = 40.0
HEAD_EXTENSION_ROW_MIN_DEG = -15.0


@dataclass(frozen=True)
class RowEpisode:
    signal: str
    zone: str
    row_id: str | None  # None: no catalogue row for this posture
    start_s: float
    duration_s: float
    static: bool
    per_min: float
    low: float
    high: float


@dataclass(frozen=True)
class RowResult:
    row: CatalogueRow
    # "measured" | "not_from_video" | "not_measured" (signal absent) | "not_applicable" (the video is marked
    # supported and the row is about unsupported postures) | "needs_support" (a supported-posture row, video not marked)
    status: str
    seconds: float
    analysed_s: float  # seconds the row's signal was measured
    episodes: int
    longest_s: float

    @property
    def measured(self) -> bool:
        """The row's body part was measured, so its minutes count (0 where the row does not apply)."""
        return self.status in ("measured", "not_applicable", "needs_support") and self.analysed_s > 0


@dataclass(frozen=True)
class CatalogueResult:
    duration_s: float
    analysed_s: float  # frames where at least one signal was measured
    signal_analysed_s: dict[str, float]
    rows: tuple[RowResult, ...]
    episodes: tuple[RowEpisode, ...]
    supported: frozenset[str]

    def row(self, row_id: str) -> RowResult:
        return next(r for r in self.rows if r.row.id == row_id)


def _condition(row: CatalogueRow, ep: Episode, df: pd.DataFrame) -> bool:
    if row.condition == "high_le40":
        return ep.high <= HEAD_FLEXION_ROW_MAX_DEG
    if row.condition == "low_ge-15":
        return ep.low >= HEAD_EXTENSION_ROW_MIN_DEG
    if row.condition == "side_gt20":
        side = df["trunk_side_bend_deg"].to_numpy(dtype=float)[ep.start:ep.stop] if "trunk_side_bend_deg" in df else []
        return bool(len(side)) and bool(np.nanmax(np.abs(side)) > SIDE_BEND_ROW_DEG)
    return True


def match_row(rows: tuple[CatalogueRow, ...], signal: Signal, ep: Episode, df: pd.DataFrame,
              supported: frozenset[str]) -> CatalogueRow | None:
    """The one catalogue row an episode belongs to, or None; more than one is a catalogue error."""
    zone = signal.zones[ep.zone]
    found = [
        r for r in rows
        if r.signal == signal.key and r.zone == zone and r.measurable and r.static == ep.static
        and (ep.static or r.high_frequency == ep.high_frequency)
        and r.applies_with(supported) and _condition(r, ep, df)
    ]  # fmt: skip
    if len(found) > 1:
        raise AssertionError(f"episode of {signal.key}/{zone} matches rows {[r.id for r in found]}")
    return found[0] if found else None


def evaluate_catalogue(df: pd.DataFrame, supported: frozenset[str] = frozenset(),
                       duration_s: float | None = None, rows: tuple[CatalogueRow, ...] | None = None) -> CatalogueResult:
    """Seconds per catalogue row in a per-frame angle table (columns as ``ANGLE_COLUMNS``; missing = not measured)."""
    rows = rows or load_catalogue()
    t = df["time_s"].to_numpy(dtype=float) if len(df) else np.zeros(0)
    dt = frame_durations(t)
    if len(t) == 1 and duration_s:
        dt = np.array([float(duration_s)])
    if duration_s is None:
        duration_s = float(t[-1] - t[0] + dt[-1]) if len(t) else 0.0
    seconds = {r.id: 0.0 for r in rows}
    counts = {r.id: 0 for r in rows}
    longest = {r.id: 0.0 for r in rows}
    analysed: dict[str, float] = {}
    any_measured = np.zeros(len(t), bool)
    episodes: list[RowEpisode] = []
    for signal in SIGNALS.values():
        values, zones = signal.evaluate(df)
        eps, final = find_episodes(t, values, signal.borders, zones=zones) if len(t) else ([], np.zeros(0, int))
        measured = final >= 0
        any_measured |= measured
        analysed[signal.key] = float(dt[measured].sum())
        for ep in eps:
            row = match_row(rows, signal, ep, df, supported)
            dur = float(dt[ep.start:ep.stop].sum())
            if row is not None:
                seconds[row.id] += dur
                counts[row.id] += 1
                longest[row.id] = max(longest[row.id], dur)
            episodes.append(RowEpisode(signal.key, signal.zones[ep.zone], row.id if row else None, ep.start_s,
                                       dur, ep.static, ep.per_min, ep.low, ep.high))
    results = []
    for r in rows:
        a = analysed.get(r.signal, 0.0)
        if not r.measurable:
            status = "not_from_video"
        elif a <= 0:
            status = "not_measured"
        elif not r.applies_with(supported):
            status = "needs_support" if r.support.startswith("supported:") else "not_applicable"
        else:
            status = "measured"
        results.append(RowResult(r, status, seconds[r.id], a, counts[r.id], longest[r.id]))
    episodes.sort(key=lambda e: (e.start_s, e.signal))
    return CatalogueResult(
        duration_s=float(duration_s), analysed_s=float(dt[any_measured].sum()), signal_analysed_s=analysed,
        rows=tuple(results), episodes=tuple(episodes), supported=frozenset(supported),
    )


# -- minutes per shift and the category ---------------------------------------------------------------


@dataclass(frozen=True)
class RowAssessment:
    row: CatalogueRow
    minutes: float | None  # None: not assessed (not measured / not from video)
    category: int | None
    limits: tuple[float, float]  # (end of category 1, end of category 2), corrected for the work time
    # the minutes with every angle moved by its typical error down and up (``minutes_range``), and
    # whether that range crosses a category limit
    minutes_range: tuple[float, float] | None = None

    @property
    def category_range(self) -> tuple[int, int] | None:
        if self.minutes_range is None or self.category is None:
            return None
        lo, hi = self.minutes_range
        c = self.row.row_class
        k = self.limits[0] / BASE_LIMITS_MIN[c][0]
        return min(category(lo, c, k), self.category), max(category(hi, c, k), self.category)

    @property
    def borderline(self) -> bool:
        r = self.category_range
        return r is not None and r[0] != r[1]


@dataclass(frozen=True)
class Assessment:
    work: WorkTime
    rows: tuple[RowAssessment, ...]
    category: int | None  # None when no row was assessed
    deciding: tuple[str, ...]  # ids of the rows that set the category (when it is above 1)
    pp_minutes: float  # the regulation's summary rule, for information
    n_minutes: float
    withheld: Withheld | None = None  # too little or too holey data: no category (processor.sufficiency)

    def row(self, row_id: str) -> RowAssessment:
        return next(r for r in self.rows if r.row.id == row_id)

    @property
    def category_range(self) -> tuple[int, int] | None:
        """(lowest, highest) category within the measurement uncertainty; None without ranges."""
        ranges = [r.category_range for r in self.rows if r.category_range is not None]
        if self.category is None or not ranges:
            return None
        return max(lo for lo, _ in ranges), max(hi for _, hi in ranges)


def row_minutes(result: CatalogueResult, work_minutes: float) -> dict[str, float | None]:
    """Minutes per shift of every row: seconds ÷ the signal's measured seconds × the work time."""
    out: dict[str, float | None] = {}
    for r in result.rows:
        if r.measured:
            out[r.row.id] = r.seconds / r.analysed_s * work_minutes
        else:
            out[r.row.id] = None
    return out


def assess(minutes: dict[str, float | None], work: WorkTime, rows: tuple[CatalogueRow, ...] | None = None,
           ranges: dict[str, tuple[float, float]] | None = None, withheld: Withheld | None = None) -> Assessment:
    """Category per row and for the whole (a video, or a position's averaged minutes); ``ranges``: the
    minutes within the measurement uncertainty (``minutes_ranges``), for the borderline marks;
    ``withheld``: the data cannot carry a verdict, so the minutes are shown and no category is given."""
    rows = rows or load_catalogue()
    out = []
    for r in rows:
        m = minutes.get(r.id)
        lim = limits(r.row_class, work.coefficient)
        rng = (ranges or {}).get(r.id) if m is not None and withheld is None else None
        cat = category(m, r.row_class, work.coefficient) if m is not None and withheld is None else None
        out.append(RowAssessment(r, m, cat, lim, rng))
    cats = [a.category for a in out if a.category is not None]
    top = max(cats) if cats else None
    deciding = tuple(a.row.id for a in out if top is not None and top > 1 and a.category == top)
    return Assessment(
        work=work, rows=tuple(out), category=top, deciding=deciding,
        pp_minutes=sum(a.minutes or 0.0 for a in out if a.row.row_class == "PP"),
        n_minutes=sum(a.minutes or 0.0 for a in out if a.row.row_class == "N"),
        withheld=withheld,
    )


# Angles whose magnitude the catalogue rates: the typical error moves them away from / toward 0.
_MAGNITUDES = ("trunk_side_bend_deg", "trunk_twist_deg", "head_side_bend_deg", "head_rotation_deg")


def minutes_ranges(df: pd.DataFrame, work_minutes: float, supported: frozenset[str] = frozenset(),
                   duration_s: float | None = None, rows: tuple[CatalogueRow, ...] | None = None
                   ) -> dict[str, tuple[float, float]]:
    """Per row, the minutes per shift with every angle moved by the typical error of the view it was
    seen from (larger where the legs were hidden: ``processor.accuracy``) downward and then upward: the
    measurement uncertainty of the row.

    Moving all angles one way at once is the pessimistic reading of a systematic error (the kind a
    single camera makes: a whole hold reads a few degrees off), which is what can move a posture across
    a zone border for seconds at a time; random jitter is already absorbed by the hysteresis.

    A body part measured for only part of the analysed time (an arm whose elbow is hidden behind the
    body, legs behind a bench) widens the range by what the unmeasured time could have held: none of it
    in the row's posture (the row's seconds over all the analysed seconds) up to all of it (its seconds
    plus the unmeasured ones, over all the analysed seconds). The minutes themselves are extrapolated
    from the part's measured time, which lies between the two. Why: whether a part is seen depends on
    the posture (seen from the side, the far arm shows when it is raised and hides when it hangs: on
    the rendered side views it was seen on 8 % of the frames, mostly while raised, and 1.3 s of a raise
    read as the whole shift), so the measured time is not a fair sample of the unmeasured one."""
    from processor.accuracy import legs_hidden, typical_errors

    az = df["camera_azimuth_deg"].to_numpy(dtype=float) if "camera_azimuth_deg" in df.columns else None
    errors = typical_errors(az, len(df), legs_hidden(df))
    results = [evaluate_catalogue(df, supported, duration_s, rows)]
    for sign in (-1.0, 1.0):
        moved = df.copy()
        for col, e in errors.items():
            if col not in moved.columns:
                continue
            v = moved[col].to_numpy(dtype=float)
            moved[col] = v + sign * e * (np.sign(v) if col in _MAGNITUDES else 1.0)
        results.append(evaluate_catalogue(moved, supported, duration_s, rows))
    minutes = [row_minutes(r, work_minutes) for r in results]
    out = {}
    for rid, m in minutes[0].items():
        if m is None:
            continue
        values = [x[rid] for x in minutes if x[rid] is not None]
        for res in results:
            r, total = res.row(rid), res.analysed_s
            if r.status == "measured" and 0 < r.analysed_s < total:  # a row that does not apply holds no time
                unmeasured = total - r.analysed_s
                values += [r.seconds / total * work_minutes, (r.seconds + unmeasured) / total * work_minutes]
        out[rid] = (min(values), max(values))
    return out


PART_NAMES = {
    "en": {"trunk": "trunk", "head_neck": "head and neck", "arm_right": "right arm", "arm_left": "left arm",
           "legs": "lower limbs", "other": "other"},
    "cs": {"trunk": "trup", "head_neck": "hlava a krk", "arm_right": "pravá horní končetina",
           "arm_left": "levá horní končetina", "legs": "dolní končetiny", "other": "ostatní"},
}
WORK_NAMES = {"en": {"static": "static", "dynamic": "dynamic"}, "cs": {"static": "statická", "dynamic": "dynamická"}}


def sentence(a: Assessment, lang: str) -> str:
    """The overall assessment in one sentence, naming the rows that set the category."""
    cs = lang == "cs"
    if a.withheld is not None:
        return a.withheld.text(lang)
    if a.category is None:
        return ("Žádnou položku katalogu nebylo možné z videa posoudit." if cs
                else "No catalogue row could be assessed from the video.")
    if a.category == 1:
        return ("Doba žádné pracovní polohy nepřekračuje limity kategorie 1; navržená kategorie: 1." if cs
                else "No working posture exceeds the limits of category 1; proposed category: 1.") + _borderline_note(a, lang)
    by_row = {r.row.id: r for r in a.rows}
    items = []
    for rid in a.deciding:
        ra = by_row[rid]
        items.append(f"{ra.row.text(lang)} ({PART_NAMES[lang][ra.row.part]}, {WORK_NAMES[lang][ra.row.work]}, "
                     f"{ra.minutes:.0f} min)")
    joined = "; ".join(items)
    if cs:
        text = f"Navržená kategorie {a.category}: rozhodují položky {joined}."
    else:
        text = f"Proposed category {a.category}, set by: {joined}."
    return text + _borderline_note(a, lang)


def _borderline_note(a: Assessment, lang: str) -> str:
    """A sentence when the category could differ within the measurement uncertainty."""
    rng = a.category_range
    if rng is None or rng[0] == rng[1]:
        return ""
    rows = [r for r in a.rows if r.borderline]
    if lang == "cs":
        return (f" V rámci nejistoty měření by kategorie mohla být {rng[0]}–{rng[1]} (hraniční položky: "
                f"{'; '.join(r.row.text_cs for r in rows)}); ověřte je na videu.")
    return (f" Within the measurement uncertainty the category could be {rng[0]}–{rng[1]} (borderline rows: "
            f"{'; '.join(r.row.text_en for r in rows)}); check them on the video.")


def frame_levels(df: pd.DataFrame, rows: tuple[CatalogueRow, ...] | None = None) -> list[str | None]:
    """Per frame, the most severe class of any catalogue row whose signal zone the frame is in:
    "unacceptable" (an N row), "conditional" (PP rows only), "acceptable", or None (nothing measured).
    For the preview's colour bar; static/dynamic is not known frame by frame, so any row of the zone counts."""
    rows = rows or load_catalogue()
    rank = np.full(len(df), -1)
    for signal in SIGNALS.values():
        _, zones = signal.evaluate(df)
        for zi, zone in enumerate(signal.zones):
            classes = {r.row_class for r in rows if r.signal == signal.key and r.zone == zone and r.measurable}
            level = 2 if "N" in classes else 1 if classes else 0
            rank = np.where(zones == zi, np.maximum(rank, level), rank)
    names = ("acceptable", "conditional", "unacceptable")
    return [names[r] if r >= 0 else None for r in rank]


def evaluate_and_assess(df: pd.DataFrame, work: WorkTime, supported: frozenset[str] = frozenset(),
                        duration_s: float | None = None) -> tuple[CatalogueResult, Assessment]:
    """One video's catalogue result and its assessment for ``work``, with the uncertainty ranges."""
    rows = load_catalogue()
    result = evaluate_catalogue(df, supported, duration_s, rows)
    ranges = minutes_ranges(df, work.minutes, supported, duration_s, rows)
    times = df["time_s"].to_numpy(dtype=float) if len(df) else np.zeros(0)
    held = withheld(times, result.analysed_s)
    return result, assess(row_minutes(result, work.minutes), work, rows, ranges, withheld=held)
