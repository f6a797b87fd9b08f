"""Hips hidden, camera off to the side: the facing steadied and the trunk and neck lines in the sagittal
plane (processor.sagittal), on exact skeletons."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from processor.angles import compute_angles
from processor.model import LANDMARKS, VideoInfo
from processor.sagittal import steady_facing
from tests.processor.skeleton import corrupt_depth, sequence, skeleton

W, H, PX_PER_M = 640, 480, 200.0
HIPS = (LANDMARKS["left_hip"], LANDMARKS["right_hip"])
BEND = slice(60, 90)  # 6.0-8.9 s of 15 s at 10 frames/s: shorter than half the 8-s window, clear of the ends


def _turn_hips(frame: np.ndarray, deg: float) -> np.ndarray:
    """The guessed hip line turned about the vertical through the mid-hip (camera level: the vertical is y)."""
    out = frame.copy()
    mid = (out[HIPS[0]] + out[HIPS[1]]) / 2.0
    a = np.radians(deg)
    rot = np.array([[np.cos(a), 0.0, np.sin(a)], [0.0, 1.0, 0.0], [-np.sin(a), 0.0, np.cos(a)]])
    for i in HIPS:
        out[i] = mid + rot @ (out[i] - mid)
    return out


def _at_a_bench(azimuth: float, flexion: float = 60.0, neck: float = 25.0, side: float = 0.0,
                hips_turn: float = 70.0, depth_scale: float = 0.2, legs_vis: float = 0.1):
    """A worker behind a bench seen from ``azimuth``: upright, then bent ``flexion`` with the head bowed
    ``neck`` for 3 s, then upright. In the bend the network's guesses spoil what rests on the hidden hips:
    the hip line turned by ``hips_turn`` and the upper body's depth shrunk to ``depth_scale`` (as behind
    the rendered 45° bench). The picture (x, y) stays exact, as the image-anchored skeleton's is."""
    frames = []
    for i in range(150):
        bent = BEND.start <= i < BEND.stop
        f = skeleton(flexion=flexion if bent else 0.0, neck=neck if bent else 0.0, side=side if bent else 0.0,
                     azimuth=azimuth)
        if bent:
            f = _turn_hips(corrupt_depth(f, scale=depth_scale), hips_turn)
        frames.append(f)
    seq = sequence(frames)
    image = (seq.world[..., :2] * PX_PER_M + np.array([W / 2, H / 2])) / np.array([W, H])
    vis = seq.visibility.copy()
    for name in ("left_knee", "right_knee", "left_ankle", "right_ankle"):
        vis[:, LANDMARKS[name]] = legs_vis
    video = VideoInfo(path=Path("bench.mp4"), width=W, height=H, fps=10.0, duration_s=15.0, frame_count=150,
                      rotation_deg=0)
    return replace(seq, image=image, visibility=vis, video=video)


@pytest.mark.parametrize("azimuth", [45.0, 60.0, -60.0, 120.0, 145.0])
def test_a_bend_behind_a_bench_is_read_from_the_picture(azimuth):
    pose = _at_a_bench(azimuth)
    got = compute_angles(pose)
    want_trunk = np.where((np.arange(150) >= BEND.start) & (np.arange(150) < BEND.stop), 60.0, 0.0)
    assert got["trunk_flexion_deg"].to_numpy() == pytest.approx(want_trunk, abs=0.5)
    assert got["neck_flexion_deg"].to_numpy() == pytest.approx(want_trunk * 25.0 / 60.0, abs=0.5)
    assert got["camera_azimuth_deg"].to_numpy() == pytest.approx(np.full(150, azimuth), abs=0.5)
    info = got.attrs["sagittal"]
    assert info["frames"] == 150 and info["facing_largest_turn_deg"] == pytest.approx(70.0, abs=0.5)
    # what the step mends: the guessed hips' facing and MediaPipe's depth against them
    before = compute_angles(pose, sagittal=False)["trunk_flexion_deg"].to_numpy()
    assert np.abs(before[BEND] - 60.0).min() > 10.0


