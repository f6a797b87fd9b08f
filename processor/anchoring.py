"""Anchor MediaPipe's 3D landmarks to its 2D keypoints: image-plane geometry from the picture, depth from the model.

MediaPipe Pose gives two skeletons per frame. The image landmarks (x, y on the picture) come from
the keypoint heatmaps and follow the visible limbs closely. The world landmarks (metres) are a
separate regression of the whole 3D pose; their x and y drift from what the picture shows. On the
rendered test people, the 2D keypoints put the upper arm within 3–6° of the true joint centres in
the picture, while the world landmarks tilted a hanging arm 9–14° forward in a side view.

So the skeleton used for angles takes x and y from the image landmarks, and only z (depth, which a
single picture cannot give) from the world landmarks. The image points are turned into metres with
one scale per frame: the least-squares fit of the world landmarks' x, y onto the image points' x, y
(a weak-perspective camera: the person is small against the distance to the camera). The result is
re-centred on the mid-hip, like MediaPipe's world landmarks.

Measured on the six rendered clips by ``bench/skeleton_accuracy.py`` (balanced quality, mean absolute
error in degrees, world -> anchored): arm facing the camera 7.7/10.0 -> 5.3/5.9 (side views) and
7.6/9.1 -> 7.1/8.5 (45°); knee flexion 9.1–10.5 -> 2.0–2.6 (side, 45°); trunk flexion better or within
0.2°. A full perspective camera (the renderer's true focal length) instead of weak perspective made
the arm 0.4–1.3° worse, so weak perspective stays: it needs no focal length, which videos rarely give.

Tried and dropped (2026-11-29, balanced, trunk-flexion MAE in degrees and share of the time in another
NV 361 trunk zone, on all 22 rendered clips):
- The scale steadied over time. Pixels per metre change only as the person's distance does, while the
  per-frame fit moves with the pose (−7 % in bodyA_front's deepest bend, +16 % in the rear work cycle's),
  so a centred running median of it looked like the better scale. Windows of 1 / 2 / 4 / 8 / 16 s:
  bodyA_bench 7.4 -> 7.4 / 7.4 / 6.9 / 6.9 / 6.9° (zone 11.7 -> 11.7 / 11.7 / 5.3 / 4.1 / 4.1 %), but
  bodyB_bench_front 8.6 -> 8.8 / 9.2 / 9.3 / 9.3 / 9.6° (zone 12.3 -> 13.0-13.6 %) and bodyC_machine_side's
  zone 1.3 -> 1.9 % at every window; every other clip within 0.1° (4 s). No window helped every clip with
  hidden legs, and with the legs seen the scale does not matter.
- The guessed hips left out of the scale fit where the legs are hidden (they read visibility 0.9-1.0):
  bodyA_bench 7.4 -> 8.0°, bodyB_bench_front 8.6 -> 8.7°, bodyC_machine_side's zone 1.3 -> 1.9 %.
- MediaPipe's world landmarks as they are, for the deep bends in front and behind that the 2D keypoints
  misread (shoulders on the hips; one tracking pass over every frame, without the flip test):
  worse there too (mean error at 60-75° flexion, anchored -> world:
  bodyA_front +16 -> +18°, bodyB_front +8 -> +15°, bodyA_front_cycle +12 -> +19°, bodyA_rear_cycle +17 ->
  +29°) and worse overall (6.9 -> 7.5, 6.2 -> 7.6, 7.1 -> 9.7, 6.9 -> 19.2°).
"""

from __future__ import annotations

import numpy as np

LEFT_HIP, RIGHT_HIP = 23, 24
MIN_VISIBILITY = 0.5  # landmarks used for the scale fit; fewer than 4 -> all of them


def frame_scales(world_xy: np.ndarray, image_xy: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(N,) image units per metre: weighted least squares of centred world x, y onto centred image x, y."""
    w = weights[..., None]
    total = w.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = image_xy - (w * image_xy).sum(axis=1, keepdims=True) / total
        b = world_xy - (w * world_xy).sum(axis=1, keepdims=True) / total
        return (w * a * b).sum(axis=(1, 2)) / (w * b * b).sum(axis=(1, 2))


def anchor_to_image(world: np.ndarray, image: np.ndarray, visibility: np.ndarray, width: int, height: int) -> np.ndarray:
    """(N, 33, 3) metres, hip-centred: x, y from the image landmarks, z from the world landmarks.

    ``image`` is normalised (0..1 of the frame's width and height), ``width``/``height`` the frame's
    pixel size (only their ratio matters). Frames without a person (NaN) stay NaN; a frame whose scale
    cannot be fitted (degenerate or non-positive) keeps its world landmarks.
    """
    world = np.asarray(world, dtype=np.float64)
    px = np.asarray(image, dtype=np.float64) * np.array([float(width), float(height)])
    vis = np.nan_to_num(np.asarray(visibility, dtype=np.float64), nan=0.0)
    weights = (vis >= MIN_VISIBILITY).astype(np.float64)
    few = weights.sum(axis=1) < 4
    weights[few] = 1.0
    scale = frame_scales(world[..., :2], px, weights)
    ok = np.isfinite(scale) & (scale > 0)

    out = world.copy()
    if not ok.any():
        return out
    xy = px[ok] / scale[ok, None, None]
    hip = (xy[:, LEFT_HIP] + xy[:, RIGHT_HIP]) / 2.0
    out[ok, :, :2] = xy - hip[:, None, :]
    return out
