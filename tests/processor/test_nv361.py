"""The NV 361/2007 catalogue on exact angle series: each measurable row gets its seconds, nothing else.

Every series is 5 minutes at 10 frames/s of a person standing upright (all angles 0°) with one posture
pattern added: a hold (10 s from 100 s on, static) or 2-s movements every 60 s (1/min) or every 20 s
(3/min) from 5 s on, dynamic.
"""

from __future__ import annotations

import numpy as np
import pytest

from processor.nv361 import load_catalogue, parse_supported
from processor.nv361.category import category, limits, table8_coefficient, work_time
from processor.nv361.evaluate import assess, evaluate_catalogue, row_minutes, sentence
from tests.processor.angle_tables import make_angles

DURATION = 300.0


def hold(value, start=100.0, length=10.0, base=0.0):
    return lambda t: np.where((t >= start - 1e-9) & (t < start + length - 1e-9), value, base)


def moves(value, per_min, length=2.0, base=0.0):
    period = 60.0 / per_min
    return lambda t: np.where((t >= 5 - 1e-9) & ((t - 5 + 1e-9) % period < length - 1e-9), value, base)


def seconds_by_row(supported=frozenset(), **series):
    result = evaluate_catalogue(make_angles(DURATION, **series), frozenset(supported))
    return {r.row.id: round(r.seconds, 2) for r in result.rows if r.seconds > 0}, result


N_HOLD, N_1, N_3 = 10.0, 5 * 2.0, 15 * 2.0  # seconds: one 10-s hold; 5 and 15 two-second movements

CASES = [
    # (rows expected with their seconds, series, supported marks)
    ({"trunk.flex_gt60.static": N_HOLD}, {"trunk_flexion_deg": hold(70)}, ()),
    ({"trunk.flex_gt60.dyn_ge2": N_3}, {"trunk_flexion_deg": moves(70, 3)}, ()),
    ({"trunk.flex_gt60.dyn_lt2": N_1}, {"trunk_flexion_deg": moves(70, 1)}, ()),
    ({"trunk.flex_40_60.static": N_HOLD}, {"trunk_flexion_deg": hold(50)}, ()),
    ({}, {"trunk_flexion_deg": moves(50, 3)}, ()),  # dynamic 40–60°: no catalogue row
    ({"trunk.ext_unsupported.static": N_HOLD}, {"trunk_flexion_deg": hold(-20)}, ()),
    ({"trunk.ext_supported.static": N_HOLD}, {"trunk_flexion_deg": hold(-20)}, ("trunk",)),
    ({"trunk.ext.dyn_lt2": N_1}, {"trunk_flexion_deg": moves(-20, 1)}, ()),
    ({}, {"trunk_flexion_deg": hold(-8)}, ()),  # within the −10° band of upright
    ({"trunk.bend_twist_gt20.static": N_HOLD}, {"trunk_side_bend_deg": hold(-25)}, ()),
    ({"trunk.bend_twist_gt20.static": N_HOLD}, {"trunk_twist_deg": hold(25)}, ()),
    ({"trunk.bend_twist_gt20.dyn_ge2": N_3}, {"trunk_side_bend_deg": moves(25, 3)}, ()),
    ({"trunk.bend_gt20.dyn_lt2": N_1}, {"trunk_side_bend_deg": moves(25, 1)}, ()),
    ({}, {"trunk_twist_deg": moves(25, 1)}, ()),  # a twist below 2/min has no row (only the side bend has)
    ({"trunk.bend_twist_10_20.static": N_HOLD}, {"trunk_side_bend_deg": hold(15)}, ()),
    ({"head.flex_gt25_unsupported.static": N_HOLD}, {"head_inclination_deg": hold(35)}, ()),
    ({"head.flex_25_40_supported.static": N_HOLD}, {"head_inclination_deg": hold(35)}, ("trunk",)),
    ({}, {"head_inclination_deg": hold(50)}, ("trunk",)),  # supported, over 40°: neither row
    ({"head.flex_gt25.dyn_ge2": N_3}, {"head_inclination_deg": moves(35, 3)}, ()),
    ({"head.flex_25_40.dyn_lt2": N_1}, {"head_inclination_deg": moves(35, 1)}, ()),
    ({}, {"head_inclination_deg": moves(50, 1)}, ()),
    ({"head.ext_unsupported.static": N_HOLD}, {"head_inclination_deg": hold(-20)}, ()),
    ({}, {"head_inclination_deg": hold(-20)}, ("head",)),
    ({"head.ext.dyn_ge2": N_3}, {"head_inclination_deg": moves(-20, 3)}, ()),
    ({"head.ext_le15.dyn_lt2": N_1}, {"head_inclination_deg": moves(-13, 1)}, ()),
    ({}, {"head_inclination_deg": moves(-20, 1)}, ()),
    ({"head.bend_rot_gt15.static": N_HOLD}, {"head_side_bend_deg": hold(20)}, ()),
    ({"head.bend_rot_gt15.dyn_ge2": N_3}, {"head_rotation_deg": moves(-20, 3)}, ()),
    ({"head.bend_rot_le15.dyn_lt2": N_1}, {"head_rotation_deg": moves(13, 1)}, ()),
    ({}, {"head_rotation_deg": moves(8, 1)}, ()),  # within the 10° band every head has
    ({"legs.extreme_knee_ankle.static": N_HOLD}, {"knee_flexion_right_deg": hold(140)}, ()),
    ({"other.lying_kneeling_squatting.static": N_HOLD}, {"knee_height_ratio": hold(0.05, base=0.5)}, ()),  # kneeling
    ({"other.lying_kneeling_squatting.static": N_HOLD, "legs.extreme_knee_ankle.static": N_HOLD},  # a deep squat
     {"hip_height_ratio": hold(0.4, base=0.95), "knee_flexion_left_deg": hold(135), "knee_flexion_right_deg": hold(135)}, ()),
    ({}, {"hip_height_ratio": hold(0.48, base=0.95), "knee_flexion_left_deg": hold(90),  # sitting on a chair
          "knee_flexion_right_deg": hold(90)}, ()),
    ({"trunk.flex_gt60.static": N_HOLD, "other.lying_kneeling_squatting.static": N_HOLD},  # lying on the side
     {"hip_height_ratio": hold(0.1, base=0.95), "trunk_flexion_deg": hold(85)}, ()),
]
for side, col in (("R", "right"), ("L", "left")):
    CASES += [
        ({f"arm_{side}.elev_gt60.static": N_HOLD}, {f"upper_arm_elevation_{col}_deg": hold(90)}, ()),
        ({f"arm_{side}.elev_gt60.dyn_ge2": N_3}, {f"upper_arm_elevation_{col}_deg": moves(90, 3)}, ()),
        ({}, {f"upper_arm_elevation_{col}_deg": moves(90, 1)}, ()),
        ({f"arm_{side}.elev_40_60_unsupported.static": N_HOLD}, {f"upper_arm_elevation_{col}_deg": hold(50)}, ()),
        ({}, {f"upper_arm_elevation_{col}_deg": hold(50)}, ("arm",)),
        ({f"arm_{side}.elev_40_60.dyn_ge2": N_3}, {f"upper_arm_elevation_{col}_deg": moves(50, 3)}, ()),
        ({f"arm_{side}.awkward.static": N_HOLD},
         {f"upper_arm_extension_{col}_deg": hold(35), f"upper_arm_elevation_{col}_deg": hold(35)}, ()),
        ({f"arm_{side}.ext.dyn_ge2": N_3},
         {f"upper_arm_extension_{col}_deg": moves(35, 3), f"upper_arm_elevation_{col}_deg": moves(35, 3)}, ()),
        ({f"arm_{side}.ext.dyn_lt2": N_1},
         {f"upper_arm_extension_{col}_deg": moves(35, 1), f"upper_arm_elevation_{col}_deg": moves(35, 1)}, ()),
    ]


