"""Lines taken in the body's sagittal plane, their depth from the picture: the trunk and neck where the hips
are hidden and the camera is off to the side (with the facing steadied over time), the upper arms seen
from the side or obliquely where their picture shows them lying in that plane, and the neck against the
trunk seen obliquely.

Where the legs are hidden (a bench, a machine: ``processor.hidden_hips.legs_guessed``), MediaPipe's hips
are guesses. Their picture position is steadied over time (``processor.hidden_hips``), but two more
things rest on them: the hip line's direction, which gives the facing F (``angles.pelvis_axes``), and
MediaPipe's depth of the shoulders against them. Behind the rendered bench seen at 45°, during a bend of
73°, the guessed hip line turned the facing by 60-90° (the camera read at 105-133° instead of 45°), and
the trunk read 51-57°; 12 % of the time fell in another NV 361 trunk zone.

1. The facing. A worker's pelvis turns slowly compared with the guesses' excursions (the same argument
   as for the hips' position), so in the frames with the legs hidden the facing's angle about the
   vertical is replaced by its centred running median over ``hidden_hips.WINDOW_S`` of every detected
   frame's (``hidden_hips.running_median``; unwrapped in time, so a worker who turns around is followed:
   the median of a monotone series is its middle sample).

2. The trunk and neck lines in the sagittal plane. Seen obliquely, the picture itself holds the
   flexion: a line in the plane spanned by F and the vertical U shows its forward part across the
   picture, scaled by sin(azimuth), and its vertical part down the picture. With F and U known, its
   picture (x, y) gives both parts, ``x = a·F_x + c·U_x, y = a·F_y + c·U_y``, and its depth is
   ``a·F_z + c·U_z``: no depth from the network at all. The component this leaves out, the bend across
   that plane, is not measured from these views anyway (``processor.cleaning.UNMEASURED_VIEWS``: the
   trunk's side bend, the head's side bend and rotation); a real one leaks into the flexion by cot(azimuth)
   times its lateral part (a side bend of 10° of an upright trunk reads as 10.0° of flexion at 45°, 5.8°
   at 60°; tested). Weak perspective, as everywhere (``processor.anchoring``).
   Applied in the oblique views of ``processor.accuracy`` (the steadied facing puts the camera 30-70° or
   110-150° from straight in front), where neither line's side part is measured (``TRUNK_VIEWS``). Closer to in
   front or behind, the forward part hardly shows across the picture (its share sin(azimuth) goes to 0)
   and the depth would be the picture's noise divided by it. From the side (70-110°) the picture shows the
   flexion whole and the depth's share cos(azimuth) is small: the step would only trade MediaPipe's small
   depth term for the picture's, and behind the machine it cost 0.2° (2.7 -> 2.9°).
   The whole upper body (face, shoulders, arms: ``trunk_depth.UPPER_BODY``) moves by the trunk line's
   depth change, then the face (landmarks 0-10) by the neck line's, so arm and ear-line angles keep
   MediaPipe's relation to the shoulders and the head. The neck line goes with the trunk: the neck is
   measured against the trunk, and behind the 45° bench MediaPipe's head line against the trunk from the
   picture read the neck 8.3° off over every frame instead of 6.2° (the bends; with the trunk upright
   5.6° instead of 6.5°).

Measured on the rendered clips (2026-11-30, balanced; trunk MAE, time in another NV 361 trunk zone, neck
with the trunk upright and over every frame; before -> after, both with the window kept centred at the
video's ends, ``hidden_hips.running_median``): bodyA_bench (45°) 7.6 -> 4.0°, 11.7 -> 0.6 %, 8.9 -> 6.5°,
12.1 -> 6.2°; its near arm unchanged (9.7°); the 73° bend reads 64° instead of 51-57°.
bodyB_bench_front (in front: only the facing is steadied) and bodyC_machine_side (the side) change by
0.1° at most; no clip with the legs seen changes.

3. The upper arms. MediaPipe's depth of the upper arm follows the camera's pitch for some people and
   views and not for others (``processor.angles``, "The vertical"): with the camera 25° down it read
   hanging arms in the picture plane, 25° off. Forward raises, hanging and reaching arms lie in the
   sagittal plane, and seen from the side or obliquely (``ARM_VIEWS``: not in front or behind, where a
   forward raise moves along the camera axis) their depth follows from the picture as in 2. An arm
   raised sideways or across the body leaves that plane; from the side it points toward or away from
   the camera and its picture is short. So an arm is taken in the plane only where its picture is at
   least ``ARM_WHOLE_SHARE`` (cos 25°) of the picture length it would have there: the person's upper-arm
   length in the picture (``ARM_LENGTH_PERCENTILE``, 90th percentile of its picture length over the frames
   of these views where the arm is seen: at least that often it lies across the picture, hanging from
   the side or reaching forward; 75th-97th gave the same figures within 0.5°) times the in-plane
   direction's picture share. Elsewhere it keeps MediaPipe's depth. The limit: an arm out of the plane
   by less than 25° is read as in it (20° sideways, seen from the side, reads as hanging: tested). The
   elbow, forearm and hand move with the elbow; the elbow angle is measured on the arm as read (the step
   turns the upper arm only, and against MediaPipe's forearm the bend read 12.1 -> 21.5° off on the
   sideways raises at 45°).
   Measured (2026-11-30, balanced; upper-arm elevation MAE of the arm facing the camera, then of the
   other, before -> after): from the side bodyA/B/C_side 5.6 / 6.4 / 5.0 -> 3.6 / 4.7 / 2.2°, camera 25°
   down 18.2 -> 3.4°, 15° up 12.0 -> 5.9°, handheld 5.7 -> 3.5°, behind the machine 6.0 -> 5.2°; at 45°
   bodyA/B/C_45 6.5 / 7.0 / 5.3 -> 6.2 / 7.0 / 3.2° (the arm turned away 14.4 / 12.6 / 13.0 -> 7.5 / 7.8
   / 7.2°), with the passer-by 7.2 -> 7.7° (14.8 -> 8.1°), behind the bench 9.7 -> 9.9° (11.1 -> 4.0°); at
   150° 6.7 -> 5.6° (12.4 -> 9.1°); the turning worker 7.9 -> 6.6°. The rendered routines raise the arms
   forward only, so two clips raise them sideways (``tests/data/make_synthetic.py``, ``ABDUCTION_KEYS``):
   from the side 16.5 -> 16.7° (MediaPipe's own depth of an arm pointing at the camera is poor, and the
   step leaves it), at 45° 9.9 -> 7.5° (13.5 -> 2.8°). Without the length check, from the side 16.5 ->
   28.3°. In front and behind nothing changes.
   Tried and dropped (2026-11-30): the arms the check turns away given at least the depth a rigid bone
   of the person's length needs, ``|z| ≥ sqrt((c·ℓ)² − |t|²)`` with MediaPipe's sign (the trunk's bound
   in ``processor.trunk_depth``, 1.). With c = 0.9 (the check's own share, so an arm the check keeps is
   never raised) the sideways raises from the side went 16.7 -> 13.7°, but bodyA/B/C_side 3.6 / 4.7 /
   2.2 -> 5.6 / 6.1 / 3.0°, the handheld camera 3.5 -> 5.6°, behind the machine 5.2 -> 8.6°, behind the
   45° bench 9.9 -> 11.2°; with c = 0.8 or 0.7 nothing gained (16.5, 16.7°). The 2D elbow keypoint of
   an arm pointing at the camera lies too far from the shoulder (its picture too long), so the bound
   finds little to add there, and where it does bind it also lifts arms that lie in the plane.

4. The neck against the trunk, seen obliquely (``NECK_VIEWS``: 30-70° from in front). The neck's flexion
   is the neck line against the trunk line, and both lie in the sagittal plane (the head's side bend and
   rotation, the part across it, are not measured from these views: ``UNMEASURED_VIEWS``). Their relation
   is read with both lines taken in the plane from the picture (``neck_in_sagittal_plane``); the trunk's
   own angles keep their depth (2. takes the trunk in the plane only with the hips guessed). Taking only
   the neck line in the plane, against MediaPipe's trunk, lost (below): the relation needs both lines the
   same way. Measured (2026-11-30; neck with the trunk upright and over every frame, after each clip's
   first-second offset): bodyA/B/C_45 2.8 / 3.2 / 3.2° -> 2.4 / 1.7 / 2.2° (5.2 / 5.4 / 4.5 -> 3.9 / 2.5 /
   2.5°), the passer-by 2.8 -> 2.8° (5.3 -> 4.1°), the turning worker 5.7 -> 3.3° (6.3 -> 4.3°), the
   sideways raises at 45° 3.9 -> 1.5° (3.6 -> 1.4°); behind the bench 6.5 -> 6.6° (6.2 -> 6.3°). With the
   product's one neutral offset (13°) instead of each clip's own, the 45° clips' neck over every frame
   7.2 / 8.9 / 4.5 -> 4.0 / 2.6 / 3.6°: MediaPipe's neutral head read 8° there and 14-17° from the side
   and in front, the picture's 13-16°. It is picture geometry, so a body fit's skeleton (``processor.body_fit``),
   whose x and y follow the picture too, gets it as well: bodyB_45's neck with the synthetic SMPL-X model
   6.3 -> 3.5° (the landmarks' 5.1 -> 2.5°; MAE after each reading's median offset).
   Behind-obliquely (110-150°) it measured worse (bodyA_rear with the
   trunk upright 3.8 -> 4.7°, bodyB_rear over every frame 9.9 -> 10.9°), and from the side and in front
   there is nothing to gain (the picture shows the neck whole, or not at all).

Why the trunk only where the hips are guessed. On the oblique clips with the legs seen, both lines in the plane
in every frame (30-150°) were no better overall than MediaPipe's depth: trunk MAE bodyA / B / C_45,
passer-by 3.6 / 4.6 / 2.6 / 3.8° -> 3.4 / 3.6 / 4.0 / 3.4°, at 150° (bodyA_rear) 4.5 -> 5.1° with 2.3 -> 11.1 %
of the time in another zone; the neck (all frames) gained (5.2 / 5.4 / 4.5 / 5.3 -> 3.9 / 2.5 / 2.5 /
4.1°), which 4. keeps without moving the trunk; the neck line alone in the plane, against MediaPipe's
trunk, lost (with the trunk upright 2.8 / 3.2 / 3.2 / 2.8 -> 5.0 / 4.4 / 4.7 / 4.3°). Where the hips are
seen, so is the depth of the trunk against them; with the hips guessed, the picture is the only reading
left that does not rest on them.
"""

