"""A fast stand-in for ``processor.pipeline.analyze_video``, for tests of the worker and storage protocol.

It produces a real (tiny) Excel report and CSV whose content names the input's checksum, so a test
can tell which video a report belongs to, and a valid NV 361 summary JSON (``summary_json``) of a
20-s angle table at 10 fps: trunk flexion 70° for the first 10 s, 20° for the next 10 s (so 10 of 20 analysed
seconds in row ``trunk.flex_gt60.static``), evaluated with ``options.supported`` (a test can read the
support marks a video was analysed with from its ``supported`` field). Knobs (environment, for worker
subprocesses):
``HF_TEST_ANALYZE_SECONDS`` — time the "analysis" takes, reporting progress as it goes.
Input starting with ``NOT A VIDEO`` (or empty) raises ``VideoError`` like the real probe.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from processor.model import AnalysisOptions, AnalysisResult, VideoError


def quick_analyze(path: Path, out_dir: Path, options: AnalysisOptions, progress=None) -> AnalysisResult:
    data = Path(path).read_bytes()
    if not data or data.startswith(b"NOT A VIDEO"):
        raise VideoError(f"{Path(path).name} is not a video file (no video stream found)")
    seconds = float(os.environ.get("HF_TEST_ANALYZE_SECONDS", "0") or 0)
    steps = 10
    for i in range(steps):
        if progress:
            progress(i / steps)
        time.sleep(seconds / steps)
    if progress:
        progress(1.0)
    digest = hashlib.md5(data).hexdigest()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    xlsx = out_dir / "report.xlsx"
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["source_md5", digest])
    wb.active.append(["standard", options.standard])
    p = options.protocol
    wb.active.append(["protocol", f"{p.company}|{p.workers}|{p.measured_by}|{p.time_study}" if p else ""])
    wb.save(xlsx)
    csv = out_dir / "angles.csv"
    csv.write_text(f"time_s,trunk_flexion_deg\n0.0,10.0\n# {digest}\n")
    summary = quick_summary(Path(path).name, options, out_dir / "summary.json")
    return AnalysisResult(
        video=Path(path), report_xlsx=xlsx, angles_csv=csv, preview_mp4=None, duration_s=1.0,
        analysed_share=1.0, person_found=True, standard=options.standard, verdicts={},
        overall_verdict="acceptable", angle_source="test", summary_json=summary,
    )  # fmt: skip


QUICK_ROW = "trunk.flex_gt60.static"  # 10 of the 20 analysed seconds of every quick summary
QUICK_SHARE = 0.5


def quick_summary(video_name: str, options: AnalysisOptions, path: Path) -> Path:
    """A real NV 361 catalogue summary of a 20-s angle table (see the module docstring)."""
    import numpy as np
    import pandas as pd

    from processor.nv361.category import work_time
    from processor.nv361.evaluate import assess, evaluate_catalogue, row_minutes
    from processor.nv361.summary import catalogue_summary, write_json

    t = np.arange(0.0, 20.0, 0.1)  # 20 s at 10 fps (enough data for a category: processor.sufficiency)
    angles = pd.DataFrame({"time_s": t, "trunk_flexion_deg": np.where(t < 10.0, 70.0, 20.0)})
    result = evaluate_catalogue(angles, options.supported, duration_s=20.0)
    work = work_time(options.work_minutes or 480.0, "setting" if options.work_minutes else "default")
    summary = catalogue_summary(video_name, result, assess(row_minutes(result, work.minutes), work), angle_source="test")
    return write_json(summary, path)


def report_source(xlsx: Path) -> str:
    """The input checksum a quick report was made from."""
    from openpyxl import load_workbook

    return load_workbook(xlsx).active["B1"].value
