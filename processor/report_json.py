"""``<stem> - summary.json``: the machine-readable twin of a report (schema in the README, "summary.json").

The NV 361 catalogue's summary is built in ``processor.nv361.summary``; a zone profile's here, with
the same top-level fields and one row per body part and zone.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from processor.time_analysis import TimeAnalysis

SCHEMA = "ergo-hotfolder/summary/1"


def num(x: float | None, digits: int = 3) -> float | None:
    """A JSON-safe rounded number (NaN and None become null)."""
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), digits)


def write_json(obj: dict, path: Path) -> Path:
    """Write atomically: a reader never sees half a file under the final name."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def profile_summary(video: str, analysis: TimeAnalysis, analysed_at: str | None, angle_source: str | None,
                    measured_share: dict[str, float] | None = None) -> dict:
    rows = []
    for p in analysis.parts:
        for z in p.zones:
            rows.append({
                "id": f"{p.key}.{z.key}", "part": p.key, "level": z.level, "effective_level": z.effective_level,
                "measured": p.analysed_s > 0, "seconds": num(z.time_s), "analysed_seconds": num(p.analysed_s),
                "episodes": z.episodes, "longest_seconds": num(z.longest_hold_s),
                "minutes_per_shift": num(z.shift_min, 2), "movements_per_min": num(z.frequency_per_min, 2),
            })  # fmt: skip
    return {
        "schema": SCHEMA, "standard": analysis.standard, "video": video, "analysed_at": analysed_at,
        "angle_source": angle_source, "duration_seconds": num(analysis.duration_s),
        "analysed_seconds": num(analysis.analysed_s), "shift_hours": analysis.shift_hours,
        "measured_share": {k: num(v, 4) for k, v in (measured_share or {}).items()},
        "rows": rows, "verdicts": analysis.verdicts, "overall_verdict": analysis.overall_verdict,
    }  # fmt: skip
