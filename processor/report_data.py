"""What the report writers get: one typed bundle of the analysis of one video."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from processor.model import AnalysisOptions, VideoInfo
from processor.standards import Standard
from processor.time_analysis import TimeAnalysis


@dataclass(frozen=True)
class ReportData:
    video: Path
    info: VideoInfo | None
    analysed_at: datetime
    options: AnalysisOptions
    standard: Standard
    analysis: TimeAnalysis
    angles: pd.DataFrame  # columns = ANGLE_COLUMNS, NaN = not measured
    person_found: bool
    angle_source: str = "mediapipe"  # or "smplx"
    meta: dict = field(default_factory=dict)  # e.g. fit residuals, estimated camera pitch
    notes: tuple[str, ...] = ()  # extra lines for the Summary (already in the report's language)