@pytest.mark.parametrize("azimuth", [0.0, 20.0, 180.0, -165.0, 90.0, -80.0])
def test_from_in_front_behind_or_the_side_nothing_changes(azimuth):
    """Within 30° of straight in front or behind, the forward part hardly shows across the picture; from the
    side (70-110°) it shows whole and the depth hardly matters: the trunk and neck keep the other steps'
    reading (the facing alone is steadied; here it did not turn)."""
    pose = _at_a_bench(azimuth, hips_turn=0.0)
    got = compute_angles(pose)
    assert got.attrs["sagittal"]["frames"] == 0
    before = compute_angles(pose, sagittal=False)
    for col in ("trunk_flexion_deg", "neck_flexion_deg", "upper_arm_elevation_left_deg"):
        assert got[col].to_numpy() == pytest.approx(before[col].to_numpy(), abs=1e-9)


def test_seen_legs_keep_mediapipes_depth():
    """With the hips seen, their facing and the depth against them are measured: nothing changes, even
    where that depth is spoilt."""
    pose = _at_a_bench(45.0, hips_turn=0.0, legs_vis=0.95)
    got = compute_angles(pose)
    assert got.attrs["sagittal"]["frames"] == 0 and got.attrs["sagittal"]["facing_frames"] == 0
    before = compute_angles(pose, sagittal=False)
    assert got["trunk_flexion_deg"].to_numpy() == pytest.approx(before["trunk_flexion_deg"].to_numpy(), abs=1e-9)


@pytest.mark.parametrize("azimuth", [45.0, 60.0])
def test_a_side_bend_leaks_into_the_flexion_as_documented(azimuth):
    """The one component the plane leaves out: a side bend β of an upright trunk reads as a flexion of
    atan(sin β·cot(azimuth) / cos β) (10.0° at 45° and 5.8° at 60° for β = 10°; the module docstring)."""
    pose = _at_a_bench(azimuth, flexion=0.0, neck=0.0, side=10.0)
    got = compute_angles(pose)["trunk_flexion_deg"].to_numpy()[BEND]
    b, a = np.radians(10.0), np.radians(azimuth)
    want = np.degrees(np.arctan2(np.sin(b) / np.tan(a), np.cos(b)))
    assert np.abs(got) == pytest.approx(np.full(len(got), want), abs=0.2)


def _facing(psi: np.ndarray):
    """(R, F, U) of facing angles ``psi`` (radians) about a level camera's vertical."""
    up = np.broadcast_to(np.array([0.0, -1.0, 0.0]), (len(psi), 3))
    e1, e2 = np.array([1.0, 0.0, 0.0]), np.cross(up[0], [1.0, 0.0, 0.0])
    F = np.cos(psi)[:, None] * e1 + np.sin(psi)[:, None] * e2
    return np.cross(F, up), F, up, e1, e2


@pytest.mark.parametrize("excursion", [False, True])
def test_the_facing_follows_a_turn_and_drops_an_excursion(excursion):
    """Exact series. A worker turning once around at 18°/s (through ±180°, which the unwrapping keeps
    continuous) is followed to within half a frame's step, to the first and last frame; on a steady
    facing an 80° excursion of 1 s is removed. Frames with the legs seen keep their own facing."""
    t = np.arange(200) / 10.0
    psi = np.radians(np.zeros(200) if excursion else 18.0 * t)
    read = psi + np.where(excursion & (t >= 10.0) & (t < 11.0), np.radians(80.0), 0.0)
    R, F, up, e1, e2 = _facing(read)
    guessed = t < 15.0
    R2, F2, info = steady_facing(R, F, up, t, guessed)
    got = np.arctan2(F2 @ e2, F2 @ e1)
    err = np.degrees(np.angle(np.exp(1j * (got - psi))))
    assert np.abs(err[guessed]).max() <= (1e-9 if excursion else 0.9 + 1e-9)
    assert F2[~guessed] == pytest.approx(F[~guessed])
    assert np.einsum("ij,ij->i", R2, F2) == pytest.approx(np.zeros(200), abs=1e-12)
    assert np.cross(up, R2) == pytest.approx(F2)  # F = U × R, as processor.angles
    if excursion:
        assert info["largest_turn_deg"] == pytest.approx(80.0)
    else:
        assert info["largest_turn_deg"] <= 0.9


