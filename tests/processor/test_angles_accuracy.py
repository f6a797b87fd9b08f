"""Accuracy of video -> pose -> angles -> cleaning against rendered synthetic people with known postures.

Clips and truth: tests/data/synthetic/<body>_<view>.mp4/.csv (made by tests/data/make_synthetic.py).
The arms hang plumb while the trunk bends. The camera is on the subject's left for "side", 45° front-left for "45", in front for "front": the left
arm faces the camera in the side and 45° views. Measured numbers are printed (``pytest -s``) and
written to test-artifacts/synthetic_accuracy.csv.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from processor import trunk_depth
from processor.angles import compute_angles
from processor.cleaning import clean_angles
from tests.support.poses import balanced_pose

DATA = Path(__file__).resolve().parents[1] / "data" / "synthetic"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CLIPS = [f"{b}_{v}" for b in ("bodyA", "bodyB") for v in ("side", "45", "front")]
# every rendered clip with its truth (new views are picked up as they are committed)
ALL_CLIPS = sorted(p.stem for p in DATA.glob("*.mp4") if p.with_suffix(".csv").exists())
# The clips that still miss the 5° trunk goal (issue 13), with the MAE measured by bench/skeleton_accuracy.py
# (balanced preset, 2026-11-30, one run with the README's table): in front MediaPipe's depth near upright
# (a raised arm, a bowed head or a side bend move the trunk 8-14° in depth, which the picture, blind near
# the picture plane, only partly takes back: processor.trunk_depth, 3.; the true camera pitch does not
# help: processor.angles, "The vertical"), and bodyA_front's 22° bend, which the picture reads as 14°
# (perspective); the rear work cycle's deep bends, where MediaPipe's 2D shoulders
# fall onto the hips (read ~90° for 60-70°) and the fresh reading of 28 of its 45 short frames is no better
# (processor.reread; the two rear sweeps now meet 5°); behind the bench seen from the front the hips are
# hidden and MediaPipe's depth of the shoulders against them is a guess (their picture position is
# steadied: processor.hidden_hips; the depth capped by the trunk's length: processor.trunk_depth), and the
# picture holds no flexion near upright there (processor.sagittal mends the bench seen at 45°; in front the
# trunk's foreshortening reads the bends, processor.trunk_depth 3., but upright frames read +7°); with the
# camera 1.8 m in front of bodyB, MediaPipe's depth read the trunk 14° off before any correction.
TRUNK_GOAL_MISSED = {"bodyA_front": 7.0, "bodyA_front_cycle": 6.8, "bodyA_rear_cycle": 6.9, "bodyB_bench_front": 6.4,
                     "bodyB_front_near": 6.9}
pytestmark = pytest.mark.slow

_cache: dict[str, pd.DataFrame] = {}



def analysed(clip: str, trunk_depth: bool = True, neck_depth: bool = True, sagittal: bool = True,
             arms_sagittal: bool = True, arms_front: bool = True) -> pd.DataFrame:
    """Cleaned angles merged with the truth (truth columns suffixed _t)."""
    key = (clip + ("" if trunk_depth else "/no trunk depth") + ("" if neck_depth else "/no neck depth")
           + ("" if sagittal else "/no sagittal") + ("" if arms_sagittal else "/no arms sagittal")
           + ("" if arms_front else "/no arms front"))
    if key not in _cache:
        pose = balanced_pose(DATA / f"{clip}.mp4")
        angles = compute_angles(pose, trunk_depth=trunk_depth, neck_depth=neck_depth, sagittal=sagittal,
                                arms_sagittal=arms_sagittal, arms_front=arms_front)
        cleaned = clean_angles(angles, pose.video.duration_s)
        m = with_truth(clip, cleaned.df)
        m.attrs["analysed_share"] = cleaned.analysed_share
        _cache[key] = m
    return _cache[key]


def with_truth(clip: str, cleaned: pd.DataFrame) -> pd.DataFrame:
    """Cleaned angles merged with the clip's truth (truth columns suffixed _t)."""
    truth = pd.read_csv(DATA / f"{clip}.csv")
    return pd.merge_asof(cleaned, truth, on="time_s", suffixes=("", "_t"), tolerance=0.03, direction="nearest")


