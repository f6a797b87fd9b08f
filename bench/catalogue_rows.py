"""NV 361 catalogue rows from the video vs. from the truth, on the rendered people.

    PYTHONPATH=. python bench/catalogue_rows.py [--quality balanced] [--clips bodyA_side ...]

Each clip in tests/data/synthetic is analysed as ``hotfolder analyze`` does (balanced preset by default);
the per-frame angles it measures and the clip's truth table (``<clip>.csv``, the same angle definitions
computed on the posed skeleton) both go through ``processor.nv361.evaluate.evaluate_catalogue``, which is
what ``hotfolder evaluate`` runs. Printed per clip: every row with seconds in either, the seconds from the
video and from the truth, and the difference; at the end the worst difference over all clips. Rows whose
quantity the truth table lacks (head side bend / rotation, arm extension, hip and knee heights: the
renderer predates them) are compared only where both measured them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from processor.evaluate_cli import read_angles_csv  # noqa: E402
from processor.model import ANGLE_COLUMNS, AnalysisOptions  # noqa: E402
from processor.nv361.evaluate import evaluate_catalogue  # noqa: E402
from processor.pipeline import analyze_video  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "synthetic"
CLIPS = [f"{b}_{v}" for b in ("bodyA", "bodyB") for v in ("side", "45", "front")]


def compare(measured: pd.DataFrame, truth: pd.DataFrame) -> list[tuple[str, float, float]]:
    got, want = evaluate_catalogue(measured), evaluate_catalogue(truth)
    out = []
    for g, w in zip(got.rows, want.rows):
        if g.measured and w.measured and (g.seconds > 0 or w.seconds > 0):
            out.append((g.row.id, g.seconds, w.seconds))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quality", default="balanced", choices=("fast", "balanced", "accurate"))
    ap.add_argument("--clips", nargs="*", default=CLIPS)
    args = ap.parse_args()
    worst = (0.0, "", "")
    with tempfile.TemporaryDirectory() as tmp:
        for clip in args.clips:
            res = analyze_video(DATA / f"{clip}.mp4", Path(tmp), AnalysisOptions(quality=args.quality, processes=1))
            measured = read_angles_csv(res.angles_csv)
            truth = pd.read_csv(DATA / f"{clip}.csv").reindex(columns=[c for c in ANGLE_COLUMNS if c in
                                                                       pd.read_csv(DATA / f"{clip}.csv").columns])
            rows = compare(measured, truth)
            print(f"\n{clip} ({res.duration_s:.1f} s)")
            print(f"  {'row':40s} {'video s':>8s} {'truth s':>8s} {'diff s':>7s}")
            for rid, g, w in rows:
                print(f"  {rid:40s} {g:8.1f} {w:8.1f} {g - w:+7.1f}")
                if abs(g - w) > worst[0]:
                    worst = (abs(g - w), clip, rid)
    print(f"\nworst difference: {worst[0]:.1f} s ({worst[2]} on {worst[1]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