@pytest.mark.parametrize(("expected", "series", "supported"), CASES, ids=lambda x: None)
def test_each_posture_lands_in_its_row_with_its_seconds(expected, series, supported):
    got, _ = seconds_by_row(frozenset(supported), **series)
    assert got == pytest.approx(expected)


def test_every_measurable_row_is_reached_by_a_case():
    reached = {rid for expected, _, _ in CASES for rid in expected}
    measurable = {r.id for r in load_catalogue() if r.measurable}
    assert measurable - reached == set()


def test_the_catalogue_is_the_regulation_s_52_rows_with_verbatim_texts():
    import csv
    from pathlib import Path

    rows = load_catalogue()
    assert len(rows) == 52
    shared = Path(__file__).resolve().parents[3] / "shared" / "nv361" / "catalogue.csv"
    if shared.is_file():  # the legal source beside the project (not in CI's clone)
        with shared.open(encoding="utf-8") as fh:
            legal = {r["id"]: r for r in csv.DictReader(fh)}
        assert set(legal) == {r.id for r in rows}
        for r in rows:
            assert (r.text_cs, r.row_class, r.work, r.frequency, r.part) == (
                legal[r.id]["text_cs"], legal[r.id]["class"], legal[r.id]["work"], legal[r.id]["frequency"], legal[r.id]["part"])
    assert next(r for r in rows if r.id == "trunk.flex_gt60.static").text_cs == "Předklon trupu větší než 60°"


