"""Time in posture zones: per body part and zone, time, share, episodes, holds, frequency, verdicts.

Episodes follow the shared rules of ``processor.episodes`` (one implementation for every standard):

- **Zones with hysteresis.** A part's zone borders (the ``lo``/``hi`` of its zones, each closed on the
  side the profile says) become ``episodes.Border`` s; a frame keeps its zone until the rated angle
  (``|angle|`` for ``absolute`` parts such as side bend and twist) is more than ``HYSTERESIS_DEG``
  beyond a border, so an angle wobbling around a border is one posture, not many.
- **Blips removed.** An excursion into a zone shorter than ``MIN_EPISODE_S`` (1 s) is not a posture: it
  is given back to its neighbours (``remove_blips``) and counts neither as time in that zone nor as an
  episode, a hold or a movement.
- **Episodes and holds.** An episode is one unbroken stay in a zone of the final (hysteresis, blips
  removed) zone sequence; a hold *is* an episode. Time per zone is the time of the frames of the final
  zone sequence in it. An episode is **static** when held *longer than* the zone's ``static_after_s``
  (4 s in EN 1005-4; ``episodes.STATIC_AFTER_S`` where the zone sets none), as in ``processor.episodes``.
- **Frequency (EN 1005-4).** The movements into a zone per minute are that zone's episodes divided by the
  part's analysed minutes (after hysteresis and blip removal). This mean rate is chosen over the
  per-episode 60-s window rate (``Episode.per_min``) because a zone profile gives one effective level
  per zone (the Zones sheet has one row per zone) and treats the video as a sample of the shift, the
  same premise that extrapolates the zone shares; a windowed rate differs between the episodes of one
  zone and would need a per-episode level the profiles cannot express. For a video up to 60 s long
  both are the same number. ``ZoneStats.frequency_per_min`` is the rate the rule used, and the report's
  Zones sheet shows that field.
- **ISO 11226 covers static postures only.** Its holding-time limits apply to holds (episodes), rated on
  each hold's median angle; a dynamic episode (at most 4 s) can never reach a limit (1 minute and
  more), and brief excursions (under 1 s) are removed before anything is counted, so they no longer
  create holds, zone time or verdicts. Time of a real episode in a "not recommended" zone is counted
  whatever its length (a posture of a second or more is not made acceptable by being short).

Each analysed frame stands for the time until the next frame (its presentation timestamp to the
next one; the last frame gets the median step; ``episodes.frame_durations``). A gap longer than twice
the median step is not credited to anyone. NaN angles are "not analysed": they count in no zone, never
as neutral, and end an episode.

The video is taken as a sample of the shift: every zone's share of the analysed time is
extrapolated to ``shift_hours``, and the standard's per-shift limits are checked on those minutes.
The limits are the profile's absolute minutes (e.g. ``iso11226-shift``: 160 min conditionally
acceptable and 30 min unacceptable per 8-h shift), and the combined limit is a share of the given shift.
The NV 361/2007 catalogue itself is not a zone profile: see ``processor.nv361``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from processor.episodes import MIN_EPISODE_S, STATIC_AFTER_S, Border, find_episodes
from processor.episodes import frame_durations as frame_durations  # re-exported: one definition
from processor.standards import LEVEL_RANK, BodyPart, Standard
from processor.sufficiency import withheld

VERDICTS = ("acceptable", "conditionally_acceptable", "unacceptable", "not_assessed")
_LEVEL_TO_VERDICT = {"acceptable": "acceptable", "conditional": "conditionally_acceptable",
                     "unacceptable": "unacceptable"}
_VERDICT_RANK = {"acceptable": 0, "conditionally_acceptable": 1, "unacceptable": 2}
LIST_HOLDS_FROM_S = MIN_EPISODE_S  # holds shorter than this (short passages) are not listed (unless over a limit)


@dataclass(frozen=True)
class Reason:
    """Why a verdict is what it is; ``code`` + ``params`` are rendered in the report's language."""

    code: str  # hold_over_limit | unacceptable_present | unacceptable_over_limit |
    #            conditional_present | conditional_over_limit | combined_over_limit | not_analysed
    params: tuple[tuple[str, object], ...] = ()

    def get(self, key: str):
        return dict(self.params).get(key)


