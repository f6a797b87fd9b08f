"""The neck line's depth seen from behind: from its foreshortening, as the trunk's (``processor.trunk_depth``, 3.).

Seen from behind, the head bowing forward moves the ears along the camera axis, away from the camera, so
neck flexion lives in the depth MediaPipe guesses. On the rendered people seen from behind it read the
head as continuing the trunk line: with the trunk bent 17-45°, bodyB_rear's neck (truth 14-29° against
the trunk) read −13 to +6°, and on the three 180° clips the mean error at 15-45° of trunk flexion was
14-41°, where the head was in plain view above the shoulders.

The picture shows how long the neck line N = mid-shoulder -> mid-ear is. Within ``BEHIND_MAX_DEG`` of
straight behind the hip line lies in the picture plane, so the neck's picture length over the hip width,
ρ = |n| / |hip line in the picture|, needs no scale, and a neck at angle φ out of the picture plane shows
ρ = ρ_full·cos φ. The person's own ρ_full comes from the same video: the frames seen from behind with the
trunk upright (MediaPipe's flexion within ``REFERENCE_MAX_DEG``) and the head near its neutral reading
(neck within ``REFERENCE_MAX_DEG`` of MediaPipe's neutral offset), where the neck lies along the neutral
direction d (T̂ turned toward the trunk's forward axis by that offset: MediaPipe's ears sit in front of its
shoulder points, ``processor.angles.MEDIAPIPE_NEUTRAL_OFFSETS_DEG``), which is out of the picture plane by
asin |d_z| (the camera's pitch and that offset): ρ_full is the median of ρ / sqrt(1 − d_z²) there. Per frame
φ is fused with MediaPipe's exactly as the trunk's is (``trunk_depth.fuse_out_of_plane``: MediaPipe's
angle with ``SIGMA_MEDIAPIPE_RAD``, the picture's with the ratio's noise, its robust spread over the
reference frames but at least a keypoint's error on the neck, ``MIN_RATIO_NOISE`` of a trunk scaled by the
trunk's over the neck's picture length; MediaPipe's sign unless it is within its noise while the picture
shows the neck clearly out of the plane, then the sign that bows the head forward of neutral). The face and
ears (landmarks 0-10) move in depth by the change, so the head keeps MediaPipe's shape.

Perspective is not modelled, as for the trunk (it needs the focal length): with the trunk bent away from
the camera the head is 0.15-0.3 m farther than the hips (at 3.4 m), so the neck looks 4-9 % shorter against
the hip width and reads about 2-3° more bowed. Against the shoulder width, which lies at the neck's depth
but moves with the arms, the neck read worse (over every frame bodyB_rear 11.8°, bodyC_rear 11.6°, the rear
work cycle 17.9°).

Where the head cannot be seen it is left as MediaPipe guessed it: seen from behind, a head below the
shoulder line in the picture (the trunk bent so far that the head hangs behind the back) is hidden by the
back, and its ear keypoints are guesses (MediaPipe still gave them visibility 0.96-1.0). Those frames are
not changed: changed too, the neck with the trunk bent over 60° read 29.8° off on the rear work cycle
(20.0° without this step, 20.1° with it as it is).

Measured (2026-11-29, balanced, the 22 rendered clips, neck-flexion MAE over every frame / over the frames
with the trunk upright): bodyB_rear 13.3 / 7.1 -> 9.9 / 4.9°, bodyC_rear 14.2 / 7.3 -> 8.4 / 4.0°,
bodyA_rear_cycle 18.4 / 3.5 -> 15.6 / 4.0°, bodyA_turning 6.2 / 5.6 -> 6.3 / 5.7°; no other clip has
frames seen from behind, and none changes. The gain is where the head is seen with the trunk bent 15-45°
(bodyC_rear 14.2 / 33.3° -> 3.0 / 15.3° at 15-30 / 30-45° of trunk flexion, the rear work cycle 25.9 /
40.8° -> 8.2 / 24.4°). What stays is the deep bend, where the head is hidden.
"""

from __future__ import annotations

import numpy as np

