"""`hotfolder` subcommands owned by the processor package (registered by hotfolder.py).

Cheap to import: the analysis stack (pandas, OpenCV, MediaPipe) loads inside the command.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add this package's subcommands; keep imports inside the command functions."""
    p = sub.add_parser(
        "analyze",
        help="analyse one video locally and write its Excel report and per-frame CSV",
        description="Analyse the working postures in one video: writes '<stem> - ergonomics.xlsx' and "
        "'<stem> - angles.csv' (and '<stem> - preview.mp4' with --preview). Defaults come from the "
        "[analysis] settings.",
    )
    p.add_argument("video", metavar="VIDEO", help="the video file")
    p.add_argument("-o", "--output", metavar="DIR", help="output folder (default: the video's folder)")
    p.add_argument("--standard", help="nv361 (default), iso11226, en1005-4, legacy, or a profile .toml file")
    p.add_argument("--quality", choices=("fast", "balanced", "accurate"), help="analysis preset")
    p.add_argument("--lang", choices=("en", "cs"), help="report language")
    p.add_argument("--preview", action="store_true", default=None, help="also write an annotated preview MP4")
    p.add_argument("--shift-hours", type=float, help="zone profiles: shift length the video is a sample of")
    p.add_argument("--work-minutes", type=float, metavar="MIN",
                   help="nv361: the work time (shift minus meal break) the video stands for (default 480)")
    p.add_argument("--supported", metavar="PARTS",
                   help="nv361: body parts the worker rests on, e.g. 'trunk,arm' (trunk, head, arm)")
    p.add_argument("--camera-pitch", type=float, metavar="DEG", help="camera pitch override (degrees, + looking down); for a clearly tilted camera only (15° or more): a few degrees make some angles worse (README, Angles)")
    p.add_argument("--body-model", metavar="PATH", help="SMPL-X model file (default: skeleton mode)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run_analyze)
    register_work(sub)
    register_evaluate(sub)


def register_evaluate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="evaluate per-frame angle CSVs (and optionally a time study) without analysing any video",
        description="Re-evaluate '<stem> - angles.csv' files written by 'analyze' or a worker (columns missing "
        "from a CSV are 'not measured') with a standard: writes '<stem> - ergonomics.xlsx' and "
        "'<stem> - summary.json' per CSV. With --time-study (nv361), also the position workbook and its JSON "
        "from the CSVs of the videos the time study names.",
    )
    p.add_argument("csv", nargs="+", metavar="CSV", help="per-frame angle CSV file(s)")
    p.add_argument("-o", "--output", metavar="DIR", help="output folder (default: each CSV's folder)")
    p.add_argument("--standard", help="nv361 (default), iso11226, iso11226-shift, en1005-4, legacy, or a .toml file")
    p.add_argument("--time-study", metavar="XLSX", help="nv361: a time-study file naming the videos of a position")
    p.add_argument("--lang", choices=("en", "cs"), help="report language")
    p.add_argument("--shift-hours", type=float, help="zone profiles: shift length the recording is a sample of")
    p.add_argument("--work-minutes", type=float, metavar="MIN", help="nv361 without a time study: the work time")
    p.add_argument("--supported", metavar="PARTS", help="nv361 without a time study: e.g. 'trunk,arm'")
    p.set_defaults(func=run_evaluate)


def run_evaluate(args: argparse.Namespace, settings) -> int:
    from processor.evaluate_cli import evaluate_command

    return evaluate_command(args, settings)


def register_work(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "work",
        help="process queued videos until the queue stays empty (what a worker pod runs)",
        description=(
            "Claim, download, analyse and report on queued videos one by one; exit when the queue has "
            "been empty for worker.idle_grace seconds. On RunPod (RUNPOD_POD_ID set) the pod terminates "
            "itself on exit. Settings may arrive packed in HOTFOLDER_POD_ENV_B64 (set by the launcher)."
        ),
    )
    p.set_defaults(func=_work)


def _work(args: argparse.Namespace, settings) -> int:
    from processor.runtime.worker import worker_main

    return worker_main(args.config, verbose=args.verbose)


def _fail(message: str) -> int:
    print(f"hotfolder analyze: {message}", file=sys.stderr)
    return 2


