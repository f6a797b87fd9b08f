"""The measurements the NV 361/2007 posture catalogue adds (head side bend and rotation, arm extension behind
the trunk, hip and knee height ratios) on hand-built skeletons (tests/processor/skeleton.py)."""

import numpy as np
import pytest

from processor.angles import compute_angles
from processor.cleaning import PARTS, TRUNK_DEPENDENT, clean_angles
from processor.model import ANGLE_COLUMNS
from tests.processor.skeleton import sequence, skeleton

NEW = ("head_side_bend_deg", "head_rotation_deg", "upper_arm_extension_left_deg",
       "upper_arm_extension_right_deg", "hip_height_ratio", "knee_height_ratio")  # fmt: skip
VIEWS = [(az, pitch) for az in (0, 45, 90, 150) for pitch in (0, 20)]


def one(azimuth=0.0, pitch=0.0, **kw):
    """One frame seen from (azimuth, pitch), with the camera pitch given (as the user would)."""
    return compute_angles(sequence([skeleton(azimuth=azimuth, pitch=pitch, **kw)]), camera_pitch_deg=pitch).iloc[0]


def test_new_columns_follow_the_knees_and_precede_the_confidences():
    i = ANGLE_COLUMNS.index("knee_flexion_right_deg") + 1
    assert ANGLE_COLUMNS[i:i + len(NEW)] == NEW
    assert ANGLE_COLUMNS.index("confidence_trunk") > i + len(NEW) - 1


@pytest.mark.parametrize("azimuth", [0, 45, 90, 150, 180, -90])
@pytest.mark.parametrize("pitch", [0, 20])
def test_camera_azimuth_is_where_the_camera_stands_around_the_person(azimuth, pitch):
    # 0 in front, +90 at the subject's left (the rendered clips' "side"), ±180 behind
    got = one(azimuth, pitch)["camera_azimuth_deg"]
    assert (got - azimuth + 180) % 360 - 180 == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("azimuth,pitch", VIEWS)
def test_neutral_reads_zero_and_standing_ratios(azimuth, pitch):
    r = one(azimuth, pitch)
    for col in NEW[:4]:
        assert r[col] == pytest.approx(0.0, abs=1e-6), col
    assert r["hip_height_ratio"] == pytest.approx(1.0, abs=1e-6)
    assert r["knee_height_ratio"] == pytest.approx(0.5, abs=1e-6)


@pytest.mark.parametrize("azimuth,pitch", VIEWS)
@pytest.mark.parametrize("head_side", [-30, -10, 15, 35])
def test_head_side_bend_recovered(azimuth, pitch, head_side):
    assert one(azimuth, pitch, head_side=head_side)["head_side_bend_deg"] == pytest.approx(head_side, abs=1.0)
    # relative to the trunk: a bent, flexed, twisted trunk, and a turned head, do not change it
    r = one(azimuth, pitch, head_side=head_side, head_rot=40, flexion=50, side=15, twist=20, neck=20)
    assert r["head_side_bend_deg"] == pytest.approx(head_side, abs=1.0)
    assert r["head_rotation_deg"] == pytest.approx(40, abs=1.0)


@pytest.mark.parametrize("azimuth,pitch", VIEWS)
@pytest.mark.parametrize("head_rot", [-60, -20, 10, 45])
def test_head_rotation_recovered(azimuth, pitch, head_rot):
    r = one(azimuth, pitch, head_rot=head_rot)
    assert r["head_rotation_deg"] == pytest.approx(head_rot, abs=1.0)
    assert r["head_side_bend_deg"] == pytest.approx(0, abs=1.0)
    r = one(azimuth, pitch, head_rot=head_rot, head_side=-20, flexion=80, twist=-15, neck=30)
    assert r["head_rotation_deg"] == pytest.approx(head_rot, abs=1.0)


