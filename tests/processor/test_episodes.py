"""The episode rules (processor.episodes) on exact angle series."""

from __future__ import annotations

import numpy as np
import pytest

from processor.episodes import Border, find_episodes, frame_durations, hysteresis_zones, remove_blips

T = np.round(np.arange(0.0, 120.0, 0.1), 1)  # 2 min at 10 frames/s
TRUNK = (Border(40.0), Border(60.0))  # zones: 0 ≤ 40, 1 (40, 60], 2 > 60


def episodes_in(values, borders=TRUNK, t=T):
    eps, zones = find_episodes(t, values, borders)
    return eps, zones


def test_a_value_wobbling_around_a_border_is_one_posture():
    v = np.where((T >= 20) & (T < 40), 60.0 + 1.5 * np.sin(2 * np.pi * 2.0 * T), 0.0)  # ±1.5° at 2 Hz
    eps, _ = episodes_in(v)
    assert [(e.zone, round(e.start_s, 1), round(e.duration_s, 1)) for e in eps] == [(0, 0.0, 20.0), (1, 20.0, 20.0), (0, 40.0, 80.0)]


def test_hysteresis_switches_only_beyond_the_border_plus_two_degrees():
    z = hysteresis_zones(np.array([50.0, 61.0, 61.9, 62.1, 59.0, 58.1, 57.9]), TRUNK)
    assert z.tolist() == [1, 1, 1, 2, 2, 2, 1]
    assert hysteresis_zones(np.array([np.nan, 61.0, np.nan, 41.0]), TRUNK).tolist() == [-1, 2, -1, 1]


def test_short_stays_go_to_their_neighbours():
    dt = np.full(30, 0.1)
    blip = np.array([0] * 15 + [2] * 3 + [0] * 12)
    assert remove_blips(blip, dt).tolist() == [0] * 30
    passage = np.array([0] * 15 + [1] * 3 + [2] * 12)  # 0.3 s through 40–60° on the way to > 60°: split
    assert remove_blips(passage, dt).tolist() == [0] * 17 + [2] * 13
    slow = np.array([0] * 10 + [1] * 10 + [2] * 10)  # a 1-s stay on the way is a posture of its own
    assert remove_blips(slow, dt).tolist() == slow.tolist()
    edge = np.array([-1] * 5 + [2] * 3 + [0] * 22)  # a blip after a gap joins the stay after it
    assert remove_blips(edge, dt).tolist() == [-1] * 5 + [0] * 25
    inner = np.array([0] * 12 + [1] * 6 + [2] * 2 + [1] * 10)  # a 0.2-s blip inside a short stay goes first
    assert remove_blips(inner, dt).tolist() == [0] * 12 + [1] * 18


def test_an_hour_of_an_angle_hovering_at_a_border_leaves_no_stay_under_a_second():
    t = np.arange(0.0, 3600.0, 0.1)
    v = 10.0 + np.random.default_rng(0).normal(0.0, 4.0, len(t))
    out = remove_blips(hysteresis_zones(v, (Border(10.0),)), frame_durations(t))
    runs = np.flatnonzero(np.diff(out)) + 1
    lengths = np.diff(np.concatenate([[0], runs, [len(out)]])) * 0.1
    assert lengths.min() >= 1.0 - 1e-9


def test_two_quarter_second_blips_over_ten_degrees_make_no_episode():
    v = np.zeros(len(T))
    v[(T >= 30) & (T < 30.25)] = 12.0
    v[(T >= 70) & (T < 70.25)] = 12.0
    eps, zones = episodes_in(v, (Border(10.0), Border(20.0)))
    assert (zones == 0).all() and len(eps) == 1


@pytest.mark.parametrize(("hold_s", "static"), [(3.9, False), (4.0, False), (4.1, True), (10.0, True)])
def test_static_is_held_longer_than_four_seconds(hold_s, static):
    v = np.where((T >= 10) & (T < 10 + hold_s - 1e-9), 70.0, 0.0)
    eps, _ = episodes_in(v)
    held = [e for e in eps if e.zone == 2]
    assert len(held) == 1 and held[0].duration_s == pytest.approx(hold_s) and held[0].static is static


@pytest.mark.parametrize(("period_s", "per_min", "high"), [(60.0, 1.0, False), (20.0, 3.0, True), (30.0, 2.0, True)])
def test_movements_per_minute(period_s, per_min, high):
    t = np.round(np.arange(0.0, 300.0, 0.1), 1)
    v = np.where(((t - 5) % period_s < 2.0) & (t >= 5), 70.0, 0.0)  # 2-s bends from 5 s on
    eps, _ = episodes_in(v, t=t)
    bends = [e for e in eps if e.zone == 2]
    assert len(bends) == int(300 // period_s)
    assert all(e.per_min == pytest.approx(per_min) for e in bends)  # the window slides inside at the ends
    assert all(e.high_frequency is high for e in bends)
    assert all(not e.static for e in bends)


def test_a_gap_ends_an_episode_and_its_time_is_not_credited():
    v = np.where((T >= 10) & (T < 20), 70.0, 0.0)
    v[(T >= 14) & (T < 16)] = np.nan  # 2 s not measured in the middle of a 10-s hold
    eps, zones = episodes_in(v)
    held = [e for e in eps if e.zone == 2]
    assert [round(e.duration_s, 1) for e in held] == [4.0, 4.0] and not any(e.static for e in held)
    assert frame_durations(T)[zones >= 0].sum() == pytest.approx(118.0)


def test_a_ramp_through_a_border_is_not_biased():
    # up at 20°/s from 0 to 80, hold 6 s, down at 20°/s: true time above 60° = 1 + 6 + 1 = 8 s
    v = np.interp(T, [10, 14, 20, 24], [0, 80, 80, 0])
    eps, _ = episodes_in(v)
    held = [e for e in eps if e.zone == 2]
    assert len(held) == 1 and held[0].duration_s == pytest.approx(8.0, abs=0.11)