@dataclass(frozen=True)
class Hold:
    part: str
    zone: str
    level: str  # the zone's effective level
    start_s: float
    end_s: float
    duration_s: float
    median_angle_deg: float
    limit_s: float | None
    over_limit: bool
    static: bool  # held longer than the zone's static_after_s (STATIC_AFTER_S where it sets none)


@dataclass(frozen=True)
class ZoneStats:
    key: str
    interval: str
    level: str  # from the table
    effective_level: str  # after the frequency / static-posture rules
    time_s: float
    share: float  # of the part's analysed time, 0..1
    shift_min: float  # extrapolated to the shift
    episodes: int  # stays in the zone after hysteresis and blip removal
    longest_hold_s: float
    holds_over_limit: int
    frequency_per_min: float  # episodes (movements into the zone) per analysed minute: what the rule used


@dataclass(frozen=True)
class PartResult:
    key: str
    column: str
    analysed_s: float
    analysed_share: float  # of the video's duration
    zones: tuple[ZoneStats, ...]
    holds: tuple[Hold, ...]
    conditional_shift_min: float
    unacceptable_shift_min: float
    verdict: str
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class TimeAnalysis:
    standard: str
    duration_s: float
    analysed_s: float  # frames where at least one part was measured
    analysed_share: float
    shift_hours: float
    parts: tuple[PartResult, ...]
    conditional_shift_min: float  # any part in a conditional posture (and none unacceptable)
    unacceptable_shift_min: float  # any part in an unacceptable posture
    overall_verdict: str
    reasons: tuple[Reason, ...]

    def part(self, key: str) -> PartResult:
        return next(p for p in self.parts if p.key == key)

    @property
    def verdicts(self) -> dict[str, str]:
        return {p.key: p.verdict for p in self.parts}


def zone_borders(part: BodyPart) -> tuple[Border, ...]:
    """The borders between a part's consecutive zones; a value exactly on one belongs to the zone
    whose side is closed there (the profile's ``lo_closed`` of the upper zone)."""
    return tuple(Border(at=float(lo.hi), upper_closed=bool(hi.lo_closed)) for lo, hi in zip(part.zones, part.zones[1:]))


def _max_level(*levels: str) -> str:
    return max(levels, key=LEVEL_RANK.__getitem__)


