"""The measured quantities the catalogue rows are counted on ("signals"), their zones and the reasons
for every threshold. A signal turns the per-frame angle table into one value per frame and a zone per
frame (with the hysteresis of ``processor.episodes``); each catalogue row names a signal and a zone.

Thresholds that are not the regulation's own numbers, and why:
- **Extension (trunk, head) starts at −10°**, not 0°: a single camera cannot tell a few degrees of
  backward lean from upright (the vertical and the landmarks each carry a few degrees of error), and an
  upright worker must not collect "záklon" minutes. The head's "up to 15°" row then covers −15…−10°.
- **Head side bend / rotation** counts from ``HEAD_NEUTRAL_DEG`` (10°): the catalogue's "do 15°" row
  has no lower bound, but every head is a few degrees off the trunk's axes at any moment, and on the
  rendered clips whose truth is 0° the measured head angles reach 7–13° (95th percentile) in front and
  side views. In oblique views (camera 30–70° or 110–150° around the person) one ear is hidden and a
  quarter of the frames read over 15° where the truth is 0°: there the head side bend and rotation are
  left unmeasured (empty), never guessed (``processor.cleaning.UNMEASURED_VIEWS``).
- **Trunk side bend / twist** is the larger of the two, so it is evaluated only where the side bend is
  measured: ``processor.cleaning`` leaves the side bend empty in the frames seen from the side or
  obliquely, where it turns about an axis in the picture and cannot be measured (figures there). The
  rows use the frames seen from in front or behind, or are not measured; a twist alone cannot say that
  the larger of the two stayed under a border.
- **Arm extension behind the trunk (zapažení)** counts from 20° behind the trunk's frontal plane while
  the arm is below horizontal: a hanging arm swings ±10–15° in walking and handling, and the measured
  upper arm scatters by ~5–8°. Time behind the trunk counts only there, never also as elevation.
- **Extreme knee flexion** is over 130°: the normal active range of knee flexion ends near 140° (AAOS),
  and "near the maximum range" is read as within 10° of it.
- **Kneeling / squatting / lying** (one signal, zone ``low``): kneeling = the lower knee at most 0.2 leg
  lengths above the lower ankle (on the floor; standing reads ~0.5); squatting = both knees flexed over
  100° and the hips at most 0.5 leg lengths above the ankles (a chair, knees ~90°, is not a squat);
  lying = the trunk within 30° of horizontal and the hips at most 0.3 leg lengths above the ankles (a
  deep forward bend keeps the hips high).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from processor.episodes import Border, hysteresis_zones

EXTENSION_FROM_DEG = -10.0
HEAD_NEUTRAL_DEG = 10.0
ARM_EXTENSION_FROM_DEG = 20.0
ARM_BELOW_HORIZONTAL_DEG = 90.0
KNEE_EXTREME_DEG = 130.0
KNEEL_KNEE_RATIO = 0.2
SQUAT_KNEE_DEG = 100.0
SQUAT_HIP_RATIO = 0.5
LYING_TRUNK_FROM_HORIZONTAL_DEG = 30.0
LYING_HIP_RATIO = 0.3


def _col(df: pd.DataFrame, name: str) -> np.ndarray:
    """A column as floats; a column the table does not have is all NaN (not measured)."""
    if name in df.columns:
        return df[name].to_numpy(dtype=float)
    return np.full(len(df), np.nan)


def _nanmax_abs(*arrays: np.ndarray) -> np.ndarray:
    stack = np.abs(np.vstack(arrays))
    out = np.full(stack.shape[1], np.nan)
    ok = ~np.all(np.isnan(stack), axis=0)
    out[ok] = np.nanmax(stack[:, ok], axis=0)
    return out


@dataclass(frozen=True)
class Signal:
    key: str
    part: str  # the catalogue's body part
    columns: tuple[str, ...]  # angle columns it reads
    zones: tuple[str, ...]  # zone keys, in order along the axis
    borders: tuple[Border, ...]  # between consecutive zones (empty for composite signals)
    definition: str  # for the Method sheet (English; the label tables translate the headline)
    compute: Callable[[pd.DataFrame], tuple[np.ndarray, np.ndarray | None]] | None = None

    def evaluate(self, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(values, zones with hysteresis; -1 = not measured) for every frame of ``df``."""
        if self.compute is not None:
            values, zones = self.compute(df)
        else:
            values, zones = _col(df, self.columns[0]), None
        if zones is None:
            zones = hysteresis_zones(values, self.borders)
        return values, zones


def _simple(column_fn: Callable[[pd.DataFrame], np.ndarray]):
    def compute(df: pd.DataFrame):
        return column_fn(df), None
    return compute


