"""Cleaning of the per-frame angle table: mask unreliable frames, fill short gaps, smooth.

Steps, per body part (trunk, neck, left arm, right arm, legs):
1. **Mask.** A frame whose part confidence (mean landmark visibility) is below ``min_confidence``
   (default 0.5), or where no person was found, gets NaN for that part's angles. A missing measurement is
   never counted as a neutral posture: the time analysis sees an empty cell.
   **Views.** The trunk's side bend is left empty in the frames seen from the side or obliquely
   (``processor.accuracy`` views other than in front and behind: ``TRUNK_BEND_UNMEASURED_VIEWS``). From
   there it turns the trunk about an axis in the picture: the shoulders move along the camera axis, where
   MediaPipe's depth and the pelvis's facing (the hips' depth) decide, and a forward bend leaks into it as
   soon as the facing is a few degrees off. Measured on the rendered clips (2026-11-29, balanced): a true
   side bend of 11° never read over 10° from the side or at 45° (it read −4 to +4°), while frames whose
   true side bend was under 5° read over 10° in up to 37 % of a side clip's frames (bodyB_side;
   bodyA_side 22 %); NV 361's side-bend-or-twist signal was in another zone (borders 10, 20°) 17-57 % of
   the time from the side, 9-44 % at 45°, and 0-17 % in front and behind, where the side bend turns
   within the picture. Empty, never guessed: that signal, the larger of the two, is then not evaluated
   either (``processor.nv361.signals``). The twist stays: it turns about the vertical, which lies in the
   picture from every side (from the side its ends move across the picture, from in front along the
   camera axis), and no rendered clip has a true twist to tell the views apart. The head's side bend and
   rotation are left empty the same way in the oblique views, where one ear is hidden
   (``processor.nv361.signals``, head): ``UNMEASURED_VIEWS`` holds both rules.
   **Anatomical range.** A neck flexion beyond ``NECK_FLEXION_LIMIT_DEG`` (90°) either way is no reading of
   a head: the cervical spine flexes about 50-60° and extends about 60-75°. The neck part's angles are
   left empty in such a frame, as for a low confidence (MediaPipe's own confidence was 1.0 there). On the
   rendered clips only deep bends seen close from the front or from behind read so (73° bent 1.8 m in
   front of the camera: 13 frames of bodyA_front_near read the neck 126-163° for a true 39°, its head
   inclination −150° for a true 112°, which would have counted as the head bent back; one frame of
   bodyB_rear 122° for 43°). ``neck_out_of_range_frames`` counts them. Neck MAE over every frame
   (2026-11-30): bodyA/B_front_near 12.9 / 9.8 -> 6.3 / 7.2°; bodyB_rear 9.9 -> 10.5°, because the
   smoothing had spread its 122° frame over the neighbours, which read the hanging head ~12° for 43° (the
   head behind a deeply bent back: ``processor.neck_depth``); no other clip changes.
2. **Short gaps.** Gaps of at most ``max_gap_s`` (default 0.5 s) between two measured frames are filled
   by linear interpolation in time (a blink of occlusion, a missed detection). Longer gaps stay empty.
3. **Smoothing.** Savitzky–Golay filter, polynomial order 2, window ``smooth_window_s`` (default 0.5 s,
   rounded to an odd number of frames at the analysis rate, at least 5 frames; fewer frames than that
   means no smoothing). It runs on each unbroken run of measured frames separately, so it never smears
   values into a gap; it keeps peaks and holds better than a moving average at the same noise reduction.

``analysed_share``: the share of the video's time covered by frames with a usable trunk measurement (the
trunk is the body part every standard rates), each frame counting for the time until the next analysed
frame (the last one for the median frame step), divided by the video's duration. ``part_share`` holds
the same figure per body part.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.signal import savgol_filter

from processor.accuracy import views

# The first column of each part decides whether the part counts as measured (``part_share``).
PARTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "trunk": ("confidence_trunk", ("trunk_flexion_deg", "trunk_side_bend_deg", "trunk_twist_deg")),
    "neck": (
        "confidence_neck",
        ("neck_flexion_deg", "head_inclination_deg", "head_side_bend_deg", "head_rotation_deg"),
    ),
    "arm_left": (
        "confidence_arm_left",
        ("upper_arm_elevation_left_deg", "upper_arm_to_trunk_left_deg", "elbow_flexion_left_deg",
         "upper_arm_extension_left_deg"),
    ),
    "arm_right": (
        "confidence_arm_right",
        ("upper_arm_elevation_right_deg", "upper_arm_to_trunk_right_deg", "elbow_flexion_right_deg",
         "upper_arm_extension_right_deg"),
    ),
    "legs": (
        "confidence_legs",
        ("knee_flexion_left_deg", "knee_flexion_right_deg", "hip_height_ratio", "knee_height_ratio"),
    ),
}  # fmt: skip
# Angles that also depend on the trunk (measured against the trunk line, its frontal plane or the
# shoulder line): the neck and head, and the arms against the trunk.
TRUNK_DEPENDENT = (
    "neck_flexion_deg", "head_side_bend_deg", "head_rotation_deg",
    "upper_arm_to_trunk_left_deg", "upper_arm_to_trunk_right_deg",
    "upper_arm_extension_left_deg", "upper_arm_extension_right_deg",
)  # fmt: skip


MIN_CONFIDENCE = 0.5  # a part's confidence below this leaves its angles empty (step 1)
# step 1, "Anatomical range": a neck flexion (against the trunk, 0 = neutral) beyond this either way is no
# reading of a head: the cervical spine flexes ~50-60° and extends ~60-75° (active range, adults)
NECK_FLEXION_LIMIT_DEG = 90.0
# views (processor.accuracy) where a column is not measured (step 1, "Views"): the trunk's side bend turns
# about an axis in the picture there; an oblique view hides one ear (processor.nv361.signals, head)
TRUNK_BEND_UNMEASURED_VIEWS = ("oblique", "side", "rear_oblique")
UNMEASURED_VIEWS: dict[str, tuple[str, ...]] = {
    "trunk_side_bend_deg": TRUNK_BEND_UNMEASURED_VIEWS,
    "head_side_bend_deg": ("oblique", "rear_oblique"),
    "head_rotation_deg": ("oblique", "rear_oblique"),
}


@dataclass
class CleanedAngles:
    df: pd.DataFrame  # same columns as the input; NaN = not measured
    analysed_share: float  # 0..1 of the video's time with a usable trunk measurement
    part_share: dict[str, float] = field(default_factory=dict)
    min_confidence: float = MIN_CONFIDENCE
    max_gap_s: float = 0.5
    smooth_window_s: float = 0.5
    smooth_polyorder: int = 2
    smooth_window_frames: int = 0  # as applied at this video's analysis rate (0: no smoothing)
    neck_out_of_range_frames: int = 0  # frames whose neck reading lay beyond the anatomical range (step 1)

    def parameters(self) -> dict[str, float | int | str]:
        return {
            "min_confidence": self.min_confidence,
            "max_gap_s": self.max_gap_s,
            "smoothing": "Savitzky-Golay",
            "smooth_window_s": self.smooth_window_s,
            "smooth_window_frames": self.smooth_window_frames,
            "smooth_polyorder": self.smooth_polyorder,
        }


def blank_unmeasured_views(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with each ``UNMEASURED_VIEWS`` column empty in the frames seen from its views (step 1,
    "Views"); a table without ``camera_azimuth_deg`` (or a frame whose view is unknown) is left as it is
    (applied through ``blank_unmeasurable``)."""
    out = df.copy()
    if "camera_azimuth_deg" not in out.columns:
        return out
    seen_from = views(out["camera_azimuth_deg"].to_numpy(dtype=float)).astype(str)
    for col, unmeasured in UNMEASURED_VIEWS.items():
        if col in out.columns:
            y = out[col].to_numpy(dtype=float).copy()
            y[np.isin(seen_from, unmeasured)] = np.nan
            out[col] = y
    return out


