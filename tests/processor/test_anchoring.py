"""The image-anchored skeleton: x, y follow the 2D keypoints, depth the world landmarks."""

from __future__ import annotations

import numpy as np

from processor.anchoring import anchor_to_image, frame_scales
from processor.angles import compute_angles
from processor.model import LANDMARKS, N_LANDMARKS, PoseSequence
from tests.processor.skeleton import skeleton

W, H = 640, 480
PX_PER_M = 150.0


def _image_of(world: np.ndarray, offset=(320.0, 250.0)) -> np.ndarray:
    """Weak-perspective picture of a metric skeleton, normalised like MediaPipe's image landmarks."""
    px = world[..., :2] * PX_PER_M + np.asarray(offset)
    return px / np.array([W, H])


def _frames(world: np.ndarray, n: int) -> np.ndarray:
    return np.repeat(world[None], n, axis=0)


def test_scale_is_the_least_squares_fit_of_world_onto_image():
    rng = np.random.default_rng(0)
    world = rng.normal(size=(3, N_LANDMARKS, 2))
    image = world * np.array([[[50.0]], [[120.0]], [[7.0]]]) + 3.0
    s = frame_scales(world, image, np.ones((3, N_LANDMARKS)))
    np.testing.assert_allclose(s, [50.0, 120.0, 7.0])


def test_picture_decides_the_image_plane_and_world_the_depth():
    truth = skeleton()
    # Left arm 60° from hanging, toward the camera (y is down, −z toward the camera).
    sh, el = LANDMARKS["left_shoulder"], LANDMARKS["left_elbow"]
    arm = np.array([0.0, np.cos(np.radians(60)), -np.sin(np.radians(60))]) * 0.3
    truth[el] = truth[sh] + arm
    world = truth.copy()
    world[el, 0] += 0.08  # MediaPipe's 3D regression drifts in x, y; its depth is kept
    world[el, 1] -= 0.05
    image = _image_of(truth)
    out = anchor_to_image(_frames(world, 2), _frames(image, 2), np.ones((2, N_LANDMARKS)), W, H)[0]
    hip = (truth[LANDMARKS["left_hip"]] + truth[LANDMARKS["right_hip"]]) / 2
    expected = truth - np.array([hip[0], hip[1], 0.0])
    # The scale is fitted on all landmarks, one of which moved: close, not exact.
    np.testing.assert_allclose(out[:, :2], expected[:, :2], atol=0.01)
    np.testing.assert_array_equal(out[:, 2], world[:, 2])
    upper = out[el] - out[sh]
    elevation = np.degrees(np.arccos(upper[1] / np.linalg.norm(upper)))  # y points down
    assert abs(elevation - 60.0) < 1.5


def test_angles_on_anchored_skeleton_follow_the_picture():
    truth = skeleton()
    drifted = truth.copy()
    for name in ("left_knee", "right_knee"):
        drifted[LANDMARKS[name], 0] += 0.07  # knees pushed sideways in the 3D regression only
    n = 3
    anchored = anchor_to_image(_frames(drifted, n), _frames(_image_of(truth), n), np.ones((n, N_LANDMARKS)), W, H)

    def knees(world):
        pose = PoseSequence(np.arange(n) / 10.0, world, np.zeros((n, N_LANDMARKS, 2)), np.ones((n, N_LANDMARKS)))
        return compute_angles(pose)["knee_flexion_left_deg"].to_numpy()

    assert knees(_frames(drifted, n))[0] > 10.0
    assert np.all(knees(anchored) < 2.0)


def test_frames_without_a_person_stay_empty_and_degenerate_frames_keep_world():
    world = _frames(skeleton(), 3)
    image = _frames(_image_of(skeleton()), 3)
    world[1] = np.nan
    image[1] = np.nan
    image[2] = 0.5  # every keypoint on one pixel: no scale can be fitted
    vis = np.ones((3, N_LANDMARKS))
    vis[1] = np.nan
    out = anchor_to_image(world, image, vis, W, H)
    assert np.isnan(out[1]).all()
    np.testing.assert_array_equal(out[2], world[2])
    assert np.isfinite(out[0]).all()


def test_low_visibility_landmarks_do_not_set_the_scale():
    truth = skeleton()
    image = _image_of(truth)
    wild = image.copy()
    wild[LANDMARKS["left_wrist"]] += 0.4  # a hidden wrist guessed far off in the picture
    vis = np.ones(N_LANDMARKS)
    vis[LANDMARKS["left_wrist"]] = 0.1
    out = anchor_to_image(truth[None], wild[None], vis[None], W, H)[0]
    hip = (truth[LANDMARKS["left_hip"]] + truth[LANDMARKS["right_hip"]]) / 2
    sh = LANDMARKS["left_shoulder"]
    np.testing.assert_allclose(out[sh, :2], truth[sh, :2] - hip[:2], atol=1e-9)
