"""A fast stand-in for ``processor.pipeline.analyze_video``, for tests of the worker and storage protocol.

It produces a real (tiny) Excel report and CSV whose content names the input's checksum, so a test
can tell which video a report belongs to. Knobs (environment, for worker subprocesses):
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
    wb.save(xlsx)
    csv = out_dir / "angles.csv"
    csv.write_text(f"time_s,trunk_flexion_deg\n0.0,10.0\n# {digest}\n")
    return AnalysisResult(
        video=Path(path), report_xlsx=xlsx, angles_csv=csv, preview_mp4=None, duration_s=1.0,
        analysed_share=1.0, person_found=True, standard=options.standard, verdicts={},
        overall_verdict="acceptable", angle_source="test",
    )  # fmt: skip


def report_source(xlsx: Path) -> str:
    """The input checksum a quick report was made from."""
    from openpyxl import load_workbook

    return load_workbook(xlsx).active["B1"].value
