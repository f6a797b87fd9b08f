"""Time in zones on hand-made series whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from processor.episodes import Border
from processor.standards import load_standard, parse_standard
from processor.time_analysis import analyse_times, frame_durations, zone_borders
from tests.processor.angle_tables import make_angles


def zone(result, part, key):
    return next(z for z in result.part(part).zones if z.key == key)


def trunk_series(t):
    """0–30 s upright, 30–45 s at 45°, 45–50 s not measured, 50–60 s at 70°."""
    y = np.where(t < 30, 0.0, np.where(t < 45, 45.0, np.where(t < 50, np.nan, 70.0)))
    return y


def test_frame_durations_credit_each_frame_until_the_next_and_skip_gaps():
    dt = frame_durations(np.array([0.0, 0.1, 0.2, 0.3, 2.0, 2.1]))
    assert dt == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.1, 0.1])  # the 1.7-s gap is not credited
    assert frame_durations(np.array([5.0])).tolist() == [0.0]


def test_time_share_episodes_and_longest_hold():
    r = analyse_times(make_angles(60, trunk_flexion_deg=trunk_series), load_standard("iso11226-shift"))
    trunk = r.part("trunk")
    assert trunk.analysed_s == pytest.approx(55.0)
    assert trunk.analysed_share == pytest.approx(55 / 60)
    assert zone(r, "trunk", "neutral").time_s == pytest.approx(30.0)
    assert zone(r, "trunk", "moderate").time_s == pytest.approx(15.0)
    assert zone(r, "trunk", "severe").time_s == pytest.approx(10.0)
    assert zone(r, "trunk", "moderate").share == pytest.approx(15 / 55)
    assert zone(r, "trunk", "extension").time_s == 0.0
    assert zone(r, "trunk", "severe").longest_hold_s == pytest.approx(10.0)
    assert zone(r, "trunk", "moderate").episodes == 1
    assert [h.zone for h in trunk.holds] == ["moderate", "severe"]
    assert trunk.holds[0].start_s == pytest.approx(30.0) and trunk.holds[0].duration_s == pytest.approx(15.0)


def test_not_measured_frames_are_never_neutral():
    r = analyse_times(make_angles(60, neck_flexion_deg=np.nan), load_standard("iso11226-shift"))
    neck = r.part("neck")
    assert neck.verdict == "not_assessed"
    assert neck.analysed_s == 0.0
    assert all(z.time_s == 0.0 for z in neck.zones)
    # a half-measured part: the shares are of its measured time only
    half = analyse_times(make_angles(60, trunk_flexion_deg=lambda t: np.where(t < 30, np.nan, 45.0)),
                         load_standard("iso11226-shift"))
    assert zone(half, "trunk", "moderate").share == pytest.approx(1.0)
    assert zone(half, "trunk", "neutral").time_s == 0.0
    assert half.part("trunk").analysed_share == pytest.approx(0.5)


def test_extrapolation_to_the_shift():
    # 10 % of the analysed time bent 30° forward (in 1-s dips: no hold near its limit)
    series = lambda t: np.where((t % 10) < 1.0, 30.0, 0.0)  # noqa: E731
    df = make_angles(100, trunk_flexion_deg=series)
    eight = analyse_times(df, load_standard("iso11226-shift"), shift_hours=8)
    ten = analyse_times(df, load_standard("iso11226-shift"), shift_hours=10)
    assert zone(eight, "trunk", "moderate").shift_min == pytest.approx(48.0)
    assert zone(ten, "trunk", "moderate").shift_min == pytest.approx(60.0)
    assert eight.part("trunk").conditional_shift_min == pytest.approx(48.0)
    assert eight.part("trunk").verdict == "conditionally_acceptable"


@pytest.mark.parametrize(("share_bent", "angle", "verdict", "reason"), [
    (0.0, 45.0, "acceptable", None),
    (0.30, 45.0, "conditionally_acceptable", "conditional_present"),    # 144 min ≤ 160
    (0.40, 45.0, "unacceptable", "conditional_over_limit"),             # 192 min > 160
    (0.05, 70.0, "conditionally_acceptable", "unacceptable_present"),   # 24 min ≤ 30
    (0.10, 70.0, "unacceptable", "unacceptable_over_limit"),            # 48 min > 30
])  # fmt: skip
def test_per_shift_verdicts(share_bent, angle, verdict, reason):
    # bent for the first share of every 20-s cycle: holds of at most 8 s, under every hold limit
    series = lambda t: np.where((t % 20) < 20 * share_bent - 1e-9, angle, 0.0)  # noqa: E731
    r = analyse_times(make_angles(200, trunk_flexion_deg=series), load_standard("iso11226-shift"))
    trunk = r.part("trunk")
    assert trunk.verdict == verdict
    if reason:
        assert reason in [x.code for x in trunk.reasons]
    assert r.overall_verdict == verdict


def test_a_hold_over_its_limit_makes_the_part_unacceptable():
    # 45° forward for 200 s; ISO 11226 (iso11226-shift) allows 240 − 180·25/40 = 127.5 s at 45°
    df = make_angles(2000, trunk_flexion_deg=lambda t: np.where(t < 200, 45.0, 0.0))
    r = analyse_times(df, load_standard("iso11226-shift"))
    trunk = r.part("trunk")
    hold = trunk.holds[0]
    assert hold.limit_s == pytest.approx(127.5) and hold.over_limit
    assert zone(r, "trunk", "moderate").holds_over_limit == 1
    assert trunk.verdict == "unacceptable"
    assert "hold_over_limit" in [x.code for x in trunk.reasons]


def test_en1005_frequency_and_static_rules():
    std = load_standard("en1005-4")
    # arm raised to 40° for 1 s, 3 times a minute: frequent movement -> conditional
    often = make_angles(120, upper_arm_elevation_right_deg=lambda t: np.where((t % 20) < 1, 40.0, 10.0))
    r = analyse_times(often, std)
    assert zone(r, "upper_arm_right", "moderate").frequency_per_min == pytest.approx(3.0)
    assert zone(r, "upper_arm_right", "moderate").effective_level == "conditional"
    assert r.part("upper_arm_right").verdict == "conditionally_acceptable"
    # once a minute, briefly: acceptable
    rare = make_angles(120, upper_arm_elevation_right_deg=lambda t: np.where((t % 60) < 1, 40.0, 10.0))
    assert analyse_times(rare, std).part("upper_arm_right").verdict == "acceptable"
    # once a minute but held 10 s: a static posture -> conditional
    held = make_angles(120, upper_arm_elevation_right_deg=lambda t: np.where((t % 60) < 10, 40.0, 10.0))
    r = analyse_times(held, std)
    assert r.part("upper_arm_right").verdict == "conditionally_acceptable"
    assert all(h.static for h in r.part("upper_arm_right").holds)
    # above 60° held: unacceptable
    up = make_angles(120, upper_arm_elevation_left_deg=lambda t: np.where((t % 60) < 10, 120.0, 10.0))
    assert analyse_times(up, std).part("upper_arm_left").verdict == "unacceptable"


def test_legacy_four_second_holds():
    std = load_standard("legacy")
    short = make_angles(60, trunk_flexion_deg=lambda t: np.where((t % 20) < 3, 50.0, 0.0))
    long = make_angles(60, trunk_flexion_deg=lambda t: np.where((t % 20) < 5, 50.0, 0.0))
    rs, rl = analyse_times(short, std), analyse_times(long, std)
    assert zone(rs, "trunk", "moderate").holds_over_limit == 0
    assert zone(rl, "trunk", "moderate").holds_over_limit == 3
    assert [h.over_limit for h in rl.part("trunk").holds] == [True, True, True]
    assert rl.part("trunk").verdict == "conditionally_acceptable"


def test_overall_is_the_worst_part_and_nothing_measured_is_not_assessed():
    df = make_angles(100, upper_arm_elevation_left_deg=lambda t: np.where(t < 20, 90.0, 10.0))
    r = analyse_times(df, load_standard("iso11226-shift"))
    assert r.part("upper_arm_left").verdict == "unacceptable"
    assert r.part("trunk").verdict == "acceptable"
    assert r.overall_verdict == "unacceptable"
    assert r.unacceptable_shift_min == pytest.approx(96.0)
    nothing = make_angles(10, **{c: np.nan for c in
                                 [p.column for p in load_standard("iso11226-shift").parts]})
    r = analyse_times(nothing, load_standard("iso11226-shift"))
    assert r.overall_verdict == "not_assessed" and r.analysed_share == 0.0


def test_combined_limit_of_a_profile():
    raw = {"name": "t", "title": "T", "source": "test",
           "shift_limits": {"conditional_max_min": 400, "unacceptable_max_min": 400, "combined_max_share": 0.5},
           "parts": [{"key": "trunk", "column": "trunk_flexion_deg", "zones": [
               {"key": "neutral", "level": "acceptable", "hi": 20},
               {"key": "moderate", "level": "conditional", "lo": 20, "hi": 60},
               {"key": "severe", "level": "unacceptable", "lo": 60}]}]}
    series = lambda t: np.where((t % 10) < 3, 45.0, np.where((t % 10) < 6, 70.0, 0.0))  # noqa: E731
    r = analyse_times(make_angles(100, trunk_flexion_deg=series), parse_standard(raw))
    assert r.part("trunk").verdict == "unacceptable"
    assert [x.code for x in r.part("trunk").reasons][-1] == "combined_over_limit"


def test_empty_table():
    r = analyse_times(make_angles(0), load_standard("iso11226-shift"), duration_s=0.0)
    assert r.overall_verdict == "not_assessed"


def test_conditional_minutes_over_the_limit_are_stated_once():
    r = analyse_times(make_angles(60, trunk_flexion_deg=lambda t: np.full_like(t, 40.0)),
                      load_standard("iso11226-shift"))
    codes = [reason.code for reason in r.part("trunk").reasons]
    assert "conditional_over_limit" in codes and "conditional_present" not in codes
    assert r.part("trunk").verdict == "unacceptable"


# -- the shared episode rules (processor.episodes): hysteresis, blips, static, movements per minute ----


def test_zone_borders_follow_the_profile_closedness():
    trunk = load_standard("en1005-4").part("trunk")
    assert zone_borders(trunk) == (Border(-10.0, upper_closed=True), Border(20.0), Border(60.0))
    # exactly on a border, a frame falls where the profile puts it (60° is still "moderate")
    r = analyse_times(make_angles(10, trunk_flexion_deg=60.0), load_standard("en1005-4"))
    assert zone(r, "trunk", "moderate").time_s == pytest.approx(10.0)
    r = analyse_times(make_angles(10, trunk_flexion_deg=-10.0), load_standard("en1005-4"))
    assert zone(r, "trunk", "neutral").time_s == pytest.approx(10.0)


@pytest.mark.parametrize("standard", ["iso11226", "iso11226-shift", "en1005-4"])
@pytest.mark.parametrize("blip_deg", [12.0, -12.0, 15.0])
def test_blips_are_not_postures(standard, blip_deg):
    """(a) A true-0° twist with two 0.25-s blips: no time twisted, no hold, no verdict from them."""
    def twist(t):
        return np.where(((t >= 20) & (t < 20.25)) | ((t >= 40) & (t < 40.25)), blip_deg, 0.0)

    df = make_angles(60, fps=20, trunk_twist_deg=twist)
    assert (np.abs(df.trunk_twist_deg) > 10).sum() == 10  # 2 × 5 frames over the 10° border
    r = analyse_times(df, load_standard(standard))
    part = r.part("trunk_twist")
    assert zone(r, "trunk_twist", "twisted").time_s == 0.0
    assert zone(r, "trunk_twist", "twisted").episodes == 0
    assert zone(r, "trunk_twist", "neutral").time_s == pytest.approx(60.0)
    assert part.holds == () and part.verdict == "acceptable"
    assert r.overall_verdict == "acceptable"


def _side_bend(wobble_hz: float):
    """Bends left once: 0° to 20 s, ramps to 20° by 40 s, holds to 60 s, back to 0° by 80 s, 0° to 120 s.
    Within 5° of the 10° border (25–35 s and 65–75 s) a ±3° sine wobble is superimposed."""
    def series(t):
        truth = np.interp(t, [0, 20, 40, 60, 80, 120], [0, 0, 20, 20, 0, 0])
        wobble = np.where(np.abs(truth - 10) < 5, 3.0 * np.sin(2 * np.pi * wobble_hz * t), 0.0)
        return -(truth + wobble)
    return series


@pytest.mark.parametrize("wobble_hz", [1.5, 2.0, 2.5, 3.0])
def test_a_noisy_border_crossing_is_one_movement(wobble_hz):
    """(b) The truth enters the side-bend zone once (30–70 s); the noise crosses 10° up to 34 times."""
    df = make_angles(120, fps=30, trunk_side_bend_deg=_side_bend(wobble_hz))
    v = np.abs(df.trunk_side_bend_deg.to_numpy())
    assert ((v[1:] > 10) & (v[:-1] <= 10)).sum() >= 18  # what plain frame runs would count
    r = analyse_times(df, load_standard("en1005-4"))
    side = r.part("trunk_side")
    bent = zone(r, "trunk_side", "bent")
    assert bent.episodes == 1
    assert side.analysed_s == pytest.approx(120.0)
    assert bent.frequency_per_min == pytest.approx(1 / (side.analysed_s / 60))  # 0.5 movements per minute
    assert bent.effective_level == "conditional"  # below 2/min: not "unacceptable"
    assert side.verdict == "conditionally_acceptable"
    [hold] = side.holds
    assert hold.zone == "bent" and hold.static
    # the truth is 30–70 s; the ±3° wobble makes the signal ambiguous for ±3 s around each crossing
    assert hold.start_s == pytest.approx(30.0, abs=0.6) and hold.end_s == pytest.approx(70.0, abs=0.6)
    assert bent.time_s == pytest.approx(40.0, abs=1.2)


@pytest.mark.parametrize("standard", ["iso11226", "en1005-4"])
@pytest.mark.parametrize(("phase", "zone_key"), [(0.0, "moderate"), (-np.pi / 2, "moderate"), (np.pi / 2, "severe")])
def test_a_wobble_around_a_border_stays_in_one_zone(standard, phase, zone_key):
    """(c) ±1.5° around 60° for 20 s: one zone (the one the first frame is in), one episode."""
    df = make_angles(20, fps=30, trunk_flexion_deg=lambda t: 60 + 1.5 * np.sin(2 * np.pi * 2 * t + phase))
    r = analyse_times(df, load_standard(standard))
    trunk = r.part("trunk")
    assert [(z.key, z.episodes) for z in trunk.zones if z.time_s > 0] == [(zone_key, 1)]
    assert zone(r, "trunk", zone_key).time_s == pytest.approx(20.0)
    assert [(h.zone, round(h.duration_s, 6)) for h in trunk.holds] == [(zone_key, 20.0)]


@pytest.mark.parametrize(("per_min", "angle", "zone_key", "level", "verdict"), [
    (1, 40.0, "moderate", "acceptable", "acceptable"),                    # 20–60°: acceptable below 2/min
    (3, 40.0, "moderate", "conditional", "conditionally_acceptable"),     # ... conditional at or above
    (1, 75.0, "severe", "conditional", "conditionally_acceptable"),       # > 60°: conditional below 2/min
    (3, 75.0, "severe", "unacceptable", "unacceptable"),                  # ... unacceptable at or above
])  # fmt: skip
def test_en1005_movement_frequency_over_five_minutes(per_min, angle, zone_key, level, verdict):
    """(d) 2-s movements into a trunk zone, 1 or 3 per minute, for 5 minutes (dynamic: none static)."""
    period = 60 / per_min
    series = lambda t: np.where(((t % period) >= period / 2) & ((t % period) < period / 2 + 2),  # noqa: E731
                                angle, 0.0)
    r = analyse_times(make_angles(300, trunk_flexion_deg=series), load_standard("en1005-4"))
    z = zone(r, "trunk", zone_key)
    assert z.episodes == 5 * per_min
    assert z.frequency_per_min == pytest.approx(per_min)
    assert z.time_s == pytest.approx(2.0 * 5 * per_min)
    assert z.effective_level == level
    assert r.part("trunk").verdict == verdict
    assert not any(h.static for h in r.part("trunk").holds)


def test_static_means_held_longer_than_four_seconds():
    std = load_standard("en1005-4")
    four = make_angles(60, upper_arm_elevation_right_deg=lambda t: np.where((t >= 10) & (t < 14), 40.0, 10.0))
    five = make_angles(60, upper_arm_elevation_right_deg=lambda t: np.where((t >= 10) & (t < 15), 40.0, 10.0))
    assert zone(analyse_times(four, std), "upper_arm_right", "moderate").effective_level == "acceptable"
    r = analyse_times(five, std)
    assert zone(r, "upper_arm_right", "moderate").effective_level == "conditional"
    assert [h.static for h in r.part("upper_arm_right").holds] == [True]


def test_an_iso11226_hold_limit_applies_to_a_noisy_hold():
    """A 90-s hold at 58° wobbling ±3° across the 60° border is one hold, over its 69-s limit."""
    df = make_angles(120, fps=30, trunk_flexion_deg=lambda t: np.where(
        (t >= 10) & (t < 100), 58 + 3 * np.sin(2 * np.pi * 2 * t), 0.0))
    r = analyse_times(df, load_standard("iso11226"))
    trunk = r.part("trunk")
    assert zone(r, "trunk", "severe").time_s == 0.0
    [hold] = trunk.holds
    assert hold.zone == "moderate" and hold.duration_s == pytest.approx(90.0)
    assert hold.limit_s == pytest.approx(240 - 180 * 38 / 40, abs=1.0) and hold.over_limit
    assert trunk.verdict == "unacceptable" and "hold_over_limit" in [x.code for x in trunk.reasons]
