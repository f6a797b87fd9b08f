"""Frames seen from behind whose trunk the tracked reading makes impossibly short: which to read again,
and what of the fresh reading to keep.

MediaPipe in tracking mode (``processor.pose``) takes each frame's crop from the previous frame's
landmarks, so a wrong reading can carry itself on. Seen from behind at a 65-70° bend, the tracked
shoulders fell onto the hips and stayed there for the whole hold: the picture trunk 6-10 px of ~95 and
MediaPipe's depth of the trunk near zero, so the trunk was about a fifth of its length (read ~95°). A
fresh detection of the same frame (static mode, whose crop comes from the detector) put the shoulders
35 px higher, with a trunk of 0.85-0.87 of its length (medians; read 70-72°).

The rule is the trunk's own physical bound (``processor.trunk_depth``, 1.): the chord hip -> shoulder of
the anchored skeleton (x, y from the picture, depth from MediaPipe) is never shorter than
``(1 − MAX_CHORD_SHORTENING)·L``, a fully curled spine, with ``L`` the person's trunk length measured in
the same video (``trunk_depth.reference_length``; the vertical from ``angles.estimate_vertical``). A frame
below it cannot be right. Such frames seen from behind (``trunk_depth.seen_from_behind``, the facing from
the hips after ``processor.facing``) are read again: static mode, with the preset's flip test, on the whole
picture. The fresh reading is kept only where

- it is the same person: its mid-hip within half the person's picture torso (``SAME_PERSON_TORSO``, the
  median over the frames whose trunk is possible) of the tracked one's (``same_place``), and
- its own trunk is within the bound (``possible``): otherwise neither reading is possible and the
  tracked one stays, for ``processor.trunk_depth`` to bound as before.

What is kept: the fresh face, arms, hands and hips (landmarks 0-24); the legs stay the tracked ones (both
are hip-centred): behind the deep bends the fresh reading folded straight legs into a crouch (feet 80 px
too high), which would read as squatting. Each kept landmark's visibility is the lower of the two
readings': a part counts as seen only where both saw it (the fresh reading called the arms hanging under
the trunk seen and read them raised 50°, where the tracked one had left them empty).

Why only from behind. In front the shoulders show, and the fresh reading of a deep bend was worse, not
better: it put them below the hips (bodyB_front at 7.0 s: 67.6° read 74° tracked, 86° fresh), and with it
the front clips lost 0.2-0.4° of trunk MAE (bodyB_front's time in another trunk zone 0.6 -> 1.2 %).

Measured on the rendered clips (2026-11-29, balanced preset; trunk-flexion MAE, time in another NV 361
trunk zone; before -> after): bodyB_rear 6.8 -> 4.1° (2.9 -> 2.3 %; 20 of its 20 short frames read again),
bodyC_rear 6.0 -> 3.5° (0.6 -> 1.2 %; 19 of 21), bodyA_rear_cycle 8.0 -> 6.9° (3.6 -> 4.0 %; 17 of 45:
in the others the fresh trunk was 0.52-0.75 of its length, no better); near arm and the neck with the
trunk upright unchanged; no other clip has a short frame seen from behind, and none changes. Tried: the
whole fresh skeleton (legs and the fresh visibility included) made the near arm from behind worse
(bodyA_rear_cycle 9.1 -> 14.1°, bodyC_rear 7.2 -> 10.6°); grafting only the fresh trunk onto the tracked
skeleton (shifting the upper body, tracked hips) put the trunk in another zone more often (bodyB_rear
6.4 %); a fresh reading of every frame is worse overall (``processor.pose``).

The cost is one static reading (two with the flip test) of each short frame, shared among the pose
step's processes, plus decoding the stretches that hold them; frames whose trunk is possible, and every
frame not seen from behind, cost nothing. Measured side by side (``bench/analyze.py --qualities balanced
--sources bodyA_45 bodyB_rear``, 60-s 1080p30, 2 cores, 2026-11-29): bodyB_rear looped, 52 of its 600
frames read again, 2.14-2.20x real time against 2.52-2.56x for bodyA_45, which has none; the pose step
alone on the rear clip took 1.16 times as long as without the re-reading (1.27 with the re-reading in
one process). Without the flip test the re-reading would cost half, but bodyC_rear read 4.9° and the rear
cycle 7.4°.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from processor.angles import estimate_vertical, pelvis_axes
from processor.facing import resolve_mirror_readings
from processor.flip_average import SAME_PERSON_TORSO
from processor.model import LANDMARKS
from processor.trunk_depth import MAX_CHORD_SHORTENING, reference_length, seen_from_behind, trunk_line

L = LANDMARKS
SHORTEST_SHARE = 1.0 - MAX_CHORD_SHORTENING  # a fully curled spine's chord, share of the person's trunk
UPPER_AND_HIPS = np.arange(25)  # landmarks 0-24: face, arms, hands and hips; the legs (25-32) stay tracked


@dataclass(frozen=True)
class ShortTrunks:
    """The frames to read again (``frames``, analysis-frame indices) and the bound they broke."""

    frames: np.ndarray
    trunk_length_m: float  # the person's reference trunk length L (NaN: not measurable, nothing read again)
    shortest_m: float  # (1 − MAX_CHORD_SHORTENING)·L


def _mid_hip(points: np.ndarray) -> np.ndarray:
    return (points[:, L["left_hip"]] + points[:, L["right_hip"]]) / 2.0


def short_trunks(world: np.ndarray, visibility: np.ndarray, time_s: np.ndarray) -> ShortTrunks:
    """The frames of an anchored skeleton (N, 33, 3) seen from behind whose trunk chord is shorter than a
    fully curled one (module docstring)."""
    T = trunk_line(world)
    # the facing needs the frames MediaPipe read as a mirror image turned back, as the angles do
    w, vis, _ = resolve_mirror_readings(world, visibility, time_s)
    up, _ = estimate_vertical(w, vis)
    length = reference_length(T, np.broadcast_to(up, T.shape))[0]
    if not np.isfinite(length):
        return ShortTrunks(np.zeros(0, np.int64), float("nan"), float("nan"))
    _, forward = pelvis_axes(w, up)
    with np.errstate(invalid="ignore"):
        short = (np.linalg.norm(T, axis=1) < SHORTEST_SHARE * length) & seen_from_behind(np.broadcast_to(up, T.shape), forward)
    return ShortTrunks(np.flatnonzero(short), float(length), float(SHORTEST_SHARE * length))


def possible(world: np.ndarray, shortest_m: float) -> np.ndarray:
    """(N,) bool: the anchored skeletons' trunks are at least ``shortest_m`` long."""
    with np.errstate(invalid="ignore"):
        return np.linalg.norm(trunk_line(world), axis=1) >= shortest_m


