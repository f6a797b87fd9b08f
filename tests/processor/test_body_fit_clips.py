"""No regression from the body model: on the rendered synthetic clips (h2's tests/data/synthetic),
angles measured on the SMPL-X fit (synthetic model) agree with the truth within the accuracy
bounds of the posture-analysis issue, as the landmark angles do.

Runs MediaPipe on the clips, hence slow. Measured numbers are printed (``pytest -s``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
angles = pytest.importorskip("processor.angles")  # h2's module: skipped only until it is merged
pd = pytest.importorskip("pandas")

from processor.body_fit import fit_body  # noqa: E402
from tests.support.poses import balanced_pose  # noqa: E402
from tests.support.synthetic_smplx import write_synthetic_smplx  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data" / "synthetic"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return write_synthetic_smplx(tmp_path_factory.mktemp("smplx") / "synthetic_smplx.npz")


def _mae(df, truth, col, offset=False):
    m = pd.merge_asof(df[["time_s", col]].sort_values("time_s"), truth[["time_s", col]], on="time_s",
                      suffixes=("", "_t"), tolerance=0.03, direction="nearest").dropna()  # fmt: skip
    err = m[col] - m[f"{col}_t"]
    if offset:  # the neck's neutral offset (ear vs cervical spine) is removed, as in issue 3
        err = err - err.median()
    return float(err.abs().mean())


@pytest.mark.parametrize("clip", ["bodyA_side", "bodyB_45"])
def test_body_fit_angles_within_issue3_bounds(clip, model_path):
    import torch

    video = DATA / f"{clip}.mp4"
    if not video.exists():
        pytest.skip(f"{video} not committed yet (h2's synthetic clips)")
    pose = balanced_pose(video)  # the session's one balanced pass of the clip, shared with the accuracy tests
    up, _ = angles.estimate_vertical(pose.world)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        fit = fit_body(pose, model_path, device="cpu", up=up)
    finally:
        torch.set_num_threads(threads)
    truth = pd.read_csv(DATA / f"{clip}.csv")
    lm, body = angles.compute_angles(pose), angles.compute_angles(fit)

    rows = {}
    for col, bound, offset in (("trunk_flexion_deg", 5.0, False), ("upper_arm_elevation_left_deg", 12.0, False),
                               ("neck_flexion_deg", 8.0, True)):  # fmt: skip
        rows[col] = (_mae(lm, truth, col, offset), _mae(body, truth, col, offset), bound)
    print(f"\n{clip}: MAE vs truth (deg) landmarks / body fit / bound; fit residual "
          f"{fit.meta['residual_mean_mm']} mm mean, {fit.meta['residual_p95_mm']} mm p95")  # fmt: skip
    for col, (a, b, bound) in rows.items():
        print(f"  {col:32s} {a:6.2f} {b:6.2f} {bound:5.1f}")
    for col, (a, b, bound) in rows.items():
        assert b <= bound, (col, b)
        assert b <= a + 2.0, (col, a, b)  # no regression beyond 2° from adding the body model
    # Sides are not swapped by the fit: the left arm of the fit follows the left landmarks.
    left = np.corrcoef(np.nan_to_num(lm["upper_arm_elevation_left_deg"]), np.nan_to_num(body["upper_arm_elevation_left_deg"]))[0, 1]
    assert left > 0.9