def analyse_times(df: pd.DataFrame, standard: Standard, shift_hours: float = 8.0,
                  duration_s: float | None = None) -> TimeAnalysis:
    """Time analysis of a per-frame angle table (columns = ANGLE_COLUMNS) under ``standard``."""
    t = df["time_s"].to_numpy(dtype=float) if len(df) else np.zeros(0)
    dt = frame_durations(t)
    if len(t) == 1 and duration_s:
        dt = np.array([float(duration_s)])  # a one-frame video: the frame stands for all of it
    if duration_s is None:
        duration_s = float(t[-1] - t[0] + dt[-1]) if len(t) else 0.0
    shift_min_total = shift_hours * 60.0
    parts: list[PartResult] = []
    frame_levels = []  # per part: (N,) level rank, -1 not measured
    for part in standard.parts:
        res, lv = _analyse_part(df, part, t, dt, duration_s, standard, shift_min_total)
        parts.append(res)
        frame_levels.append(lv)

    if frame_levels and len(t):
        stack = np.vstack(frame_levels)
        measured = (stack >= 0).any(axis=0)
        worst = stack.max(axis=0)
    else:
        measured = np.zeros(len(t), bool)
        worst = np.full(len(t), -1)
    analysed_s = float(dt[measured].sum())
    if analysed_s > 0:
        cond_min = float(dt[worst == LEVEL_RANK["conditional"]].sum()) / analysed_s * shift_min_total
        unacc_min = float(dt[worst == LEVEL_RANK["unacceptable"]].sum()) / analysed_s * shift_min_total
    else:
        cond_min = unacc_min = 0.0

    held = withheld(t, analysed_s)
    if held is not None:  # no verdict from a sample too small or too holey (processor.sufficiency)
        parts = [replace(p, verdict="not_assessed") for p in parts]
    assessed = [p.verdict for p in parts if p.verdict != "not_assessed"]
    reasons: list[Reason] = []
    if held is not None:
        overall = "not_assessed"
        reasons.append(Reason("withheld", (("withheld", held),)))
    elif not assessed:
        overall = "not_assessed"
        reasons.append(Reason("not_analysed"))
    else:
        overall = max(assessed, key=_VERDICT_RANK.__getitem__)
        overall, more = _shift_checks(cond_min, unacc_min, standard, shift_min_total, overall)
        reasons.extend(more)
        for p in parts:
            if p.verdict == overall and overall != "acceptable":
                reasons.append(Reason("part", (("part", p.key),)))
    return TimeAnalysis(
        standard=standard.name, duration_s=duration_s, analysed_s=analysed_s,
        analysed_share=min(1.0, analysed_s / duration_s) if duration_s > 0 else 0.0,
        shift_hours=shift_hours, parts=tuple(parts), conditional_shift_min=cond_min,
        unacceptable_shift_min=unacc_min, overall_verdict=overall, reasons=tuple(reasons),
    )


def _analyse_part(df, part: BodyPart, t, dt, duration_s, standard: Standard, shift_min_total):
    n = len(t)
    values = df[part.column].to_numpy(dtype=float) if n else np.zeros(0)
    rated = np.abs(values) if part.absolute else values
    if n:
        found, idx = find_episodes(t, rated, zone_borders(part))
    else:
        found, idx = [], np.zeros(0, dtype=int)
    measured = idx >= 0
    analysed_s = float(dt[measured].sum())
    analysed_min = analysed_s / 60.0

    # Episodes per zone as (start, stop, seconds); seconds from ``dt`` (a one-frame video's frame
    # stands for the whole video, which episodes.frame_durations cannot know).
    episodes: list[list[tuple[int, int, float]]] = [[] for _ in part.zones]
    for ep in found:
        episodes[ep.zone].append((ep.start, ep.stop, float(dt[ep.start:ep.stop].sum())))

    def is_static(zone, dur: float) -> bool:
        after = zone.static_after_s if zone.static_after_s is not None else STATIC_AFTER_S
        return dur > after + 1e-9  # "longer than", as processor.episodes

    # Effective level per zone: the frequency rule, then static holds.
    eff: list[str] = []
    freq: list[float] = []
    for zi, zone in enumerate(part.zones):
        f = len(episodes[zi]) / analysed_min if analysed_min > 0 else 0.0
        freq.append(f)
        level = zone.level
        if zone.frequency is not None and episodes[zi]:
            level = zone.frequency.at_or_above if f >= zone.frequency.per_min - 1e-9 else zone.frequency.below
        if zone.static_after_s is not None and any(is_static(zone, d) for _, _, d in episodes[zi]):
            level = _max_level(level, zone.static_level)
        eff.append(level)

    holds: list[Hold] = []
    zones_out: list[ZoneStats] = []
    reasons: list[Reason] = []
    verdict_rank = 0
    for zi, zone in enumerate(part.zones):
        time_s = float(dt[idx == zi].sum())
        longest = 0.0
        over = 0
        for a, b, dur in episodes[zi]:
            longest = max(longest, dur)
            med = float(np.median(rated[a:b]))
            limit = zone.hold_limit_s(med)
            is_over = limit is not None and dur > limit
            over += is_over
            if eff[zi] != "acceptable" and (is_over or dur >= max(standard.hold_min_s, LIST_HOLDS_FROM_S) - 1e-9):
                holds.append(Hold(part.key, zone.key, eff[zi], float(t[a]), float(t[a]) + dur, dur,
                                  med, limit, bool(is_over), is_static(zone, dur)))
        if over:
            verdict_rank = max(verdict_rank, _VERDICT_RANK[_LEVEL_TO_VERDICT[zone.over_hold_level]])
            reasons.append(Reason("hold_over_limit", (("zone", zone.key), ("count", over))))
        share = time_s / analysed_s if analysed_s > 0 else 0.0
        zones_out.append(ZoneStats(
            key=zone.key, interval=zone.interval_text(), level=zone.level, effective_level=eff[zi],
            time_s=time_s, share=share, shift_min=share * shift_min_total, episodes=len(episodes[zi]),
            longest_hold_s=longest, holds_over_limit=over, frequency_per_min=freq[zi],
        ))

    lv = np.full(n, -1, dtype=int)
    for zi in range(len(part.zones)):
        lv[idx == zi] = LEVEL_RANK[eff[zi]]
    cond_min = sum(z.shift_min for z in zones_out if z.effective_level == "conditional")
    unacc_min = sum(z.shift_min for z in zones_out if z.effective_level == "unacceptable")

    if analysed_s <= 0:
        return PartResult(part.key, part.column, 0.0, 0.0, tuple(zones_out), (), 0.0, 0.0,
                          "not_assessed", (Reason("not_analysed"),)), lv
    verdict = [k for k, r in _VERDICT_RANK.items() if r == verdict_rank][0]
    if cond_min > 0:
        verdict = _worse(verdict, "conditionally_acceptable")
        reasons.append(Reason("conditional_present", (("minutes", cond_min),)))
    verdict, more = _shift_checks(cond_min, unacc_min, standard, shift_min_total, verdict)
    if any(r.code == "conditional_over_limit" for r in more):  # says the same minutes, with the limit
        reasons = [r for r in reasons if r.code != "conditional_present"]
    reasons.extend(more)
    holds.sort(key=lambda h: h.start_s)
    return PartResult(
        key=part.key, column=part.column, analysed_s=analysed_s,
        analysed_share=min(1.0, analysed_s / duration_s) if duration_s > 0 else 0.0,
        zones=tuple(zones_out), holds=tuple(holds), conditional_shift_min=cond_min,
        unacceptable_shift_min=unacc_min, verdict=verdict, reasons=tuple(reasons),
    ), lv