def test_no_episode_can_match_two_rows():
    """For every signal, zone, static/dynamic, frequency class and support marking at most one row applies
    (rows of one zone are then told apart by nothing else, so no condition can make two match)."""
    from itertools import product

    rows = load_catalogue()
    marks = [frozenset(s) for s in ([], ["trunk"], ["head"], ["arm"], ["trunk", "head", "arm"])]
    for r, static, high, supported in product(rows, (True, False), (True, False), marks):
        same = [o.id for o in rows if o.measurable and (o.signal, o.zone) == (r.signal, r.zone)
                and o.static == static and (static or o.high_frequency == high) and o.applies_with(supported)]
        assert len(same) <= 1, same


def test_noise_across_a_border_is_one_posture_and_one_row():
    wobble = lambda t: np.where((t >= 100) & (t < 120), 60.0 + 1.5 * np.sin(2 * np.pi * 2 * t), 0.0)  # noqa: E731
    got, result = seconds_by_row(trunk_flexion_deg=wobble)
    assert got == pytest.approx({"trunk.flex_40_60.static": 20.0})
    assert result.row("trunk.flex_40_60.static").episodes == 1


def test_two_blips_over_ten_degrees_make_no_twist_posture():
    blips = lambda t: np.where(((t >= 30) & (t < 30.25)) | ((t >= 70) & (t < 70.25)), 12.0, 0.0)  # noqa: E731
    got, _ = seconds_by_row(trunk_twist_deg=blips)
    assert got == {}


def test_a_gap_splits_a_hold_and_the_minutes_use_the_measured_time():
    y = lambda t: np.where((t >= 100) & (t < 110), 70.0, 0.0) + np.where((t >= 104) & (t < 106), np.nan, 0.0)  # noqa: E731
    got, result = seconds_by_row(trunk_flexion_deg=y, trunk_side_bend_deg=y, trunk_twist_deg=y)
    # two 4-s stays, not static; dynamic at 2 movements in the window = >= 2/min
    assert got["trunk.flex_gt60.dyn_ge2"] == pytest.approx(8.0)
    row = result.row("trunk.flex_gt60.dyn_ge2")
    assert row.analysed_s == pytest.approx(298.0)
    minutes = row_minutes(result, 480.0)["trunk.flex_gt60.dyn_ge2"]
    assert minutes == pytest.approx(8.0 / 298.0 * 480.0)


def test_rows_not_measurable_from_video_are_listed_as_such():
    result = evaluate_catalogue(make_angles(60))
    status = {r.row.id: r.status for r in result.rows}
    assert status["legs.rotation.dyn_ge2"] == "not_from_video"
    assert status["trunk.ext_supported.static"] == "needs_support"
    assert status["trunk.flex_gt60.static"] == "measured"
    partial = make_angles(60).drop(columns=["head_side_bend_deg", "head_rotation_deg"])
    status = {r.row.id: r.status for r in evaluate_catalogue(partial).rows}
    assert status["head.bend_rot_gt15.static"] == "not_measured"
    minutes = row_minutes(evaluate_catalogue(partial), 480)
    assert minutes["head.bend_rot_gt15.static"] is None and minutes["trunk.flex_gt60.static"] == 0.0


def test_side_bend_rows_filmed_from_the_side_are_not_measured_not_zero():
    """From the side the trunk's side bend is left empty by the cleaning: the rows that count the larger of
    it and the twist say so instead of claiming no minutes, even with the twist measured; the same bend
    filmed from in front is counted."""
    from processor.cleaning import clean_angles

    def status(azimuth):
        df = clean_angles(make_angles(300, trunk_side_bend_deg=hold(25), camera_azimuth_deg=azimuth), 300.0).df
        result = evaluate_catalogue(df)
        return {r.row.id: r.status for r in result.rows}, row_minutes(result, 480)

    side, side_minutes = status(90.0)
    assert side["trunk.bend_twist_gt20.static"] == "not_measured" and side_minutes["trunk.bend_twist_gt20.static"] is None
    assert side["trunk.bend_twist_10_20.static"] == "not_measured"
    assert side["trunk.flex_gt60.static"] == "measured"
    front, front_minutes = status(0.0)
    assert front["trunk.bend_twist_gt20.static"] == "measured" and front_minutes["trunk.bend_twist_gt20.static"] > 0


def test_support_words():
    assert parse_supported("trup, paže") == {"trunk", "arm"}
    assert parse_supported(["head"]) == {"head"}
    with pytest.raises(ValueError, match="knee"):
        parse_supported("knee")


# -- table 8 and categories ---------------------------------------------------------------------------


@pytest.mark.parametrize(("minutes", "k"), [
    (240, 0.800), (269, 0.800), (270, 0.825), (420, 0.950), (449, 0.950), (450, 0.975), (479, 0.975),
    (480, 1.000), (481, 1.025), (509, 1.025), (510, 1.050), (600, 1.125), (630, 1.150), (659, 1.150),
    (660, 1.175), (689, 1.175), (690, 1.200), (720, 1.200),
])  # fmt: skip
def test_table8_coefficients(minutes, k):
    assert table8_coefficient(minutes) == (pytest.approx(k), True)


