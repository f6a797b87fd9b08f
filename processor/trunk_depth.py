"""The trunk line's depth: MediaPipe's guess, kept within what the picture and the body allow.

The skeleton's x and y come from the 2D keypoints and only z (depth, along the camera axis) from
MediaPipe's world landmarks (``processor.anchoring``). So the trunk line T = mid-hip -> mid-shoulder
has a reliable image-plane part t = (T_x, T_y) and a weak depth part T_z. Seen from the side, flexion
lies in the picture and depth hardly matters; seen from in front or behind, flexion moves the shoulders
along the camera axis and T_z carries it. On rendered people seen from behind (azimuth 150-180°)
MediaPipe's T_z had the wrong sign at 48° flexion (the trunk read as leaning back 60°) and shrank to a
tenth of the truth at 22°; seen from in front it shrank to half at 73°.

Two physical bounds correct it; neither is fitted to the test clips.

1. Length (foreshortening). A segment of 3D length ``ℓ`` whose picture is ``|t|`` long has
   ``|T_z| = sqrt(ℓ² − |t|²)`` (weak perspective, the scale of ``processor.anchoring``). The person's
   own trunk length ``L`` is measured in the same video: in the frames where MediaPipe's 3D trunk lies
   within ``REFERENCE_MAX_DEG`` of the picture plane ``|T| ≈ |t|`` and a depth error δ changes the
   length only by ``T_z·δ/L`` (second order); in the upright frames the trunk is as far out of the
   picture plane as the vertical U is, ``L = |t| / sqrt(1 − U_z²)`` (the camera's pitch, from U, with no
   depth at all). Both read short, never long, so the longer is taken (``reference_length``). The chord hip -> shoulder is not rigid: a flexing spine
   curls and brings the shoulders forward and down, so the chord shortens (the rendered bodies: 4, 12,
   21 % at spine bends of 28, 70, 108°). The trunk is therefore never shorter than
   ``(1 − MAX_CHORD_SHORTENING)·L``, and the depth magnitude is raised to
   ``|T_z| ≥ sqrt(((1 − c)·L)² − |t|²)`` where MediaPipe's is smaller (a trunk shorter than a fully curled
   one is impossible). Where the picture shows the whole trunk (|t| ≥ (1 − c)·L: upright in any view,
   any flexion seen from the side) the bound is empty and MediaPipe's depth stands: side views
   reduce exactly to the uncorrected skeleton.

   Why a bound and not an equality: ``|T_z| = sqrt(L² − |t|²)`` (a rigid trunk) was tried, alone and
   fused with MediaPipe's depth by inverse-variance weights (propagated ``σ_z = L·σ_L/|T_z|``, which makes
   MediaPipe win near the picture plane and the length win at strong foreshortening, with σ_L 5-15 % of
   L and MediaPipe's σ 10-30 % of L, or that σ estimated per video from the frames where the length is
   informative). Every variant made the front, 45° and side clips 0.1-1.4° worse (rear ones better): the
   chord shortening (up to 21 %) exceeds the foreshortening signal below ~35° out of the plane
   (``1 − cos 30° = 13 %``), so an equality reads every spinal curl as extra flexion. Near the picture
   plane foreshortening cannot help at all: ``|t| = L·cos φ`` changes by 1.5 % for φ = 10°, below the
   2D keypoints' noise, so there MediaPipe's depth is the only information.

2. Direction (anatomy). The trunk extends backwards at most ``MAX_EXTENSION_DEG`` (lumbar and thoracic
   extension standing: ~20-30°), while it flexes forward past 90°. Both signs of T_z give the same
   picture; when MediaPipe's sign makes the trunk lean back more than that and the other sign does not,
   the other sign is taken. "Forward" is ``F = U × R`` with R from the labelled left/right hips, which in
   front and rear views lies in the picture plane (x, y from the 2D keypoints), so it does not rest on
   MediaPipe's depth. Extension within the range keeps MediaPipe's sign (from behind, a small forward
   lean can still read as a small backward one).

The correction moves the shoulders and everything above them (head, arms: landmarks 0-22) by the same
depth shift, so neck and arm angles keep MediaPipe's relation to the shoulders and every angle that uses
T (trunk flexion, side bend, neck flexion, arm against the trunk) sees the corrected line.
Perspective (nearer shoulders look larger by ~``L·sin φ/distance``, up to 14 % at 3.4 m) is not
modelled: it needs the focal length, which videos rarely carry; it only makes the bound looser.
"""

from __future__ import annotations

import numpy as np

from processor.model import LANDMARKS

L = LANDMARKS
REFERENCE_MAX_DEG = 20.0  # frames whose 3D trunk lies this close to the picture plane give the length
REFERENCE_MIN_FRAMES = 5
MAX_CHORD_SHORTENING = 0.25  # the hip -> shoulder chord of a fully curled spine, share of the upright one
MAX_EXTENSION_DEG = 30.0  # backward lean of the trunk beyond which the other depth sign is taken
UPPER_BODY = np.arange(23)  # landmarks 0-22: face, shoulders, arms, hands (hips and legs stay)


