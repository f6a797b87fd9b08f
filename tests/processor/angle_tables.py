"""Hand-made angle tables with known answers, for the time-analysis and report tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from processor.model import ANGLE_COLUMNS


def make_angles(duration_s: float, fps: float = 10.0, **series) -> pd.DataFrame:
    """An angle table at ``fps``; every column 0° unless given as a constant, an array or a
    function of time (NaN = not measured). Confidences are 1."""
    t = np.arange(0.0, duration_s - 1e-9, 1.0 / fps)
    df = pd.DataFrame({c: np.zeros(len(t)) for c in ANGLE_COLUMNS})
    df["time_s"] = t
    for c in ANGLE_COLUMNS:
        if c.startswith("confidence"):
            df[c] = 1.0
    for name, value in series.items():
        df[name] = value(t) if callable(value) else value
    return df
