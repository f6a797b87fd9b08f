"""How well each quantity is measured from one camera, by the camera's view: the typical errors the report
states and the borderline marks use.

The figures are mean absolute errors (degrees) of the cleaned angles against the truth on the project's
rendered people (``tests/data/synthetic``; ``bench/skeleton_accuracy.py`` measures them, balanced preset),
per view of the camera around the person (``camera_azimuth_deg``: 0 = in front, 90 = at the side,
180 = behind). They are measurements, not corrections: nothing is subtracted from any angle with them.
Where a view has no clip, the worse neighbour's figure is used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# view class: upper bound of |azimuth| (degrees)
VIEWS = (("front", 30.0), ("oblique", 70.0), ("side", 110.0), ("rear_oblique", 150.0), ("rear", 180.01))

# Typical error (MAE, degrees) of the quantities the catalogue counts on, per view: the worst clip of
# that view among the rendered clips, from one run of bench/skeleton_accuracy.py (balanced preset,
# 2026-11-29; the upper arm and the head 2026-11-30, with the arm's depth from the picture where it lies
# in the sagittal plane and the neck against the trunk in that plane seen obliquely, processor.sagittal;
# the trunk, the upper arm in front and the head 2026-11-30 again, with the picture taken in front to
# bring the trunk and the upper arm nearer the picture plane, processor.trunk_depth, 3., processor.arm_depth;
# the README's table): front = bodyA/B/C_front,
# bodyA_front_cycle (camera 3.4 m away: the frontal clips 1.8 m away, bodyA/B_front_near, are not in the
# table, which is for a camera 3 m or more away, as the README advises; there the trunk read 4.8 / 6.9°
# and the head 6.3 / 7.2°); oblique =
# bodyA/B/C_45, bodyA_passerby, bodyA_abduct_45; side = bodyA/B/C_side, bodyA_tilt_down/_up, bodyA_pan,
# bodyA_abduct_side (the arm raised sideways toward the camera: 16.7°); rear_oblique = bodyA_rear (150°);
# rear = bodyB/C_rear (180°), bodyA_rear_cycle. Upper arm: the worse of the two arms where measured (the
# arm turned away from the camera is the weak one; where its elbow is hidden it is left empty). Head
# inclination: the neck-flexion MAE over every frame ("neck all": the same ear–shoulder line, bent trunks
# included). Trunk side bend: its MAE the same way (the routine bends the trunk sideways, ~11° true); it
# is left empty in the oblique and side views (processor.cleaning), so only the front and rear figures
# are ever used. Trunk twist, head side bend / rotation and arm extension: the 95th-percentile |value|
# on clips whose truth is 0° halved (processor/angles.py docstring), a conservative stand-in until clips
# with truth for them exist. Knee flexion: ~2° (README, skeleton).
TYPICAL_ERROR_DEG: dict[str, dict[str, float]] = {
    "trunk_flexion_deg": {"front": 7.0, "oblique": 4.6, "side": 2.7, "rear_oblique": 4.5, "rear": 6.9},
    "head_inclination_deg": {"front": 6.1, "oblique": 4.1, "side": 7.2, "rear_oblique": 8.3, "rear": 15.6},
    "upper_arm_elevation_left_deg": {"front": 14.6, "oblique": 8.1, "side": 17.9, "rear_oblique": 9.1, "rear": 15.7},
    "upper_arm_elevation_right_deg": {"front": 14.6, "oblique": 8.1, "side": 17.9, "rear_oblique": 9.1, "rear": 15.7},
    "trunk_side_bend_deg": {"front": 2.0, "oblique": 6.8, "side": 8.9, "rear_oblique": 1.7, "rear": 3.8},
    "trunk_twist_deg": {"front": 7.0, "oblique": 7.0, "side": 7.0, "rear_oblique": 7.0, "rear": 7.0},
    "head_side_bend_deg": {"front": 5.0, "oblique": 9.0, "side": 5.0, "rear_oblique": 9.0, "rear": 5.0},
    "head_rotation_deg": {"front": 7.0, "oblique": 12.5, "side": 4.5, "rear_oblique": 12.5, "rear": 7.0},
    "upper_arm_extension_left_deg": {"front": 7.0, "oblique": 2.0, "side": 2.0, "rear_oblique": 7.0, "rear": 7.0},
    "upper_arm_extension_right_deg": {"front": 7.0, "oblique": 2.0, "side": 2.0, "rear_oblique": 7.0, "rear": 7.0},
    "knee_flexion_left_deg": {v: 2.0 for v, _ in VIEWS},
    "knee_flexion_right_deg": {v: 2.0 for v, _ in VIEWS},
}
UNKNOWN_VIEW = "unknown"

# Frames with the legs hidden (a bench or a machine in front of them: the trunk is measured, neither knee
# is). MediaPipe still reports the hips as seen there, but they are guessed, and the trunk line's lower
# end with them (steadied over time: processor.hidden_hips); the arms and the head are measured against
# that trunk and vertical. Per view, the clip with the legs hidden from that view (same conventions as the
# table above: trunk flexion MAE, the worse arm, "neck all"; 2026-11-30, with the facing steadied and the
# trunk and neck in the sagittal plane behind the 45° bench: processor.sagittal; in front the trunk's
# foreshortening fused with MediaPipe's depth: processor.trunk_depth, 3.): front = bodyB_bench_front,
# oblique = bodyA_bench (45°), side = bodyC_machine_side; behind (no clip) the worst of the three. In such
# frames a quantity's typical error is the larger of its view's and this one. Legs out of the picture
# (a close-up of the upper body, a worker seated at a desk) count too: the hips are then at the
# picture's edge or hidden as well.
LEGS_HIDDEN_STATED = 0.01  # from this share of the measured frames on, reports state the larger errors
TYPICAL_ERROR_LEGS_HIDDEN_DEG: dict[str, dict[str, float]] = {
    "trunk_flexion_deg": {"front": 6.4, "oblique": 4.0, "side": 2.7},
    "head_inclination_deg": {"front": 5.4, "oblique": 6.3, "side": 3.9},
    "upper_arm_elevation_left_deg": {"front": 9.7, "oblique": 9.9, "side": 5.2},
    "upper_arm_elevation_right_deg": {"front": 9.7, "oblique": 9.9, "side": 5.2},
}


# A view whose trunk error exceeds the side view's by this much gets the advice to film from the side: in
# front and behind, flexion moves the shoulders along the camera axis, where one camera is weakest.
FILM_SIDE_MARGIN_DEG = 2.0


def side_view_trunk_error(view: str) -> float | None:
    """The side view's typical trunk-flexion error where it is at least ``FILM_SIDE_MARGIN_DEG`` better
    than ``view``'s (the report then advises filming from the side), else None."""
    table = TYPICAL_ERROR_DEG["trunk_flexion_deg"]
    here = table.get(view, max(table.values()))
    return table["side"] if here - table["side"] >= FILM_SIDE_MARGIN_DEG else None


