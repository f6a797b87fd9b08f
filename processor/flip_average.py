"""Flip test: average the landmarks of each frame with those of its mirror image.

A pose network is not exactly left-right symmetric: the mirror image of a video does not read as the
mirrored person (on a rendered clip, an arm differed by up to 13°). So each analysed frame also goes
through a second MediaPipe instance mirrored left-right; its landmarks are mirrored back (x -> -x,
left and right landmarks swapped) and averaged with the original's. This is the "flip test" of keypoint estimation (Xiao et al., Simple
Baselines for Human Pose Estimation, ECCV 2018).

Measured on the six rendered clips by ``bench/skeleton_accuracy.py`` (balanced, mean absolute
error in degrees, original -> averaged): arm facing the camera 5.3/5.9/7.1/8.5 -> 5.6/6.4/6.6/7.0
(A side, B side, A 45°, B 45°), the arm turned away 12.6–15.4 -> 11.3–14.4, trunk flexion within
±0.8°. It doubles MediaPipe's share of the CPU time, so the ``fast`` preset leaves it out.

The two instances track independently, so with several people in the picture they may follow
different ones. A frame is averaged only when both found the same person (mid-hip and mid-shoulder
within ``SAME_PERSON_TORSO`` torso lengths of each other); otherwise the original's landmarks stand.
Where only one of the two found a person, its landmarks are used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from processor.model import LANDMARKS, N_LANDMARKS

# MediaPipe Pose landmark pairs (left, right): eyes (inner, centre, outer), ears, mouth, then every
# limb point from the shoulders (11, 12) to the feet (31, 32). LANDMARKS names only some of them.
_PAIRS = [(1, 4), (2, 5), (3, 6), (7, 8), (9, 10)] + [(i, i + 1) for i in range(11, N_LANDMARKS, 2)]
MIRROR_INDEX = np.arange(N_LANDMARKS)
for _l, _r in _PAIRS:
    MIRROR_INDEX[_l], MIRROR_INDEX[_r] = _r, _l

SAME_PERSON_TORSO = 0.5  # mid-hip and mid-shoulder may differ by this many torso lengths
_SHOULDERS = (LANDMARKS["left_shoulder"], LANDMARKS["right_shoulder"])
_HIPS = (LANDMARKS["left_hip"], LANDMARKS["right_hip"])


@dataclass
class Landmarks:
    """MediaPipe's output for N frames (NaN rows where no person was found)."""

    world: np.ndarray  # (N, 33, 3) metres, hip-centred; x to the picture's right
    image: np.ndarray  # (N, 33, 2) 0..1 of the frame's width and height
    visibility: np.ndarray  # (N, 33)


def unmirror(mirrored: Landmarks) -> Landmarks:
    """Landmarks found on a left-right mirrored picture, expressed in the original picture."""
    world = mirrored.world[:, MIRROR_INDEX].copy()
    world[..., 0] *= -1.0
    image = mirrored.image[:, MIRROR_INDEX].copy()
    image[..., 0] = 1.0 - image[..., 0]
    return Landmarks(world, image, mirrored.visibility[:, MIRROR_INDEX].copy())


def same_person(a: np.ndarray, b: np.ndarray, width: int, height: int) -> np.ndarray:
    """(N,) bool: do image landmarks ``a`` and ``b`` (N, 33, 2) describe the same person?"""
    size = np.array([float(width), float(height)])
    a, b = a * size, b * size

    def mid(x, idx):
        return (x[:, idx[0]] + x[:, idx[1]]) / 2.0

    torso = np.linalg.norm(mid(a, _SHOULDERS) - mid(a, _HIPS), axis=1)
    gap = np.maximum(
        np.linalg.norm(mid(a, _SHOULDERS) - mid(b, _SHOULDERS), axis=1),
        np.linalg.norm(mid(a, _HIPS) - mid(b, _HIPS), axis=1),
    )
    with np.errstate(invalid="ignore"):
        return gap <= SAME_PERSON_TORSO * torso


def flip_average(original: Landmarks, mirrored: Landmarks, width: int, height: int) -> tuple[Landmarks, int]:
    """Average the original with the un-mirrored landmarks, frame by frame.

    Returns the merged landmarks and the number of frames where the two found different people
    (those keep the original's landmarks).
    """
    back = unmirror(mirrored)
    found_o = np.isfinite(original.image).all(axis=(1, 2))
    found_m = np.isfinite(back.image).all(axis=(1, 2))
    both = found_o & found_m
    agree = both & same_person(original.image, back.image, width, height)
    only_m = found_m & ~found_o

    out = Landmarks(original.world.copy(), original.image.copy(), original.visibility.copy())
    for name in ("world", "image", "visibility"):
        o, m, dst = getattr(original, name), getattr(back, name), getattr(out, name)
        dst[agree] = (o[agree] + m[agree]) / 2.0
        dst[only_m] = m[only_m]
    return out, int((both & ~agree).sum())
