"""The trunk line's depth: MediaPipe's guess, kept within what the picture and the body allow.

The skeleton's x and y come from the 2D keypoints and only z (depth, along the camera axis) from
MediaPipe's world landmarks (``processor.anchoring``). So the trunk line T = mid-hip -> mid-shoulder
has a reliable image-plane part t = (T_x, T_y) and a weak depth part T_z. Seen from the side, flexion
lies in the picture and depth hardly matters; seen from in front or behind, flexion moves the shoulders
along the camera axis and T_z carries it. On rendered people seen from behind (azimuth 150-180°)
MediaPipe's T_z had the wrong sign at 48° flexion (the trunk read as leaning back 60°) and shrank to a
tenth of the truth at 22°; seen from in front it shrank to half at 73°.

Two physical bounds and, seen from behind (and in front, one way), the picture's foreshortening correct
it; nothing is fitted to the test clips.

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

3. Foreshortening from behind, and one way in front (``foreshortening``). Seen from behind, within
   ``BEHIND_MAX_DEG`` of straight behind, the hip line lies in the picture plane, so its length in the
   picture is the pelvis's width whatever the trunk does, and the ratio ρ = |t| / |hip line in the
   picture| needs no scale (no metres, no focal length). A trunk at angle φ out of the picture plane
   shows ρ = ρ_full·cos φ. The person's own ρ_full comes from their upright frames in the same video
   (MediaPipe's flexion within ``REFERENCE_MAX_DEG``: the median ratio there), which lie as far out of the
   picture plane as the vertical U does, ``ρ_full = ρ_upright / sqrt(1 − U_z²)`` (the camera's pitch);
   the ratio's noise σ_r is its robust spread over those frames (at least ``MIN_RATIO_NOISE``). Per frame,
   φ minimises ``((φ − φ_MP)/σ_MP)² + ((cos φ − ρ/ρ_full)/σ_r)²``: MediaPipe's angle with
   ``SIGMA_MEDIAPIPE_RAD`` (its depth error, 10-30 % of the trunk length, ≈ 0.2 rad out of the plane)
   and the picture's, whose angular precision σ_r / sin φ is poor near the picture plane (there
   MediaPipe decides) and good far from it; each term capped at ``OUTLIER_SIGMAS``² (robust loss), the
   extension limit of 2. kept. Both signs of φ give the same picture: MediaPipe's sign stands unless its
   angle lies within its own noise while the picture shows the trunk clearly out of the plane and
   MediaPipe's sign makes the trunk lean back where the other makes it lean forward; then forward.
   Why either way only from behind: MediaPipe's depth there carried almost nothing at moderate flexion (the
   22° above, and 16-33° read as 4-23° on the rear work cycle), while in front its mid-range depth was
   within 1-3° (bodyA_front, 12-55°) and the picture ratio is disturbed by perspective: the shoulders
   coming toward the camera look larger by D/(D − Δ) (≈ 7 % at 30° for a 0.5 m trunk 3.4 m away)
   against hips that do not, so the trunk reads less foreshortened, and the hip keypoints drifted inward
   by up to 7 % while bending. Fused the same way in front too (hip width, shoulder width, which cancels
   the perspective but moves with the arms, or both; with or without a per-video perspective estimated
   from the shoulder width), trunk MAE bodyA_front 6.9 -> 6.8-9.3°, bodyB_front 6.2 -> 5.7-10.3°,
   bodyA_front_cycle 7.1 -> 6.6-7.6°, bodyA_turning 3.5 -> 3.8-4.2°: no variant helped every frontal
   clip. From behind: bodyB_rear 8.7 -> 6.8°, bodyA_rear_cycle 9.1 -> 8.0°, bodyA_turning 3.5 -> 3.7°
   (its frames behind), nothing else changes.
   In front, one way only (within ``FRONT_MAX_DEG`` of straight in front, the proportion from the upright
   frames seen from there). Taken either way the fusion lost there (above), but MediaPipe's frontal errors
   have a direction: against the person's own upright reading, its trunk lay farther from upright than
   the truth in 82-100 % of the frames of every frontal clip (the frames up to 60°; by more than 3° in
   29-68 %, nearer by more than 3° in 0-14 %): a bowed head or a side bend moved the upright trunk 8-14°
   forward in depth, raised arms 5-14° back, the deep bends overshot (73° read 91°), and where the hips
   are guessed (legs hidden, 4. below) MediaPipe's depth rests on hips it cannot see: behind the rendered
   benches it made the trunk 1.2-1.3 times the person's length. So in front the fused angle is taken only
   where it brings the trunk nearer the picture plane than MediaPipe's depth put it; where the picture
   would take it farther, MediaPipe's depth stands. Why 15° and not 30° as behind: the hip line's picture
   is its width × cos(azimuth), 3.4 % short at 15° and 13 % at 30°, and a short hip line reads as a trunk
   nearer the plane, the one way this rule takes (an exact 50° bend at 30°, against upright frames at
   0-28°, read 40.5°); within 15° every clip reads as within 30° (bodyA_turning 3.67 -> 3.68°).
   Measured (2026-11-30, balanced; trunk MAE, time in another NV 361 trunk zone, neck with the trunk
   upright and over every frame; before -> after): bodyA/B/C_front 6.9 / 6.2 / 5.4 -> 7.0 / 4.8 / 4.9°,
   neck 4.7 / 3.0 / 2.8 -> 3.1 / 1.8 / 2.8° (5.2 / 4.4 / 5.8 -> 3.8 / 3.2 / 5.7°); bodyA_front_cycle 7.1
   -> 6.8°, 3.6 -> 2.8 %, neck 4.6 -> 4.9° (6.3 -> 6.1°); bodyA_turning 3.7 -> 3.7°; with the camera 1.8 m
   in front (bodyA/B_front_near, a wide lens) 7.2 / 11.0 -> 4.8 / 6.9°, 11.7 / 2.3 -> 0.6 / 1.8 %, neck
   5.9 / 4.9 -> 4.2 / 3.7°; no other clip changes. Behind the frontal bench (hips guessed; this rule
   first came for it, within 30° and from the guessed frames' upright ones alone) 8.6 -> 6.4°, 12.3 ->
   2.0 %, neck 4.5 -> 3.5° (7.0 -> 5.4°), its 42° bend read 59 -> 50°, the upright frames +8.4 -> +6.8°;
   the same scene rendered with the camera 1.8 m away (not committed) 11.8 -> 8.7°, 14.4 -> 7.2 %;
   rendered again as bodyA/B_front_near are (the lens ``fit_focal`` picks), 8.3° and 3.3 % both before
   and after the rule took in the seen hips.
   Tried and dropped: the fusion taken either way with the hips guessed, 7.8° and 2.6 %, at 1.8 m 9.9°
   with the neck 7.0 -> 9.4°, and a frame whose steadied hips lag the whole body's dip (a squat behind
   the bench, ``processor.hidden_hips``: the upright trunk 16 % short in the picture for a frame) read 33°
   bent, where MediaPipe's depth has it upright; with the hips seen, either way, bodyA/B/C_front 7.6 / 5.5
   / 5.8°, the bench 7.5°. Against the trunk length in metres (hips guessed) 8.6° and 2.6 %, against the
   shoulder width 8.3° and 11.7 % (the shoulders come nearer and wider). The 3D hip width (MediaPipe's
   depth of the hips, which would undo the cos(azimuth)) instead of the picture's: bodyC_front 4.9 ->
   5.0°, bodyA_turning 3.7 -> 3.9°.
   The caveat is perspective, and the price: for a camera at the hips' height an exact picture gives
   ``r = cos φ / (1 − (L/D)·sin φ)``, so an exact 42° bend would read as 35° at 3.4 m and 24° at 1.8 m,
   and bodyA_front's 22° bend now reads 14° instead of 22° (no NV 361 trunk border lies there).
   Modelled (the same ``r`` in the picture's term, L/D estimated per video from the shoulders' widening
   against the hips in the bends, 0.09-0.26, or the true 0.18): bodyA/C_front 7.0 / 4.9 -> 6.5 / 3.7°
   but bodyB_front 4.8 -> 5.8° (its neck 1.8 -> 7.1°) and the frontal bench 6.4 -> 7.4-7.7°: MediaPipe's
   2D shoulders sit low in a bend, which works the other way, so the picture is taken as it is. Near
   upright the picture is blind (cos φ is flat there) and MediaPipe's depth mostly stands.
   What remains from behind is the deep bend: at 60-70° MediaPipe's 2D shoulder
   keypoints fall onto the hips (the picture trunk 0-10 px of ~95), which reads as ~90°; no depth
   rule can undo a wrong picture. Nor can time (tried 2026-11-30): in the frames whose own trunk is
   shorter than a curled one (only true bends of 62-73° on the rendered clips, read 8-28° too deep in
   front and behind), the angle interpolated in time between the nearest possible readings, or the
   larger of the two held, made the mean error smaller (bodyA_rear_cycle 6.9 -> 4.4 / 5.4°,
   bodyA_front_cycle 7.1 -> 5.6 / 5.8°, bodyA_front 6.9 -> 6.1 / 5.9°) but put the interpolated frames
   in another NV 361 zone (bodyA_front_cycle 3.6 -> 6.4 % of the time): the readings around such a
   stretch are on the way down and up, a lower bound only, and the trunk may go deeper than any of them
   in between. The overshoot keeps those frames past 60°, where one zone holds every angle. In front, what remains is MediaPipe's depth near upright (a raised
   arm, a bowed head or a side bend moved the trunk 8-14° in depth, of which the picture takes back only
   part, and the upright trunk leaned −4 to +5° by the person; a side bend also curls the spine, and the
   chord 4-5 % short reads as the 14-18° MediaPipe gave it). The camera's pitch, which a frontal picture does not show, is not what is missing:
   given the true 5°, the frontal clips read 7.0 / 4.8 / 4.9 -> 8.8 / 4.1 / 7.6° (``processor.angles``,
   "The vertical"). The same fusion
   (``fuse_out_of_plane``) serves the neck line seen from behind (``processor.neck_depth``).

4. Guessed hips: a rigid chord cannot be longer than the person's trunk. Where the legs are hidden (a
   bench, a machine: ``processor.hidden_hips.legs_guessed``) the hips are the network's guesses, in depth
   as in the picture, and MediaPipe's depth of the trunk with them: behind the rendered benches it made the
   trunk 1.2-1.3 times the person's length (a 43° bend seen from the front read 62-70°). The chord
   hip -> shoulder only shortens as the spine curls, so there ``|T| ≤ (1 + MAX_CHORD_STRETCH)·L`` and the
   depth magnitude is capped at ``sqrt(((1 + s)·L)² − |t|²)`` (0 where the picture alone is longer). The
   allowance ``s`` is perspective, which makes a trunk leaning toward the camera look longer: for a
   trunk ``L`` at distance ``D`` the longest apparent chord is ``max_φ sqrt(cos²φ·(1 + (L/D)·sin φ)² +
   sin²φ)``, 1.11 at L/D = 0.28 (a 0.5 m trunk 1.8 m away, about the nearest a phone shows a standing
   person whole), plus about 4 % for the reference length's and the keypoints' noise. Where the hips
   are seen MediaPipe's trunk never exceeded the bound on any rendered clip, and a camera low in front of
   the worker (no rendered clip) could make a real lean look longer than it through perspective, so
   the cap is applied only to the frames with guessed hips. Trunk-flexion MAE (2026-11-29, balanced,
   caps 1.2 / 1.15 / 1.1 L; without: first): bodyA_bench (45°) 8.0 -> 7.5 / 7.4 / 7.1, bodyB_bench_front
   9.5 -> 8.9 / 8.6 / 8.3 (time in another NV 361 trunk zone 14.9 -> 13.0 / 12.3 / 11.7 %),
   bodyC_machine_side 2.9 -> 3.0; no clip with seen legs changes. Tried and dropped the same day (from
   the 1.15 L above): a cap of 1.0 L, which perspective does not allow (bodyA_bench 7.4 -> 6.1° but
   its zone 11.7 -> 12.3 %, bodyB_bench_front 8.6 -> 6.0°, 12.3 -> 2.6 %), and the rigid chord
   ``|T_z| = sqrt(L² − |t|²)`` in place of MediaPipe's guessed depth (7.4 -> 7.1°, zone 4.1 %; 8.6 -> 8.3°,
   2.6 %): the zones only looked better. The 43° bend behind the frontal bench read 56° instead of 62°
   (just under the 60° border instead of just over it), the upright frames 7.5° off on average (the
   foreshortening is blind near the picture plane, as in 1.), and bodyB_bench_front's neck (all frames)
   6.9 -> 11.4°.

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
BEHIND_MAX_DEG = 30.0  # the foreshortening step: camera within this of straight behind the person
# ... and of straight in front, where the picture is taken only to bring the trunk nearer the picture plane:
# the hip line's picture shows its width × cos(azimuth), short by at most 3.4 % within 15° (13 % at 30°),
# which reads as a trunk nearer the plane, the one way that rule takes
FRONT_MAX_DEG = 15.0
SIGMA_MEDIAPIPE_RAD = 0.2  # MediaPipe's out-of-plane trunk angle error (10–30 % of the trunk length in depth)
MIN_RATIO_NOISE = 0.01  # the trunk/hip-width ratio's noise floor: a pixel on a 100-pixel trunk
OUTLIER_SIGMAS = 3.0  # beyond this many noise widths a term is taken as a gross error (robust loss)
TIE_FORWARD = 1e-6  # per degree: breaks exact ties between capped costs toward the forward angle, nothing else
MAX_CHORD_STRETCH = 0.15  # guessed hips: the trunk chord at most this much longer than L (perspective, noise)


def midpoint(w: np.ndarray, a: str, b: str) -> np.ndarray:
    """(N, d): the midpoint of two named landmarks of (N, 33, d) points: one home for the skeleton's lines."""
    return (w[:, L[a]] + w[:, L[b]]) / 2.0


