"""Hand-built MediaPipe-layout skeletons with known joint angles, in MediaPipe's camera axes."""

from __future__ import annotations

import numpy as np

from processor.model import LANDMARKS as L
from processor.model import N_LANDMARKS, PoseSequence


def _rot(axis: np.ndarray, deg: float, v: np.ndarray) -> np.ndarray:
    """Rodrigues: rotate v about the unit axis by deg (right hand)."""
    a = np.radians(deg)
    return v * np.cos(a) + np.cross(axis, v) * np.sin(a) + axis * np.dot(axis, v) * (1 - np.cos(a))


def skeleton(
    flexion=0.0, side=0.0, twist=0.0, neck=0.0, arm_l=0.0, arm_r=0.0, arm_l_abd=False, knee=0.0,
    azimuth=0.0, pitch=0.0, head_side=0.0, head_rot=0.0, arm_l_ext=0.0, arm_r_ext=0.0,
    kneel=False, squat=False, lying=False, sit=False,
) -> np.ndarray:  # fmt: skip
    """(33, 3) landmarks. Anatomical axes R (subject's right), F (forward), U (up); then seen by a camera
    at ``azimuth`` (deg, person turned about the vertical) pitched down by ``pitch`` degrees.

    The head follows the shoulders: its ear line is the shoulder line, tilted by ``head_side`` (right ear
    down) in the trunk's frontal plane (spanned by T̂ and the shoulder line), then turned by ``head_rot``
    about T̂ (+ = right ear forward, face toward the subject's left). ``arm_*_ext``: the upper arm swung
    backward from −T̂ toward −(T̂×R) by that many degrees (replaces the forward elevation when non-zero).
    Leg postures (hips stay at the origin, leg segments 0.45 m): ``kneel`` upright on both knees (thighs
    vertical, shanks on the floor behind), ``squat`` deep (shanks 30° forward of vertical, thighs 10° below
    horizontal, heels down), ``lying`` supine on the floor (trunk and legs horizontal, arms along the
    trunk; ``flexion`` is ignored), ``sit`` on a chair (thighs horizontal forward, hips at knee height,
    knees at 90°, shanks vertical); ``knee`` is used when none of them is set.
    """
    R, F, U = np.eye(3)
    p = np.zeros((N_LANDMARKS, 3))
    hip_l, hip_r = -0.1 * R, 0.1 * R
    # Rodrigues signs with (R, F, U) = (x, y, z): U about R by -a tips toward F (forward flexion);
    # about the trunk's forward axis T̂×R by +a toward R (bend to the right); R about U by +a turns
    # the right shoulder forward (twist toward the left).
    T = _rot(R, 90.0 if lying else -flexion, U)  # lying: trunk line toward -F, face up
    Ft0 = np.cross(T, R)
    T = _rot(Ft0 / np.linalg.norm(Ft0), side, T)
    T = 0.5 * T
    mid_sh = T
    Rs = _rot(U, twist, R)
    sh_l, sh_r = mid_sh - 0.18 * Rs, mid_sh + 0.18 * Rs
    # neck line: from T̂ toward the trunk's forward axis T̂ × R by `neck`
    Th = T / np.linalg.norm(T)
    Ft = np.cross(Th, R)
    Ft /= np.linalg.norm(Ft)
    n = np.cos(np.radians(neck)) * Th + np.sin(np.radians(neck)) * Ft
    ear_mid = mid_sh + 0.2 * n
    # ear line: the shoulder line, tilted in the frontal plane (normal T̂ × Rs: +a lowers the right
    # end along -T̂), then turned about T̂ (+a moves the right end toward T̂ × Rs, forward)
    fn = np.cross(Th, Rs)
    fn /= np.linalg.norm(fn)
    E = _rot(Th, head_rot, _rot(fn, head_side, Rs))
    p[L["left_ear"]], p[L["right_ear"]] = ear_mid - 0.07 * E, ear_mid + 0.07 * E
    face = np.cross(Th, E)
    p[L["nose"]] = ear_mid + 0.1 * face / np.linalg.norm(face)
    p[L["left_shoulder"]], p[L["right_shoulder"]] = sh_l, sh_r
    for side_name, sh, elev, ext, sgn in (("left", sh_l, arm_l, arm_l_ext, -1), ("right", sh_r, arm_r, arm_r_ext, 1)):
        if ext:
            x = np.radians(ext)
            d = -np.cos(x) * Th - np.sin(x) * Ft
        elif lying:
            d = -Th
        else:
            e = np.radians(elev)
            lateral = sgn * R if (side_name == "left" and arm_l_abd) else F
            d = -np.cos(e) * U + np.sin(e) * lateral
        p[L[f"{side_name}_elbow"]] = sh + 0.3 * d
        p[L[f"{side_name}_wrist"]] = sh + 0.3 * d + 0.25 * F
    for side_name, hip in (("left", hip_l), ("right", hip_r)):
        if kneel:  # thigh straight down to the knee on the floor, shank back along the floor
            knee_p = hip - 0.45 * U
            ankle = knee_p - 0.45 * F
        elif squat:  # heels down, knees ahead of the ankles, hips a little below the knees
            s30, s10 = np.radians(30.0), np.radians(10.0)
            knee_p = hip + 0.45 * (np.cos(s10) * F + np.sin(s10) * U)
            ankle = knee_p - 0.45 * (np.cos(s30) * U + np.sin(s30) * F)
        elif lying:  # legs straight along the floor, away from the head
            knee_p = hip + 0.45 * F
            ankle = hip + 0.9 * F
        elif sit:
            knee_p = hip + 0.45 * F
            ankle = knee_p - 0.45 * U
        else:
            k = np.radians(knee)
            knee_p = hip + 0.45 * (-np.cos(k / 2) * U + np.sin(k / 2) * F)
            ankle = knee_p + 0.45 * (-np.cos(k / 2) * U - np.sin(k / 2) * F)
        p[L[f"{side_name}_hip"]] = hip
        p[L[f"{side_name}_knee"]] = knee_p
        p[L[f"{side_name}_ankle"]] = ankle
    # anatomical (R, F, U) -> camera axes for a person facing the camera: x = -R, y = -U, z = -F
    cam = np.stack([-p[:, 0], -p[:, 2], -p[:, 1]], axis=1)
    az = np.radians(azimuth)  # person turned about the camera's vertical (y)
    ry = np.array([[np.cos(az), 0, np.sin(az)], [0, 1, 0], [-np.sin(az), 0, np.cos(az)]])
    c, s = np.cos(np.radians(pitch)), np.sin(np.radians(pitch))
    rx = np.array([[1, 0, 0], [0, c, -s], [0, s, c]])  # up (0,-1,0) -> (0,-cos p,-sin p)
    return cam @ ry.T @ rx.T


