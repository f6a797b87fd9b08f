"""The upper arm's depth seen from in front: its foreshortening in the picture, taken one way.

Seen from in front (within ``trunk_depth.FRONT_MAX_DEG``), a forward raise moves the elbow along the
camera axis, so the arm's elevation rests on MediaPipe's depth, and there MediaPipe erred the same way
as with the trunk (``processor.trunk_depth``, 3.): away from the picture plane. On the frontal clips
(2026-11-30, balanced) the hanging arms, 80-90 % of the frames, read 10-13° of elevation for a true 2°:
the picture showed them straight down (2°) and MediaPipe's depth put the elbow 11-14° behind the
shoulder (in camera terms; about 5° of it is the camera's pitch, which a frontal picture does not show).

The rule is the trunk's, with the arm's own reference. The upper arm's picture length over the hip
width (both in the picture: no scale) is compared with the person's own in the frames where MediaPipe
has the arm hanging (within ``trunk_depth.REFERENCE_MAX_DEG`` of straight down) beside an upright trunk
(its flexion within the same, as for the trunk's own reference frames):
such an arm lies as far out of the picture plane as the vertical does (the camera's pitch, from U). The
ratio gives cos of the arm's angle out of the picture plane, with the noise of those frames' spread
(at least ``trunk_depth.MIN_RATIO_NOISE``), and is fused with MediaPipe's angle by
``trunk_depth.fuse_out_of_plane``; the fused angle is taken only where it brings the arm nearer the
picture plane. An arm raised toward the camera keeps MediaPipe's reading there: its 2D elbow sits too far
from the shoulder (a 60° raise showed 84 % of the arm's picture length where the truth is ~50 %,
``processor.angles``), so the picture reads it nearer the plane still, but no nearer than MediaPipe
already did (those frames moved by less than 1°). The elbow, forearm and hand move with the elbow; the
elbow angle stays as read (``processor.angles``).

The assumption, as for the trunk's upright frames: the video has frames with the arms hanging beside an
upright trunk (``trunk_depth.REFERENCE_MIN_FRAMES`` at least; otherwise the arm is left as read). A
worker who holds the arms raised the whole video, and whom MediaPipe reads as hanging in some of it,
would give a short reference and read lower. On the frontal clips 78-112 frames per arm made the
reference, 1-9 % of them truly raised 22-63° (the transitions; the work cycle the most), and the median
keeps them out.

Measured (2026-11-30, balanced; upper-arm elevation MAE of the nearer arm and, in brackets, left / right;
before -> after): bodyA/B/C_front 13.5 / 12.8 / 10.1 -> 10.6 / 8.8 / 7.3° (the hanging arms +10.7 /
+12.1 / +9.5 -> +7.5 / +6.5 / +5.5°), the front work cycle 14.4 -> 13.6°, the frontal bench 8.0 -> 7.1°,
bodyA_turning 6.6 -> 6.6°; with the camera 1.8 m in front (bodyA/B_front_near) 8.6 / 9.0 -> 7.6 / 7.3°;
raised arms within 1°; no other clip changes. Tried first (the same day): the reference as the 90th
percentile (75th-95th) of the arm's picture length in front (no hanging frames needed), with a fixed
noise of 0.005-0.03: 13.5 / 12.8 / 10.1 / 14.4 -> 10.4-12.3 / 10.0-10.9 / 6.7-8.4 / 12.7-13.4°, depending
on choices the clips would have had to make; the arm's own hanging frames need none. Taken either way
(90th percentile, 0.03): 13.6 / 12.9 / 13.5 / 12.3°, the frontal bench 8.0 -> 16.0°.
"""

from __future__ import annotations

import numpy as np

from processor.cleaning import MIN_CONFIDENCE
from processor.model import LANDMARKS
from processor.sagittal import ARM_BELOW_ELBOW
from processor.trunk_depth import (
    REFERENCE_MAX_DEG, REFERENCE_MIN_FRAMES, _flexion, angle_between, candidate_angle, fuse_out_of_plane,
    picture_proportion, seen_from_front, trunk_line,
)

L = LANDMARKS


def arms_from_the_front(
    world: np.ndarray, up: np.ndarray, forward: np.ndarray, visibility: np.ndarray
) -> tuple[np.ndarray, dict]:
    """Seen from in front, each upper arm's depth from its foreshortening against the person's hanging
    arm, taken only where it brings the arm nearer the picture plane (module docstring). ``world`` (N, 33,
    3) hip-centred, camera axes; ``up``/``forward`` (N, 3); ``visibility`` (N, 33). Returns a copy and the
    frames changed per arm."""
    w = np.array(world, dtype=np.float64, copy=True)
    vis = np.asarray(visibility, dtype=np.float64)
    n = len(w)
    U = np.broadcast_to(up, (n, 3))
    hips = w[:, L["right_hip"]] - w[:, L["left_hip"]]
    with np.errstate(invalid="ignore"):
        front = seen_from_front(U, forward)
        upright = np.abs(_flexion(trunk_line(w), forward, U)) < REFERENCE_MAX_DEG  # as the trunk's own (3.)
    info: dict = {}
    for side in ("left", "right"):
        sh, el = L[f"{side}_shoulder"], L[f"{side}_elbow"]
        seg = w[:, el] - w[:, sh]
        t = np.hypot(seg[:, 0], seg[:, 1])
        with np.errstate(invalid="ignore", divide="ignore"):
            rho = t / np.hypot(hips[:, 0], hips[:, 1])  # the arm over the hip width, both in the picture
            ok = front & np.isfinite(rho) & np.isfinite(seg[:, 2]) & (np.minimum(vis[:, sh], vis[:, el]) >= MIN_CONFIDENCE)
            hanging = ok & upright & (angle_between(seg, -U) < REFERENCE_MAX_DEG)
        info[f"{side}_frames"] = 0
        if hanging.sum() < REFERENCE_MIN_FRAMES:
            continue
        # a hanging arm lies as far out of the picture plane as the vertical does (the camera's pitch)
        full, sigma_r = picture_proportion(rho[hanging] / np.sqrt(1.0 - U[hanging, 2] ** 2))
        idx = np.flatnonzero(ok)
        phi_mp = np.arctan2(seg[idx, 2], t[idx])
        phi, _ = fuse_out_of_plane(phi_mp, rho[idx] / full, sigma_r, candidate_angle(seg[idx], t[idx], -U[idx], forward[idx]))
        shift = t[idx] * np.tan(phi) - seg[idx, 2]
        take = np.isfinite(shift) & (np.abs(phi) < np.abs(phi_mp))  # one way: only nearer the picture plane
        w[np.ix_(idx[take], [el, *ARM_BELOW_ELBOW[side]], [2])] += shift[take, None, None]
        info[f"{side}_frames"] = int(take.sum())
    return w, info
