"""compute_angles on hand-built skeletons with known geometry (tests/processor/skeleton.py)."""

import numpy as np
import pandas as pd
import pytest

from processor.angles import compute_angles, estimate_vertical
from processor.model import ANGLE_COLUMNS
from tests.processor.skeleton import sequence, skeleton


def one(**kw):
    pitch = kw.pop("given_pitch", None)
    return compute_angles(sequence([skeleton(**kw)]), camera_pitch_deg=pitch).iloc[0]


def test_columns_are_the_contract():
    df = compute_angles(sequence([skeleton(), skeleton(flexion=20)]))
    assert tuple(df.columns) == ANGLE_COLUMNS
    assert df["time_s"].tolist() == [0.0, 0.1]


def test_upright_neutral():
    r = one()
    for col in ("trunk_flexion_deg", "trunk_side_bend_deg", "trunk_twist_deg", "neck_flexion_deg",
                "upper_arm_elevation_left_deg", "upper_arm_elevation_right_deg", "knee_flexion_left_deg"):  # fmt: skip
        assert r[col] == pytest.approx(0.0, abs=1e-6), col


@pytest.mark.parametrize("flex", [-20, 15, 45, 75, 90, 110, 130])
@pytest.mark.parametrize("azimuth", [0, 45, 90, -90, 180])
def test_trunk_flexion_signed_and_past_horizontal(flex, azimuth):
    r = one(flexion=flex, azimuth=azimuth)
    assert r["trunk_flexion_deg"] == pytest.approx(flex, abs=1e-6)
    assert r["trunk_side_bend_deg"] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("flex", [0, 40, 80, 110])
def test_side_bend_sign_and_stability_when_flexed(flex):
    right = one(flexion=flex, side=20)
    left = one(flexion=flex, side=-20)
    assert right["trunk_side_bend_deg"] == pytest.approx(20, abs=1e-6)
    assert left["trunk_side_bend_deg"] == pytest.approx(-20, abs=1e-6)


def test_twist_sign():
    assert one(twist=30)["trunk_twist_deg"] == pytest.approx(30, abs=1e-6)
    assert one(twist=-25, flexion=60)["trunk_twist_deg"] == pytest.approx(-25, abs=1e-6)


@pytest.mark.parametrize("flex", [0, 60, 100])
def test_neck_flexion_in_the_trunk_sagittal_plane(flex):
    r = one(flexion=flex, neck=30)
    assert r["neck_flexion_deg"] == pytest.approx(30, abs=1e-6)
    assert r["head_inclination_deg"] == pytest.approx(flex + 30, abs=1e-6)
    assert one(flexion=flex, neck=-10)["neck_flexion_deg"] == pytest.approx(-10, abs=1e-6)


@pytest.mark.parametrize("elev", [0, 30, 60, 90, 150, 180])
def test_arm_elevation_sides(elev):
    r = one(arm_l=elev)
    assert r["upper_arm_elevation_left_deg"] == pytest.approx(elev, abs=1e-6)
    assert r["upper_arm_elevation_right_deg"] == pytest.approx(0, abs=1e-6)
    r = one(arm_r=elev, azimuth=90)
    assert r["upper_arm_elevation_right_deg"] == pytest.approx(elev, abs=1e-6)
    assert r["upper_arm_elevation_left_deg"] == pytest.approx(0, abs=1e-6)
    # abduction counts like flexion: elevation is the 3D angle to the downward vertical
    assert one(arm_l=elev, arm_l_abd=True)["upper_arm_elevation_left_deg"] == pytest.approx(elev, abs=1e-6)


def test_arm_to_trunk_differs_from_elevation_when_bent():
    r = one(flexion=60)  # arms hang plumb while the trunk leans 60° forward
    assert r["upper_arm_elevation_left_deg"] == pytest.approx(0, abs=1e-6)
    assert r["upper_arm_to_trunk_left_deg"] == pytest.approx(60, abs=1e-6)


def test_elbow_and_knee_flexion():
    r = one(knee=90)
    assert r["knee_flexion_left_deg"] == pytest.approx(90, abs=1e-6)
    assert r["elbow_flexion_left_deg"] == pytest.approx(90, abs=1e-6)  # forearm forward, arm hanging


def test_camera_pitch_given():
    r = one(flexion=30, pitch=25, given_pitch=25)
    assert r["trunk_flexion_deg"] == pytest.approx(30, abs=1e-6)
    tilted = one(flexion=30, pitch=25, given_pitch=0)
    assert abs(tilted["trunk_flexion_deg"] - 30) > 20  # the pitch matters: a level assumption is wrong


@pytest.mark.parametrize("pitch", [25, -20])
def test_vertical_estimated_from_standing_frames_when_clearly_tilted(pitch):
    frames = [skeleton(pitch=pitch, azimuth=a) for a in range(0, 40, 2)]  # standing, turning
    frames += [skeleton(flexion=50, arm_r=90, pitch=pitch, azimuth=30)] * 10  # bending with straight legs
    df = compute_angles(sequence(frames))
    assert df.attrs["vertical"]["method"].startswith("estimated")
    assert df.attrs["vertical"]["camera_pitch_deg"] == pytest.approx(pitch, abs=0.5)
    assert df["trunk_flexion_deg"].iloc[-1] == pytest.approx(50, abs=0.5)
    assert df["upper_arm_elevation_right_deg"].iloc[-1] == pytest.approx(90, abs=0.5)


