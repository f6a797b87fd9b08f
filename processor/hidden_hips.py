"""Hips hidden behind a bench or a machine: their picture position steadied over time.

Where the legs are hidden, MediaPipe still reports the hips, and as seen (visibility 0.9-1.0 behind the
rendered bench, while the knees read 0.04-0.25), but their positions are guesses, and the mid-hip is
the trunk line's lower end. The guesses jump: behind the rendered bench (45°), as the worker
straightened up from a bend, the hips rose 70 px in 0.4 s, higher than a standing worker's hips can
be, and came back within about 1 s; the upright trunk read 60-70° flexed meanwhile.

A worker's pelvis moves slowly and smoothly (standing at a bench it stays nearly where it is; walking
along it, it moves steadily), while the guesses make excursions and come back. So in the frames whose
legs are hidden, the mid-hip's picture position is replaced by its centred running median over
``WINDOW_S`` of every detected frame's (seen or guessed; centred at the video's ends too, where the
window shrinks: ``running_median``). A centred running median removes any excursion
(away and back) shorter than half its window and follows every monotone motion, however fast: a steady
walk along the bench, and a worker sitting down or standing up behind it (the median of a window of a
monotone series is its middle sample, or with an even count the mean of the two middle ones: within half
a frame's step; tested).

The window. The guesses' excursions last as long as the posture that causes them: behind the frontal
bench the hips stayed 22 px too high for the whole 1.8 s of a 43° bend (the 43° read as 70°), and a bend
held as a static posture lasts at least ``processor.episodes.STATIC_AFTER_S`` (4 s). A window of twice
that, 8 s, removes an excursion that lasts through such a hold; a longer hold than 4 s with the hips
guessed off still gets through. A real dip of the hips and back within 4 s (a squat behind the bench) would
be removed as well, the trunk then reading from hips held at standing height under shoulders 0.4 m lower
(75° bent, in front or sideways, tested). What tells the two apart is the trunk's picture length
(shoulders to hips): a dip of the whole body keeps it, while a guess that moves the hips against the
shoulders changes it. So where the steadied hips make it differ from its own running median by more than
``DIP_STEADIED_OFF`` while the guessed hips keep it within ``DIP_GUESS_WITHIN``, the guess stands. The
guesses' excursions moved the hips by 15-85 % of the trunk's picture length; an unchanged posture's length
varies by the keypoints' few per cent (hence 10 %); 25 % is a dip of about 12 cm for a 0.5-m trunk, below
which a knee bend cannot be told from a posture change. On the three rendered clips no frame meets both
conditions (the figures below are unchanged by it). Measured on
the three rendered clips with hidden legs (2026-11-29, balanced preset, trunk-flexion MAE in degrees for
no steadying -> windows of 1 / 2 / 4 / 6 / 8 / 12 s; share of the time in another NV 361 trunk zone,
4 -> 8 s): bodyA_bench (45°) 11.6 -> 11.0 / 9.8 / 9.0 / 8.8 / 8.0 / 8.0 (15.2 -> 12.9 %; its neck 8.1 ->
7.3°), bodyB_bench_front (0°) 11.5 -> 11.4 / 11.0 / 10.5 / 10.0 / 9.5 / 9.5 (14.3 -> 14.9 %),
bodyC_machine_side (90°) 4.9 -> 4.8 / 3.5 / 3.0 / 2.9 / 2.9 / 2.9 (1.9 -> 1.3 %). Beyond 8 s nothing
more is gained (these figures are without the depth cap that ``processor.trunk_depth`` adds for the same
frames, step 4). No other clip has a frame with the legs hidden, so none changes. Everything above the
hips moves by the shift in the picture plane (the skeleton is hip-centred, so the hips stay at the
origin); depths stay MediaPipe's, which this cannot check. What stays is MediaPipe's depth of the
shoulders against the hidden hips, which no picture rule reaches in front; seen obliquely the picture
holds the flexion itself (``processor.sagittal``).

The guessed hip line's direction (the facing) is steadied the same way, but only together with that
step. Alone (tried 2026-11-29): behind the 45° bench, during the 73° bend, the guessed hips turned the
pelvis's facing by 60-90° (the camera read at 105-133° instead of 45°), and the 8-s median of that
direction about the vertical held it at 46-52°. But the network turns the shoulders' depth with its
guessed hips, so against the steadied pelvis the trunk read 43-46° instead of 51-57° (trunk MAE 7.4 ->
8.0°), its twist 5.1 -> 13.2° and its side bend 8.8 -> 10.8°; the time in another trunk zone went 11.7 ->
11.1 %. With the trunk's depth taken from the picture in the steadied sagittal plane instead of from
MediaPipe, the two agree (``processor.sagittal``); the twist stays against the hip line as read.

The window's ends (2026-11-30): pandas' centred window is cut off within half a window of the video's
first and last frame and becomes one-sided there, so it followed neither a monotone motion nor a still
worker: at the start of the 45° bench clip it took the hips of the bend 1.5-4 s later, 10 px off, and
the upright first second read 16° bent (with the trunk from the picture, 6° back). ``running_median``
keeps the window centred by shrinking it on both sides (trunk MAE with MediaPipe's depth, before the
sagittal step: bodyA_bench 7.4 -> 7.6°, bodyC_machine_side 3.0 -> 2.8°, bodyB_bench_front 8.6°; its
neck, all frames, 9.7 -> 12.1°, 5.0 -> 4.0°, 6.9°). An excursion at the very start or end stays.

Limits: a camera that pans or shakes while the legs are hidden moves the hips in the picture, which the
median follows only where the motion is monotone. Legs seen: nothing changes (their hips are measured).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from processor.anchoring import frame_scales
from processor.cleaning import MIN_CONFIDENCE
from processor.episodes import STATIC_AFTER_S
from processor.model import LANDMARKS

L = LANDMARKS
WINDOW_S = 2.0 * STATIC_AFTER_S  # 8 s: removes an excursion that lasts through a static hold (docstring)
LEGS = [L[f"{side}_{joint}"] for side in ("left", "right") for joint in ("hip", "knee", "ankle")]
HIPS = (L["left_hip"], L["right_hip"])
SHOULDERS = (L["left_shoulder"], L["right_shoulder"])
# a whole-body dip (docstring): the steadied hips put the trunk's picture length this far off its running
# median, while the guessed hips keep it within the other share
DIP_STEADIED_OFF = 0.25
DIP_GUESS_WITHIN = 0.10
TIME_EPS_S = 1e-6  # timestamps that differ by less are the same instant (float rounding of PTS)


def legs_guessed(visibility: np.ndarray) -> np.ndarray:
    """(N,) bool, from the landmarks: frames whose legs' confidence (mean visibility of hips, knees and
    ankles, as the angles' ``confidence_legs``) is below the cleaning's ``MIN_CONFIDENCE``, so their leg
    angles will be left empty; frames without a person are False. (``processor.accuracy.legs_hidden`` reads
    the same from the cleaned angle table.)"""
    with np.errstate(invalid="ignore"):
        return np.asarray(visibility, dtype=np.float64)[:, LEGS].mean(axis=1) < MIN_CONFIDENCE


def running_median(values: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(N, k) centred running median over ``WINDOW_S`` of every frame's values (NaN ignored), in time order.

    Centred at the video's ends too: within half a window of its first or last frame the window shrinks
    to the time left on that side, the same on the other. pandas' centred window is cut off there instead
    and becomes one-sided, so it would follow a monotone motion only in the middle of the video: at the
    start of the rendered 45° bench clip it took the hips of the bend that followed, and the upright
    first second read 16° bent. The price: an excursion at the very start or end is not removed.
    """
    order = np.argsort(t, kind="stable")  # a time window needs sorted times (decoding gives them sorted)
    ts = np.asarray(t, dtype=np.float64)[order]
    v = np.asarray(values, dtype=np.float64)[order]
    med = (
        pd.DataFrame(v, index=pd.to_timedelta(ts, unit="s"))
        .rolling(pd.Timedelta(seconds=WINDOW_S), center=True, closed="both", min_periods=1)
        .median()
        .to_numpy(copy=True)  # written to below
    )
    half = WINDOW_S / 2.0
    if len(ts):
        for i in np.flatnonzero((ts - ts[0] < half) | (ts[-1] - ts < half)):
            h = min(half, ts[i] - ts[0], ts[-1] - ts[i])
            # the same span on both sides; TIME_EPS_S keeps a frame exactly at the span's end in
            lo = np.searchsorted(ts, ts[i] - h - TIME_EPS_S, "left")
            hi = np.searchsorted(ts, ts[i] + h + TIME_EPS_S, "right")
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a window of NaN only: NaN, as pandas gives
                med[i] = np.nanmedian(v[lo:hi], axis=0)
    out = np.empty_like(med)
    out[order] = med
    return out