def holds(m: pd.DataFrame) -> pd.Series:
    """Frames inside a held posture (targets constant for ±0.3 s): transitions excluded."""
    targets = m.filter(like="target_").to_numpy()
    same = np.all(np.abs(np.diff(targets, axis=0)) < 1e-9, axis=1)
    still = np.concatenate([[False], same]) & np.concatenate([same, [False]])
    s = pd.Series(still)
    return s.rolling(7, center=True, min_periods=1).min().astype(bool)


def mae(m: pd.DataFrame, col: str, mask=None) -> float:
    e = (m[col] - m[f"{col}_t"]).abs()
    if mask is not None:
        e = e[mask.to_numpy()]
    return float(e.mean())


def record(clip: str, metric: str, value: float) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "synthetic_accuracy.csv"
    new = not path.exists()
    with path.open("a") as fh:
        if new:
            fh.write("clip,metric,value\n")
        fh.write(f"{clip},{metric},{value:.2f}\n")
    print(f"{clip:12s} {metric:40s} {value:6.2f}")


@pytest.mark.parametrize("clip", CLIPS)
def test_person_found_in_every_frame(clip):
    m = analysed(clip)
    record(clip, "analysed_share", m.attrs["analysed_share"])
    assert m.attrs["analysed_share"] > 0.95


@pytest.mark.parametrize("clip", [c for c in CLIPS if not c.endswith("front")])
def test_trunk_flexion_mae_side_and_45(clip):
    m = analysed(clip)
    value = mae(m, "trunk_flexion_deg")
    record(clip, "trunk_flexion_mae_deg", value)
    record(clip, "trunk_flexion_mae_holds_deg", mae(m, "trunk_flexion_deg", holds(m)))
    assert value <= 5.0


@pytest.mark.parametrize("clip", [c for c in CLIPS if c.endswith("front")])
def test_trunk_flexion_front_view_recorded(clip):
    # Seen from the front, flexion rests on MediaPipe's depth estimate: recorded, looser bound.
    value = mae(analysed(clip), "trunk_flexion_deg")
    record(clip, "trunk_flexion_mae_deg", value)
    assert value <= 10.0


@pytest.mark.parametrize("clip", CLIPS)
def test_trunk_zone_time_on_holds(clip):
    """Time in the legacy trunk zones (≤40, 40–60, >60°) within 5 % of the video on the static holds."""
    m = analysed(clip)
    h = holds(m)
    bins = [-np.inf, 40, 60, np.inf]
    got = pd.cut(m.loc[h.to_numpy(), "trunk_flexion_deg"], bins).value_counts(normalize=True).sort_index()
    want = pd.cut(m.loc[h.to_numpy(), "trunk_flexion_deg_t"], bins).value_counts(normalize=True).sort_index()
    worst = float((got - want).abs().max())
    record(clip, "trunk_zone_share_max_diff", worst * 100)
    assert worst <= 0.05


@pytest.mark.parametrize("clip", [c for c in CLIPS if not c.endswith("front")])
def test_upper_arm_elevation_arm_facing_camera(clip):
    m = analysed(clip)
    value = mae(m, "upper_arm_elevation_left_deg")
    record(clip, "arm_left_elevation_mae_deg", value)
    record(clip, "arm_left_elevation_mae_holds_deg", mae(m, "upper_arm_elevation_left_deg", holds(m)))
    record(clip, "arm_right_elevation_mae_deg", mae(m, "upper_arm_elevation_right_deg"))
    assert value <= 8.0


@pytest.mark.parametrize("clip", [c for c in ("bodyA_tilt_down", "bodyA_tilt_up", "bodyA_side", "bodyB_side", "bodyC_side",
                                         "bodyA_pan", "bodyC_45") if c in ALL_CLIPS])
def test_the_near_arm_from_the_side_is_read_in_the_sagittal_plane(clip):
    """Seen from the side or obliquely, the forward raises lie in the sagittal plane and the picture gives
    their depth (processor.sagittal, step 3): the arm facing the camera meets 8° also with the camera
    pitched 25° down or 15° up, where MediaPipe's depth left it 18.2 / 12.0° off, and gains elsewhere."""
    with_step = mae(analysed(clip), "upper_arm_elevation_left_deg")
    without = mae(analysed(clip, arms_sagittal=False), "upper_arm_elevation_left_deg")
    record(clip, "arm_left_elevation_mae_deg_without_arm_plane", without)
    assert with_step <= 8.0 and with_step <= without - 1.0