# ---- step 3: the upper arms ---------------------------------------------------------------------------

ARM_ROUTINE = [0.0] * 10 + [60.0] * 10 + [150.0] * 10 + [0.0] * 10 + [90.0] * 10  # forward raises, deg


def _arm_flat(frame: np.ndarray, side: str = "left") -> np.ndarray:
    """MediaPipe's failure on a tilted camera: the upper arm (elbow, forearm and hand with it) read in the
    picture plane through the shoulder, its picture (x, y) exact."""
    out = frame.copy()
    sh, el = LANDMARKS[f"{side}_shoulder"], LANDMARKS[f"{side}_elbow"]
    dz = out[el, 2] - out[sh, 2]
    for i in [el, LANDMARKS[f"{side}_wrist"]]:
        out[i, 2] -= dz
    return out


@pytest.mark.parametrize("pitch", [25.0, -15.0, 5.0])
@pytest.mark.parametrize("azimuth", [90.0, 60.0, -60.0, 130.0])
def test_an_arm_raised_forward_is_read_from_the_picture(azimuth, pitch):
    """Seen from the side or obliquely by a tilted camera (its pitch given), a forward raise lies in the
    sagittal plane: with the upper arm's depth spoilt, its elevation comes back from the picture."""
    side = "left" if azimuth > 0 else "right"
    key = "arm_l" if side == "left" else "arm_r"
    frames = [_arm_flat(skeleton(**{key: a}, azimuth=azimuth, pitch=pitch), side) for a in ARM_ROUTINE]
    pose = sequence(frames)
    got = compute_angles(pose, camera_pitch_deg=pitch)[f"upper_arm_elevation_{side}_deg"].to_numpy()
    assert got == pytest.approx(np.array(ARM_ROUTINE), abs=0.5)
    info = compute_angles(pose, camera_pitch_deg=pitch).attrs["arms_sagittal"]
    assert info[f"{side}_frames"] == len(ARM_ROUTINE)
    before = compute_angles(pose, camera_pitch_deg=pitch, arms_sagittal=False)[f"upper_arm_elevation_{side}_deg"]
    if abs(pitch) >= 15:  # what the step mends (a camera pitched 5° leaves the flat arm 3-5° off)
        assert np.abs(before.to_numpy() - np.array(ARM_ROUTINE)).max() > 10.0


def test_an_arm_raised_sideways_keeps_its_reading():
    """Raised sideways 45-90°, the arm points toward the camera at the side and its picture is short: it
    keeps the depth it was read with (exact here), whatever the forward raises before it."""
    frames = [skeleton(arm_l=a, azimuth=90.0) for a in ARM_ROUTINE]
    frames += [skeleton(arm_l=a, arm_l_abd=True, azimuth=90.0) for a in (45.0,) * 5 + (90.0,) * 5 + (60.0,) * 5]
    got = compute_angles(sequence(frames))["upper_arm_elevation_left_deg"].to_numpy()
    assert got[-15:] == pytest.approx([45.0] * 5 + [90.0] * 5 + [60.0] * 5, abs=0.5)
    assert compute_angles(sequence(frames)).attrs["arms_sagittal"]["left_frames"] == len(ARM_ROUTINE)


def test_a_small_sideways_raise_reads_as_in_the_plane():
    """The limit, as documented: an arm 20° out of the plane shows 94 % of its length, within the 90 %
    taken as lying in the plane, and from the side it reads as hanging."""
    frames = [skeleton(arm_l=a, azimuth=90.0) for a in ARM_ROUTINE] + [skeleton(arm_l=20.0, arm_l_abd=True, azimuth=90.0)] * 5
    got = compute_angles(sequence(frames))["upper_arm_elevation_left_deg"].to_numpy()
    assert got[-5:] == pytest.approx(np.zeros(5), abs=0.5)


