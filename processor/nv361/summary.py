"""The machine-readable per-video result: ``<stem> - summary.json`` (schema in the README, "summary.json").

It carries everything a time study needs to re-evaluate a video without analysing it again: per row
the seconds in the posture and the seconds its signal was measured.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from processor import episodes as ep_rules
from processor.accuracy import LEGS_HIDDEN_STATED, legs_hidden_error_table, view_error_table
from processor.nv361 import STANDARD_NAME
from processor.nv361.evaluate import Assessment, CatalogueResult, sentence

from processor.report_json import SCHEMA, write_json  # noqa: F401 - one writer and schema tag for every summary
from processor.report_json import num as _num


def method_parameters() -> dict:
    return {
        "hysteresis_deg": ep_rules.HYSTERESIS_DEG,
        "min_episode_s": ep_rules.MIN_EPISODE_S,
        "static_after_s": ep_rules.STATIC_AFTER_S,
        "frequency_window_s": ep_rules.FREQUENCY_WINDOW_S,
        "high_frequency_per_min": ep_rules.HIGH_FREQUENCY_PER_MIN,
    }


def catalogue_summary(video: str, result: CatalogueResult, assessment: Assessment | None, *,
                      analysed_at: str | None = None, angle_source: str | None = None,
                      measured_share: dict[str, float] | None = None, view: str | None = None,
                      legs_hidden_share: float = 0.0) -> dict:
    """The summary JSON object of one video under the NV 361 catalogue."""
    by_id = {a.row.id: a for a in assessment.rows} if assessment else {}
    rows = []
    for r in result.rows:
        item = {
            "id": r.row.id, "part": r.row.part, "class": r.row.row_class, "work": r.row.work,
            "frequency": r.row.frequency or None, "measured": r.measured, "status": r.status,
            "seconds": _num(r.seconds), "analysed_seconds": _num(r.analysed_s), "episodes": r.episodes,
            "longest_seconds": _num(r.longest_s),
        }  # fmt: skip
        if assessment:
            a = by_id[r.row.id]
            item.update(minutes_per_shift=_num(a.minutes, 2), category=a.category,
                        minutes_range=[_num(x, 2) for x in a.minutes_range] if a.minutes_range else None,
                        borderline=a.borderline)
        rows.append(item)
    out: dict = {
        "schema": SCHEMA, "standard": STANDARD_NAME, "video": video, "analysed_at": analysed_at,
        "angle_source": angle_source, "duration_seconds": _num(result.duration_s),
        "analysed_seconds": _num(result.analysed_s), "supported": sorted(result.supported),
        "measured_share": {k: _num(v, 4) for k, v in (measured_share or {}).items()},
        "method": method_parameters(), "view": view,
        "typical_error_deg": view_error_table(view) if view else None,
        # frames with the legs hidden (a bench): their share, and the larger errors there
        "legs_hidden_share": _num(legs_hidden_share, 4),
        "typical_error_legs_hidden_deg": (legs_hidden_error_table(view) if view and legs_hidden_share >= LEGS_HIDDEN_STATED
                                          else None),
        "rows": rows,
    }  # fmt: skip
    if assessment:
        w = assessment.work
        out.update(
            work_minutes=w.minutes, work_minutes_source=w.source, coefficient=w.coefficient,
            coefficient_in_table=w.in_table, category=assessment.category, category_rows=list(assessment.deciding),
            sentence_cs=sentence(assessment, "cs"), sentence_en=sentence(assessment, "en"),
            pp_minutes=_num(assessment.pp_minutes, 2), n_minutes=_num(assessment.n_minutes, 2),
            category_range=list(assessment.category_range) if assessment.category_range else None,
            # why there is no category although rows were measured (processor.sufficiency), else None
            withheld=assessment.withheld.kind if assessment.withheld else None,
        )
    return out


class SummaryError(ValueError):
    """A summary file cannot be used (not JSON, another standard, missing fields); names the file."""


@dataclass(frozen=True)
class RowSeconds:
    seconds: float
    analysed_s: float
    measured: bool
    # the row's minutes within the measurement uncertainty as shares of the video's work time
    # (``minutes_range`` ÷ ``work_minutes``: the range scales with the work time, as the minutes do);
    # None where the summary gives none (no assessment, or the row was not assessed)
    share_range: tuple[float, float] | None = None


def read_summary(path_or_obj: Path | dict, name: str | None = None) -> tuple[str, dict[str, RowSeconds]]:
    """(video name, per-row seconds) of a catalogue summary; ``SummaryError`` names what is wrong."""
    where = name or (path_or_obj.name if isinstance(path_or_obj, Path) else "summary")
    if isinstance(path_or_obj, Path):
        try:
            obj = json.loads(path_or_obj.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SummaryError(f"{where} cannot be read as JSON ({exc})") from None
    else:
        obj = path_or_obj
    if not isinstance(obj, dict) or obj.get("standard") != STANDARD_NAME or not isinstance(obj.get("rows"), list):
        raise SummaryError(f"{where} is not an NV 361 catalogue summary")
    if obj.get("withheld"):  # processor.sufficiency: the video cannot stand for an operation either
        raise SummaryError(f"{where}: {obj.get('sentence_en') or 'too little data for a category'}")
    work = obj.get("work_minutes")
    rows = {}
    for r in obj["rows"]:
        try:
            rows[r["id"]] = RowSeconds(float(r["seconds"] or 0.0), float(r["analysed_seconds"] or 0.0), bool(r["measured"]),
                                       _share_range(r.get("minutes_range"), work))
        except (KeyError, TypeError, ValueError):
            raise SummaryError(f"{where}: a row without id, seconds, analysed_seconds or measured, or with a "
                               "minutes_range that is not two numbers") from None
    return str(obj.get("video") or where), rows


def _share_range(minutes_range, work_minutes) -> tuple[float, float] | None:
    """``minutes_range`` ÷ ``work_minutes``; None when either is absent; ValueError when malformed."""
    if minutes_range is None or not work_minutes:
        return None
    lo, hi = (float(x) for x in minutes_range)  # not two numbers: TypeError / ValueError
    work = float(work_minutes)
    if not (0.0 <= lo <= hi) or work <= 0.0:
        raise ValueError("minutes_range")
    return lo / work, hi / work
