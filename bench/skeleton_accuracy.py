"""Angle accuracy of MediaPipe's world landmarks, the image-anchored skeleton and the flip test, on the rendered people.

    PYTHONPATH=. python bench/skeleton_accuracy.py [--quality balanced] [--clips bodyA_side ...]

Each clip in tests/data/synthetic is analysed twice, without and with the flip test
(``processor.flip_average``), then angles and cleaning as the pipeline does them. Scored: MediaPipe's
own world landmarks, ``processor.anchoring``'s skeleton (x, y from the 2D keypoints, depth from the
world landmarks), and that skeleton with the flip test (what ``balanced`` and ``accurate`` use).
Prints the mean absolute error in
degrees against the clip's truth; "trunk" is with the trunk-depth correction (``processor.trunk_depth``),
"trunk before" without it, "trunk ≤60" over the frames whose true flexion is at most 60° (the last
zone border), and "zone%" the share of the time in another NV 361 trunk zone (borders −10, 40, 60°)
than the truth, before and after. The left arm faces the camera in the side and 45° views; "near arm" is, frame by frame, the arm on the
camera's side (the measured ``camera_azimuth_deg``). Neck: after removing each clip's own first-second
offset, frames with the trunk upright (target < 30°); "neck all": every frame. "trunk, pitch given" and
"near arm, pitch given": the same skeleton with the camera's true pitch given (``camera_pitch_deg``, as
``hotfolder analyze --camera-pitch`` does) instead of the vertical the analysis finds itself: the pitch of
the clip's truth table (median over its frames) or the base clips' ``BASE_PITCH_DEG`` of
``tests/data/make_synthetic.py``. It shows what knowing the pitch would change (``processor.angles``,
"The vertical").
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from processor.anchoring import anchor_to_image  # noqa: E402
from processor.angles import compute_angles  # noqa: E402
from processor.cleaning import clean_angles  # noqa: E402
from processor.model import AnalysisOptions, PoseSequence  # noqa: E402
from processor.pose import estimate_pose  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "data"))
from make_synthetic import BASE_PITCH_DEG  # noqa: E402  (the renderer's constants; anny is imported only to render)

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "synthetic"
CLIPS = sorted(p.stem for p in DATA.glob("*.mp4") if p.with_suffix(".csv").exists())  # every rendered clip
ZONES = [-float("inf"), -10.0, 40.0, 60.0, float("inf")]  # NV 361 trunk borders: extension, 40°, 60°
COLUMNS = {
    "arm L": "upper_arm_elevation_left_deg",
    "arm R": "upper_arm_elevation_right_deg",
    "trunk": "trunk_flexion_deg",
    "knee L": "knee_flexion_left_deg",
    "elbow L": "elbow_flexion_left_deg",
}


def true_pitch(truth: pd.DataFrame) -> float:
    """The camera's pitch (degrees, + down) the clip was rendered with."""
    if "camera_pitch_deg" in truth:
        return float(truth["camera_pitch_deg"].median())
    return BASE_PITCH_DEG


def _trunk(
    pose: PoseSequence, truth: pd.DataFrame, trunk_depth: bool, camera_pitch_deg: float | None = None
) -> tuple[pd.DataFrame, float, float]:
    """Merged table, trunk-flexion MAE and the share of time (%) in another NV 361 trunk zone than the truth."""
    angles = compute_angles(pose, camera_pitch_deg=camera_pitch_deg, trunk_depth=trunk_depth)
    cleaned = clean_angles(angles, pose.video.duration_s).df
    m = pd.merge_asof(cleaned, truth, on="time_s", suffixes=("", "_t"), tolerance=0.03, direction="nearest")
    ok = m["trunk_flexion_deg"].notna() & m["trunk_flexion_deg_t"].notna()
    got = pd.cut(m.loc[ok, "trunk_flexion_deg"], ZONES, labels=False)
    want = pd.cut(m.loc[ok, "trunk_flexion_deg_t"], ZONES, labels=False)
    mae = float((m["trunk_flexion_deg"] - m["trunk_flexion_deg_t"]).abs().mean())
    return m, mae, float((got != want).mean() * 100)


def _near_arm(m: pd.DataFrame) -> float:
    """MAE of the arm nearer the camera, frame by frame: the camera at the subject's left (azimuth > 0)
    sees the left arm."""
    left_near = np.sin(np.radians(m["camera_azimuth_deg"].to_numpy())) >= 0
    err_l = (m["upper_arm_elevation_left_deg"] - m["upper_arm_elevation_left_deg_t"]).abs()
    err_r = (m["upper_arm_elevation_right_deg"] - m["upper_arm_elevation_right_deg_t"]).abs()
    return float(pd.Series(np.where(left_near, err_l, err_r)).mean())


def errors(pose: PoseSequence, truth: pd.DataFrame) -> dict[str, float]:
    _, trunk_before, zone_before = _trunk(pose, truth, trunk_depth=False)
    m, trunk_after, zone_after = _trunk(pose, truth, trunk_depth=True)
    out = {name: float((m[col] - m[f"{col}_t"]).abs().mean()) for name, col in COLUMNS.items()}
    # up to the last NV 361 trunk border: past 60° one zone holds every angle, so an overshoot of a deep
    # bend there moves no minutes
    within = m["trunk_flexion_deg_t"] <= ZONES[-2]
    out["trunk ≤60"] = float((m["trunk_flexion_deg"] - m["trunk_flexion_deg_t"]).abs()[within].mean())
    out.update({"trunk before": trunk_before, "zone% before": zone_before, "zone% after": zone_after})
    out["near arm"] = _near_arm(m)
    pitched, out["trunk, pitch given"], _ = _trunk(pose, truth, trunk_depth=True, camera_pitch_deg=true_pitch(truth))
    out["near arm, pitch given"] = _near_arm(pitched)
    neck = m["neck_flexion_deg"] - m["neck_flexion_deg_t"]
    neck = neck - neck[m["time_s"] < 1.0].median()
    out["neck"] = float(neck[m["target_trunk_deg"] < 30].abs().mean())
    out["neck all"] = float(neck.abs().mean())
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quality", default="balanced", choices=["fast", "balanced", "accurate"])
    ap.add_argument("--clips", nargs="*", default=CLIPS)
    args = ap.parse_args()
    rows = []
    for clip in args.clips:
        options = AnalysisOptions(quality=args.quality, processes=1)
        world = estimate_pose(DATA / f"{clip}.mp4", options, anchor=False, flip=False)
        anchored = replace(
            world,
            world=anchor_to_image(world.world, world.image, world.visibility, world.video.width, world.video.height),
        )
        flipped = estimate_pose(DATA / f"{clip}.mp4", options, flip=True)
        truth = pd.read_csv(DATA / f"{clip}.csv")
        for name, pose in (("world landmarks", world), ("anchored", anchored), ("anchored + flip", flipped)):
            rows.append({"clip": clip, "skeleton": name, **errors(pose, truth)})
        print(f"analysed {clip}", file=sys.stderr, flush=True)
    table = pd.DataFrame(rows).set_index(["clip", "skeleton"])
    print(f"MAE in degrees, {args.quality} quality\n")
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(table.round(2).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