def trunk_line(points: np.ndarray) -> np.ndarray:
    """(N, d): mid-hip -> mid-shoulder of (N, 33, d) landmarks (3D skeleton or picture positions)."""
    p = np.asarray(points, dtype=np.float64)
    return midpoint(p, "left_shoulder", "right_shoulder") - midpoint(p, "left_hip", "right_hip")


def neck_line(points: np.ndarray) -> np.ndarray:
    """(N, d): mid-shoulder -> mid-ear of (N, 33, d) landmarks, the neck line of ``processor.angles``."""
    p = np.asarray(points, dtype=np.float64)
    return midpoint(p, "left_ear", "right_ear") - midpoint(p, "left_shoulder", "right_shoulder")


def dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise dot products of (..., 3) vectors: one home with ``unit``."""
    return np.einsum("...i,...i->...", a, b)


def unit(v: np.ndarray) -> np.ndarray:
    """Unit vectors along the last axis (NaN for a zero or missing vector): one home for angles and neck_depth."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return v / np.linalg.norm(v, axis=-1, keepdims=True)


def angle_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N,) unsigned angle between row vectors, degrees: one home for ``angles`` and ``arm_depth``."""
    return np.degrees(np.arccos(np.clip(dot(unit(a), unit(b)), -1.0, 1.0)))


def picture_proportion(ratios: np.ndarray, floor: float = MIN_RATIO_NOISE) -> tuple[float, float]:
    """(full, σ_r): a segment's picture length over the hip width when it lies in the picture plane, from
    its reference frames' ``ratios`` (each already divided by the cos of the angle those frames lie out of
    the plane), and the ratio's noise: their robust spread relative to it, at least ``floor``. One home for
    the trunk (3.), the neck (``processor.neck_depth``) and the upper arm (``processor.arm_depth``)."""
    full = float(np.median(ratios))
    spread = 1.4826 * float(np.median(np.abs(ratios / full - 1.0)))
    return full, (max(spread, floor) if np.isfinite(spread) else floor)


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


def correct_trunk_depth(world: np.ndarray, up: np.ndarray, forward: np.ndarray,
                        hips_guessed: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """The skeleton with the trunk line's depth corrected (see the module docstring), and what was done.

    ``world``: (N, 33, 3) hip-centred, camera axes (x right, y down, z away from the camera);
    ``up``/``forward``: (N, 3) unit vectors U and F of ``processor.angles``; ``hips_guessed``: (N,) bool,
    frames whose hips are the network's guesses (legs hidden), where the depth is also capped (4.).
    Returns a copy.
    """
    w = np.array(world, dtype=np.float64, copy=True)
    T = trunk_line(w)
    t = np.hypot(T[:, 0], T[:, 1])
    z = T[:, 2]
    length, n_ref, how = reference_length(T, np.broadcast_to(up, T.shape))
    info: dict = {"reference_frames": n_ref}
    if np.isfinite(length):
        info["reference"] = how
        floor = (1.0 - MAX_CHORD_SHORTENING) * length
    else:  # no length to bound the depth with: only the sign rule applies
        floor = 0.0
    capped = np.zeros(len(w), dtype=bool)
    with np.errstate(invalid="ignore"):
        magnitude = np.fmax(np.abs(z), np.sqrt(np.clip(floor**2 - t**2, 0.0, None)))
        if hips_guessed is not None and np.isfinite(length):
            cap = np.sqrt(np.clip(((1.0 + MAX_CHORD_STRETCH) * length) ** 2 - t**2, 0.0, None))
            capped = np.asarray(hips_guessed, dtype=bool) & (magnitude > cap)
            magnitude = np.where(capped, cap, magnitude)
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
        frames_depth_capped=int((capped & ok).sum()),
        frames_sign_flipped=int((flip & ok).sum()),
    )
    w, finfo = foreshortening(w, up, forward)
    info.update(finfo)
    info["frames_in_front_from_foreshortening"] = finfo["in_front"].get("frames_changed", 0)
    return w, info


def camera_azimuth(right: np.ndarray, forward: np.ndarray, up: np.ndarray) -> np.ndarray:
    """(N,) degrees: where the camera stands around the person, from the pelvis's facing: 0 in front, +90 at
    the subject's left, ±180 behind (the direction from the pelvis to the camera, which sits at the origin
    looking along +z, projected on the horizontal). One home for ``angles``' column and the view rules."""
    up = np.broadcast_to(up, np.shape(forward))
    to_cam = np.array([0.0, 0.0, -1.0]) + up[:, 2:3] * up  # −z minus its part along U (−z·U = −U_z)
    return np.degrees(np.arctan2(np.einsum("ij,ij->i", to_cam, -right), np.einsum("ij,ij->i", to_cam, forward)))