@pytest.mark.parametrize("clip", [c for c in ("bodyA_front", "bodyB_front", "bodyC_front", "bodyA_front_cycle",
                                         "bodyA_front_near", "bodyB_front_near") if c in ALL_CLIPS])
def test_in_front_the_hanging_arms_come_back_toward_hanging(clip):
    """Seen from in front MediaPipe put the hanging elbows 11-14° behind the shoulders; their foreshortening
    against the person's hanging arms, taken one way (processor.arm_depth), takes part of it back: both
    arms gain (bodyA/B/C_front near arm 13.5 / 12.8 / 10.1 -> 10.6 / 8.8 / 7.3°, 2026-11-30)."""
    for side in ("left", "right"):
        with_step = mae(analysed(clip), f"upper_arm_elevation_{side}_deg")
        without = mae(analysed(clip, arms_front=False), f"upper_arm_elevation_{side}_deg")
        record(clip, f"arm_{side}_elevation_mae_deg_without_arm_depth", without)
        assert with_step <= without - 0.3


@pytest.mark.parametrize("clip", [c for c in ("bodyA_abduct_side", "bodyA_abduct_45") if c in ALL_CLIPS])
def test_sideways_raises_keep_their_reading_or_gain(clip):
    """Arms raised sideways leave the sagittal plane; from the side they point at the camera and their
    short picture keeps MediaPipe's depth (the step must cost nothing there: 16.5 -> 16.7° measured)."""
    with_step = mae(analysed(clip), "upper_arm_elevation_left_deg")
    without = mae(analysed(clip, arms_sagittal=False), "upper_arm_elevation_left_deg")
    record(clip, "arm_left_elevation_mae_deg", with_step)
    record(clip, "arm_left_elevation_mae_deg_without_arm_plane", without)
    assert with_step <= without + 0.5


def neck_error(m: pd.DataFrame) -> pd.Series:
    """Neck flexion error after removing the clip's own first-second (neutral) offset."""
    err = m["neck_flexion_deg"] - m["neck_flexion_deg_t"]
    return err - err[(m["time_s"] < 1.0).to_numpy()].median()


@pytest.mark.parametrize("clip", [c for c in ("bodyB_rear", "bodyC_rear") if c in ALL_CLIPS])
def test_neck_from_behind_gains_where_the_head_shows(clip):
    """Seen from behind, the neck line's depth from its foreshortening (processor.neck_depth): over every
    frame 13.3 / 14.2° without it, 9.9 / 8.4° with it (bench/skeleton_accuracy.py, 2026-11-29)."""
    with_step = float(neck_error(analysed(clip)).abs().mean())
    without = float(neck_error(analysed(clip, neck_depth=False)).abs().mean())
    record(clip, "neck_flexion_mae_all_without_neck_depth", without)
    record(clip, "neck_flexion_mae_all_with_neck_depth", with_step)
    assert with_step <= 11.0 and with_step <= without - 2.5


@pytest.mark.parametrize("clip", ALL_CLIPS)
def test_neck_flexion_after_neutral_offset(clip):
    """Neck flexion error after removing the neutral (first-second) offset, on every clip (issue 13).

    Goal ≤ 8° with the trunk upright (target spine bend < 30°), where the neck is what is rated. With
    the trunk bent 50–75° the rendered spine curves and MediaPipe follows the head less: recorded with
    a looser regression bound on the six base clips (see the all-frames figure; from behind, where the
    head hides in deep bends, it reaches 8–16°).
    """
    m = analysed(clip)
    err = neck_error(m)
    upright = (m["target_trunk_deg"] < 30).to_numpy()
    value = float(err[upright].abs().mean())
    overall = float(err.abs().mean())
    record(clip, "neck_flexion_mae_after_offset_upright_deg", value)
    record(clip, "neck_flexion_mae_after_offset_all_deg", overall)
    assert value <= 8.0
    if clip in CLIPS:
        assert overall <= 14.0