@pytest.mark.parametrize("pitch", [0, 8])
def test_small_tilt_is_taken_as_level_camera(pitch):
    frames = [skeleton(pitch=pitch)] * 20 + [skeleton(flexion=50, pitch=pitch)] * 5
    df = compute_angles(sequence(frames))
    assert df.attrs["vertical"]["method"].startswith("camera level")
    assert df["trunk_flexion_deg"].iloc[-1] == pytest.approx(50 + pitch, abs=0.5)  # the camera's view


def test_vertical_falls_back_to_level_camera_without_standing_frames():
    up, info = estimate_vertical(sequence([skeleton(flexion=60, knee=60)] * 20).world)
    assert np.allclose(up, [0, -1, 0]) and info["method"].startswith("camera level")


def test_missing_person_gives_nan_rows():
    seq = sequence([skeleton(), skeleton()])
    seq.world[1] = np.nan
    seq.visibility[1] = np.nan
    df = compute_angles(seq)
    assert df.iloc[1].drop("time_s").isna().all()
    assert df["confidence_trunk"].iloc[0] == pytest.approx(0.99)


def test_neutral_offsets_shift_only_the_landmark_head_angles():
    from processor.angles import MEDIAPIPE_NEUTRAL_OFFSETS_DEG, remove_neutral_offsets

    assert MEDIAPIPE_NEUTRAL_OFFSETS_DEG == {"neck_flexion_deg": 13.0, "head_inclination_deg": 14.0}
    df = pd.DataFrame({"neck_flexion_deg": [13.0, 40.0], "head_inclination_deg": [14.0, float("nan")],
                       "trunk_flexion_deg": [3.0, 50.0]})
    out = remove_neutral_offsets(df, "mediapipe")
    assert out["neck_flexion_deg"].tolist() == [0.0, 27.0]
    assert out["head_inclination_deg"].iloc[0] == 0.0 and np.isnan(out["head_inclination_deg"].iloc[1])
    assert out["trunk_flexion_deg"].tolist() == [3.0, 50.0]
    assert out.attrs["neutral_offsets_deg"] == MEDIAPIPE_NEUTRAL_OFFSETS_DEG
    assert df["neck_flexion_deg"].tolist() == [13.0, 40.0], "the input is not changed"
    fitted = remove_neutral_offsets(df, "smplx")
    assert fitted["neck_flexion_deg"].tolist() == [13.0, 40.0] and fitted.attrs["neutral_offsets_deg"] == {}


def test_legs_hidden_behind_a_bench_do_not_set_the_vertical():
    """A camera pitched 25° down sees a standing person whose legs the network only guesses (hidden by a
    bench): guessed legs leaning 25° the wrong way would tilt every angle; they are not used."""
    from processor.model import LANDMARKS

    seq = sequence([skeleton(pitch=25)] * 20)
    seen = estimate_vertical(seq.world, seq.visibility)[1]
    assert seen["method"].startswith("estimated")
    hidden = seq.visibility.copy()
    for name in ("left_knee", "right_knee", "left_ankle", "right_ankle"):
        hidden[:, LANDMARKS[name]] = 0.1
    up, info = estimate_vertical(seq.world, hidden)
    assert np.allclose(up, [0, -1, 0]) and info["method"].startswith("camera level")
    assert info["standing_frames"] == 0
    seq.visibility[:] = hidden
    df = compute_angles(seq)  # the trunk and arms are still measured; the legs' confidence says they are guesses
    assert df["trunk_flexion_deg"].notna().all() and (df["confidence_legs"] < 0.5).all()


def test_an_arm_whose_elbow_is_hidden_is_not_measured():
    """The upper arm's direction needs both ends seen. Seen from the side the far arm's shoulder is seen
    (visibility ~1) but its elbow is behind the body (~0.2); a mean over shoulder, elbow and wrist
    passed 0.5 there and the far arm copied the near arm's raise. The arm's confidence is the lower
    of the two ends', and cleaning leaves such frames empty."""
    from processor.cleaning import clean_angles
    from processor.model import LANDMARKS

    seq = sequence([skeleton(arm_l=60)] * 10)
    seq.visibility[:, LANDMARKS["right_shoulder"]] = 1.0
    seq.visibility[:, LANDMARKS["right_elbow"]] = 0.2
    seq.visibility[:, LANDMARKS["right_wrist"]] = 0.45  # (1 + 0.2 + 0.45) / 3 = 0.55: measured before
    seq.visibility[:, LANDMARKS["left_wrist"]] = 0.1  # a hidden hand does not blank an arm whose elbow is seen
    df = compute_angles(seq)
    assert df["confidence_arm_right"].tolist() == pytest.approx([0.2] * 10)
    assert df["confidence_arm_left"].tolist() == pytest.approx([0.99] * 10)
    cleaned = clean_angles(df, 1.0).df
    assert cleaned["upper_arm_elevation_right_deg"].isna().all()
    assert cleaned["upper_arm_elevation_left_deg"].to_numpy() == pytest.approx([60.0] * 10, abs=1e-6)
