"""Hand-made angle tables with known answers, for the time-analysis and report tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from processor.model import ANGLE_COLUMNS

STANDING_HIP_RATIO = 0.95
STANDING_KNEE_RATIO = 0.5


def make_angles(duration_s: float, fps: float = 10.0, **series) -> pd.DataFrame:
    """An angle table at ``fps``; every column 0° unless given as a constant, an array or a
    function of time (NaN = not measured). Confidences are 1; the hip and knee height ratios those
    of a person standing."""
    t = np.arange(0.0, duration_s - 1e-9, 1.0 / fps)
    df = pd.DataFrame({c: np.zeros(len(t)) for c in ANGLE_COLUMNS})
    df["time_s"] = t
    for c in ANGLE_COLUMNS:
        if c.startswith("confidence"):
            df[c] = 1.0
    # a person standing: hips a leg length above the ankles, knees halfway (0 would read as lying/kneeling)
    df["hip_height_ratio"] = STANDING_HIP_RATIO
    df["knee_height_ratio"] = STANDING_KNEE_RATIO
    for name, value in series.items():
        df[name] = value(t) if callable(value) else value
    return df