def _raised_arm_is_the_labelled_one(m: pd.DataFrame, up: np.ndarray, raised: str, other: str) -> float:
    """How much higher the raised arm reads than the other while it is raised: the median difference
    where both are measured; where the other is hidden (its elbow behind the body: left empty), the
    raised arm's own reading (a swap would put the hanging arm's ~0° there)."""
    r = m.loc[up, f"upper_arm_elevation_{raised}_deg"]
    o = m.loc[up, f"upper_arm_elevation_{other}_deg"]
    assert r.notna().sum() > 5, "the raised arm is measured"
    both = r.notna() & o.notna()
    return float((r - o)[both].median()) if both.sum() > 5 else float(r.median())


@pytest.mark.parametrize("clip", CLIPS + [c for c in ("bodyB_rear",) if c in ALL_CLIPS])
def test_sides_not_swapped(clip):
    """Also from straight behind, where MediaPipe read 10.2–11.1 s as the mirror image (processor.facing)."""
    m = analysed(clip)
    left_up = (m["target_arm_l_deg"] >= 140).to_numpy()
    right_up = (m["target_arm_r_deg"] >= 85).to_numpy()
    assert left_up.sum() > 5 and right_up.sum() > 5
    d_left = _raised_arm_is_the_labelled_one(m, left_up, "left", "right")
    d_right = _raised_arm_is_the_labelled_one(m, right_up, "right", "left")
    record(clip, "left_minus_right_when_left_raised", d_left)
    record(clip, "right_minus_left_when_right_raised", d_right)
    assert d_left > 60 and d_right > 40


@pytest.mark.parametrize(
    "clip",
    [pytest.param(c, marks=pytest.mark.xfail(reason=f"measured {TRUNK_GOAL_MISSED[c]}°", strict=False))
     if c in TRUNK_GOAL_MISSED else c for c in ALL_CLIPS],
)
def test_trunk_flexion_mae_every_clip(clip):
    """Trunk flexion within 5° MAE in every view (issue 13); before/after the trunk-depth correction recorded."""
    after = mae(analysed(clip), "trunk_flexion_deg")
    before = mae(analysed(clip, trunk_depth=False), "trunk_flexion_deg")
    record(clip, "trunk_flexion_mae_deg_without_depth_correction", before)
    record(clip, "trunk_flexion_mae_deg_with_depth_correction", after)
    assert after <= 5.0


def test_short_trunks_are_read_again_from_behind_and_nowhere_from_the_side():
    """From behind, the tracked deep bends' trunks collapse below a curled spine's length and are read
    afresh (processor.reread); from the side the picture shows the whole trunk and no frame is short."""
    rear = balanced_pose(DATA / "bodyB_rear.mp4").meta
    assert rear["short_trunk_frames"] > 0
    assert rear["short_trunk_frames_read_again"] >= 0.8 * rear["short_trunk_frames"]
    for clip in ("bodyA_side", "bodyB_side", "bodyC_side"):
        assert balanced_pose(DATA / f"{clip}.mp4").meta["short_trunk_frames"] == 0


# Behind the machine the guessed hips make the trunk 1.2-1.3 times its length in 8 frames as the worker
# reappears, and the cap on guessed hips (processor.trunk_depth, 4.) moves them 1.5°: 2.64 -> 2.70° over the
# clip (2026-11-30). The open side views must not move at all.
SIDE_COST_ALLOWED = {"bodyC_machine_side": 0.1}


@pytest.mark.parametrize("clip", [c for c in ALL_CLIPS if c.endswith("_side")])
def test_side_views_no_worse_with_trunk_depth(clip):
    """Seen from the side the picture shows the whole trunk: the correction must not cost anything."""
    after = mae(analysed(clip), "trunk_flexion_deg")
    before = mae(analysed(clip, trunk_depth=False), "trunk_flexion_deg")
    assert after <= before + SIDE_COST_ALLOWED.get(clip, 0.05)