def common_options(args: argparse.Namespace, settings) -> dict:
    """Options shared by ``analyze`` and ``evaluate``: command line over the [analysis] settings.

    Raises ValueError with the option and what is wrong."""
    from processor.nv361 import parse_supported

    a = settings.analysis
    shift = args.shift_hours if args.shift_hours is not None else a.shift_hours
    if not shift > 0:
        raise ValueError("--shift-hours must be greater than 0")
    work = args.work_minutes if args.work_minutes is not None else a.work_minutes
    if not 0 < work <= 1440:
        raise ValueError("--work-minutes must be between 1 and 1440")
    # The 480-min default is stated as a default in the report; any other value as a setting.
    explicit = args.work_minutes is not None or "work_minutes" in a.model_fields_set
    supported = parse_supported(args.supported if args.supported is not None else list(a.supported))
    return {"standard": args.standard or a.standard, "lang": args.lang or a.lang, "shift_hours": shift,
            "work_minutes": work if explicit else None, "supported": supported}


def run_analyze(args: argparse.Namespace, settings) -> int:
    from processor.model import AnalysisOptions, VideoError
    from processor.nv361 import check_standard
    from processor.standards import StandardError

    a = settings.analysis
    body_model = args.body_model or a.smplx_model
    if body_model.startswith("drive:"):  # the worker fetches those; here a local file is needed
        print("hotfolder analyze: the SMPL-X model setting points to Drive; running in skeleton mode "
              "(pass --body-model PATH to fit the body model).", file=sys.stderr)
        body_model = ""
    if body_model and not Path(body_model).expanduser().is_file():
        return _fail(f"the body model file {body_model} does not exist.")
    try:
        common = common_options(args, settings)
    except ValueError as exc:
        return _fail(f"{exc}.")
    options = AnalysisOptions(
        **common,
        quality=args.quality or a.quality,
        preview=a.preview if args.preview is None else True,
        body_model=Path(body_model).expanduser() if body_model else None,
        camera_pitch_deg=args.camera_pitch if args.camera_pitch is not None else a.camera_pitch_deg,
        processes=a.processes,
        blur_faces=a.blur_faces,
    )
    try:
        check_standard(options.standard)
    except StandardError as exc:
        return _fail(f"{exc}.")
    video = Path(args.video).expanduser()
    from processor.report_data import protocol_fields

    # The report's metadata: a time study beside the video first, the [protocol] settings for the rest.
    options = replace(options, protocol=protocol_fields(video).filled_from(settings.protocol.fields()))
    out_dir = Path(args.output).expanduser() if args.output else video.parent

    from tqdm import tqdm

    from processor.pipeline import analyze_video

    bar = tqdm(total=100, unit="%", desc=video.name[:40], disable=args.no_progress or None,
               bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}")

    def progress(x: float) -> None:
        bar.update(max(0, round(x * 100) - bar.n))

    try:
        from processor.body_model import BodyModelError  # a missing/invalid SMPL-X file: one sentence
    except ImportError:  # the body-model stage is optional
        BodyModelError = ()  # noqa: N806
    try:
        from drive.model import OutputNames  # the names outputs have everywhere (one home)
        from processor.model import OutputPaths

        outputs = OutputPaths(**OutputNames.of(video.name).in_dir(out_dir))
        result = analyze_video(video, out_dir, options, progress=progress, outputs=outputs)
    except BodyModelError as exc:
        bar.close()
        return _fail(str(exc))
    except VideoError as exc:
        bar.close()
        return _fail(str(exc))
    except OSError as exc:  # e.g. the output folder cannot be written
        bar.close()
        return _fail(f"{exc.strerror or exc} ({exc.filename or out_dir}).")
    bar.close()
    if not result.person_found:
        print(f"No person was found in {video.name}; the report says so.")
    print(f"{result.report_xlsx}")
    print(f"{result.angles_csv}")
    if result.summary_json:
        print(f"{result.summary_json}")
    if result.preview_mp4:
        print(f"{result.preview_mp4}")
    print(f"overall: {result.overall_verdict.replace('_', ' ')} "
          f"({result.analysed_share:.0%} of the video analysed, standard {result.standard})")
    return 0
