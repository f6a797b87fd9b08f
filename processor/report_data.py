"""What the report writers get: one typed bundle of the analysis of one video."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from processor.model import AnalysisOptions, ProtocolFields, VideoInfo
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


def protocol_fields(video: Path) -> ProtocolFields:
    """The fields of the first time study beside ``video`` that names it (processor.nv361.timestudy);
    a study that cannot be read is skipped (the hot folder reports it on its own)."""
    from processor.nv361.timestudy import TimeStudyError, is_time_study_name, parse_time_study, resolve_video

    folder = Path(video).parent
    try:
        candidates = sorted(p for p in folder.iterdir() if p.is_file() and is_time_study_name(p.name))
    except OSError:
        return ProtocolFields()
    for path in candidates:
        try:
            study = parse_time_study(path)
        except (TimeStudyError, OSError, ValueError):
            continue
        workers = [w for _, w, v in study.videos() if resolve_video(v, {Path(video).name}) is not None]
        if not workers:
            continue
        return study_fields(study, workers, study.source_name or path.name)
    return ProtocolFields()


def study_fields(study, workers: list[str], name: str) -> ProtocolFields:
    """The metadata block from a parsed time study (``processor.nv361.timestudy.TimeStudy``)."""
    return ProtocolFields(company=study.company, ico=study.ico, position=study.position, workplace=study.workplace,
                          workers=", ".join(dict.fromkeys(workers)), date=study.date, measured_by=study.measured_by,
                          time_study=name)
