"""Per-frame posture angles (degrees) from 3D landmarks: the table whose columns are ``ANGLE_COLUMNS``.

Axes (all unit vectors, per frame):
- ``U`` gravity vertical, pointing up (see "The vertical" below);
- ``R`` the subject's right: the horizontal component of left hip -> right hip;
- ``F = U × R`` forward, horizontal, the way the pelvis faces;
- ``T`` the trunk line, mid-hip -> mid-shoulder; for MediaPipe landmarks its depth is first bounded by the
  person's trunk length and the trunk's extension range, and seen from behind (in front only where it
  brings the trunk nearer the picture plane) fused with the picture's foreshortening against the person's
  upright proportion (``processor.trunk_depth``). Where the legs are
  hidden (a bench), the guessed mid-hip's picture position is steadied over time first
  (``processor.hidden_hips``), and so is the facing (R, F) that rests on the guessed hip line; seen
  obliquely, those frames' trunk and neck lines are then taken in the sagittal plane, their depth from
  the picture (``processor.sagittal``). Frames seen from behind whose tracked trunk was impossibly short have
  already been read again in the pose step (``processor.reread``). Seen from behind, the neck line's depth
  (mid-shoulder -> mid-ear) is fused with its picture's foreshortening the same way, where the head shows
  above the shoulders (``processor.neck_depth``).

Angles:
- ``trunk_flexion_deg = atan2(T·F, T·U)``: + forward, − backward (extension); keeps counting past 90°.
- ``trunk_side_bend_deg = asin(T̂·R)``: + toward the subject's right. ``atan2(T·R, T·U)`` (the issue's
  first formula) is equal for small angles but becomes unstable and flips once the trunk bends forward
  past ~60–90° (T·U → 0 or negative), so the arcsine form is used throughout.
- ``trunk_twist_deg``: the shoulder line (left -> right shoulder) against the hip line, both projected
  on the horizontal plane, signed about ``U``: + = shoulders turned toward the subject's left. Against
  the hip line as read, also where the hips are guessed and the facing is steadied (``processor.sagittal``):
  MediaPipe turns the shoulders' depth with its guessed hips, so against a steadied pelvis the twist
  behind the 45° bench read 13.2° off instead of 5.1° (``processor.hidden_hips``).
- ``neck_flexion_deg``: N = mid-shoulder -> mid-ear, in the trunk's sagittal plane, whose forward axis is
  ``T̂ × R`` (stays correct when the trunk is flexed past 90°, unlike a projection on F):
  ``atan2(N·(T̂×R), N·T̂)``, + head forward. An upright person reads ~7–20° here (MediaPipe's ears
  sit in front of its shoulder points); ``remove_neutral_offsets`` shifts it so 0° is neutral. Seen
  obliquely, N and T are both taken in the sagittal plane from the picture for this angle and the head
  inclination (``processor.sagittal``, 4.).
- ``head_inclination_deg = atan2(N·F, N·U)``: the same line against the vertical.
- ``upper_arm_elevation_*_deg``: 3D angle between shoulder -> elbow and the downward vertical
  (0 hanging, 90 horizontal, 180 overhead), whatever the direction (flexion or abduction).
  The elbow's depth is MediaPipe's, except seen from the side or obliquely where the arm's picture shows
  it lying in the sagittal plane: there its depth comes from the picture (``processor.sagittal``, 3.);
  seen from in front, from its foreshortening against the person's hanging arm where that brings it
  nearer the picture plane (``processor.arm_depth``).
  Tried and dropped (2026-11-29): the upper arm's depth from its
  foreshortening against the person's own arm length (a rigid bone; measured in the frames where the
  arm lies near the picture plane, fused with MediaPipe's depth as the trunk's is from behind). Near-arm
  MAE got better only in front (13.5 -> 12.9°, bodyA_front) and worse from the side (5.6 -> 8.3°) and
  at 45° (6.5 -> 7.1°): the 2D elbow keypoint itself is off under foreshortening (a 60° forward raise
  seen from in front showed 84 % of the arm's picture length where the truth is ~50 %, and a hanging
  arm beside a trunk bent 73° showed 77 %), so the picture cannot correct the depth there.
  Nor can the camera's pitch (2026-11-29, hanging arms, segment angle out of the picture plane, + lower
  end farther): MediaPipe's depth follows the pitch for some segments and not for others, differently
  per camera. Camera 25° down (truth +25° for every vertical segment): thighs and shanks +10 to +34°,
  trunk 17-21°, near arm −1°. Camera 15° up (truth −15°): legs −8 to +3°, near arm −10 to −15°. No one
  rotation makes the near arm right on both (MAE 18.2 and 12.0°).
  Tried again the same day as the neck is done (``processor.neck_depth``): only in front and from behind,
  the arm's picture length over the hip width against the hanging arms of the upright frames, fused
  with MediaPipe's. Near arm in front 13.5 / 12.8 / 10.1 / 14.3° (bodyA/B/C_front, the work cycle) ->
  9.7 / 9.1 / 7.7 / 10.4°, but from behind 9.7 / 7.2 / 9.0° (bodyB/C_rear, the work cycle) -> 10.4 / 8.8 /
  11.2°: the gain in front came with perspective (a trunk leaning toward the camera brings the shoulders
  nearer, so the arm looks longer against the hips), which from behind works the other way (arms hanging
  beside a trunk bent 15-60° read 23° instead of 7°). Against the shoulder width, at the arm's depth: in
  front 12.8 / 12.9 / 11.2 / 13.6°, from behind 10.9 / 7.5 / 9.5°, no gain. In front only and one way
  only (taken where it brings the arm nearer the picture plane, against the person's hanging arms) it is
  used: ``processor.arm_depth`` (2026-11-30).
- ``upper_arm_to_trunk_*_deg``: shoulder -> elbow against the downward trunk line (−T).
- ``elbow_flexion_*_deg``, ``knee_flexion_*_deg``: 0 = straight. The elbow on the arm as read, before
  ``processor.sagittal`` turns the upper arm.
- ``head_side_bend_deg`` (NV 361 "úklon hlavy"): E = left ear -> right ear, S = the shoulder line, in the
  trunk's frontal plane (spanned by T̂ and S): ``asin(Ŝ·T̂) − asin(Ê·T̂)``, + = head tilted toward the
  subject's right (right ear down), 0 when the ear line is parallel to the shoulder line. The angle of
  each line out of the plane normal to T̂ is unchanged by a head rotation about T̂, so a turned head does
  not inflate it (an in-plane atan2 of the projected ear line would, like the trunk side bend above);
  for lines in the frontal plane it is the angle between them. Relative to the shoulder line, not to
  T̂ alone: on the rendered clips the T̂-only form read 7–12° for a neutral head in side and 45° views.
- ``head_rotation_deg`` (NV 361 "rotace hlavy"): E and S projected on the plane normal to T̂, the signed
  angle from S to E about T̂; + = face turned toward the subject's left (right ear forward), as
  ``trunk_twist_deg``. Ears only: MediaPipe labels the left and right ear, so the sign needs no helper.
  The nose direction against T̂ × S gives the same angle on an exact skeleton; on the six rendered clips
  (true rotation 0) its 95th percentile |error| was 4–5° in front views but 13–15° in side views and
  23–39° at 45° (ears: 13–14°, 7–9°, 23–25°), and the mean of the two was no better than the ears alone
  in side views, so the nose is not used.
- ``upper_arm_extension_*_deg`` (NV 361 "zapažení"): ``asin(â·(−Ft))``, â = shoulder -> elbow, Ft the
  trunk's forward axis (T̂ × R, as for the neck): how far the upper arm points behind the trunk's frontal
  plane. + behind, − in front (a forward elevation reads negative), 0 hanging along the trunk or
  abducted purely sideways. The frontal plane is the pelvis's (R, as for the neck), so with the
  shoulders turned by τ against the hips an arm held out sideways reads about ±τ (turned to the left:
  left arm +τ, right arm −τ).
- ``hip_height_ratio``: (mid-hip − the lower ankle)·U over the frame's leg length (mean of the left and
  right thigh + shank 3D lengths, so the person's size and distance cancel): ~1 standing, ~0.5 kneeling
  upright or sitting on a chair, ~0.3–0.45 deep squat, ~0–0.3 lying (NV 361 "vkleče, v dřepu, vleže").
- ``knee_height_ratio``: the lower knee's height above the lower ankle along U, same leg length: ~0.5
  standing or sitting, ~0 with a knee on the floor; with the hip ratio it tells kneeling from sitting.
  Heights need the vertical U (below): a wrong vertical tilts them.
  One camera: depth (along the camera axis) is MediaPipe's weakest coordinate, so head rotation (the ears
  move in depth when the camera faces the person) and arm extension (the arm swings in depth in a front
  view) are weak where the motion is along the camera axis; both head angles are also weak at 45°, where
  one ear is hidden. On the six rendered clips (no head tilt or turn, no arm behind the body), cleaned,
  95th percentile |value|: head side bend 8–10° in side and front views, 16–18° at 45° (medians −3.2 to
  +0.3°); head rotation as above (medians −10 to −12° at 45°); arm extension read at most +14° "behind"
  in front views, at most +3° in side and 45° views. Standing: hip ratio 0.94–1.16, knee ratio 0.43–0.57.
- ``camera_azimuth_deg``: where the camera stands around the person, from the pelvis's facing direction:
  0 = in front, +90 = at the subject's left, −90 at the right, ±180 behind (the direction from the
  pelvis to the camera, projected on the horizontal). It picks the typical measurement error of the view
  (``processor.accuracy``); it is not smoothed (it wraps at ±180°).
- ``confidence_*``: mean MediaPipe visibility of the landmarks each part uses (0..1); for an arm the
  lower of the shoulder's and the elbow's (the upper arm's direction needs both ends seen).

Left and right are the subject's anatomical sides: MediaPipe's ``left_*`` landmarks are the subject's
left (checked against rendered people whose left arm alone is raised; the original tool swapped them).
Frames where MediaPipe took a person seen from behind for one seen from in front (or the reverse),
which exchanges left and right, are turned back first (``processor.facing``: the facing direction
cannot turn faster than a person turns).

The vertical. MediaPipe's world landmarks are in camera-aligned axes (x right, y down, z away from the
camera), so a camera pitched down makes an upright person look tilted. ``U`` is chosen as:
1. ``camera_pitch_deg`` given (camera looking down by that many degrees, + down): U is the camera's
   "up" (−y) turned by the pitch about the camera's x axis: ``U = (0, −cos p, −sin p)``.
2. Otherwise the video is checked for a tilted camera: in frames where the person stands upright (both
   knees straighter than 20°, trunk within 25° of the leg line) the mid-ankle -> mid-hip lines
   are averaged (normalised mean). If that standing vertical leans 15° or more from the camera's
   vertical (at least 10 such frames and 10 % of the detected frames, and at most 40°), it is used as U:
   a camera clearly pitched or rolled, e.g. mounted high and looking down. Below 15° the camera is taken
   as level (U = −y): on the rendered test people (camera pitched 5° down) the standing legs lean
   6–11° (MediaPipe's depth of the legs is never quite right), so the estimate was worse than the level
   assumption (trunk-flexion MAE side view 2.5/4.6° with the estimate vs 1.9/2.5° level). Without
   enough standing frames the camera is taken as level.
   Even the true pitch is no better than the level assumption for a camera pitched a few degrees
   (``bench/skeleton_accuracy.py``, "pitch given", 2026-11-30; the rendered clips, camera 5° down):
   MediaPipe's depth leans with the camera's pitch for some segments, people and views and not for
   others, so turning the vertical by the pitch moves what already leaned. Trunk MAE in front (bodyA/B/C)
   7.0 / 4.8 / 4.9° -> 8.8 / 4.1 / 7.6° (the upright frames' bias −1.4 / +5.1 / −3.5° -> −6.5 / +0.2 /
   −8.7°; before the trunk's one-way foreshortening in front, ``processor.trunk_depth`` 3., 6.9 / 6.2 /
   5.4° -> 7.9 / 4.4 / 7.3°), from behind 4.5 / 4.1 / 3.5° -> 2.6 / 6.1 / 6.0° (bodyA_rear, bodyB/C_rear);
   the near arm from the side 5.6 / 6.4 / 5.0° -> 8.8 / 9.8 / 8.6° (with its depth from the picture, ``processor.sagittal``:
   3.6 / 4.7 / 2.2° -> 3.7 / 5.9 / 2.7°), in front 13.5 / 12.8 / 10.1° -> 9.6 / 8.6 / 7.3° (with the
   arm's foreshortening in front, ``processor.arm_depth``: 10.6 / 8.8 / 7.3° -> 7.3 / 5.5 / 4.9°). No one
   vertical serves every segment, and a frontal picture does not show the pitch anyway. A
   ``camera_pitch_deg`` override therefore pays only for a clearly tilted camera, where 2. finds the tilt
   too (15° up: near arm 5.9 -> 5.1°, trunk 1.9 -> 2.3°; 25° down: 3.4 -> 3.0°, 1.6 -> 1.5°).
Only frames whose hips, knees and ankles are all seen (visibility ≥ 0.5) count as standing frames: legs
hidden behind a bench or a machine are guessed by the network, and a guessed leg must not set the
vertical of the whole video (the trunk and arms are still measured; the legs' confidence marks them).
The choice is recorded in ``df.attrs["vertical"]``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from processor.model import ANGLE_COLUMNS, LANDMARKS, PoseSequence
from processor.arm_depth import arms_from_the_front
from processor.facing import resolve_mirror_readings
from processor.hidden_hips import legs_guessed, steady_hidden_hips
from processor.neck_depth import correct_neck_depth
from processor.sagittal import arms_in_sagittal_plane, neck_in_sagittal_plane, sagittal_depth, steady_facing
from processor.trunk_depth import angle_between as _angle
from processor.trunk_depth import camera_azimuth, correct_trunk_depth, midpoint, neck_line, trunk_line, unit
from processor.trunk_depth import dot as _dot

L = LANDMARKS
CAMERA_UP = np.array([0.0, -1.0, 0.0])
STANDING_KNEE_MAX_DEG = 20.0
STANDING_TRUNK_MAX_DEG = 25.0
VERTICAL_MIN_FRAMES = 10
VERTICAL_MIN_SHARE = 0.10
VERTICAL_MAX_TILT_DEG = 40.0
VERTICAL_APPLY_MIN_DEG = 15.0
LEGS_SEEN_MIN = 0.5  # the visibility every leg landmark needs for a frame to help find the vertical

# Neck flexion and head inclination that MediaPipe landmarks read for a neutral, upright head: the
# medians over the six rendered clips' first second of (measured − truth): neck 7–20°, head 12–16°,
# on the image-anchored skeleton (processor.anchoring).
# Without this shift an upright worker would sit near the 25° limit of the neck zones.
MEDIAPIPE_NEUTRAL_OFFSETS_DEG = {"neck_flexion_deg": 13.0, "head_inclination_deg": 14.0}


def _tilt_from_plane(v: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """Signed angle of v out of the plane with the unit ``normal``, degrees (+ toward the normal)."""
    return np.degrees(np.arcsin(np.clip(_dot(unit(v), normal), -1.0, 1.0)))


def _project_out(v: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """v without its component along the unit ``axis``."""
    return v - _dot(v, axis)[..., None] * axis


def _signed_about(a: np.ndarray, b: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Angle from a to b (both perpendicular to the unit ``axis``), signed about it (right hand), degrees."""
    return np.degrees(np.arctan2(_dot(np.cross(a, b), axis), _dot(a, b)))