def seen_from_behind(up: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """(N,) bool: the camera stands behind the person, within ``BEHIND_MAX_DEG`` of straight behind."""
    up = np.broadcast_to(up, np.shape(forward))
    with np.errstate(invalid="ignore"):
        return np.abs(camera_azimuth(np.cross(forward, up), forward, up)) > 180.0 - BEHIND_MAX_DEG


def seen_from_front(up: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """(N,) bool: the camera stands in front of the person, within ``FRONT_MAX_DEG`` of straight in front."""
    up = np.broadcast_to(up, np.shape(forward))
    with np.errstate(invalid="ignore"):
        return np.abs(camera_azimuth(np.cross(forward, up), forward, up)) < FRONT_MAX_DEG


def _out_of_plane_cost(phi: np.ndarray, phi_mp: np.ndarray, r: np.ndarray, sigma_r: float) -> np.ndarray:
    """The negative log-likelihood (× 2) of the trunk's out-of-plane angle ``phi`` (radians, + away from
    the camera): MediaPipe's angle with ``SIGMA_MEDIAPIPE_RAD``, and the foreshortening ``cos φ = r`` with
    ``sigma_r``. Both terms are capped at ``OUTLIER_SIGMAS``² (a truncated quadratic, the usual robust
    loss): where the two disagree by more than that, each is taken as possibly a gross error (a keypoint
    placed off the body, a depth read the wrong way) and the one nearer its own evidence wins."""
    cap = OUTLIER_SIGMAS**2
    return np.minimum(((phi - phi_mp) / SIGMA_MEDIAPIPE_RAD) ** 2, cap) + np.minimum(((np.cos(phi) - r) / sigma_r) ** 2, cap)


def candidate_angle(segment: np.ndarray, picture: np.ndarray, along: np.ndarray, forward: np.ndarray):
    """A function from candidate out-of-plane angles φ (k, g) to the segment's angle (degrees) from ``along``
    toward ``forward``: each frame's segment keeps its picture part (x, y) and gets the depth
    ``picture``·tan φ (``picture`` = its picture length)."""
    def angle_of(phi: np.ndarray) -> np.ndarray:
        cand = np.stack(np.broadcast_arrays(segment[:, None, 0], segment[:, None, 1], picture[:, None] * np.tan(phi)), axis=-1)
        return np.degrees(np.arctan2(np.einsum("kgc,kc->kg", cand, forward), np.einsum("kgc,kc->kg", cand, along)))
    return angle_of


def fuse_out_of_plane(
    phi_mp: np.ndarray, r: np.ndarray, sigma_r: float, angle_of, lowest_deg: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(φ, turned): per frame, a segment's out-of-plane angle (radians, + away from the camera) that
    minimises ``_out_of_plane_cost`` given MediaPipe's angle ``phi_mp`` and the picture's ``r`` = cos φ.

    ``angle_of`` maps candidate angles (k, g) to the anatomical angle they give (degrees, + forward);
    candidates below ``lowest_deg`` (an extension limit) are not considered. A 1° grid, then a golden-section
    refinement within ±1° of its best (exact where picture and depth agree); where both terms are capped
    the costs are equal, and the most forward candidate is taken (``TIE_FORWARD``). Both signs of φ give the same
    picture: MediaPipe's sign stands where its angle stands out of its noise (``SIGMA_MEDIAPIPE_RAD``).
    Where it does not but the picture shows the segment clearly out of the plane, and MediaPipe's sign
    bends the segment back while the other bends it forward, forward is taken (``turned``): the backward
    range is a fraction of the forward one, and a worker bends forward far more often than back."""
    grid = np.radians(np.arange(-89.0, 89.5, 1.0))
    cost = _out_of_plane_cost(grid[None, :], phi_mp[:, None], r[:, None], sigma_r)
    angle = angle_of(np.broadcast_to(grid, (len(phi_mp), len(grid))))
    if lowest_deg is not None:
        cost = np.where(angle < lowest_deg, np.inf, cost)
    # both terms capped (each reading taken as a gross error) leave equal costs: the most forward wins
    cost = cost - TIE_FORWARD * np.nan_to_num(angle)
    best = grid[np.argmin(cost, axis=1)]
    edge = np.pi / 2.0 - 1e-9
    lo, hi = np.maximum(best - np.radians(1.0), -edge), np.minimum(best + np.radians(1.0), edge)
    g = (np.sqrt(5.0) - 1.0) / 2.0
    for _ in range(40):
        a, b = hi - g * (hi - lo), lo + g * (hi - lo)
        left = _out_of_plane_cost(a, phi_mp, r, sigma_r) <= _out_of_plane_cost(b, phi_mp, r, sigma_r)
        hi, lo = np.where(left, b, hi), np.where(left, lo, a)
    phi = (lo + hi) / 2.0
    mag = np.abs(phi)
    both = angle_of(np.stack([mag, -mag], axis=1))  # the angle with the segment away from / toward the camera
    mine = np.where(phi >= 0, both[:, 0], both[:, 1])
    other = np.where(phi >= 0, both[:, 1], both[:, 0])
    turned = (np.abs(phi_mp) < SIGMA_MEDIAPIPE_RAD) & (mag > SIGMA_MEDIAPIPE_RAD) & (mine < 0) & (other >= 0)
    return np.where(turned, -phi, phi), turned


def foreshortening(world: np.ndarray, up: np.ndarray, forward: np.ndarray) -> tuple[np.ndarray, dict]:
    """Frames seen from behind, and in front: the trunk's out-of-plane angle from its foreshortening, fused
    with MediaPipe's (in front taken only where it brings the trunk nearer the picture plane).

    See "3. Foreshortening from behind, and one way in front" in the module docstring. Returns a copy
    and what was done in each group: ``"from_behind"`` and ``"in_front"``.
    """
    w = np.array(world, dtype=np.float64, copy=True)
    n = len(w)
    U = np.broadcast_to(up, (n, 3))
    T = trunk_line(w)
    hips = w[:, L["right_hip"]] - w[:, L["left_hip"]]
    t = np.hypot(T[:, 0], T[:, 1])
    z = T[:, 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = t / np.hypot(hips[:, 0], hips[:, 1])  # trunk over hip width, both in the picture: no scale
        usable = np.isfinite(rho) & np.isfinite(z)
        behind = seen_from_behind(U, forward) & usable
        # in front the hip line lies in the picture plane too; there MediaPipe's depth errs long (away from
        # the picture plane), so the picture may only bring the trunk nearer it
        front = seen_from_front(U, forward) & usable
    return w, {
        "from_behind": _fuse_frames(w, U, forward, T, t, z, rho, behind),
        "in_front": _fuse_frames(w, U, forward, T, t, z, rho, front, only_nearer=True),
    }


def _fuse_frames(w: np.ndarray, U: np.ndarray, forward: np.ndarray, T: np.ndarray, t: np.ndarray, z: np.ndarray,
                 rho: np.ndarray, frames: np.ndarray, only_nearer: bool = False) -> dict:
    """Fuse the selected ``frames`` of ``w`` in place (3.): their own upright frames give the proportion.
    ``only_nearer``: the fused angle is taken only where it brings the trunk nearer the picture plane
    than MediaPipe's depth put it (in front, where that depth errs long: 3.)."""
    with np.errstate(invalid="ignore"):
        upright = frames & (np.abs(_flexion(T, forward, U)) < REFERENCE_MAX_DEG)
    info: dict = {"frames": int(frames.sum()), "reference_frames": int(upright.sum())}
    if upright.sum() < REFERENCE_MIN_FRAMES:
        info["method"] = "not used (too few upright frames from this view to give the person's proportion)"
        return info
    # the trunk's full length over the hip width: an upright trunk is as far out of the picture plane as
    # the vertical is (the camera's pitch, from U)
    full, sigma_r = picture_proportion(rho[upright] / np.sqrt(1.0 - U[upright, 2] ** 2))
    idx = np.flatnonzero(frames)
    r = rho[idx] / full  # cos of the trunk's angle out of the picture plane (above 1: noise, or a keypoint off)
    phi_mp = np.arctan2(z[idx], t[idx])
    F, Ui, Ti, ti = forward[idx], U[idx], T[idx], t[idx]

    # the extension range bounds the search: the other sign is taken where MediaPipe's leans back too far
    phi, unsure = fuse_out_of_plane(phi_mp, r, sigma_r, candidate_angle(Ti, ti, Ui, F), lowest_deg=-MAX_EXTENSION_DEG)
    shift = ti * np.tan(phi) - z[idx]
    ok = np.isfinite(shift)
    if only_nearer:  # the other frames keep MediaPipe's depth exactly
        ok &= np.abs(phi) < np.abs(phi_mp)
    w[np.ix_(idx[ok], UPPER_BODY, [2])] += shift[ok, None, None]
    info.update(
        method="out-of-plane angle from the trunk's length over the hip width against the person's upright "
        "proportion, fused with MediaPipe's depth (processor.trunk_depth)",
        full_length_ratio=round(full, 4),
        ratio_noise=round(sigma_r, 4),
        frames_changed=int((ok & (np.abs(shift) > 1e-9)).sum()),
        frames_sign_forward=int((ok & unsure).sum()),
    )
    return info
