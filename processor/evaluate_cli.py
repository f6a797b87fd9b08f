"""``hotfolder evaluate``: the stages after the angles, on per-frame angle CSVs instead of videos.

A lab re-evaluates old analyses with another standard, work time or time study; tests feed exact angle
series. Each CSV gives '<stem> - ergonomics.xlsx' and '<stem> - summary.json' (the same writers as a
video's analysis); with a time study, the position workbook and its JSON too.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from drive.model import OutputNames  # the names outputs have everywhere (one home)
from processor.cleaning import blank_unmeasurable
from processor.model import ANGLE_COLUMNS, AnalysisOptions

ANGLES_SUFFIX = " - angles"


class CsvError(ValueError):
    """A CSV is not a per-frame angle table; the message names the file."""


def read_angles_csv(path: Path) -> pd.DataFrame:
    """The product's per-frame CSV as an angle table; columns it lacks are all NaN (not measured)."""
    try:
        df = pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise CsvError(f"{path.name} cannot be read as CSV ({exc})") from None
    if "time_s" not in df.columns:
        raise CsvError(f"{path.name} is not a per-frame angle CSV: it has no time_s column")
    known = [c for c in ANGLE_COLUMNS if c in df.columns]
    try:
        df = df[known].apply(pd.to_numeric, errors="raise").astype(float)
    except (ValueError, TypeError) as exc:
        raise CsvError(f"{path.name}: a column holds something that is not a number ({exc})") from None
    t = df["time_s"].to_numpy()
    if len(t) and (np.isnan(t).any() or np.any(np.diff(t) <= 0)):
        raise CsvError(f"{path.name}: time_s must be filled and increasing")
    # the cleaning's rules that need no confidence, as it leaves them (a CSV from before those rules)
    return blank_unmeasurable(df.reindex(columns=list(ANGLE_COLUMNS)))[0]


def video_stem(csv_path: Path) -> str:
    """'press - angles.csv' -> 'press' (the video's stem)."""
    stem = csv_path.stem
    return stem[: -len(ANGLES_SUFFIX)] if stem.endswith(ANGLES_SUFFIX) else stem


def evaluate_one(df: pd.DataFrame, stem: str, out_dir: Path, options: AnalysisOptions, video_name: str | None = None) -> dict:
    """Write the workbook and summary JSON of one angle table; returns the summary object."""
    from processor.nv361 import is_catalogue
    from processor.pipeline import work_time_of
    from processor.report_json import profile_summary, write_json

    names = OutputNames.of(f"{stem}.csv")
    video = Path(video_name or stem)
    now = datetime.now(timezone.utc)
    person = bool(len(df)) and bool(np.isfinite(df.drop(columns="time_s").to_numpy(dtype=float)).any())
    duration = None
    if is_catalogue(options.standard):
        from processor.nv361.evaluate import evaluate_and_assess
        from processor.nv361.summary import catalogue_summary
        from processor.report_catalogue import CatalogueReportData, write_catalogue_excel

        result, assessment = evaluate_and_assess(df, work_time_of(options), options.supported, duration_s=duration)
        data = CatalogueReportData(video=video, info=None, analysed_at=now, options=options, result=result,
                                   assessment=assessment, angles=df, person_found=person, angle_source="csv")
        write_catalogue_excel(data, out_dir / names.report)
        summary = catalogue_summary(video.name, result, assessment, analysed_at=now.isoformat(), angle_source="csv",
                                    view=data.view,
                                    legs_hidden_share=data.legs_hidden_share)
    else:
        from processor.report_data import ReportData
        from processor.report_excel import write_excel
        from processor.standards import load_standard
        from processor.time_analysis import analyse_times

        standard = load_standard(options.standard)
        analysis = analyse_times(df, standard, options.shift_hours, duration_s=duration)
        write_excel(ReportData(video=video, info=None, analysed_at=now, options=options, standard=standard,
                               analysis=analysis, angles=df, person_found=person, angle_source="csv"),
                    out_dir / names.report)
        summary = profile_summary(video.name, analysis, now.isoformat(), "csv")
    write_json(summary, out_dir / names.summary)
    return summary


def _fail(message: str) -> int:
    print(f"hotfolder evaluate: {message}", file=sys.stderr)
    return 2


def evaluate_command(args: argparse.Namespace, settings) -> int:
    from processor.cli import common_options
    from processor.nv361 import check_standard, is_catalogue
    from processor.standards import StandardError

    try:
        common = common_options(args, settings)
        check_standard(common["standard"])
    except (ValueError, StandardError) as exc:
        return _fail(f"{exc}.")
    options = AnalysisOptions(**common, quality=settings.analysis.quality)
    csvs = [Path(c).expanduser() for c in args.csv]
    missing = [c.name for c in csvs if not c.is_file()]
    if missing:
        return _fail(f"no such file: {', '.join(missing)}.")
    tables: dict[str, tuple[Path, pd.DataFrame]] = {}
    problems = []
    for c in csvs:
        try:
            tables[video_stem(c)] = (c, read_angles_csv(c))
        except CsvError as exc:
            problems.append(str(exc))
    if problems:
        return _fail("; ".join(problems) + ".")

    def out_dir_of(c: Path) -> Path:
        d = Path(args.output).expanduser() if args.output else c.parent
        d.mkdir(parents=True, exist_ok=True)
        return d

    if not args.time_study:
        for stem, (c, df) in tables.items():
            d = out_dir_of(c)
            evaluate_one(df, stem, d, options)
            names = OutputNames.of(f"{stem}.csv")
            print(d / names.report)
            print(d / names.summary)
        return 0
    if not is_catalogue(options.standard):
        return _fail("--time-study needs the nv361 standard.")
    return _position(args, options, tables, out_dir_of)


def _position(args, options: AnalysisOptions, tables, out_dir_of) -> int:
    from processor.nv361.position import evaluate_position, position_json, position_output_names, write_position_workbook
    from processor.nv361.timestudy import TimeStudyError, check_videos, parse_time_study
    from processor.report_json import write_json

    study_path = Path(args.time_study).expanduser()
    try:
        study = parse_time_study(study_path)
    except TimeStudyError as exc:
        return _fail(str(exc))
    by_stem = {Path(v).stem: v for op in study.operations for v in op.videos.values()}
    problems = check_videos(study, {by_stem[s] for s in tables if s in by_stem})
    if problems:
        return _fail(" ".join(problems))
    summaries: dict[str, dict] = {}
    for op in study.operations:
        # each video is evaluated with the support its operation is marked with in the time study
        op_options = replace(options, supported=frozenset(op.supported))
        for video in op.videos.values():
            c, df = tables[Path(video).stem]
            summaries[video] = evaluate_one(df, Path(video).stem, out_dir_of(c), op_options, video_name=video)
    result = evaluate_position(study, summaries)
    first_csv = next(iter(tables.values()))[0]
    d = out_dir_of(first_csv)
    xlsx_name, json_name = position_output_names(study)
    write_position_workbook(result, d / xlsx_name, lang=args.lang or "cs")
    write_json(position_json(result), d / json_name)
    print(d / xlsx_name)
    print(d / json_name)
    return 0