def pelvis_axes(world: np.ndarray, up: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(R, F), each (N, 3): the subject's right (the left -> right hip line's part across the vertical
    ``up``, unit) and forward ``F = U × R``."""
    U = np.broadcast_to(up, (len(world), 3))
    hip_line = world[:, L["right_hip"]] - world[:, L["left_hip"]]
    R = unit(hip_line - _dot(hip_line, U)[:, None] * U)
    return R, np.cross(U, R)


def vertical_from_pitch(camera_pitch_deg: float) -> np.ndarray:
    p = np.radians(camera_pitch_deg)
    return np.array([0.0, -np.cos(p), -np.sin(p)])


def estimate_vertical(world: np.ndarray, visibility: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """Gravity "up" in the landmarks' axes from the standing frames, see the module docstring.

    With ``visibility``, only frames whose hips, knees and ankles are all seen (visibility ≥
    ``LEGS_SEEN_MIN``) count as standing frames: legs hidden behind a bench are guessed by the pose
    network, and a guessed leg must not set the vertical for the whole video."""
    w = world.astype(np.float64)
    legs = midpoint(w, "left_hip", "right_hip") - midpoint(w, "left_ankle", "right_ankle")
    trunk = trunk_line(w)
    knee_l = _angle(w[:, L["left_knee"]] - w[:, L["left_hip"]], w[:, L["left_ankle"]] - w[:, L["left_knee"]])
    knee_r = _angle(w[:, L["right_knee"]] - w[:, L["right_hip"]], w[:, L["right_ankle"]] - w[:, L["right_knee"]])
    with np.errstate(invalid="ignore"):
        standing = (
            (knee_l < STANDING_KNEE_MAX_DEG)
            & (knee_r < STANDING_KNEE_MAX_DEG)
            & (_angle(trunk, legs) < STANDING_TRUNK_MAX_DEG)
        )
    if visibility is not None:
        leg_points = [L[f"{s}_{j}"] for s in ("left", "right") for j in ("hip", "knee", "ankle")]
        standing &= np.asarray(visibility, dtype=np.float64)[:, leg_points].min(axis=1) >= LEGS_SEEN_MIN
    detected = int(np.isfinite(w[:, 0, 0]).sum())
    n = int(standing.sum())
    info: dict = {"method": "camera level (no standing frames to estimate from)", "standing_frames": n}
    if n < VERTICAL_MIN_FRAMES or n < VERTICAL_MIN_SHARE * max(detected, 1):
        return CAMERA_UP.copy(), info
    up = unit(unit(legs[standing]).mean(axis=0))
    tilt = float(_angle(up, CAMERA_UP))
    if not np.all(np.isfinite(up)) or tilt > VERTICAL_MAX_TILT_DEG:
        info["method"] = f"camera level (estimate {tilt:.0f}° off the camera's vertical was rejected)"
        return CAMERA_UP.copy(), info
    if tilt < VERTICAL_APPLY_MIN_DEG:
        info.update(method=f"camera level (standing legs lean {tilt:.0f}°, below the {VERTICAL_APPLY_MIN_DEG:.0f}° threshold)", tilt_deg=round(tilt, 2))
        return CAMERA_UP.copy(), info
    info.update(
        method="estimated from standing frames (mid-ankle to mid-hip)",
        tilt_deg=round(tilt, 2),
        camera_pitch_deg=round(float(np.degrees(np.arctan2(-up[2], -up[1]))), 2),
    )
    return up, info


def compute_angles(
    pose: PoseSequence, camera_pitch_deg: float | None = None, trunk_depth: bool = True, hidden_hips: bool = True,
    neck_depth: bool = True, sagittal: bool = True, arms_sagittal: bool = True, neck_sagittal: bool = True,
    arms_front: bool = True,
) -> pd.DataFrame:
    """The per-frame angle table (``ANGLE_COLUMNS``); NaN where no person was found.

    ``trunk_depth``: correct the trunk line's depth (``processor.trunk_depth``) for MediaPipe landmarks;
    ``neck_depth``: with it, the neck line's depth seen from behind (``processor.neck_depth``);
    ``hidden_hips``: steady the guessed hips of the frames whose legs are hidden
    (``processor.hidden_hips``); False gives the skeleton without that step (the accuracy benchmark
    compares both).
    """
    w = np.asarray(pose.world, dtype=np.float64)
    vis = np.asarray(pose.visibility, dtype=np.float64)
    finfo: dict = {"frames_mirrored": 0}
    hinfo: dict = {"method": "not used"}
    if pose.source == "mediapipe" and hidden_hips and pose.video is not None:
        # the hips of frames whose legs are hidden are the network's guesses, and they jump: their picture
        # position is steadied over time before anything is measured against them (processor.hidden_hips)
        w, hinfo = steady_hidden_hips(w, pose.image, vis, pose.time_s, pose.video.width, pose.video.height)
    if pose.source == "mediapipe":
        # frames MediaPipe read as the mirror image (from behind taken for in front: left and right
        # exchanged) are turned back where the facing direction would otherwise turn faster than a
        # person can (processor.facing)
        w, vis, finfo = resolve_mirror_readings(w, vis, pose.time_s)
    if camera_pitch_deg is not None:
        up = vertical_from_pitch(camera_pitch_deg)
        vinfo = {"method": "camera pitch given", "camera_pitch_deg": float(camera_pitch_deg)}
    else:
        up, vinfo = estimate_vertical(w, vis)
    U = np.broadcast_to(up, (len(w), 3))

    def p(name: str) -> np.ndarray:
        return w[:, L[name]]

    # R and F come from the hips, which the trunk-depth correction leaves where they are
    R, F = pelvis_axes(w, up)
    R_read = R  # the hip line as read: the twist is measured against it (processor.sagittal)
    guessed = legs_guessed(vis)
    dinfo: dict = {"method": "not corrected"}
    ninfo: dict = {"method": "not corrected"}
    finfo_s: dict = {"method": "not used"}
    sinfo: dict = {"method": "not used"}
    ainfo: dict = {"method": "not used"}
    if pose.source == "mediapipe" and sagittal:
        # the facing of the frames whose hips are guessed, steadied over time (processor.sagittal)
        R, F, finfo_s = steady_facing(R, F, U, pose.time_s, guessed)
    if trunk_depth and pose.source == "mediapipe":
        # the trunk line's depth from MediaPipe, bounded by the trunk's length and extension range;
        # shoulders, head and arms move with it (processor.trunk_depth)
        # frames whose hips are guessed (legs hidden) also get the depth capped by the trunk's length
        w, dinfo = correct_trunk_depth(w, U, F, hips_guessed=guessed)
        if sagittal:  # hips guessed, seen obliquely: trunk and neck in the sagittal plane (processor.sagittal)
            w, sinfo = sagittal_depth(w, U, F, R, guessed)
        if neck_depth:  # seen from behind, the neck line's depth from its foreshortening too (processor.neck_depth)
            w, ninfo = correct_neck_depth(w, U, F, R, MEDIAPIPE_NEUTRAL_OFFSETS_DEG["neck_flexion_deg"])
    w_arms_read = w  # the elbow angle is measured on the arm as read (processor.sagittal, step 3)
    if arms_sagittal and pose.source == "mediapipe":
        # seen from the side or obliquely, upper arms that lie in the sagittal plane: depth from the picture
        w, ainfo = arms_in_sagittal_plane(w, U, F, R, vis)
    arinfo: dict = {}
    if arms_front and pose.source == "mediapipe":
        # seen from in front, each upper arm's depth from its foreshortening, one way (processor.arm_depth)
        w, arinfo = arms_from_the_front(w, U, F, vis)

    mid_hip = midpoint(w, "left_hip", "right_hip")
    T = trunk_line(w)
    Th = unit(T)

    trunk_flexion = np.degrees(np.arctan2(_dot(T, F), _dot(T, U)))
    azimuth = camera_azimuth(R, F, U)
    trunk_side = np.degrees(np.arcsin(np.clip(_dot(Th, R), -1.0, 1.0)))

    sh_line = p("right_shoulder") - p("left_shoulder")
    sh_h = sh_line - _dot(sh_line, U)[:, None] * U
    twist = np.degrees(np.arctan2(_dot(np.cross(R_read, sh_h), U), _dot(R_read, sh_h)))

    N = neck_line(w)
    Ft = unit(np.cross(Th, R))
    neck = np.degrees(np.arctan2(_dot(N, Ft), _dot(N, Th)))
    head = np.degrees(np.arctan2(_dot(N, F), _dot(N, U)))
    neck_plane_frames = 0
    if neck_sagittal:
        # seen obliquely, the neck against the trunk with both lines in the sagittal plane (processor.sagittal,
        # 4.): picture geometry, so a body fit's skeleton, whose x and y follow the picture too, gets it as well
        neck_s, head_s, in_plane = neck_in_sagittal_plane(w, U, F, R)
        neck, head = np.where(in_plane, neck_s, neck), np.where(in_plane, head_s, head)
        neck_plane_frames = int(in_plane.sum())

    # head against the trunk: the ear line against the shoulder line (see the module docstring)
    ear_line = p("right_ear") - p("left_ear")
    head_side = _tilt_from_plane(sh_line, Th) - _tilt_from_plane(ear_line, Th)
    head_rot = _signed_about(_project_out(sh_line, Th), _project_out(ear_line, Th), Th)

    cols: dict[str, np.ndarray] = {
        "time_s": np.asarray(pose.time_s, dtype=np.float64),
        "trunk_flexion_deg": trunk_flexion,
        "trunk_side_bend_deg": trunk_side,
        "trunk_twist_deg": twist,
        "neck_flexion_deg": neck,
        "head_inclination_deg": head,
        "head_side_bend_deg": head_side,
        "head_rotation_deg": head_rot,
    }
    for side in ("left", "right"):
        arm = p(f"{side}_elbow") - p(f"{side}_shoulder")
        thigh = p(f"{side}_knee") - p(f"{side}_hip")
        shank = p(f"{side}_ankle") - p(f"{side}_knee")
        cols[f"upper_arm_elevation_{side}_deg"] = _angle(arm, -U)
        cols[f"upper_arm_to_trunk_{side}_deg"] = _angle(arm, -T)
        # the bend within the arm as MediaPipe read it (processor.sagittal, step 3, turns the upper arm only)
        read = {j: w_arms_read[:, L[f"{side}_{j}"]] for j in ("shoulder", "elbow", "wrist")}
        cols[f"elbow_flexion_{side}_deg"] = _angle(read["elbow"] - read["shoulder"], read["wrist"] - read["elbow"])
        cols[f"knee_flexion_{side}_deg"] = _angle(thigh, shank)
        cols[f"upper_arm_extension_{side}_deg"] = _tilt_from_plane(arm, -Ft)

    # heights along U above the lower ankle, over the frame's leg length (thigh + shank, mean of sides)
    def leg(side: str) -> np.ndarray:
        return np.linalg.norm(p(f"{side}_knee") - p(f"{side}_hip"), axis=-1) + np.linalg.norm(
            p(f"{side}_ankle") - p(f"{side}_knee"), axis=-1
        )

    leg_len = (leg("left") + leg("right")) / 2.0
    floor = np.minimum(_dot(p("left_ankle"), U), _dot(p("right_ankle"), U))
    knee_low = np.minimum(_dot(p("left_knee"), U), _dot(p("right_knee"), U))
    with np.errstate(invalid="ignore", divide="ignore"):
        cols["hip_height_ratio"] = (_dot(mid_hip, U) - floor) / leg_len
        cols["knee_height_ratio"] = (knee_low - floor) / leg_len

    def conf(*names: str) -> np.ndarray:
        return vis[:, [L[n] for n in names]].mean(axis=1)

    cols["camera_azimuth_deg"] = azimuth
    cols["confidence_trunk"] = conf("left_shoulder", "right_shoulder", "left_hip", "right_hip")
    cols["confidence_neck"] = conf("left_ear", "right_ear", "left_shoulder", "right_shoulder")
    # The upper arm's direction needs both its ends seen: the lower of the shoulder's and the elbow's
    # visibility, not a mean. With the mean of shoulder, elbow and wrist, the always-seen shoulder (~1.0)
    # carried an elbow hidden behind the body (~0.2) over 0.5: seen from the side, the far arm then
    # copied the near arm's raise (a hanging arm read 64-152° behind a machine, 15 % of its frames more
    # than 30° off; ~20° from the side in the open). Measured on the rendered clips (2026-11-29), MAE and
    # share of the frames measured: far arm from the side 11.3-14.1° -> 2.8-7.3° (8-9 % instead of 53-56 %:
    # it is hidden), behind the machine 54.1° -> 4.0°; near arm behind the bench 13.5° -> 9.7° (94 %),
    # from behind 15.2 / 11.5 / 7.6° -> 9.1 / 9.7 / 7.2° (bodyA_rear_cycle 33 % instead of 63 %, bodyB_rear
    # 77 % instead of 86 %: reaches in front of the body are hidden); every other near arm within 0.3°.
    # The elbow flexion rides with it.
    for side in ("left", "right"):
        cols[f"confidence_arm_{side}"] = np.minimum(vis[:, L[f"{side}_shoulder"]], vis[:, L[f"{side}_elbow"]])
    cols["confidence_legs"] = conf("left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle")

    df = pd.DataFrame({c: cols[c] for c in ANGLE_COLUMNS})
    df.attrs["vertical"] = {**vinfo, "up": [round(float(x), 4) for x in up]}
    df.attrs["trunk_depth"] = dinfo
    df.attrs["neck_depth"] = ninfo
    df.attrs["hidden_hips"] = hinfo
    df.attrs["sagittal"] = {**{f"facing_{k}": v for k, v in finfo_s.items()}, **sinfo}
    df.attrs["arms_sagittal"] = ainfo
    df.attrs["arm_depth"] = arinfo
    df.attrs["neck_sagittal"] = {"frames": neck_plane_frames}
    df.attrs["facing"] = finfo
    df.attrs["source"] = pose.source
    return df


def remove_neutral_offsets(df: pd.DataFrame, source: str) -> pd.DataFrame:
    """Shift the head/neck angles so that 0° is the neutral upright head (landmark source only).

    A body fit (source "smplx") measures from the model's own joints and skin points, whose neutral
    offset has not been calibrated: its angles are left as they are. The shift is in ``attrs``.
    """
    out = df.copy()
    offsets = MEDIAPIPE_NEUTRAL_OFFSETS_DEG if source == "mediapipe" else {}
    for col, offset in offsets.items():
        out[col] = out[col] - offset
    out.attrs = {**df.attrs, "neutral_offsets_deg": dict(offsets)}
    return out
