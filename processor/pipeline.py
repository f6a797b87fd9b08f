"""One video in, report files out: probe → pose → [body fit] → angles → cleaning → time analysis → report.

Bad input (not a video, empty, truncated) raises ``VideoError`` with one sentence. A video in which
no person is found is not an error: its report says so. Heavy libraries (MediaPipe, OpenCV, torch)
are imported by the stages themselves, when they run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from processor.model import (
    ANGLE_COLUMNS, DEFAULT_WORK_MINUTES, AnalysisOptions, AnalysisResult, OutputPaths, PoseSequence, VideoError,
)
from processor.report_data import ReportData
from processor.report_labels import label
from processor.nv361 import check_standard, is_catalogue
from processor.standards import load_standard
from processor.time_analysis import analyse_times

log = logging.getLogger("hotfolder.processor")
Progress = Callable[[float], None]

# Shares of the progress bar per stage (pose estimation is most of the time).
_POSE = (0.02, 0.85)
_FIT = (0.85, 0.92)


def _sub(progress: Progress | None, lo: float, hi: float) -> Progress | None:
    if progress is None:
        return None
    return lambda x: progress(lo + (hi - lo) * min(1.0, max(0.0, float(x))))


def _flat(prefix: str, meta: dict) -> dict:
    """Scalars of a stage's ``meta`` (one level of nesting flattened) for the Method sheet."""
    out = {}
    for key, value in meta.items():
        items = value.items() if isinstance(value, dict) else [("", value)]
        for sub, v in items:
            if isinstance(v, (int, float, str)) and not isinstance(v, bool):
                out[f"{prefix}_{key}_{sub}" if sub else f"{prefix}_{key}"] = v
    return out


def _empty_angles(pose: PoseSequence) -> pd.DataFrame:
    df = pd.DataFrame({c: np.full(len(pose), np.nan) for c in ANGLE_COLUMNS})
    df["time_s"] = np.asarray(pose.time_s, dtype=float)
    return df


def analyze_video(path: str | Path, out_dir: str | Path, options: AnalysisOptions = AnalysisOptions(),
                  progress: Progress | None = None, outputs: OutputPaths | None = None) -> AnalysisResult:
    from processor.video import probe

    video = Path(path)
    if not video.is_file():
        raise VideoError(f"{video.name} does not exist or is not a file.")
    catalogue = is_catalogue(options.standard)
    # fail fast on a bad profile, before the slow part
    standard = None if catalogue else load_standard(options.standard)
    if catalogue:
        check_standard(options.standard)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = outputs or OutputPaths.plain(out)
    xlsx, csv, mp4, summary_json = paths.report, paths.angles, paths.preview, paths.summary

    info = probe(video)  # bad input fails here, before the heavy imports below
    if options.body_model is not None:
        from processor.body_model import validate_body_model

        validate_body_model(Path(options.body_model))  # a bad model file fails before the slow part

    from processor.angles import compute_angles, remove_neutral_offsets
    from processor.cleaning import clean_angles
    from processor.pose import estimate_pose
    from processor.report_csv import write_csv
    from processor.report_excel import write_excel
    from processor.report_json import profile_summary, write_json

    if progress:
        progress(_POSE[0])
    pose = estimate_pose(video, options, progress=_sub(progress, *_POSE))
    meta: dict = _flat("pose", pose.meta)
    notes: list[str] = []
    if options.body_model is not None and pose.detected.any():
        from processor.angles import estimate_vertical, vertical_from_pitch
        from processor.body_fit import fit_body  # torch/smplx only when asked for

        # the fit starts upright along the same vertical the angles will use
        if options.camera_pitch_deg is not None:
            up = vertical_from_pitch(options.camera_pitch_deg)
        else:
            up = estimate_vertical(pose.world, pose.visibility)[0]
        pose = fit_body(pose, Path(options.body_model), up=up, progress=_sub(progress, *_FIT))
        meta.update(_flat("fit", {k: v for k, v in pose.meta.items() if f"pose_{k}" not in meta}))
    person_found = bool(len(pose)) and bool(pose.detected.any())

    measured_share: dict[str, float] = {}
    if person_found:
        angles = remove_neutral_offsets(compute_angles(pose, camera_pitch_deg=options.camera_pitch_deg), pose.source)
        cleaned = clean_angles(angles, duration_s=info.duration_s or None)
        angles = cleaned.df
        measured_share = dict(cleaned.part_share)
        meta["cleaning_analysed_share"] = round(float(cleaned.analysed_share), 4)
        meta["cleaning_neck_out_of_range_frames"] = cleaned.neck_out_of_range_frames
        meta.update(_flat("angles", angles.attrs))  # e.g. how the vertical was found
    else:
        angles = _empty_angles(pose)
    if len(pose) == 0:
        notes.append(label(options.lang, "no_frames"))
    else:
        step = 1.0 / float(pose.meta.get("analysis_fps") or info.fps or 10.0)
        decoded = float(pose.time_s[-1]) + step
        # the pose stage flags a file that decodes only partly; a fitted pose may not carry the flag
        truncated = pose.meta.get("truncated")
        if truncated is None:
            truncated = info.duration_s > 1.0 and decoded < 0.9 * info.duration_s
        if truncated:
            notes.append(label(options.lang, "truncated", decoded=decoded, duration=info.duration_s))
    analysed_at = datetime.now(timezone.utc)
    write_csv(angles, csv)
    if catalogue:
        result = _report_catalogue(video, info, options, angles, person_found, pose.source, meta, notes,
                                   measured_share, analysed_at, xlsx, csv, summary_json, pose=pose)
    else:
        analysis = analyse_times(angles, standard, options.shift_hours, duration_s=info.duration_s or None)
        data = ReportData(
            video=video, info=info, analysed_at=analysed_at, options=options,
            standard=standard, analysis=analysis, angles=angles, person_found=person_found,
            angle_source=pose.source, meta=meta, notes=tuple(notes),
        )
        write_excel(data, xlsx)
        write_json(profile_summary(video.name, analysis, analysed_at.isoformat(), pose.source, measured_share),
                   summary_json)
        result = AnalysisResult(
            video=video, report_xlsx=xlsx, angles_csv=csv, preview_mp4=None,
            duration_s=analysis.duration_s, analysed_share=analysis.analysed_share,
            person_found=person_found, standard=standard.name, verdicts=analysis.verdicts,
            overall_verdict=analysis.overall_verdict, angle_source=pose.source, summary_json=summary_json,
        )
    if progress:
        progress(0.95)
    preview = None
    if options.preview and person_found:
        from processor.nv361.evaluate import frame_levels as catalogue_frame_levels
        from processor.preview import write_preview

        try:
            levels = catalogue_frame_levels(angles) if catalogue else None
            preview = write_preview(video, pose, angles, standard, mp4, levels=levels,
                                    blur_faces=options.blur_faces)
        except Exception as exc:  # a preview is a courtesy: the report stands without it
            log.warning("preview of %s failed: %s", video.name, exc)
    if progress:
        progress(1.0)
    return replace(result, preview_mp4=preview)


