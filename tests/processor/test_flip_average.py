"""The flip test: landmarks of the mirrored frame, mirrored back and averaged with the original's.

The mirrored pass is built independently of the code under test: the mirror image of a person facing
the camera with arms (a, b) is a person with arms (b, a), and the picture's x turns into 1 - x.
"""

from __future__ import annotations

import numpy as np

from processor.angles import compute_angles
from processor.flip_average import MIRROR_INDEX, Landmarks, flip_average, unmirror
from processor.model import LANDMARKS, N_LANDMARKS, PoseSequence
from tests.processor.skeleton import skeleton

W, H = 640, 480


def _visibility(left: float, right: float) -> np.ndarray:
    vis = np.ones(N_LANDMARKS)
    for name, i in LANDMARKS.items():
        vis[i] = left if name.startswith("left_") else right if name.startswith("right_") else 1.0
    return vis


def _landmarks(world: np.ndarray, vis: np.ndarray, n: int = 3, x: float = 0.5) -> Landmarks:
    """n frames of one metric skeleton and a weak-perspective picture of it centred at ``x``."""
    image = world[..., :2] * 150.0 / np.array([W, H]) + np.array([x, 0.55])
    return Landmarks(
        np.repeat(world[None], n, axis=0),
        np.repeat(image[None], n, axis=0),
        np.repeat(vis[None], n, axis=0),
    )


def _angles(lm: Landmarks):
    pose = PoseSequence(time_s=np.arange(len(lm.world)) / 10, world=lm.world, image=lm.image, visibility=lm.visibility)
    return compute_angles(pose).iloc[0]


def _person(arm_l: float, arm_r: float, **kw) -> Landmarks:
    return _landmarks(skeleton(flexion=30, arm_l=arm_l, arm_r=arm_r), _visibility(0.6, 0.9), **kw)


def _mirror_image_of(arm_l: float, arm_r: float, **kw) -> Landmarks:
    """What an exact network reports on the mirrored picture of ``_person(arm_l, arm_r)``."""
    return _landmarks(skeleton(flexion=30, arm_l=arm_r, arm_r=arm_l), _visibility(0.9, 0.6), **kw)


def test_mirror_index_swaps_every_left_landmark_with_its_right_one():
    for name, i in LANDMARKS.items():
        if name.startswith("left_"):
            assert MIRROR_INDEX[i] == LANDMARKS["right_" + name[5:]]
            assert MIRROR_INDEX[MIRROR_INDEX[i]] == i
    assert MIRROR_INDEX[LANDMARKS["nose"]] == LANDMARKS["nose"]


def test_unmirror_recovers_the_person_with_the_sides_right():
    person = _person(120, 10)
    back = unmirror(_mirror_image_of(120, 10))
    np.testing.assert_allclose(back.world, person.world, atol=1e-12)
    np.testing.assert_allclose(back.image, person.image, atol=1e-12)
    np.testing.assert_allclose(back.visibility, person.visibility)
    angles = _angles(back)
    assert abs(angles["upper_arm_elevation_left_deg"] - 120) < 1
    assert abs(angles["upper_arm_elevation_right_deg"] - 10) < 1


def test_average_sits_between_the_two_estimates():
    orig = _person(80, 0)
    merged, disagreed = flip_average(orig, _mirror_image_of(100, 0), W, H)  # the mirrored pass saw 20° more
    assert disagreed == 0
    np.testing.assert_allclose(merged.world, (orig.world + _person(100, 0).world) / 2, atol=1e-12)
    assert 85 < _angles(merged)["upper_arm_elevation_left_deg"] < 95


def test_another_person_in_the_mirrored_pass_keeps_the_original():
    orig = _person(80, 0)
    mirrored = _mirror_image_of(80, 0)
    elsewhere = _mirror_image_of(10, 0, x=0.85)  # someone 0.35 of the width away
    for name in ("world", "image", "visibility"):
        getattr(mirrored, name)[1] = getattr(elsewhere, name)[1]
    merged, disagreed = flip_average(orig, mirrored, W, H)
    assert disagreed == 1
    np.testing.assert_allclose(merged.image, orig.image, atol=1e-12)


def test_a_person_found_by_one_pass_only_is_kept():
    orig, mirrored, person = _person(45, 0, n=4), _mirror_image_of(45, 0, n=4), _person(45, 0, n=4)
    for name in ("world", "image", "visibility"):
        getattr(orig, name)[[1, 3]] = np.nan  # the original pass missed frames 1 and 3
        getattr(mirrored, name)[[2, 3]] = np.nan  # the mirrored pass missed frames 2 and 3
    merged, disagreed = flip_average(orig, mirrored, W, H)
    assert disagreed == 0
    np.testing.assert_allclose(merged.image[:3], person.image[:3], atol=1e-12)
    assert np.isnan(merged.world[3]).all() and np.isnan(merged.visibility[3]).all()
