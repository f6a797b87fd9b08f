"""Front or back: MediaPipe's mirror reading of a person seen from behind, found and undone.

A picture of a person from behind and a picture of the same person from in front whose left and right
are exchanged have the same outline: the keypoints of the two readings lie on the same image points,
only their labels and depths differ. MediaPipe sometimes takes the wrong one for a few frames. On the
rendered person seen from straight behind (``bodyB_rear``) it did so while the left arm was overhead
(10.2–11.1 s): the shoulders' and hips' labels exchanged sides in the picture, the nose came toward the
camera, the facing direction turned by 155–170° within 0.1 s and back 1 s later, and the raised left
arm was analysed as the right one (left minus right −61° where the truth is +150°).

The other reading of a frame is its mirror: every left/right pair exchanged
(``processor.flip_average.MIRROR_INDEX``) and the depth reflected about the mid-hip (z -> −z in the
hip-centred camera axes). It projects onto the same picture (x, y unchanged) and is a proper body again
(reflecting the depth changes the handedness and exchanging the labels changes it back).

Which reading is right is decided by the physics of turning, not by any single frame: the facing
direction (the pelvis's forward axis, as ``camera_azimuth_deg`` of ``processor.angles``) can turn only as
fast as a person turns. A pivot on the spot is at most about one turn per second; ``MAX_TURN_DEG_PER_S``
= 360°/s is allowed, plus ``MAX_STEP_DEG`` = 90° between neighbouring analysed frames (so that the
azimuth's own noise at 10 frames per second, up to ~25°, never counts as a turn). Per frame there are two
readings, MediaPipe's and its mirror; a Viterbi pass chooses per frame the one that makes the fewest
impossible turns, and among equal choices keeps MediaPipe's labels on more frames (each mirrored frame
costs a little). The two ways of labelling a whole video are mirror images with the same turns, so
the majority of MediaPipe's frames sets which one is kept: a person seen from behind all the time in a
video where MediaPipe reads every frame as from in front is not found (nothing in the picture tells).
On the rendered turning person (one full turn in 17 s) no frame is mirrored.
"""

from __future__ import annotations

import numpy as np

from processor.flip_average import MIRROR_INDEX
from processor.model import LANDMARKS

L = LANDMARKS
MAX_TURN_DEG_PER_S = 360.0  # a person pivoting on the spot: about one turn per second at most
MAX_STEP_DEG = 90.0  # between neighbouring analysed frames, on top of the turning allowance
MIRROR_COST = 1e-3  # per mirrored frame: MediaPipe's labels are kept unless a turn says otherwise


def mirror(world: np.ndarray) -> np.ndarray:
    """The other reading of hip-centred landmarks: left/right exchanged, depth reflected about the mid-hip."""
    out = np.asarray(world, dtype=np.float64)[..., MIRROR_INDEX, :].copy()
    hip = (out[..., L["left_hip"], 2] + out[..., L["right_hip"], 2]) / 2.0
    out[..., 2] = 2.0 * hip[..., None] - out[..., 2]
    return out


def facing_azimuth(world: np.ndarray) -> np.ndarray:
    """(N,) degrees: where the camera stands around the pelvis (0 in front, +90 at the subject's left),
    on the camera's horizontal (the camera taken as level: only jumps matter here)."""
    hip_line = world[:, L["right_hip"]] - world[:, L["left_hip"]]
    rx, rz = hip_line[:, 0], hip_line[:, 2]  # R on the x-z plane; F = U × R = (−R_z, 0, R_x), U = (0, −1, 0)
    # the camera from the pelvis is −z: azimuth = atan2(to_cam·(−R), to_cam·F) = atan2(R_z, −R_x)
    return np.degrees(np.arctan2(rz, -rx))


def _wrap(d: np.ndarray) -> np.ndarray:
    return (d + 180.0) % 360.0 - 180.0


def mirrored_frames(world: np.ndarray, time_s: np.ndarray) -> np.ndarray:
    """(N,) bool: frames whose mirror reading is the right one (see the module docstring)."""
    w = np.asarray(world, dtype=np.float64)
    n = len(w)
    out = np.zeros(n, dtype=bool)
    az = np.stack([facing_azimuth(w), facing_azimuth(mirror(w))], axis=1)  # (N, 2): as read, mirrored
    ok = np.flatnonzero(np.all(np.isfinite(az), axis=1))
    if len(ok) < 2:
        return out
    t = np.asarray(time_s, dtype=np.float64)[ok]
    a = az[ok]
    cost = np.array([0.0, MIRROR_COST])
    back = np.zeros((len(ok), 2), dtype=np.int64)
    for k in range(1, len(ok)):
        limit = MAX_STEP_DEG + MAX_TURN_DEG_PER_S * max(t[k] - t[k - 1], 0.0)
        jump = np.abs(_wrap(a[k][:, None] - a[k - 1][None, :])) > limit  # [now, before]
        total = cost[None, :] + jump.astype(float)
        back[k] = np.argmin(total, axis=1)
        cost = total[np.arange(2), back[k]] + np.array([0.0, MIRROR_COST])
    state = int(np.argmin(cost))
    for k in range(len(ok) - 1, -1, -1):
        out[ok[k]] = bool(state)
        state = int(back[k, state])
    return out


def resolve_mirror_readings(world: np.ndarray, visibility: np.ndarray, time_s: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict]:
    """(world, visibility, info): the frames MediaPipe read as the mirror image replaced by their mirror."""
    flip = mirrored_frames(world, time_s)
    w = np.array(world, dtype=np.float64, copy=True)
    v = np.array(visibility, dtype=np.float64, copy=True)
    if flip.any():
        w[flip] = mirror(w[flip])
        v[flip] = v[flip][:, MIRROR_INDEX]
    times = np.asarray(time_s, dtype=np.float64)[flip]
    return w, v, {"frames_mirrored": int(flip.sum()), "mirrored_s": [round(float(x), 2) for x in times[:50]]}