def _legs_hidden_error(col: str, view: str) -> float:
    """The typical error of ``col`` in a frame with the legs hidden seen from ``view`` (0 if not tabled)."""
    table = TYPICAL_ERROR_LEGS_HIDDEN_DEG.get(col)
    return table.get(view, max(table.values())) if table else 0.0


def view_of(azimuth_deg: float) -> str:
    if azimuth_deg is None or np.isnan(azimuth_deg):
        return UNKNOWN_VIEW
    a = abs(float(azimuth_deg))
    return next(name for name, top in VIEWS if a <= top)


def views(azimuth_deg: np.ndarray) -> np.ndarray:
    """Per frame, the view class (``UNKNOWN_VIEW`` where the azimuth is not known)."""
    return np.array([view_of(a) for a in np.asarray(azimuth_deg, dtype=float)], dtype=object)


def main_view(azimuth_deg: np.ndarray) -> str:
    """The view that holds most measured frames (``UNKNOWN_VIEW`` if none)."""
    v = views(azimuth_deg)
    v = v[v != UNKNOWN_VIEW]
    if not len(v):
        return UNKNOWN_VIEW
    names, counts = np.unique(v.astype(str), return_counts=True)
    return str(names[np.argmax(counts)])


def legs_hidden(angles: pd.DataFrame) -> np.ndarray:
    """(N,) bool: frames whose trunk was measured but neither knee (``processor.cleaning`` left both knee
    angles empty: their landmarks were not seen)."""
    n = len(angles)
    cols = ("trunk_flexion_deg", "knee_flexion_left_deg", "knee_flexion_right_deg")
    if not all(c in angles.columns for c in cols):
        return np.zeros(n, dtype=bool)
    trunk, left, right = (angles[c].to_numpy(dtype=float) for c in cols)
    return np.isfinite(trunk) & np.isnan(left) & np.isnan(right)


def legs_hidden_share(angles: pd.DataFrame) -> float:
    """The share of the frames with a measured trunk in which the legs were hidden (0 if none)."""
    if "trunk_flexion_deg" not in angles.columns:
        return 0.0
    measured = int(np.isfinite(angles["trunk_flexion_deg"].to_numpy(dtype=float)).sum())
    return float(legs_hidden(angles).sum() / measured) if measured else 0.0


def typical_errors(azimuth_deg: np.ndarray | None, n: int, hidden: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Per angle column, the per-frame typical error; an unknown view takes the worst view's figure, a
    frame with the legs ``hidden`` at least its view's ``TYPICAL_ERROR_LEGS_HIDDEN_DEG``."""
    v = views(azimuth_deg) if azimuth_deg is not None else np.full(n, UNKNOWN_VIEW, dtype=object)
    out = {}
    for col, table in TYPICAL_ERROR_DEG.items():
        worst = max(table.values())
        out[col] = np.array([table.get(x, worst) for x in v], dtype=float)
        if hidden is not None and col in TYPICAL_ERROR_LEGS_HIDDEN_DEG:
            when_hidden = np.array([_legs_hidden_error(col, x) for x in v], dtype=float)
            out[col] = np.where(hidden, np.maximum(out[col], when_hidden), out[col])
    return out


def view_error_table(view: str) -> dict[str, float]:
    """The typical error of every quantity for one view (the Method sheet's statement)."""
    return {col: table.get(view, max(table.values())) for col, table in TYPICAL_ERROR_DEG.items()}


def legs_hidden_error_table(view: str) -> dict[str, float]:
    """The typical errors in that view's frames with the legs hidden."""
    return {col: max(e, _legs_hidden_error(col, view)) for col, e in view_error_table(view).items()}