from __future__ import annotations

import numpy as np

from processor.accuracy import views
from processor.cleaning import MIN_CONFIDENCE, UNMEASURED_VIEWS
from processor.hidden_hips import WINDOW_S, running_median
from processor.model import LANDMARKS
from processor.trunk_depth import UPPER_BODY, camera_azimuth, neck_line, trunk_line, unit
from processor.trunk_depth import dot as _dot

L = LANDMARKS
# step 2: the views (processor.accuracy) where neither the trunk's nor the head's side parts are measured
# (processor.cleaning): the oblique ones, in front and behind; there the trunk and neck lines of the frames
# with the hips guessed are taken in the sagittal plane (from the side the picture shows the flexion whole)
TRUNK_VIEWS = UNMEASURED_VIEWS["head_side_bend_deg"]
assert set(TRUNK_VIEWS) <= set(UNMEASURED_VIEWS["trunk_side_bend_deg"])
assert set(TRUNK_VIEWS) == set(UNMEASURED_VIEWS["head_rotation_deg"])
FACE = np.arange(11)  # landmarks 0-10: nose, eyes, ears, mouth: they move with the neck line
# step 3, the upper arms: the views where an arm's forward part shows across the picture (not in front or
# behind); the person's upper-arm length in the picture, a high percentile of its picture length over
# those frames (the arm lies in the picture plane at least that often: hanging from the side, reaching
# forward); the share of its in-plane picture length an arm must show to be taken as lying in the plane
# (cos 25°: an arm turned further out of it, sideways or across the body, keeps MediaPipe's depth)
ARM_VIEWS = ("oblique", "side", "rear_oblique")
ARM_LENGTH_PERCENTILE = 90.0
ARM_WHOLE_SHARE = 0.9
ARM_REFERENCE_MIN_FRAMES = 5
# the forearm and the hand move with the elbow (MediaPipe's wrist, pinky, index and thumb points)
ARM_BELOW_ELBOW = {side: [LANDMARKS[f"{side}_wrist"], *(range(17, 23, 2) if side == "left" else range(18, 23, 2))]
                   for side in ("left", "right")}
