"""Enough data for a verdict? No category and no verdict from a sample too small or too holey to stand for
the work.

Two rules, each with its reason (README, Method sheet):

- **At least ``MIN_ANALYSED_S`` seconds of the worker measured.** The episode rules need that much to say
  anything: a posture counts as static only when held longer than 4 s, and a stay under 1 s is merged
  into its neighbours, so 10 s is the least in which one static hold *and* a change of posture can both
  be seen. A one-frame video has no duration of its own; it is not a sample of work.
- **No gap between decoded frames longer than ``MAX_GAP_S``.** A hole longer than the 4-s static threshold
  can hide a whole static hold or a movement, and the frames on either side say nothing about it
  (``episodes.frame_durations`` already credits a hole with one frame step only). The sampling itself
  must be dense too: frames more than ``MAX_STEP_S`` apart (the 1-s episode resolution) cannot time a
  posture at all — two frames ten hours apart are not ten hours of observation.

A person walking out of the picture is not a gap here (the frames are there, the person is not): that is
the measured share, reported per body part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_ANALYSED_S = 10.0
MAX_GAP_S = 5.0
MAX_STEP_S = 1.0


@dataclass(frozen=True)
class Withheld:
    """Why no verdict is given: ``kind`` "short" (too little measured), "gap" (a hole) or "sparse"."""

    kind: str
    analysed_s: float
    gap_s: float = 0.0
    gap_at_s: float = 0.0

    def text(self, lang: str) -> str:
        m, s = divmod(int(self.gap_at_s), 60)
        if lang == "cs":
            return {
                "short": f"Bez kategorie: pracovník byl změřen jen {self.analysed_s:.1f} s; k posouzení je třeba "
                         f"alespoň {MIN_ANALYSED_S:.0f} s (statická poloha trvá přes 4 s).",
                "gap": f"Bez kategorie: video má v čase {m:02d}:{s:02d} mezeru {self.gap_s:.1f} s bez snímků; "
                       f"mezera delší než {MAX_GAP_S:.0f} s může skrýt celou polohu.",
                "sparse": f"Bez kategorie: snímky videa jsou od sebe {self.gap_s:.1f} s; dobu polohy lze měřit "
                          f"jen ze snímků nejvýše {MAX_STEP_S:.0f} s od sebe.",
            }[self.kind]
        return {
            "short": f"No category: the worker was measured for only {self.analysed_s:.1f} s; at least "
                     f"{MIN_ANALYSED_S:.0f} s are needed (a static posture is one held over 4 s).",
            "gap": f"No category: the video has a {self.gap_s:.1f}-s gap without frames at {m:02d}:{s:02d}; "
                   f"a gap over {MAX_GAP_S:.0f} s can hide a whole posture.",
            "sparse": f"No category: the video's frames are {self.gap_s:.1f} s apart; the time in a posture can "
                      f"only be measured from frames at most {MAX_STEP_S:.0f} s apart.",
        }[self.kind]


def withheld(time_s: np.ndarray, analysed_s: float) -> Withheld | None:
    """None when the data can carry a verdict; else why not (the first rule broken, in the order above)."""
    t = np.asarray(time_s, dtype=float)
    t = t[np.isfinite(t)]
    steps = np.diff(t) if len(t) > 1 else np.zeros(0)
    if len(t) < 2 or analysed_s < MIN_ANALYSED_S:
        return Withheld("short", float(analysed_s) if len(t) > 1 else 0.0)
    median = float(np.median(steps))
    if median > MAX_STEP_S:
        return Withheld("sparse", float(analysed_s), median, float(t[0]))
    i = int(np.argmax(steps))
    if steps[i] > MAX_GAP_S:
        return Withheld("gap", float(analysed_s), float(steps[i]), float(t[i]))
    return None