@pytest.mark.parametrize("azimuth,pitch", VIEWS)
def test_head_following_the_trunk_reads_zero(azimuth, pitch):
    for kw in (dict(twist=30), dict(twist=-25, flexion=60), dict(side=20), dict(side=-15, flexion=100),
               dict(neck=35), dict(neck=-15, flexion=40)):  # fmt: skip
        r = one(azimuth, pitch, **kw)
        assert r["head_rotation_deg"] == pytest.approx(0, abs=1.0), kw
        assert r["head_side_bend_deg"] == pytest.approx(0, abs=1.0), kw
    assert one(azimuth, pitch, twist=30)["trunk_twist_deg"] == pytest.approx(30, abs=1e-6)


def test_head_signs():
    # + side bend: the right ear lower than the left; + rotation: the right ear forward (face to the left)
    from processor.model import LANDMARKS as L

    w = skeleton(head_side=20)
    assert w[L["right_ear"], 1] > w[L["left_ear"], 1]  # camera y points down
    w = skeleton(head_rot=20)  # facing the camera (z away from it): forward is -z
    assert w[L["right_ear"], 2] < w[L["left_ear"], 2]


@pytest.mark.parametrize("azimuth,pitch", VIEWS)
@pytest.mark.parametrize("ext", [10, 30, 50, -20])
def test_arm_extension_recovered(azimuth, pitch, ext):
    r = one(azimuth, pitch, arm_l_ext=ext)
    assert r["upper_arm_extension_left_deg"] == pytest.approx(ext, abs=1.0)
    assert r["upper_arm_extension_right_deg"] == pytest.approx(0, abs=1.0)
    r = one(azimuth, pitch, arm_r_ext=ext, flexion=45, side=10)  # relative to the trunk, not the vertical
    assert r["upper_arm_extension_right_deg"] == pytest.approx(ext, abs=1.0)
    assert r["upper_arm_extension_left_deg"] == pytest.approx(-45, abs=1.0)  # hanging plumb = in front


@pytest.mark.parametrize("azimuth,pitch", VIEWS)
@pytest.mark.parametrize("elev", [30, 60, 90, 150])
def test_arm_extension_zero_sideways_negative_forward(azimuth, pitch, elev):
    assert one(azimuth, pitch, arm_l=elev, arm_l_abd=True)["upper_arm_extension_left_deg"] == pytest.approx(0, abs=1.0)
    forward = one(azimuth, pitch, arm_l=elev, arm_r=elev)
    expected = -min(elev, 180 - elev)  # asin: the depth in front of the frontal plane, not the elevation
    assert forward["upper_arm_extension_left_deg"] == pytest.approx(expected, abs=1.0)
    assert forward["upper_arm_extension_right_deg"] == pytest.approx(expected, abs=1.0)


POSTURES = {
    "standing": dict(),
    "kneeling": dict(kneel=True),
    "squatting": dict(squat=True),
    "lying": dict(lying=True),
    "sitting": dict(sit=True),
}
EXPECTED = {  # hip, knee ratio of the built skeletons (legs 0.45 + 0.45 m)
    "standing": (1.0, 0.5),
    "kneeling": (0.5, 0.0),
    "squatting": ((0.45 * np.cos(np.radians(30)) - 0.45 * np.sin(np.radians(10))) / 0.9, np.cos(np.radians(30)) / 2),
    "lying": (0.0, 0.0),
    "sitting": (0.5, 0.5),
}


@pytest.mark.parametrize("azimuth,pitch", VIEWS)
@pytest.mark.parametrize("posture", list(POSTURES))
def test_height_ratios_recovered(azimuth, pitch, posture):
    r = one(azimuth, pitch, **POSTURES[posture])
    hip, knee = EXPECTED[posture]
    assert r["hip_height_ratio"] == pytest.approx(hip, abs=0.05)
    assert r["knee_height_ratio"] == pytest.approx(knee, abs=0.05)


