"""The standards are data: every profile loads, its zones tile the angle axis, boundaries are exact."""

from __future__ import annotations

import math

import pytest

from processor.model import ANGLE_COLUMNS
from processor.standards import StandardError, available_standards, load_standard, parse_standard


SHIFT = "iso11226-shift"  # ISO 11226 thresholds with per-shift limits (the earlier "nv361" profile)


def zone_key(standard: str, part: str, value: float) -> str:
    p = load_standard(standard).part(part)
    return p.zones[p.zone_of(value)].key


def test_the_four_profiles_are_listed_and_load_with_a_source():
    assert {"iso11226-shift", "iso11226", "en1005-4", "legacy"} <= set(available_standards())
    # "nv361" is the regulation's catalogue (processor.nv361), not a zone profile
    assert "nv361" not in available_standards()
    for name in available_standards():
        s = load_standard(name)
        assert s.name == name
        assert s.source and s.title and s.title_cs
        assert all(p.column in ANGLE_COLUMNS for p in s.parts)


@pytest.mark.parametrize(("part", "value", "zone"), [
    ("trunk", -15.0, "extension"), ("trunk", -14.9, "neutral"), ("trunk", 40.0, "neutral"),
    ("trunk", 40.01, "moderate"), ("trunk", 60.0, "moderate"), ("trunk", 60.01, "severe"),
    ("neck", -15.0, "extension"), ("neck", 25.0, "neutral"), ("neck", 25.1, "moderate"),
    ("neck", 60.0, "moderate"), ("neck", 61.0, "severe"),
    ("upper_arm_left", -0.01, "behind"), ("upper_arm_left", 0.0, "neutral"), ("upper_arm_left", 40.0, "neutral"),
    ("upper_arm_right", 40.5, "moderate"), ("upper_arm_right", 60.0, "moderate"), ("upper_arm_right", 170.0, "severe"),
])  # fmt: skip
def test_legacy_bins_are_the_original_tools(part, value, zone):
    assert zone_key("legacy", part, value) == zone


@pytest.mark.parametrize(("standard", "part", "value", "zone"), [
    (SHIFT, "trunk", -10.0, "neutral"), (SHIFT, "trunk", -10.1, "extension"), (SHIFT, "trunk", 20.0, "neutral"),
    (SHIFT, "trunk", 20.1, "moderate"), (SHIFT, "trunk", 60.0, "moderate"), (SHIFT, "trunk", 60.1, "severe"),
    (SHIFT, "head", 25.0, "neutral"), (SHIFT, "head", 85.0, "moderate"), (SHIFT, "head", 86.0, "severe"),
    (SHIFT, "neck", 25.5, "flexed"), (SHIFT, "trunk_side", -12.0, "bent"), (SHIFT, "trunk_side", 9.0, "neutral"),
    (SHIFT, "upper_arm_left", 20.0, "neutral"), (SHIFT, "upper_arm_left", 45.0, "moderate"),
    (SHIFT, "upper_arm_right", 175.0, "severe"),
    ("iso11226", "trunk", 59.0, "moderate"), ("iso11226", "upper_arm_right", 61.0, "severe"),
    ("en1005-4", "trunk", 30.0, "moderate"), ("en1005-4", "trunk_twist", -15.0, "twisted"),
])  # fmt: skip
def test_zone_boundaries(standard, part, value, zone):
    assert zone_key(standard, part, value) == zone


def test_nan_is_in_no_zone():
    assert load_standard("iso11226-shift").part("trunk").zone_of(math.nan) is None


def test_iso11226_shift_levels_and_shift_limits():
    s = load_standard("iso11226-shift")
    assert [z.level for z in s.part("trunk").zones] == ["unacceptable", "acceptable", "conditional", "unacceptable"]
    assert (s.shift_limits.conditional_max_min, s.shift_limits.unacceptable_max_min,
            s.shift_limits.combined_max_share) == (160.0, 30.0, 0.5)
    assert s.not_assessed  # support and force are named as not assessed from video
    assert s.source.startswith("NOT the NV 361/2007 catalogue")
    assert "'nv361'" in s.title and "nv361" in s.title_cs


def test_hold_limit_is_interpolated_on_the_angle():
    trunk = load_standard("iso11226-shift").part("trunk")
    moderate = trunk.zones[trunk.zone_of(40.0)]
    assert moderate.hold_limit_s(20.0) == 240.0
    assert moderate.hold_limit_s(40.0) == pytest.approx(150.0)
    assert moderate.hold_limit_s(60.0) == 60.0
    legacy = load_standard("legacy").part("trunk")
    assert legacy.zones[legacy.zone_of(50.0)].hold_limit_s(50.0) == 4.0
    assert trunk.zones[trunk.zone_of(0.0)].hold_limit_s(0.0) is None


def test_unknown_standard_names_the_choices():
    with pytest.raises(StandardError, match="unknown standard 'osha'.*iso11226-shift"):
        load_standard("osha")


def _profile(zones):
    return {"name": "t", "title": "T", "source": "test", "parts": [
        {"key": "trunk", "column": "trunk_flexion_deg", "zones": zones}]}


def test_zones_with_a_gap_are_rejected():
    with pytest.raises(StandardError, match="gap or overlap"):
        parse_standard(_profile([{"key": "a", "level": "acceptable", "hi": 10},
                                 {"key": "b", "level": "unacceptable", "lo": 20}]))


def test_a_boundary_closed_on_both_sides_is_rejected():
    with pytest.raises(StandardError, match="exactly one side"):
        parse_standard(_profile([{"key": "a", "level": "acceptable", "hi": 10},
                                 {"key": "b", "level": "unacceptable", "lo": 10, "lo_closed": True}]))


def test_bad_level_and_bad_column_are_rejected():
    with pytest.raises(StandardError, match="level must be one of"):
        parse_standard(_profile([{"key": "a", "level": "fine"}]))
    bad = _profile([{"key": "a", "level": "acceptable"}])
    bad["parts"][0]["column"] = "wrist_deg"
    with pytest.raises(StandardError, match="not an angle column"):
        parse_standard(bad)


def test_a_profile_file_path_can_be_given(tmp_path):
    src = load_standard("legacy").path.read_text(encoding="utf-8")
    custom = tmp_path / "site.toml"
    custom.write_text(src.replace('name = "legacy"', 'name = "site"'), encoding="utf-8")
    assert load_standard(str(custom)).name == "site"
