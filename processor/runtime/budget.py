"""How long one video may take on a worker, from its duration and the preset.

The budget is generous on purpose — it catches a hang, not a slow machine: ``FIXED_S`` (5 min) for start-up,
the body model and the reports, plus the video's duration times ``SECONDS_PER_VIDEO_SECOND`` of its
preset, which is ``MARGIN`` × the slowest speed measured by ``bench/analyze.py`` on 2 CPU cores
(balanced ≈ 0.5 s of work per second of video, fast ≈ 0.25, accurate ≈ 1.6; the SMPL-X fit adds
``BODY_FIT_PER_S`` on a CPU, ``bench/body_fit.py``). A pod with more cores only finishes earlier.

A video whose budget does not fit in what is left of ``launcher.max_lifetime`` is not started on
that pod (released uncounted, for a fresh pod); one whose budget exceeds a whole lifetime can never
be processed and fails with a reason that says which setting to raise.
"""

from __future__ import annotations

FIXED_S = 300.0
MARGIN = 4.0
MEASURED_S_PER_S = {"fast": 0.25, "balanced": 0.5, "accurate": 1.6}
BODY_FIT_PER_S = 0.5


def time_budget(duration_s: float, quality: str, body_model: bool) -> float:
    """Seconds one video of ``duration_s`` may take in the worst reasonable case."""
    per_s = MEASURED_S_PER_S.get(quality, max(MEASURED_S_PER_S.values()))
    if body_model:
        per_s += BODY_FIT_PER_S
    return FIXED_S + MARGIN * per_s * max(0.0, duration_s)
