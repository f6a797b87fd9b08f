"""processor.arm_depth on hand-built skeletons: an exact picture, the elbow's depth spoilt as MediaPipe
spoils it seen from in front (a hanging arm read with the elbow behind the shoulder)."""

from __future__ import annotations

import numpy as np
import pytest

from processor.angles import compute_angles
from processor.model import LANDMARKS as L
from processor.sagittal import ARM_BELOW_ELBOW
from tests.processor.skeleton import sequence, skeleton

HANGING = 12  # frames with both arms hanging beside the upright trunk: the person's reference


def _elbow_back(seq, frames, side: str, deg: float) -> None:
    """Move the elbow (and what hangs from it) of ``frames`` away from the camera, as if the upper arm
    leaned ``deg`` out of the picture plane with its picture unchanged."""
    sh, el = L[f"{side}_shoulder"], L[f"{side}_elbow"]
    for i in frames:
        t = float(np.hypot(*(seq.world[i, el, :2] - seq.world[i, sh, :2])))
        seq.world[i, [el, *ARM_BELOW_ELBOW[side]], 2] += t * np.tan(np.radians(deg))


def elevation(seq, side: str = "left", **kw) -> np.ndarray:
    return compute_angles(seq, camera_pitch_deg=0, **kw)[f"upper_arm_elevation_{side}_deg"].to_numpy()


@pytest.mark.parametrize("azimuth", (0, 10))
def test_in_front_a_hanging_arm_read_leaning_back_comes_back_toward_hanging(azimuth):
    """MediaPipe put the hanging elbow 11-14° behind the shoulder seen from in front: with the picture
    showing the arm at the person's hanging length, the lean is more than halved; the frames left alone
    stay exact."""
    frames = [skeleton(azimuth=azimuth) for _ in range(HANGING + 6)]
    seq = sequence(frames)
    spoilt = range(HANGING, HANGING + 6)
    _elbow_back(seq, spoilt, "left", 13.0)
    before = elevation(seq, arms_front=False)
    got = compute_angles(seq, camera_pitch_deg=0)
    after = got["upper_arm_elevation_left_deg"].to_numpy()
    np.testing.assert_allclose(before[HANGING:], 13.0, atol=0.1)
    assert np.all(after[HANGING:] < 0.5 * before[HANGING:])
    np.testing.assert_allclose(after[:HANGING], 0.0, atol=1e-6)
    np.testing.assert_allclose(got["upper_arm_elevation_right_deg"].to_numpy(), 0.0, atol=1e-6)
    assert got.attrs["arm_depth"]["left_frames"] == 6 and got.attrs["arm_depth"]["right_frames"] == 0


def test_in_front_the_picture_only_brings_the_arm_nearer_the_picture_plane():
    """A forward raise read too low (its depth shrunk: the picture would raise it) keeps MediaPipe's
    reading; an exact raise stays exact."""
    frames = [skeleton() for _ in range(HANGING)] + [skeleton(arm_l=a) for a in (30, 45, 60, 75)]
    seq = sequence(frames)
    exact = elevation(seq)
    np.testing.assert_allclose(exact[HANGING:], [30, 45, 60, 75], atol=1e-6)
    seq.world[HANGING:, [L["left_elbow"], *ARM_BELOW_ELBOW["left"]], 2] *= 0.5  # shrunk toward the shoulder's depth
    seq.world[HANGING:, [L["left_elbow"], *ARM_BELOW_ELBOW["left"]], 2] += 0.5 * seq.world[HANGING:, [L["left_shoulder"]], 2]
    low = compute_angles(seq, camera_pitch_deg=0)
    np.testing.assert_allclose(low["upper_arm_elevation_left_deg"].to_numpy(), elevation(seq, arms_front=False), atol=1e-6)
    assert low.attrs["arm_depth"]["left_frames"] == 0


@pytest.mark.parametrize("azimuth", (20, 45, 90, 150, 180))
def test_only_in_front(azimuth):
    """Seen from 20° on, obliquely, from the side or from behind the step stands aside."""
    seq = sequence([skeleton(azimuth=azimuth) for _ in range(HANGING + 3)])
    _elbow_back(seq, range(HANGING, HANGING + 3), "left", 13.0)
    got = compute_angles(seq, camera_pitch_deg=0)
    assert got.attrs["arm_depth"] == {"left_frames": 0, "right_frames": 0}


def test_without_hanging_frames_the_arm_is_left_as_read():
    """Arms never hanging beside an upright trunk: no reference, no change."""
    seq = sequence([skeleton(arm_l=60, arm_r=60) for _ in range(HANGING)])
    _elbow_back(seq, range(3, 6), "left", 13.0)
    got = compute_angles(seq, camera_pitch_deg=0)
    np.testing.assert_allclose(got["upper_arm_elevation_left_deg"].to_numpy(), elevation(seq, arms_front=False), atol=1e-9)
    assert got.attrs["arm_depth"]["left_frames"] == 0