def steady_hidden_hips(
    world: np.ndarray, image: np.ndarray, visibility: np.ndarray, time_s: np.ndarray, width: int, height: int
) -> tuple[np.ndarray, dict]:
    """The image-anchored skeleton with the hips of the legs-hidden frames steadied (module docstring).

    ``world`` (N, 33, 3) hip-centred metres, x and y the picture's (``processor.anchoring``); ``image``
    (N, 33, 2) normalised picture positions. Returns a copy and what was done.
    """
    w = np.array(world, dtype=np.float64, copy=True)
    hidden = legs_guessed(visibility)
    info: dict = {"frames": int(hidden.sum())}
    if not hidden.any():
        info["method"] = "not needed (the legs are seen in every frame)"
        return w, info
    px = np.asarray(image, dtype=np.float64) * np.array([float(width), float(height)])
    hip = px[:, HIPS].mean(axis=1)
    t = np.asarray(time_s, dtype=np.float64)
    steady = running_median(hip, t)
    # a whole-body dip (a squat behind the bench) keeps the trunk's picture length, a guess that moves the
    # hips against the shoulders changes it: where the steadied hips put that length well off its running
    # median and the guess keeps it close, the guess stands (docstring)
    shoulders = px[:, SHOULDERS].mean(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        length = np.linalg.norm(shoulders - hip, axis=1)
        typical = running_median(length[:, None], t)[:, 0]
        off_raw = np.abs(length - typical) / typical
        off_steady = np.abs(np.linalg.norm(shoulders - steady, axis=1) - typical) / typical
        keep = (off_steady > DIP_STEADIED_OFF) & (off_raw < DIP_GUESS_WITHIN)
    steady = np.where(keep[:, None], hip, steady)
    # pixels per metre of each frame: the anchored skeleton is the picture scaled (processor.anchoring)
    scale = frame_scales(w[..., :2], px, np.isfinite(px).all(axis=2).astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        shift = (steady - hip) / scale[:, None]
    ok = hidden & np.isfinite(shift).all(axis=1) & (scale > 0)
    above = np.setdiff1d(np.arange(w.shape[1]), HIPS)
    w[np.ix_(ok, above, [0, 1])] -= shift[ok][:, None, :]
    moved = np.hypot(*(steady - hip)[ok].T) if ok.any() else np.zeros(0)
    info.update(
        method=f"the hips' picture position in the frames with the legs hidden: its running median over {WINDOW_S:g} s",
        frames=int(ok.sum()),
        frames_dip_kept=int((ok & keep).sum()),
        largest_shift_px=round(float(moved.max()), 1) if len(moved) else 0.0,
    )
    return w, info