def sequence(frames: list[np.ndarray], vis: float = 0.99) -> PoseSequence:
    w = np.stack(frames)
    n = len(w)
    return PoseSequence(
        time_s=np.arange(n) / 10.0,
        world=w,
        image=np.zeros((n, N_LANDMARKS, 2)),
        visibility=np.full((n, N_LANDMARKS), vis),
    )


def corrupt_depth(frame: np.ndarray, scale: float = 1.0, flip: bool = False, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """A skeleton whose trunk depth is spoilt the way MediaPipe's world landmarks spoil it: the z of the
    upper body (landmarks 0-22: head, shoulders, arms) relative to the mid-hip scaled by ``scale``
    (MediaPipe's depth shrinks toward the picture plane), its sign flipped (``flip``: seen from behind
    the trunk may lean the wrong way), plus Gaussian noise of ``noise`` metres on the shoulders' common
    depth. x and y (the picture) and the hips and legs stay exact, as the image-anchored skeleton's
    picture is, so the hip line (the facing direction) is not disturbed."""
    out = np.array(frame, dtype=np.float64, copy=True)
    hip_z = (out[L["left_hip"], 2] + out[L["right_hip"], 2]) / 2.0
    upper = slice(0, 23)
    z = (out[upper, 2] - hip_z) * scale * (-1.0 if flip else 1.0)
    if noise:
        z = z + np.random.default_rng(seed).normal(0.0, noise)
    out[upper, 2] = hip_z + z
    return out
