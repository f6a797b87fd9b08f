"""processor.neck_depth on hand-built skeletons: exact picture (x, y), the head's depth spoilt as MediaPipe spoils it.

Every video starts with upright frames whose head is neutral (MediaPipe's neutral neck reading, the offset
``processor.angles`` removes later), which give the person's neck proportion, then frames with the head
bowed; seen from behind (155°, 180°), from the side and in front, with the camera pitched −15 (up), 0 and
25° (down), the vertical given as the pipeline has it.
"""

from __future__ import annotations

import numpy as np
import pytest

import processor.angles as angles
from processor.angles import MEDIAPIPE_NEUTRAL_OFFSETS_DEG, compute_angles
from processor.model import LANDMARKS as L
from tests.processor.skeleton import sequence, skeleton

NEUTRAL = MEDIAPIPE_NEUTRAL_OFFSETS_DEG["neck_flexion_deg"]
BOWS = (0, 0, 0, 0, 0, 0, 15, 30, 45)  # neck flexion from neutral, degrees
HEAD = slice(0, 11)


def spoil_head(frame: np.ndarray, scale: float, flip: bool = False) -> np.ndarray:
    """The head's depth relative to the mid-shoulder scaled by ``scale`` (and its sign flipped): MediaPipe
    read the bowed head as nearly continuing the trunk. The picture stays exact."""
    out = np.array(frame, dtype=np.float64, copy=True)
    sh_z = (out[L["left_shoulder"], 2] + out[L["right_shoulder"], 2]) / 2.0
    out[HEAD, 2] = sh_z + (out[HEAD, 2] - sh_z) * scale * (-1.0 if flip else 1.0)
    return out


def neck(frames, pitch):
    df = compute_angles(sequence(frames), camera_pitch_deg=pitch)
    return df["neck_flexion_deg"].to_numpy() - NEUTRAL, df.attrs["neck_depth"]


def video(az, pitch, trunk=0.0, **spoil):
    return [spoil_head(skeleton(flexion=trunk if b else 0.0, neck=NEUTRAL + b, azimuth=az, pitch=pitch), **spoil) for b in BOWS]


@pytest.mark.parametrize("pitch", (-15, 0, 25))
@pytest.mark.parametrize("az", (155, 180))
def test_from_behind_a_bowed_head_read_as_upright_is_recovered(az, pitch):
    spoilt = video(az, pitch, scale=0.4)
    before = compute_angles(sequence(spoilt), camera_pitch_deg=pitch, trunk_depth=False)["neck_flexion_deg"].to_numpy() - NEUTRAL
    got, info = neck(spoilt, pitch)
    assert np.abs(before[-1] - BOWS[-1]) > 10  # the shrunk depth alone was far off
    bowed = np.array(BOWS) > 0
    np.testing.assert_allclose(got[bowed], np.array(BOWS)[bowed], atol=2.0)
    # near the picture plane the picture is blind (cos 13° = 0.97) and MediaPipe's shrunk reading weighs
    assert np.all(np.abs(got[~bowed]) < 3.0) and np.all(np.abs(got[~bowed]) < np.abs(before[~bowed]))
    assert info["reference_frames"] >= 6 and info["frames_changed"] >= 3


@pytest.mark.parametrize("pitch", (0, 25))
def test_with_the_trunk_bent_too(pitch):
    """Bowed head on a trunk bent 30° away from the camera: the neck is measured against the trunk. (A
    camera below, pitched up, sees the head bowed 45° on that trunk below the shoulder line: hidden.)"""
    got, _ = neck(video(180, pitch, trunk=30.0, scale=0.4), pitch)
    bowed = np.array(BOWS) > 0
    np.testing.assert_allclose(got[bowed], np.array(BOWS)[bowed], atol=1.5)


@pytest.mark.parametrize("pitch", (-15, 0, 25))
@pytest.mark.parametrize("az", (155, 180))
def test_exact_depth_is_kept(az, pitch):
    got, _ = neck(video(az, pitch, scale=1.0), pitch)
    np.testing.assert_allclose(got, BOWS, atol=1.0)


def test_sign_within_mediapipe_noise_comes_out_forward():
    """MediaPipe put the bowed head slightly toward the camera (leaning back, within its noise) while the
    picture shows the neck clearly foreshortened: the head is taken as bowed forward."""
    spoilt = video(180, 0, scale=0.2, flip=True)
    got, info = neck(spoilt, 0)
    np.testing.assert_allclose(got[-2:], BOWS[-2:], atol=1.5)
    assert info["frames_sign_forward"] >= 2


def test_mediapipe_sign_out_of_its_noise_stands():
    """A head read clearly back (a real extension) keeps MediaPipe's sign."""
    frames = [skeleton(neck=NEUTRAL + b, azimuth=180) for b in (0, 0, 0, 0, 0, 0, -30)]
    got, _ = neck(frames, 0)
    assert got[-1] == pytest.approx(-30.0, abs=1.5)


def test_head_hidden_behind_the_back_is_left_as_read():
    """Bent so far from behind that the head hangs below the shoulder line in the picture: the back hides it,
    its ears are guesses, and the frame is not changed."""
    frames = video(180, 0, scale=0.4)
    deep = spoil_head(skeleton(flexion=100.0, neck=NEUTRAL + 30, azimuth=180), scale=0.4)
    assert deep[L["left_ear"], 1] > deep[L["left_shoulder"], 1]  # below the shoulders in the picture
    seq = sequence(frames + [deep])
    without = compute_angles(seq, camera_pitch_deg=0, trunk_depth=False)
    df = compute_angles(seq, camera_pitch_deg=0)
    assert df.attrs["neck_depth"]["frames_head_hidden"] == 1
    # the trunk step moved the head with the shoulders; the neck step added nothing: the neck line is
    # MediaPipe's, so its angle against the (corrected) trunk differs from the uncorrected only by the trunk
    trunk_change = df["trunk_flexion_deg"].iloc[-1] - without["trunk_flexion_deg"].iloc[-1]
    assert df["neck_flexion_deg"].iloc[-1] == pytest.approx(without["neck_flexion_deg"].iloc[-1] - trunk_change, abs=1e-6)


def without_neck_step(frames, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(angles, "correct_neck_depth", lambda w, *args: (w, {}))
        return compute_angles(sequence(frames), camera_pitch_deg=0)["neck_flexion_deg"].to_numpy() - NEUTRAL


@pytest.mark.parametrize("az", (0, 45, 90))
def test_not_seen_from_behind_nothing_changes(az, monkeypatch):
    spoilt = video(az, 0, scale=0.4)
    on, info = neck(spoilt, 0)
    np.testing.assert_allclose(on, without_neck_step(spoilt, monkeypatch), atol=1e-9)
    assert info["frames_behind"] == 0 and info["method"].startswith("not used")


def test_too_few_neutral_frames_from_behind(monkeypatch):
    spoilt = [spoil_head(skeleton(neck=NEUTRAL + b, azimuth=180), scale=0.4) for b in (0, 0, 0, 0, 50, 60)]
    on, info = neck(spoilt, 0)
    np.testing.assert_allclose(on, without_neck_step(spoilt, monkeypatch), atol=1e-9)
    assert info["reference_frames"] < 5 and info["method"].startswith("not used")