def blank_impossible_necks(df: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """(copy, frames): the neck part's angles empty in the frames whose neck flexion lies beyond
    ``NECK_FLEXION_LIMIT_DEG`` either way (step 1, "Anatomical range")."""
    out = df.copy()
    if "neck_flexion_deg" not in out.columns:
        return out, 0
    with np.errstate(invalid="ignore"):
        bad = np.abs(out["neck_flexion_deg"].to_numpy(dtype=float)) > NECK_FLEXION_LIMIT_DEG
    for col in PARTS["neck"][1]:
        if col in out.columns:
            y = out[col].to_numpy(dtype=float).copy()
            y[bad] = np.nan
            out[col] = y
    return out, int(bad.sum())


def blank_unmeasurable(df: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """(copy, neck frames out of range): the rules of step 1 that need no confidence, the views a column is
    not measured from and the neck's anatomical range. The cleaning applies them, and so does the
    re-evaluation of a per-frame CSV (``processor.evaluate_cli``), so a CSV written before a rule reads the
    same."""
    return blank_impossible_necks(blank_unmeasured_views(df))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index ranges where ``mask`` is True."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def _fill_short_gaps(t: np.ndarray, y: np.ndarray, max_gap_s: float) -> np.ndarray:
    y = y.copy()
    for a, b in _runs(np.isnan(y)):
        if a == 0 or b == len(y):
            continue  # a gap at either end has no second side to interpolate from
        if t[b] - t[a - 1] <= max_gap_s + 1e-9:
            y[a:b] = np.interp(t[a:b], [t[a - 1], t[b]], [y[a - 1], y[b]])
    return y


def _smooth(y: np.ndarray, window: int, polyorder: int) -> np.ndarray:
    if window < polyorder + 3:
        return y
    y = y.copy()
    for a, b in _runs(~np.isnan(y)):
        if b - a >= window:
            y[a:b] = savgol_filter(y[a:b], window, polyorder, mode="interp")
    return y


def _frame_durations(t: np.ndarray, duration_s: float | None) -> np.ndarray:
    if len(t) == 0:
        return t
    step = float(np.median(np.diff(t))) if len(t) > 1 else (duration_s or 0.0)
    d = np.diff(t, append=t[-1] + step)
    return np.clip(d, 0.0, 4 * step if step > 0 else None)


def clean_angles(
    df: pd.DataFrame,
    duration_s: float | None = None,
    min_confidence: float = MIN_CONFIDENCE,
    max_gap_s: float = 0.5,
    smooth_window_s: float = 0.5,
    smooth_polyorder: int = 2,
) -> CleanedAngles:
    """Mask, gap-fill and smooth the angle table; see the module docstring for the rules.

    ``duration_s``: the video's duration (for ``analysed_share``); default: the span of the timestamps
    plus one frame step.
    """
    out = df.copy()
    out.attrs = dict(df.attrs)
    t = out["time_s"].to_numpy(dtype=float)
    step = float(np.median(np.diff(t))) if len(t) > 1 else 0.0
    window = int(round(smooth_window_s / step)) if step > 0 else 0
    window = max(window, 5) if window > 0 else 0
    if window % 2 == 0:
        window += 1
    if window > len(t):
        window = 0

    masks: dict[str, np.ndarray] = {}
    for part, (conf_col, cols) in PARTS.items():
        conf = out[conf_col].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            bad = ~(conf >= min_confidence)
        for col in cols:
            y = out[col].to_numpy(dtype=float).copy()
            y[bad] = np.nan
            out[col] = y
    out, neck_out_of_range = blank_unmeasurable(out)
    trunk_bad = np.isnan(out["trunk_flexion_deg"].to_numpy(dtype=float))
    for col in TRUNK_DEPENDENT:
        y = out[col].to_numpy(dtype=float).copy()
        y[trunk_bad] = np.nan
        out[col] = y
    for part, (_, cols) in PARTS.items():
        for col in cols:
            y = _fill_short_gaps(t, out[col].to_numpy(dtype=float), max_gap_s)
            out[col] = _smooth(y, window, smooth_polyorder) if window else y
        masks[part] = ~np.isnan(out[cols[0]].to_numpy(dtype=float))
    if "camera_azimuth_deg" in out.columns:  # where the camera stands: kept as measured, where the trunk is
        y = out["camera_azimuth_deg"].to_numpy(dtype=float).copy()
        y[~masks["trunk"]] = np.nan
        out["camera_azimuth_deg"] = y

    dur = _frame_durations(t, duration_s)
    total = duration_s if duration_s and duration_s > 0 else float(dur.sum())
    shares = {p: (float(dur[m].sum()) / total if total > 0 else 0.0) for p, m in masks.items()}
    shares = {p: min(1.0, s) for p, s in shares.items()}
    return CleanedAngles(
        df=out,
        analysed_share=shares["trunk"],
        part_share=shares,
        min_confidence=min_confidence,
        max_gap_s=max_gap_s,
        smooth_window_s=smooth_window_s,
        smooth_polyorder=smooth_polyorder,
        smooth_window_frames=window,
        neck_out_of_range_frames=neck_out_of_range,
    )