def _worse(a: str, b: str) -> str:
    return a if _VERDICT_RANK[a] >= _VERDICT_RANK[b] else b


def _shift_checks(cond_min: float, unacc_min: float, standard: Standard, shift_min_total: float,
                  verdict: str) -> tuple[str, list[Reason]]:
    """Apply the per-shift limits to extrapolated minutes; returns the (possibly worse) verdict."""
    lim = standard.shift_limits
    reasons: list[Reason] = []
    eps = 1e-9
    if unacc_min > eps:
        allowance = lim.unacceptable_max_min if lim.unacceptable_max_min is not None else 0.0
        if unacc_min > allowance + eps:
            verdict = "unacceptable"
            reasons.append(Reason("unacceptable_over_limit", (("minutes", unacc_min), ("limit", allowance))))
        else:  # within the standard's allowance for unacceptable postures
            verdict = _worse(verdict, "conditionally_acceptable")
            reasons.append(Reason("unacceptable_present", (("minutes", unacc_min), ("limit", allowance))))
    if lim.conditional_max_min is not None and cond_min > lim.conditional_max_min + eps:
        verdict = "unacceptable"
        reasons.append(Reason("conditional_over_limit", (("minutes", cond_min), ("limit", lim.conditional_max_min))))
    if lim.combined_max_share is not None:
        limit = lim.combined_max_share * shift_min_total
        if cond_min + unacc_min > limit + eps:
            verdict = "unacceptable"
            reasons.append(Reason("combined_over_limit", (("minutes", cond_min + unacc_min), ("limit", limit))))
    return verdict, reasons