def _mid(w: np.ndarray, a: str, b: str) -> np.ndarray:
    return (w[:, L[a]] + w[:, L[b]]) / 2.0


def _flexion(T: np.ndarray, F: np.ndarray, U: np.ndarray) -> np.ndarray:
    return np.degrees(np.arctan2(np.einsum("ij,ij->i", T, F), np.einsum("ij,ij->i", T, U)))


def reference_length(T: np.ndarray, up: np.ndarray) -> tuple[float, int, str]:
    """(L, frames used, how): the person's trunk length from the frames where the picture shows it best.

    1. Frames whose 3D trunk lies within ``REFERENCE_MAX_DEG`` of the picture plane: the median ``|T|``.
    2. The upright frames (3D trunk within ``REFERENCE_MAX_DEG`` of U), where the trunk is as far out of
       the picture plane as the vertical is, ``asin |U_z|``: the median ``|t| / sqrt(1 − U_z²)``, the
       camera's pitch taken from U (a camera pitched steeply at a person facing it has no frames of 1.).
    The longer of the two (each has ``REFERENCE_MIN_FRAMES`` frames or is skipped); NaN if neither.
    """
    t = np.hypot(T[:, 0], T[:, 1])
    z = T[:, 2]
    found: list[tuple[float, int, str]] = []
    with np.errstate(invalid="ignore", divide="ignore"):
        near = np.degrees(np.arctan2(np.abs(z), t)) < REFERENCE_MAX_DEG
        if near.sum() >= REFERENCE_MIN_FRAMES:
            found.append((float(np.median(np.hypot(t[near], z[near]))), int(near.sum()), "trunk near the picture plane"))
        cos_up = np.einsum("ij,ij->i", T, up) / np.linalg.norm(T, axis=1)
        upright = np.degrees(np.arccos(np.clip(cos_up, -1.0, 1.0))) < REFERENCE_MAX_DEG
        if upright.sum() >= REFERENCE_MIN_FRAMES:
            lengths = t[upright] / np.sqrt(1.0 - np.clip(up[upright, 2], -0.99, 0.99) ** 2)
            found.append((float(np.median(lengths)), int(upright.sum()), "upright trunk, camera pitch from the vertical"))
    # both read short when MediaPipe's depth is shrunk (the first) or the person leans toward the camera
    # (the second): the longer one is nearer the truth
    return max(found) if found else (float("nan"), 0, "")


def correct_trunk_depth(world: np.ndarray, up: np.ndarray, forward: np.ndarray) -> tuple[np.ndarray, dict]:
    """The skeleton with the trunk line's depth corrected (see the module docstring), and what was done.

    ``world``: (N, 33, 3) hip-centred, camera axes (x right, y down, z away from the camera);
    ``up``/``forward``: (N, 3) unit vectors U and F of ``processor.angles``. Returns a copy.
    """
    w = np.array(world, dtype=np.float64, copy=True)
    T = _mid(w, "left_shoulder", "right_shoulder") - _mid(w, "left_hip", "right_hip")
    t = np.hypot(T[:, 0], T[:, 1])
    z = T[:, 2]
    length, n_ref, how = reference_length(T, np.broadcast_to(up, T.shape))
    info: dict = {"reference_frames": n_ref}
    if np.isfinite(length):
        info["reference"] = how
        floor = (1.0 - MAX_CHORD_SHORTENING) * length
    else:  # no length to bound the depth with: only the sign rule applies
        floor = 0.0
    with np.errstate(invalid="ignore"):
        magnitude = np.fmax(np.abs(z), np.sqrt(np.clip(floor**2 - t**2, 0.0, None)))
        sign = np.where(z < 0, -1.0, 1.0)

        def flexion(s: np.ndarray) -> np.ndarray:
            return _flexion(np.stack([T[:, 0], T[:, 1], s * magnitude], axis=1), forward, up)

        flip = (flexion(sign) < -MAX_EXTENSION_DEG) & (flexion(-sign) >= -MAX_EXTENSION_DEG)
    sign = np.where(flip, -sign, sign)
    shift = sign * magnitude - z
    ok = np.isfinite(shift)
    w[np.ix_(ok, UPPER_BODY, [2])] += shift[ok, None, None]
    raised = ok & (magnitude > np.abs(z) + 1e-12)
    info.update(
        method="depth bounded by the trunk's length, sign by its extension range (processor.trunk_depth)"
        if np.isfinite(length)
        else "sign by the trunk's extension range only (too few frames with the trunk near the picture plane or upright)",
        trunk_length_m=round(length, 4) if np.isfinite(length) else None,
        frames_depth_raised=int(raised.sum()),
        frames_sign_flipped=int((flip & ok).sum()),
    )
    return w, info