@pytest.mark.parametrize("azimuth,pitch", VIEWS)
def test_height_ratios_separate_the_postures(azimuth, pitch):
    r = {k: one(azimuth, pitch, **kw) for k, kw in POSTURES.items()}
    hip = {k: v["hip_height_ratio"] for k, v in r.items()}
    knee = {k: v["knee_height_ratio"] for k, v in r.items()}
    assert hip["standing"] > 0.9 and knee["standing"] > 0.4
    assert knee["kneeling"] < 0.1 and 0.4 < hip["kneeling"] < 0.6  # a knee on the floor, hips half up
    assert 0.3 <= hip["squatting"] <= 0.45 and hip["squatting"] < knee["squatting"]  # hips below the knees
    assert hip["lying"] < 0.15 and knee["lying"] < 0.15
    assert 0.4 < hip["sitting"] < 0.6 and knee["sitting"] > 0.4  # hips at knee height, knee off the floor
    # each pair differs by at least 0.1 in one of the two ratios
    names = list(POSTURES)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            gap = max(abs(hip[a] - hip[b]), abs(knee[a] - knee[b]))
            assert gap >= 0.1, (a, b, gap)


def test_ratios_use_the_lower_ankle_and_knee_and_cancel_size():
    w = skeleton(kneel=True)
    from processor.model import LANDMARKS as L

    half = w.copy()  # half-kneeling: the right foot planted, its knee up (shank vertical, thigh forward)
    hip, up = w[L["right_hip"]], np.array([0.0, -1.0, 0.0])
    fwd = np.array([0.0, 0.0, -1.0])
    half[L["right_knee"]] = hip + 0.45 * fwd
    half[L["right_ankle"]] = half[L["right_knee"]] - 0.45 * up
    r = compute_angles(sequence([half, 2.0 * half]), camera_pitch_deg=0)
    assert r["knee_height_ratio"].tolist() == pytest.approx([0.0, 0.0], abs=1e-6)  # the lower (left) knee
    assert r["hip_height_ratio"].tolist() == pytest.approx([0.5, 0.5], abs=1e-6)  # scale cancels


def test_no_person_gives_nan():
    seq = sequence([skeleton(head_side=10, arm_l_ext=20), skeleton()])
    seq.world[1] = np.nan
    seq.visibility[1] = np.nan
    df = compute_angles(seq)
    assert df.iloc[0][list(NEW)].notna().all()
    assert df.iloc[1][list(NEW)].isna().all()


def test_cleaning_parts_and_trunk_dependence():
    part_of = {c: part for part, (_, cols) in PARTS.items() for c in cols}
    assert part_of["head_side_bend_deg"] == part_of["head_rotation_deg"] == "neck"
    assert part_of["upper_arm_extension_left_deg"] == "arm_left"
    assert part_of["upper_arm_extension_right_deg"] == "arm_right"
    assert part_of["hip_height_ratio"] == part_of["knee_height_ratio"] == "legs"
    for c in NEW[:4]:
        assert c in TRUNK_DEPENDENT, c
    assert "hip_height_ratio" not in TRUNK_DEPENDENT and "knee_height_ratio" not in TRUNK_DEPENDENT


def test_cleaning_keeps_ratios_and_a_held_kneel():
    """Savitzky–Golay at 10 fps (5 frames) keeps a 2 s kneel's level and the standing level; a bad trunk
    masks the head and arm-extension columns but not the ratios."""
    frames = [skeleton()] * 20 + [skeleton(kneel=True, head_side=20)] * 20 + [skeleton()] * 20
    df = compute_angles(sequence(frames), camera_pitch_deg=0)
    df.loc[45:54, "confidence_trunk"] = 0.1
    c = clean_angles(df).df
    assert c["hip_height_ratio"].iloc[:15].to_numpy() == pytest.approx(1.0, abs=1e-6)
    assert c["hip_height_ratio"].iloc[23:37].to_numpy() == pytest.approx(0.5, abs=1e-6)
    assert c["knee_height_ratio"].iloc[23:37].to_numpy() == pytest.approx(0.0, abs=1e-6)
    assert c["head_side_bend_deg"].iloc[23:37].to_numpy() == pytest.approx(20.0, abs=1e-6)
    assert c["hip_height_ratio"].notna().all()
    for col in ("head_side_bend_deg", "head_rotation_deg", "upper_arm_extension_left_deg"):
        assert c[col].iloc[45:55].isna().all() and c[col].iloc[:45].notna().all(), col