@pytest.mark.parametrize("azimuth", [0.0, 15.0, 180.0, -160.0])
def test_arms_from_in_front_or_behind_keep_their_reading(azimuth):
    """In front and behind a forward raise moves along the camera axis: the picture holds no elevation."""
    frames = [_arm_flat(skeleton(arm_l=a, azimuth=azimuth)) for a in ARM_ROUTINE]
    pose = sequence(frames)
    got = compute_angles(pose)
    assert got.attrs["arms_sagittal"]["left_frames"] == 0
    before = compute_angles(pose, arms_sagittal=False)
    want = before["upper_arm_elevation_left_deg"].to_numpy()  # NaN where the flat arm has no length left
    assert got["upper_arm_elevation_left_deg"].to_numpy() == pytest.approx(want, nan_ok=True)


def test_the_elbow_angle_is_the_arm_as_read():
    """The step turns the upper arm only: the bend within the arm stays as read (on a spoilt arm too)."""
    frames = [_arm_flat(skeleton(arm_l=a, azimuth=90.0, pitch=25.0)) for a in ARM_ROUTINE]
    pose = sequence(frames)
    got = compute_angles(pose, camera_pitch_deg=25.0)["elbow_flexion_left_deg"].to_numpy()
    before = compute_angles(pose, camera_pitch_deg=25.0, arms_sagittal=False)["elbow_flexion_left_deg"].to_numpy()
    assert got == pytest.approx(before)


# ---- step 4: the neck against the trunk, seen obliquely --------------------------------------------------

NECK_ROUTINE = [(0.0, 0.0), (0.0, 20.0), (0.0, 40.0), (30.0, 0.0), (30.0, 30.0), (50.0, 20.0)]  # (trunk, neck)


def _head_spoilt(frame: np.ndarray, dz: float) -> np.ndarray:
    """The face (landmarks 0-10) moved ``dz`` metres in depth: MediaPipe's depth of the head, wrong."""
    out = frame.copy()
    out[:11, 2] += dz
    return out


@pytest.mark.parametrize("azimuth", [45.0, -45.0, 35.0, 65.0])
def test_seen_obliquely_the_neck_is_read_against_the_trunk_in_the_plane(azimuth):
    """With the trunk's and the head's depth spoilt, the neck flexion and head inclination come back from
    the picture; the trunk's own flexion keeps the depth the other steps gave it."""
    frames = [_head_spoilt(corrupt_depth(skeleton(flexion=f, neck=n, azimuth=azimuth), scale=0.5), dz)
              for f, n in NECK_ROUTINE for dz in (-0.08, 0.0, 0.06)]
    want = np.repeat([n for _, n in NECK_ROUTINE], 3)
    pose = sequence(frames)
    got = compute_angles(pose)
    assert got["neck_flexion_deg"].to_numpy() == pytest.approx(want, abs=0.5)
    incl = np.repeat([f + n for f, n in NECK_ROUTINE], 3)  # the neck line against the vertical
    assert got["head_inclination_deg"].to_numpy() == pytest.approx(incl, abs=0.5)
    assert got.attrs["neck_sagittal"]["frames"] == len(frames)
    before = compute_angles(pose, neck_sagittal=False)
    assert got["trunk_flexion_deg"].to_numpy() == pytest.approx(before["trunk_flexion_deg"].to_numpy())
    assert np.abs(before["neck_flexion_deg"].to_numpy() - want).max() > 5.0  # what the step mends


@pytest.mark.parametrize("azimuth", [0.0, 20.0, 90.0, -100.0, 150.0, 180.0])
def test_from_other_views_the_neck_keeps_its_reading(azimuth):
    """In front and behind the neck moves along the camera axis; from the side the picture shows it
    whole; behind-obliquely it measured worse (module docstring): the other steps' reading stays."""
    frames = [_head_spoilt(skeleton(flexion=f, neck=n, azimuth=azimuth), 0.05) for f, n in NECK_ROUTINE]
    pose = sequence(frames)
    got, before = compute_angles(pose), compute_angles(pose, neck_sagittal=False)
    assert got.attrs["neck_sagittal"]["frames"] == 0
    for col in ("neck_flexion_deg", "head_inclination_deg"):
        assert got[col].to_numpy() == pytest.approx(before[col].to_numpy())