def test_table8_below_its_first_row_is_flagged():
    assert table8_coefficient(200) == (0.8, False)


def test_the_readme_example_limits_at_450_min():
    k, _ = table8_coefficient(450)
    assert limits("PP", k) == pytest.approx((97.5, 156.0))
    assert limits("N", k) == pytest.approx((19.5, 29.25))


@pytest.mark.parametrize(("minutes", "cls", "work", "cat"), [
    (100.0, "PP", 480, 1), (100.1, "PP", 480, 2), (160.0, "PP", 480, 2), (160.1, "PP", 480, 3),
    (20.0, "N", 480, 1), (20.5, "N", 480, 2), (30.0, "N", 480, 2), (30.5, "N", 480, 3),
    (98.0, "PP", 450, 2), (97.5, "PP", 450, 1), (29.3, "N", 450, 3), (29.25, "N", 450, 2),
    (114.0, "PP", 630, 1), (115.5, "PP", 630, 2), (34.0, "N", 630, 2), (34.6, "N", 630, 3),
])  # fmt: skip
def test_row_categories_with_the_work_time_correction(minutes, cls, work, cat):
    assert category(minutes, cls, work_time(work, "setting").coefficient) == cat


def test_the_category_of_a_video_and_its_sentence():
    # 30 s of static trunk flexion over 60° in 300 s -> 48 min at 480 -> N over 30: category 3;
    # 10 s at 50° static -> 16 min PP -> category 1
    y = lambda t: np.where((t >= 100) & (t < 130), 70.0, np.where((t >= 200) & (t < 210), 50.0, 0.0))  # noqa: E731
    result = evaluate_catalogue(make_angles(DURATION, trunk_flexion_deg=y))
    a = assess(row_minutes(result, 480), work_time(480, "default"))
    assert a.row("trunk.flex_gt60.static").minutes == pytest.approx(48.0)
    assert a.row("trunk.flex_40_60.static").minutes == pytest.approx(16.0)
    assert a.category == 3 and a.deciding == ("trunk.flex_gt60.static",)
    assert "Předklon trupu větší než 60°" in sentence(a, "cs") and "48 min" in sentence(a, "cs")
    # at 630 min: 63 min > 30 × 1.15 -> still 3; the PP row 21 min -> 1
    a630 = assess(row_minutes(result, 630), work_time(630, "setting"))
    assert a630.row("trunk.flex_gt60.static").minutes == pytest.approx(63.0) and a630.category == 3
    # 10 s over 60° -> 16 min at 480: category 1
    short = evaluate_catalogue(make_angles(DURATION, trunk_flexion_deg=hold(70)))
    a1 = assess(row_minutes(short, 480), work_time(480, "default"))
    assert a1.category == 1 and a1.deciding == () and "category: 1" in sentence(a1, "en")


def test_a_part_seen_only_in_its_posture_widens_the_range_to_what_the_hidden_time_could_hold():
    """Seen from the side the far arm shows when it is raised and hides when it hangs. 300 s analysed,
    the right arm seen only during a 5-s raise to 90°: extrapolated from its measured time the raise is
    the whole shift (480 min, category 3); the hidden 295 s could hold none of it (5 / 300 × 480 = 8 min,
    category 1) or all of it. The row is borderline 1–3 instead of a plain category 3."""
    from processor.nv361.category import work_time
    from processor.nv361.evaluate import evaluate_and_assess, minutes_ranges

    seen = lambda t: np.where((t >= 100) & (t < 105), 90.0, np.nan)  # noqa: E731
    df = make_angles(300, upper_arm_elevation_right_deg=seen)
    _, a = evaluate_and_assess(df, work_time(480, "default"))
    row = a.row("arm_R.elev_gt60.static")
    assert row.minutes == pytest.approx(480.0)
    assert row.minutes_range == pytest.approx((5.0 / 300 * 480, 480.0))
    assert row.borderline and row.category_range == (1, 3)
    # a row that does not apply (the video is marked as supported) holds none of the hidden time
    _, marked = evaluate_and_assess(df, work_time(480, "default"), supported=frozenset({"arm"}))
    na = marked.row("arm_R.elev_40_60_unsupported.static")
    assert na.minutes == 0.0 and na.minutes_range == (0.0, 0.0) and not na.borderline
    # fully measured, nothing changes: the same raise with the arm seen hanging the rest of the time
    full = make_angles(300, upper_arm_elevation_right_deg=lambda t: np.where((t >= 100) & (t < 105), 90.0, 0.0))
    lo, hi = minutes_ranges(full, 480.0)["arm_R.elev_gt60.static"]
    assert lo == pytest.approx(5.0 / 300 * 480) and hi == pytest.approx(5.0 / 300 * 480)