from processor.model import LANDMARKS
from processor.trunk_depth import (
    MIN_RATIO_NOISE, REFERENCE_MAX_DEG, REFERENCE_MIN_FRAMES, _flexion, candidate_angle, fuse_out_of_plane,
    neck_line, picture_proportion, seen_from_behind, trunk_line, unit,
)

L = LANDMARKS
HEAD = np.arange(11)  # landmarks 0-10: nose, eyes, ears, mouth


def correct_neck_depth(world: np.ndarray, up: np.ndarray, forward: np.ndarray, right: np.ndarray,
                       neutral_deg: float) -> tuple[np.ndarray, dict]:
    """The skeleton with the neck line's depth corrected in the frames seen from behind (module docstring).

    ``world``: (N, 33, 3) hip-centred, camera axes, its trunk already corrected (``processor.trunk_depth``);
    ``up``, ``forward``, ``right``: (N, 3) U, F and R of ``processor.angles``; ``neutral_deg``: the neck
    flexion MediaPipe reads for a neutral head. Returns a copy and what was done.
    """
    w = np.array(world, dtype=np.float64, copy=True)
    n = len(w)
    U = np.broadcast_to(up, (n, 3))
    N = neck_line(w)
    T = trunk_line(w)
    Th = unit(T)
    Ft = unit(np.cross(Th, right))  # the trunk's forward axis, as the neck angle's (processor.angles)
    hips = w[:, L["right_hip"]] - w[:, L["left_hip"]]
    npic = np.hypot(N[:, 0], N[:, 1])
    z = N[:, 2]
    o = np.radians(neutral_deg)
    d = np.cos(o) * Th + np.sin(o) * Ft  # where a neutral head's neck line points
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = npic / np.hypot(hips[:, 0], hips[:, 1])
        behind = seen_from_behind(U, forward) & np.isfinite(rho) & np.isfinite(z) & np.isfinite(Ft).all(axis=1)
        neck = np.degrees(np.arctan2(np.einsum("ij,ij->i", N, Ft), np.einsum("ij,ij->i", N, Th)))
        upright = np.abs(_flexion(T, forward, U)) < REFERENCE_MAX_DEG
        reference = behind & upright & (np.abs(neck - neutral_deg) < REFERENCE_MAX_DEG)
        # the head below the shoulder line in the picture hangs behind the back: not seen (docstring)
        u_pic = unit(U[:, :2])
        seen = np.einsum("ij,ij->i", N[:, :2], u_pic) > 0.0
    info: dict = {"frames_behind": int(behind.sum()), "reference_frames": int(reference.sum())}
    if reference.sum() < REFERENCE_MIN_FRAMES:
        info["method"] = "not used (too few frames seen from behind with the trunk upright and the head neutral)"
        return w, info
    # a keypoint's error on the neck: the trunk's noise floor, scaled by how much shorter the neck looks
    floor = MIN_RATIO_NOISE * float(np.median(np.hypot(T[reference, 0], T[reference, 1])) / np.median(npic[reference]))
    full, sigma_r = picture_proportion(rho[reference] / np.sqrt(1.0 - d[reference, 2] ** 2), floor)
    idx = np.flatnonzero(behind & seen)
    r = rho[idx] / full
    phi_mp = np.arctan2(z[idx], npic[idx])
    neck_of = candidate_angle(N[idx], npic[idx], Th[idx], Ft[idx])  # neck flexion, counted from neutral below
    phi, turned = fuse_out_of_plane(phi_mp, r, sigma_r, lambda p: neck_of(p) - neutral_deg)
    shift = npic[idx] * np.tan(phi) - z[idx]
    ok = np.isfinite(shift)
    w[np.ix_(idx[ok], HEAD, [2])] += shift[ok, None, None]
    info.update(
        method="out-of-plane angle from the neck's length over the hip width against the person's neutral "
        "proportion, fused with MediaPipe's depth (processor.neck_depth)",
        frames_head_hidden=int((behind & ~seen).sum()),
        frames_changed=int((ok & (np.abs(shift) > 1e-9)).sum()),
        frames_sign_forward=int((ok & turned).sum()),
    )
    return w, info