def _zone_time(m: pd.DataFrame) -> float:
    """Share of the measured frames in another NV 361 trunk zone (−10, 40, 60°) than the truth."""
    ok = m["trunk_flexion_deg"].notna() & m["trunk_flexion_deg_t"].notna()
    zones = [-np.inf, -10.0, 40.0, 60.0, np.inf]
    got = pd.cut(m.loc[ok, "trunk_flexion_deg"], zones, labels=False)
    want = pd.cut(m.loc[ok, "trunk_flexion_deg_t"], zones, labels=False)
    return float((got != want).mean())


@pytest.mark.parametrize("clip", ALL_CLIPS)
def test_trunk_zone_time_every_clip(clip):
    """Issue 13: the trunk within 5 % of the time in the NV 361 zone the truth is in, on every clip."""
    m = analysed(clip)
    record(clip, "trunk_zone_time_pct", _zone_time(m) * 100)
    assert _zone_time(m) <= 0.05


# The frontal clips where MediaPipe's trunk lay farthest from upright (processor.trunk_depth, 3., 2026-11-30):
# trunk MAE without -> with the picture taken in front to bring the trunk nearer the picture plane
FRONT_GAINS = {"bodyB_front": (6.2, 4.8), "bodyC_front": (5.4, 4.9), "bodyA_front_near": (7.2, 4.8),
               "bodyB_front_near": (11.0, 6.9)}


@pytest.mark.parametrize("clip", [c for c in FRONT_GAINS if c in ALL_CLIPS])
def test_in_front_the_picture_brings_the_trunk_nearer_upright(clip, monkeypatch):
    """In front MediaPipe's trunk lies farther from upright than the truth in most frames, and the picture's
    foreshortening, taken only where it brings the trunk nearer the picture plane, takes part of that
    back (processor.trunk_depth, 3.); with the camera 1.8 m away, where MediaPipe's depth is worse, too."""
    with_step = mae(analysed(clip), "trunk_flexion_deg")
    monkeypatch.setattr(trunk_depth, "FRONT_MAX_DEG", -1.0)  # no frame counts as seen from in front
    pose = balanced_pose(DATA / f"{clip}.mp4")
    without = mae(with_truth(clip, clean_angles(compute_angles(pose), pose.video.duration_s).df), "trunk_flexion_deg")
    record(clip, "trunk_flexion_mae_deg_without_front_foreshortening", without)
    assert with_step <= without - 0.4


@pytest.mark.skipif("bodyA_bench" not in ALL_CLIPS, reason="bodyA_bench not rendered")
def test_behind_the_bench_seen_obliquely_the_trunk_is_read_from_the_picture():
    """Legs and hips hidden, camera at 45° (issue 13): with the facing steadied and the trunk in the
    sagittal plane (processor.sagittal) the trunk meets 5° and 5 % of the time in another zone; with
    MediaPipe's depth against the guessed hips it read the 73° bend as 51-57° (12 % of the time)."""
    m, without = analysed("bodyA_bench"), analysed("bodyA_bench", sagittal=False)
    record("bodyA_bench", "trunk_zone_time_pct", _zone_time(m) * 100)
    record("bodyA_bench", "trunk_zone_time_pct_without_sagittal", _zone_time(without) * 100)
    assert mae(m, "trunk_flexion_deg") <= 5.0 and _zone_time(m) <= 0.05
    assert _zone_time(without) > 0.08


@pytest.mark.skipif("bodyB_bench_front" not in ALL_CLIPS, reason="bodyB_bench_front not rendered")
def test_behind_the_bench_seen_from_the_front_the_foreshortening_keeps_the_zones():
    """Legs and hips hidden, camera in front (issue 13): the trunk's foreshortening against the person's
    upright proportion, fused with MediaPipe's depth (processor.trunk_depth, 3.), keeps the time in another
    NV 361 trunk zone within 5 % (1.95 %); MediaPipe's depth against the guessed hips read the 42° bend as
    59° (12.3 % of the time in another zone). The MAE stays over 5° (TRUNK_GOAL_MISSED): near upright the
    picture holds no flexion."""
    m = analysed("bodyB_bench_front")
    record("bodyB_bench_front", "trunk_zone_time_pct", _zone_time(m) * 100)
    bend = m["trunk_flexion_deg_t"].between(30.0, 45.0)
    record("bodyB_bench_front", "trunk_bend_30_45_mean_read", float(m.loc[bend, "trunk_flexion_deg"].mean()))
    assert _zone_time(m) <= 0.05
    assert float(m.loc[bend, "trunk_flexion_deg"].mean()) < 55.0


