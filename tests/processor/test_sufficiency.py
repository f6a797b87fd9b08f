"""No category and no verdict from too little or too holey data (processor.sufficiency), with exact series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from processor.nv361.category import work_time
from processor.nv361.evaluate import evaluate_and_assess, sentence
from processor.nv361.summary import catalogue_summary
from processor.standards import load_standard
from processor.sufficiency import MAX_GAP_S, MIN_ANALYSED_S, withheld
from processor.time_analysis import analyse_times
from tests.processor.angle_tables import make_angles

BENT = {"trunk_flexion_deg": 70.0}  # would be category 3 over a whole shift


def assessed(df: pd.DataFrame, duration_s: float | None = None):
    return evaluate_and_assess(df, work_time(480, "default"), duration_s=duration_s)[1]


def test_one_frame_is_no_sample_of_work():
    df = make_angles(0.1, **BENT)
    assert len(df) == 1
    a = assessed(df, duration_s=30.0)
    assert a.category is None and a.withheld.kind == "short"
    assert all(r.category is None for r in a.rows)
    assert sentence(a, "en").startswith("No category: the worker was measured for only")
    iso = analyse_times(df, load_standard("iso11226"), 8.0, duration_s=30.0)
    assert iso.overall_verdict == "not_assessed" and {p.verdict for p in iso.parts} == {"not_assessed"}


def test_two_frames_ten_hours_apart_are_not_ten_hours_of_observation():
    df = make_angles(0.2, **BENT)
    df["time_s"] = [0.0, 36000.0]
    a = assessed(df)
    assert a.category is None and a.withheld.kind == "sparse" and a.withheld.gap_s == 36000.0
    assert "frames are 36000.0 s apart" in sentence(a, "en")
    iso = analyse_times(df, load_standard("iso11226"), 8.0)
    assert iso.overall_verdict == "not_assessed" and iso.reasons[0].code == "withheld"


def test_the_minimum_is_the_measured_time_not_the_video_length():
    # 60 s of video, the worker measured for 9.9 s only (walked out of the picture): no category.
    df = make_angles(60.0, **BENT)
    df.loc[df["time_s"] >= 9.9, [c for c in df.columns if c != "time_s"]] = np.nan
    a = assessed(df)
    assert a.withheld is not None and a.withheld.kind == "short" and a.withheld.analysed_s == pytest.approx(9.9)
    # 10 s measured is enough: the rows and the category come back
    df = make_angles(MIN_ANALYSED_S, **BENT)
    a = assessed(df)
    assert a.withheld is None and a.category == 3


def test_a_hole_in_the_decoded_frames_longer_than_the_maximum_withholds_the_category():
    df = make_angles(40.0, **BENT)
    hole = (df["time_s"] > 20.0) & (df["time_s"] < 20.0 + MAX_GAP_S + 0.5)
    df = df[~hole].reset_index(drop=True)
    a = assessed(df)
    assert a.withheld.kind == "gap" and a.withheld.gap_s > MAX_GAP_S
    assert "00:20" in sentence(a, "en") and "00:20" in sentence(a, "cs")
    # a hole of 4 s (shorter than a static hold can hide) does not
    df = make_angles(40.0, **BENT)
    df = df[~((df["time_s"] > 20.0) & (df["time_s"] < 24.0))].reset_index(drop=True)
    assert assessed(df).withheld is None


def test_the_summary_says_why_there_is_no_category():
    df = make_angles(0.1, **BENT)
    result, a = evaluate_and_assess(df, work_time(480, "default"), duration_s=30.0)
    summary = catalogue_summary("press.mp4", result, a, analysed_at="2026-11-29T08:00:00+00:00", angle_source="test",
                                measured_share={}, view="side")
    assert summary["category"] is None and summary["withheld"] == "short"
    assert summary["sentence_cs"].startswith("Bez kategorie")


def test_withheld_rules_directly():
    assert withheld(np.arange(0, 12, 0.1), 12.0) is None
    assert withheld(np.array([]), 0.0).kind == "short"
    assert withheld(np.arange(0, 30, 2.0), 30.0).kind == "sparse"
