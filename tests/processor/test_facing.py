"""processor.facing: frames MediaPipe read as the mirror image (from behind taken for in front) are turned back."""

from __future__ import annotations

import numpy as np

from processor.angles import compute_angles
from processor.facing import facing_azimuth, mirror, mirrored_frames
from tests.processor.skeleton import sequence, skeleton


def test_mirror_projects_onto_the_same_picture_and_faces_the_other_way():
    frame = skeleton(flexion=30, arm_l=150, azimuth=180)
    m = mirror(frame[None])[0]
    assert np.allclose(np.sort(m[:, 0]), np.sort(frame[:, 0]))  # same image points, other labels
    assert np.allclose(mirror(m[None])[0], frame)
    az = facing_azimuth(np.stack([frame, m]))
    assert abs((az[1] - az[0]) % 360 - 180) < 1e-6  # front and back exchanged


def test_a_burst_of_mirror_frames_seen_from_behind_is_undone():
    frames = [skeleton(arm_l=150 if 40 <= i < 52 else 0, azimuth=180) for i in range(80)]
    read = [mirror(f[None])[0] if 40 <= i < 52 else f for i, f in enumerate(frames)]
    pose = sequence(read)
    flagged = mirrored_frames(pose.world, pose.time_s)
    assert np.array_equal(np.flatnonzero(flagged), np.arange(40, 52))
    df = compute_angles(pose, camera_pitch_deg=0.0)
    assert df.attrs["facing"]["frames_mirrored"] == 12
    raised = df.iloc[40:52]
    assert (raised["upper_arm_elevation_left_deg"] > 140).all() and (raised["upper_arm_elevation_right_deg"] < 10).all()
    assert np.allclose(np.abs(df["camera_azimuth_deg"]), 180, atol=1)


def test_a_real_turn_is_not_a_mirror():
    # one full turn in 8 s (45°/s), with a second of missing frames in the middle
    az = np.linspace(0, 360, 81)
    frames = [skeleton(flexion=20, azimuth=a) for a in az]
    pose = sequence(frames)
    pose.world[30:40] = np.nan
    assert not mirrored_frames(pose.world, pose.time_s).any()


def test_the_majority_reading_is_kept():
    # a video read as the mirror image throughout is left as it is (nothing in the picture tells)
    frames = [mirror(skeleton(azimuth=180)[None])[0] for _ in range(20)]
    pose = sequence(frames)
    assert not mirrored_frames(pose.world, pose.time_s).any()
