"""One MediaPipe pass per rendered clip for the whole test session: the accuracy tests and the subject
tests both need a clip's balanced-preset pose (``estimate_pose`` with the default options, one
process), and each pass costs 8-25 s of the suite's ~20-minute budget. Callers must not modify it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from processor.model import AnalysisOptions, PoseSequence
from processor.pose import estimate_pose


@lru_cache(maxsize=None)
def balanced_pose(clip: Path) -> PoseSequence:
    return estimate_pose(clip, AnalysisOptions(quality="balanced", processes=1))