def _arm(side: str):
    def compute(df: pd.DataFrame):
        elev = _col(df, f"upper_arm_elevation_{side}_deg")
        ext = _col(df, f"upper_arm_extension_{side}_deg")
        elev_zone = hysteresis_zones(elev, (Border(40.0), Border(60.0)))
        behind = hysteresis_zones(ext, (Border(ARM_EXTENSION_FROM_DEG),)) == 1
        with np.errstate(invalid="ignore"):
            behind &= elev < ARM_BELOW_HORIZONTAL_DEG
        zones = np.where(elev_zone < 0, -1, np.where(behind, 0, elev_zone + 1))
        return elev, zones
    return compute


def trunk_bend_twist(df: pd.DataFrame) -> np.ndarray:
    """max(|trunk side bend|, |trunk twist|), empty where the side bend is (see the module docstring)."""
    bend = _col(df, "trunk_side_bend_deg")
    v = _nanmax_abs(bend, _col(df, "trunk_twist_deg"))
    v[np.isnan(bend)] = np.nan
    return v


def head_bend_rot(df: pd.DataFrame) -> np.ndarray:
    """max(|head side bend|, |head rotation|); both come empty in oblique views (see the module docstring)."""
    return _nanmax_abs(_col(df, "head_side_bend_deg"), _col(df, "head_rotation_deg"))


def low_posture(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Kneeling, squatting or lying (see the module docstring): values = hip height ratio, zones 0/1."""
    hip = _col(df, "hip_height_ratio")
    knee_h = _col(df, "knee_height_ratio")
    knees = np.vstack([_col(df, "knee_flexion_left_deg"), _col(df, "knee_flexion_right_deg")])
    trunk = _col(df, "trunk_flexion_deg")
    with np.errstate(invalid="ignore"):
        kneeling = knee_h <= KNEEL_KNEE_RATIO
        squatting = (knees.min(axis=0) > SQUAT_KNEE_DEG) & (hip <= SQUAT_HIP_RATIO)
        lying = (np.abs(np.abs(trunk) - 90.0) <= LYING_TRUNK_FROM_HORIZONTAL_DEG) & (hip <= LYING_HIP_RATIO)
    zones = np.where(np.isnan(hip), -1, (kneeling | squatting | lying).astype(int))
    return hip, zones


SIGNALS: dict[str, Signal] = {
    s.key: s
    for s in (
        Signal("trunk_flexion", "trunk", ("trunk_flexion_deg",), ("ext", "neutral", "40_60", "gt60"),
               (Border(EXTENSION_FROM_DEG, upper_closed=True), Border(40.0), Border(60.0)),
               "trunk flexion (trunk line against the vertical in the sagittal plane, + forward)"),
        Signal("trunk_bend_twist", "trunk", ("trunk_side_bend_deg", "trunk_twist_deg"), ("neutral", "10_20", "gt20"),
               (Border(10.0), Border(20.0)), "the larger of |trunk side bend| and |trunk twist|",
               _simple(trunk_bend_twist)),
        Signal("head_flexion", "head_neck", ("head_inclination_deg",), ("ext", "neutral", "gt25"),
               (Border(EXTENSION_FROM_DEG, upper_closed=True), Border(25.0)),
               "head inclination (ear–shoulder line against the vertical, + forward)"),
        Signal("head_bend_rot", "head_neck", ("head_side_bend_deg", "head_rotation_deg"), ("neutral", "le15", "gt15"),
               (Border(HEAD_NEUTRAL_DEG), Border(15.0)),
               "the larger of |head side bend| and |head rotation|, both relative to the trunk",
               _simple(head_bend_rot)),
        Signal("arm_R", "arm_right", ("upper_arm_elevation_right_deg", "upper_arm_extension_right_deg"),
               ("ext", "neutral", "40_60", "gt60"), (),
               "right upper-arm elevation against the vertical; 'ext' = behind the trunk by more than 20° while below horizontal",
               _arm("right")),
        Signal("arm_L", "arm_left", ("upper_arm_elevation_left_deg", "upper_arm_extension_left_deg"),
               ("ext", "neutral", "40_60", "gt60"), (),
               "left upper-arm elevation against the vertical; 'ext' = behind the trunk by more than 20° while below horizontal",
               _arm("left")),
        Signal("knee_flexion", "legs", ("knee_flexion_left_deg", "knee_flexion_right_deg"), ("neutral", "gt130"),
               (Border(KNEE_EXTREME_DEG),), "the larger knee flexion of the two legs (0 = straight)",
               _simple(lambda df: _nanmax_abs(_col(df, "knee_flexion_left_deg"), _col(df, "knee_flexion_right_deg")))),
        Signal("low_posture", "other", ("hip_height_ratio", "knee_height_ratio"), ("none", "low"), (),
               "kneeling, squatting or lying, from the hip and knee heights above the ankles in leg lengths",
               low_posture),
    )
}