# step 4, the neck against the trunk: only the oblique views in front (not from behind, not from the side)
NECK_VIEWS = ("oblique",)


def _horizontal_basis(up: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(e1, e2), each (N, 3): an orthonormal basis of the plane across ``up``; e1 the camera's x made level."""
    x = np.broadcast_to(np.array([1.0, 0.0, 0.0]), up.shape)
    e1 = unit(x - _dot(x, up)[:, None] * up)
    return e1, np.cross(up, e1)


def steady_facing(
    right: np.ndarray, forward: np.ndarray, up: np.ndarray, time_s: np.ndarray, guessed: np.ndarray
) -> tuple[np.ndarray, np.ndarray, dict]:
    """(R, F, info): the facing of the frames in ``guessed`` replaced by its running median (step 1).

    ``right``/``forward``/``up``: (N, 3) unit vectors of ``processor.angles`` (F = U × R, R = F × U).
    """
    guessed = np.asarray(guessed, dtype=bool)
    info: dict = {"frames": int(guessed.sum())}
    if not guessed.any():
        info["method"] = "not needed (the legs are seen in every frame)"
        return right, forward, info
    e1, e2 = _horizontal_basis(up)
    angle = np.arctan2(_dot(forward, e2), _dot(forward, e1))
    t = np.asarray(time_s, dtype=np.float64)
    ok = np.isfinite(angle)
    order = np.flatnonzero(ok)[np.argsort(t[ok], kind="stable")]
    unwrapped = np.full(len(angle), np.nan)
    unwrapped[order] = np.unwrap(angle[order])  # in time order, so a worker turning around stays continuous
    steady = running_median(unwrapped[:, None], t)[:, 0]
    use = guessed & np.isfinite(steady)
    F = np.array(forward, dtype=np.float64, copy=True)
    F[use] = np.cos(steady[use])[:, None] * e1[use] + np.sin(steady[use])[:, None] * e2[use]
    R = np.array(right, dtype=np.float64, copy=True)
    R[use] = np.cross(F[use], up[use])
    turned = np.degrees(np.abs(np.angle(np.exp(1j * (steady[use] - angle[use]))))) if use.any() else np.zeros(0)
    info.update(
        method=f"the facing in the frames with the legs hidden: its running median over {WINDOW_S:g} s",
        frames=int(use.sum()),
        largest_turn_deg=round(float(turned.max()), 1) if len(turned) else 0.0,
    )
    return R, F, info


def _in_plane_depth(segment: np.ndarray, forward: np.ndarray, up: np.ndarray) -> np.ndarray:
    """(N,): the depth a segment's picture (x, y) gives it within the plane spanned by ``forward`` and ``up``."""
    det = forward[:, 0] * up[:, 1] - forward[:, 1] * up[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        a = (segment[:, 0] * up[:, 1] - segment[:, 1] * up[:, 0]) / det
        c = (forward[:, 0] * segment[:, 1] - forward[:, 1] * segment[:, 0]) / det
    return a * forward[:, 2] + c * up[:, 2]


def sagittal_depth(
    world: np.ndarray, up: np.ndarray, forward: np.ndarray, right: np.ndarray, hips_guessed: np.ndarray
) -> tuple[np.ndarray, dict]:
    """The skeleton with the trunk and neck lines of the frames with the hips guessed, seen from the
    ``TRUNK_VIEWS``, put in the sagittal plane (step 2). ``world`` (N, 33, 3) hip-centred, camera axes;
    ``up``/``forward``/``right`` (N, 3). Returns a copy and what was done."""
    w = np.array(world, dtype=np.float64, copy=True)
    view = views(camera_azimuth(right, forward, up))
    trunk = np.asarray(hips_guessed, dtype=bool) & np.isin(view, TRUNK_VIEWS)
    T = trunk_line(w)
    shift = _in_plane_depth(T, forward, up) - T[:, 2]
    ok = trunk & np.isfinite(shift)
    w[np.ix_(ok, UPPER_BODY, [2])] += shift[ok, None, None]
    N = neck_line(w)
    neck_shift = _in_plane_depth(N, forward, up) - N[:, 2]
    nok = ok & np.isfinite(neck_shift)
    w[np.ix_(nok, FACE, [2])] += neck_shift[nok, None, None]
    if not ok.any():
        return w, {"method": "not used (no frame with the legs hidden is seen obliquely)", "frames": 0}
    return w, {
        "method": "the trunk and neck lines of the frames with the legs hidden, seen obliquely, "
        "in the sagittal plane of the steadied facing (processor.sagittal)",
        "frames": int(ok.sum()),
    }


def arms_in_sagittal_plane(
    world: np.ndarray, up: np.ndarray, forward: np.ndarray, right: np.ndarray, visibility: np.ndarray
) -> tuple[np.ndarray, dict]:
    """Seen from the side or obliquely, each upper arm whose picture shows it whole for the sagittal
    plane is taken in that plane, its depth from the picture (step 3). ``world`` (N, 33, 3) hip-centred,
    camera axes; ``up``/``forward``/``right`` (N, 3); ``visibility`` (N, 33). Returns a copy and what was done."""
    w = np.array(world, dtype=np.float64, copy=True)
    vis = np.asarray(visibility, dtype=np.float64)
    use = np.isin(views(camera_azimuth(right, forward, up)), ARM_VIEWS)
    info: dict = {}
    for side in ("left", "right"):
        sh, el = L[f"{side}_shoulder"], L[f"{side}_elbow"]
        seg = w[:, el] - w[:, sh]
        picture = np.hypot(seg[:, 0], seg[:, 1])
        with np.errstate(invalid="ignore"):
            seen = use & (np.minimum(vis[:, sh], vis[:, el]) >= MIN_CONFIDENCE) & np.isfinite(picture)
        if seen.sum() < ARM_REFERENCE_MIN_FRAMES:
            info[f"{side}_frames"] = 0
            continue
        length = float(np.percentile(picture[seen], ARM_LENGTH_PERCENTILE))
        depth = _in_plane_depth(seg, forward, up)
        in_plane = unit(np.stack([seg[:, 0], seg[:, 1], depth], axis=1))
        with np.errstate(invalid="ignore"):
            # the picture shows the arm as long as it would be in the plane (else it points out of it)
            ok = use & np.isfinite(depth) & (picture >= ARM_WHOLE_SHARE * length * np.hypot(in_plane[:, 0], in_plane[:, 1]))
        shift = depth - seg[:, 2]
        w[np.ix_(ok, [el, *ARM_BELOW_ELBOW[side]], [2])] += shift[ok, None, None]
        info[f"{side}_frames"] = int(ok.sum())
        info[f"{side}_length_m"] = round(length, 4)
    info["method"] = (
        "each upper arm seen from the side or obliquely whose picture shows it whole for the sagittal plane "
        "taken in that plane (processor.sagittal)"
        if info.get("left_frames") or info.get("right_frames")
        else "not used (no upper arm seen from the side or obliquely lies in the sagittal plane)"
    )
    return w, info


def neck_in_sagittal_plane(
    world: np.ndarray, up: np.ndarray, forward: np.ndarray, right: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(neck flexion, head inclination, frames): seen obliquely (``NECK_VIEWS``), the neck line against the
    trunk line with both taken in the sagittal plane, their depth from the picture (step 4; degrees, the
    definitions of ``processor.angles``). The trunk's own angles keep their depth; only this relation
    between the two lines is read from the picture."""
    w = np.asarray(world, dtype=np.float64)
    use = np.isin(views(camera_azimuth(right, forward, up)), NECK_VIEWS)
    lines = []
    for line in (trunk_line(w), neck_line(w)):
        in_plane = line.copy()
        in_plane[:, 2] = _in_plane_depth(line, forward, up)
        lines.append(in_plane)
    T, N = lines
    Th = unit(T)
    Ft = unit(np.cross(Th, right))
    neck = np.degrees(np.arctan2(_dot(N, Ft), _dot(N, Th)))
    head = np.degrees(np.arctan2(_dot(N, forward), _dot(N, up)))
    return neck, head, use & np.isfinite(neck) & np.isfinite(head)