def picture_torso(image: np.ndarray, frames: np.ndarray, width: int, height: int) -> float:
    """The median picture length (px) of the trunk over ``frames`` (the frames whose trunk is possible):
    the person's size in the picture, which a collapsed frame does not show."""
    px = np.asarray(image, dtype=np.float64)[frames] * np.array([float(width), float(height)])
    lengths = np.linalg.norm(trunk_line(px), axis=1)
    return float(np.nanmedian(lengths)) if np.isfinite(lengths).any() else float("nan")


def same_place(fresh_image: np.ndarray, tracked_image: np.ndarray, torso_px: float, width: int, height: int) -> np.ndarray:
    """(N,) bool: the two readings' mid-hips lie within ``SAME_PERSON_TORSO`` of the person's picture
    torso (``picture_torso``) of each other. Not ``flip_average.same_person``, which measures against the
    frame's own torso: the tracked one is the collapsed one (6-10 px), and its shoulders moved 20-25 px."""
    size = np.array([float(width), float(height)])
    a, b = np.asarray(fresh_image, dtype=np.float64) * size, np.asarray(tracked_image, dtype=np.float64) * size
    gap = np.linalg.norm(_mid_hip(a) - _mid_hip(b), axis=1)
    with np.errstate(invalid="ignore"):
        return gap <= SAME_PERSON_TORSO * torso_px


def seen_by_both(tracked: np.ndarray, fresh: np.ndarray) -> np.ndarray:
    """Each landmark's visibility where a frame is replaced: the lower of the two readings'."""
    return np.fmin(np.asarray(tracked), np.asarray(fresh))
