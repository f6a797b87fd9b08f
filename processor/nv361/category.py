"""Categories of NV 361/2007 catalogue rows (vyhláška 432/2003 Sb., as labs apply it) and the work-time
correction of NV 361/2007 příloha č. 5 část D, tabulka č. 8.

Per row, for a work time of 480 min: PP rows are category 1 up to 100 min per shift, 2 up to 160 min,
3 above; N rows 1 up to 20 min, 2 up to 30 min, 3 above. For another work time every limit is multiplied
by the table-8 coefficient. The position's category is the highest row category; the rows that reach it
are named.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

REFERENCE_WORK_MIN = 480.0
BASE_LIMITS_MIN = {"PP": (100.0, 160.0), "N": (20.0, 30.0)}  # (end of category 1, end of category 2)
TABLE8_FIRST_MIN = 240.0  # the table starts at 240 min
_EPS = 1e-9


@dataclass(frozen=True)
class WorkTime:
    minutes: float
    coefficient: float
    in_table: bool  # False: below 240 min, where table 8 gives no row (its first coefficient is used)
    source: str  # "time_study", "setting" or "default"


def table8_coefficient(work_min: float) -> tuple[float, bool]:
    """(coefficient, whether the work time is inside table 8's range) for a work time in minutes.

    The table's integer ranges are read as half-open intervals: 240–269 is [240, 270), 481–509 is
    (480, 510), "over 689" is [690, ∞); exactly 480 min is the reference (1.000).
    """
    w = float(work_min)
    if not w > 0:
        raise ValueError(f"work time must be positive, got {work_min}")
    if w < TABLE8_FIRST_MIN:
        return 0.800, False
    if w < REFERENCE_WORK_MIN:
        return round(0.800 + 0.025 * math.floor((w - 240.0) / 30.0), 3), True
    if w == REFERENCE_WORK_MIN:
        return 1.000, True
    if w < 510.0:
        return 1.025, True
    if w < 690.0:
        return round(1.050 + 0.025 * math.floor((w - 510.0) / 30.0), 3), True
    return 1.200, True


def work_time(minutes: float, source: str) -> WorkTime:
    k, inside = table8_coefficient(minutes)
    return WorkTime(float(minutes), k, inside, source)


def limits(row_class: str, coefficient: float) -> tuple[float, float]:
    """(end of category 1, end of category 2) in minutes per shift for a row of class PP or N."""
    a, b = BASE_LIMITS_MIN[row_class]
    return a * coefficient, b * coefficient


def category(minutes: float, row_class: str, coefficient: float) -> int:
    """Category 1, 2 or 3 of a row with ``minutes`` per shift."""
    c1, c2 = limits(row_class, coefficient)
    if minutes <= c1 + _EPS:
        return 1
    if minutes <= c2 + _EPS:
        return 2
    return 3