@pytest.mark.skipif("bodyA_front_near" not in ALL_CLIPS, reason="bodyA_front_near not rendered")
def test_a_head_read_beyond_the_necks_range_is_left_empty_not_bent_back():
    """1.8 m in front, MediaPipe read the 73° bend's neck as 126-163° (truth 39°) and the head's inclination
    as −150° (truth 112°), which would count as the head bent back: beyond the neck's anatomical range the
    head is left empty (processor.cleaning), never read as extension."""
    m = analysed("bodyA_front_near")
    deep = (m["trunk_flexion_deg_t"] > 65).to_numpy()
    assert deep.sum() > 10
    assert m.loc[deep, "neck_flexion_deg"].isna().sum() >= 10
    assert (m.loc[deep, "head_inclination_deg"].dropna() > 0).all()


# Clips whose legs are hidden (a bench or a machine between the subject and the camera), with the arm
# facing the camera
OCCLUDED = {"bodyA_bench": "left", "bodyB_bench_front": "left", "bodyC_machine_side": "left"}
VISIBLE_MIN = 0.3  # frames where at least this share of the subject's silhouette is in the picture


def _occluded_shares(clip: str) -> dict[str, float]:
    """Shares of the frames measured: trunk and near arm over the frames where the subject shows
    (``subject_visible_frac`` ≥ ``VISIBLE_MIN``), the far arm and the legs over every frame."""
    m = analysed(clip)
    near = OCCLUDED[clip]
    far = "right" if near == "left" else "left"
    shows = (m["subject_visible_frac"] >= VISIBLE_MIN).to_numpy()
    shares = {
        "trunk": float(m.loc[shows, "trunk_flexion_deg"].notna().mean()),
        "near_arm": float(m.loc[shows, f"upper_arm_elevation_{near}_deg"].notna().mean()),
        "far_arm": float(m[f"upper_arm_elevation_{far}_deg"].notna().mean()),
        "legs": float(m["knee_flexion_left_deg"].notna().mean()),
    }
    for part, share in shares.items():
        record(clip, f"measured_share_{part}", share * 100)
    return shares


@pytest.mark.parametrize("clip", [c for c in OCCLUDED if c in ALL_CLIPS])
def test_trunk_and_near_arm_measured_with_the_legs_hidden(clip):
    """Legs hidden behind a bench or a machine (issue 13): wherever the subject shows, the trunk and the arm
    facing the camera are measured on ≥ 90 % of the frames (no frame lost to "someone else":
    processor.subject); the legs are left empty. Behind the bench seen from the front the deepest bend
    hides the whole subject but the top of the back: those frames stay empty, as they should."""
    shares = _occluded_shares(clip)
    assert shares["trunk"] >= 0.9 and shares["near_arm"] >= 0.9
    assert shares["legs"] < 0.5


@pytest.mark.skipif("bodyA_bench" not in ALL_CLIPS, reason="bodyA_bench not rendered")
@pytest.mark.xfail(reason="measured 37 %: the far arm's elbow is hidden behind the body and the bench (visibility "
                          "< 0.5) on the other frames, and an arm whose elbow is not seen is left empty", strict=False)
def test_bench_far_arm_measured_with_the_legs_hidden():
    assert _occluded_shares("bodyA_bench")["far_arm"] >= 0.9


@pytest.mark.parametrize("clip", [c for c in ALL_CLIPS if c.endswith("_side")])
def test_far_arm_from_the_side_does_not_copy_the_near_arm(clip):
    """Seen from the side the far arm is behind the body. Where it is measured it must be its own: with the
    arm's confidence a mean over shoulder, elbow and wrist, a hidden hanging far arm read the near arm's
    raise (64–152° behind the machine, 15 % of its frames more than 30° off)."""
    m = analysed(clip)
    err = (m["upper_arm_elevation_right_deg"] - m["upper_arm_elevation_right_deg_t"]).abs().dropna()
    off = float((err > 30).mean()) if len(err) else 0.0
    record(clip, "far_arm_share_over_30deg_off", off * 100)
    assert off <= 0.01