def work_time_of(options: AnalysisOptions):
    """The work time a single video (no time study) is extrapolated to, and where it came from."""
    from processor.nv361.category import work_time

    if options.work_minutes is None:
        return work_time(DEFAULT_WORK_MINUTES, "default")
    return work_time(options.work_minutes, "setting")


def _report_catalogue(video, info, options, angles, person_found, source, meta, notes, measured_share,
                      analysed_at, xlsx, csv, summary_json, pose=None) -> AnalysisResult:
    """The NV 361 catalogue path: seconds per row, minutes for the work time, category, workbook, JSON."""
    from processor.nv361.evaluate import evaluate_and_assess
    from processor.nv361.summary import catalogue_summary
    from processor.report_catalogue import CatalogueReportData, write_catalogue_excel
    from processor.keyframes import keyframes_for
    from processor.report_json import write_json

    result, assessment = evaluate_and_assess(angles, work_time_of(options), options.supported,
                                             duration_s=info.duration_s or None)
    data = CatalogueReportData(
        video=video, info=info, analysed_at=analysed_at, options=options, result=result,
        assessment=assessment, angles=angles, person_found=person_found, angle_source=source, meta=meta,
        notes=tuple(notes), measured_share=measured_share, protocol=options.protocol,
        keyframes=keyframes_for(video, pose, angles, result, assessment, options),  # worst moments, faces blurred
    )
    write_catalogue_excel(data, xlsx)
    write_json(catalogue_summary(video.name, result, assessment, analysed_at=analysed_at.isoformat(),
                                 angle_source=source, measured_share=measured_share, view=data.view,
                                 legs_hidden_share=data.legs_hidden_share), summary_json)
    verdicts = part_categories(assessment)
    overall = f"category_{assessment.category}" if assessment.category else "not_assessed"
    return AnalysisResult(
        video=video, report_xlsx=xlsx, angles_csv=csv, preview_mp4=None, duration_s=result.duration_s,
        analysed_share=min(1.0, result.analysed_s / result.duration_s) if result.duration_s > 0 else 0.0,
        person_found=person_found, standard=options.standard, verdicts=verdicts, overall_verdict=overall,
        angle_source=source, summary_json=summary_json,
    )


def part_categories(assessment) -> dict[str, str]:
    """Per catalogue body part, the highest category of its rows (``category_<n>``), for notifications."""
    out: dict[str, str] = {}
    for ra in assessment.rows:
        if ra.category is None:
            continue
        key = ra.row.part
        best = out.get(key)
        if best is None or int(best[-1]) < ra.category:
            out[key] = f"category_{ra.category}"
    return out
