"""The whole pipeline on real clips: h2's synthetic people with known angles, and the Sports2D demo."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from processor.model import ANGLE_COLUMNS, AnalysisOptions, VideoError
from processor.pipeline import analyze_video
from processor.report_labels import label, meta_label
from processor.standards import load_standard
from processor.time_analysis import analyse_times
from tests.processor import bad_inputs
from tests.support.sample_videos import sports2d_demo_video  # noqa: F401  (fixture)

SYNTHETIC = Path(__file__).resolve().parents[1] / "data" / "synthetic"
CLIPS = ["bodyA_side", "bodyB_side", "bodyB_45"]  # side and 45° views: where the angle accuracy spec applies
SIDE_VIEWS = ["bodyA_side", "bodyB_side"]
STANDARDS = ["iso11226-shift", "iso11226", "en1005-4", "legacy"]


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """Each clip analysed once (NV 361, balanced), with its truth table."""
    out = tmp_path_factory.mktemp("reports")
    results = {}
    for clip in CLIPS:
        res = analyze_video(SYNTHETIC / f"{clip}.mp4", out / clip, AnalysisOptions(processes=1))  # plain names: a folder each
        truth = pd.read_csv(SYNTHETIC / f"{clip}.csv").reindex(columns=list(ANGLE_COLUMNS))
        results[clip] = (res, pd.read_csv(res.angles_csv), truth)
    return results


TRUNK_GOAL_DEG = 5.0  # the trunk-flexion accuracy goal (MAE)


def _near_trunk_boundary(truth: pd.DataFrame, standard: str) -> np.ndarray:
    """Frames whose true trunk angle is within the accuracy goal of a zone boundary of the standard.

    There a held posture may fall either side as a whole (bodyA's first bend is held at 21.8°, 1.8° above
    the 20° boundary of NV 361, ISO 11226 and EN 1005-4), which says nothing about the measurement."""
    bounds = np.array([z.hi for z in load_standard(standard).part("trunk").zones[:-1]])
    tv = truth["trunk_flexion_deg"].to_numpy()
    return np.min(np.abs(tv[:, None] - bounds[None, :]), axis=1) < TRUNK_GOAL_DEG


def _worst_trunk_share_diff(measured: pd.DataFrame, truth: pd.DataFrame, standard: str) -> float:
    std = load_standard(standard)
    got, want = analyse_times(measured, std).part("trunk"), analyse_times(truth, std).part("trunk")
    return max(abs(g.share - w.share) for g, w in zip(got.zones, want.zones))


@pytest.mark.slow
@pytest.mark.parametrize("standard", STANDARDS)
@pytest.mark.parametrize("clip", SIDE_VIEWS)
def test_time_in_each_trunk_zone_within_5_percent_of_the_truth(analysed, clip, standard):
    res, measured, truth = analysed[clip]
    assert res.person_found and res.analysed_share >= 0.95
    assert res.report_xlsx.name == "report.xlsx" and res.report_xlsx.is_file()
    near = _near_trunk_boundary(truth, standard)
    assert near.mean() < 0.3, "most of the clip must be compared"
    m, t = measured.copy(), truth.copy()
    m.loc[near, "trunk_flexion_deg"] = np.nan  # NaN = not analysed, in both tables
    t.loc[near, "trunk_flexion_deg"] = np.nan
    worst = _worst_trunk_share_diff(m, t, standard)
    print(f"{clip} {standard}: worst zone share difference {_worst_trunk_share_diff(measured, truth, standard):.1%} "
          f"on all frames, {worst:.1%} away from boundaries ({near.mean():.0%} of frames near one)")
    assert worst <= 0.05


@pytest.mark.slow
@pytest.mark.parametrize("standard", STANDARDS)
@pytest.mark.parametrize("clip", CLIPS)
def test_trunk_zone_agrees_with_the_truth_away_from_boundaries(analysed, clip, standard):
    """Away from the zone boundaries (see ``_near_trunk_boundary``) every frame's zone must match."""
    _, measured, truth = analysed[clip]
    trunk = load_standard(standard).part("trunk")
    far = ~_near_trunk_boundary(truth, standard)
    tv = truth["trunk_flexion_deg"].to_numpy()
    mv = measured["trunk_flexion_deg"].to_numpy()
    same = [trunk.zone_of(a) == trunk.zone_of(b) for a, b in zip(tv[far], mv[far])]
    assert far.mean() > 0.6 and np.mean(same) >= 0.95, (clip, far.mean(), np.mean(same))


@pytest.mark.slow
def test_the_workbook_of_a_real_run(analysed):
    res, measured, _ = analysed["bodyA_side"]
    wb = load_workbook(res.report_xlsx)
    summary = {r[0].value: r[1].value for r in wb["Summary"].iter_rows(max_col=2) if r[0].value}
    assert summary[label("en", "video")] == "bodyA_side.mp4"
    assert len(wb["Charts"]._charts) >= 4
    assert wb["Per-frame angles"].max_row == len(measured) + 1
    assert wb["Catalogue NV 361"].max_row == 53
    assert set(res.verdicts) <= {"trunk", "head_neck", "arm_right", "arm_left", "legs", "other"}
    assert res.overall_verdict in {"category_1", "category_2", "category_3"}
    summary = json.loads(res.summary_json.read_text(encoding="utf-8"))
    assert summary["standard"] == "nv361" and summary["view"] == "side" and len(summary["rows"]) == 52
    assert summary["legs_hidden_share"] == 0.0 and summary["typical_error_legs_hidden_deg"] is None


# Seconds per catalogue row from the video vs. from the truth angles (what `hotfolder evaluate` does on
# the truth CSV): side views within half a second per row, the 45° view within 2 s (its head
# inclination reads a few degrees low, which shortens the static head-flexion episode; bench/catalogue_rows.py).
ROW_TOLERANCE_S = {"bodyA_side": 0.5, "bodyB_side": 0.5, "bodyB_45": 2.0}


@pytest.mark.slow
@pytest.mark.parametrize("clip", CLIPS)
def test_catalogue_rows_from_the_video_match_the_truth(analysed, clip):
    from processor.nv361.evaluate import evaluate_catalogue

    _, measured, truth = analysed[clip]
    got = evaluate_catalogue(measured)
    want = evaluate_catalogue(truth.dropna(axis=1, how="all"))  # the truth lacks the newer quantities
    compared = [(g.row.id, g.seconds, w.seconds) for g, w in zip(got.rows, want.rows)
                if g.measured and w.measured and (g.seconds or w.seconds)]
    assert len(compared) >= 4, compared  # trunk, head and both arms occur in every clip
    worst = max(abs(g - w) for _, g, w in compared)
    print(clip, [(rid, round(g, 1), round(w, 1)) for rid, g, w in compared], f"worst {worst:.1f} s")
    assert worst <= ROW_TOLERANCE_S[clip], compared


@pytest.mark.slow
def test_sports2d_demo(tmp_path, sports2d_demo_video):
    res = analyze_video(sports2d_demo_video, tmp_path,
                        AnalysisOptions(processes=1, preview=True, standard="iso11226-shift"))
    assert res.person_found
    # the woman walking past in front (5.7–6.6 s) is someone else and left out, as is the man's first
    # 0.7 s back after his backflip (lit differently, not recognised): about 72 % of the clip is his
    assert res.analysed_share >= 0.70
    angles = pd.read_csv(res.angles_csv)
    assert angles["trunk_flexion_deg"].notna().mean() >= 0.70
    # the arms-overhead part: both arms raised far above the shoulders, rated in the highest zone
    std = load_standard("iso11226-shift")
    for key in ("upper_arm_left", "upper_arm_right"):
        part = std.part(key)
        overhead = angles[part.column] >= 120
        assert overhead.sum() >= 2, key
        assert all(part.zone_of(v) == len(part.zones) - 1 for v in angles.loc[overhead, part.column])
    # 7.7 s of video, ~5.5 s of him measured: too little for a verdict (processor.sufficiency), said so
    assert res.overall_verdict == "not_assessed" and set(res.verdicts.values()) == {"not_assessed"}
    # the same angles under the catalogue: both arms raised over 60°
    from processor.nv361.evaluate import evaluate_catalogue

    rows = evaluate_catalogue(angles)
    for side in ("R", "L"):
        assert sum(r.seconds for r in rows.rows if r.row.id.startswith(f"arm_{side}.elev_gt60")) > 0.5
    assert res.preview_mp4 is not None and res.preview_mp4.stat().st_size > 10_000


@pytest.mark.slow
def test_a_video_without_a_person_gets_a_report_that_says_so(tmp_path):
    video = bad_inputs.no_person_video(tmp_path / "empty room.mp4")
    res = analyze_video(video, tmp_path / "out", AnalysisOptions(processes=1))
    assert not res.person_found and res.overall_verdict == "not_assessed" and res.analysed_share == 0.0
    summary = load_workbook(res.report_xlsx)["Summary"]
    assert "No person was found in the video, so no posture could be assessed." in [c.value for c in summary["B"]]
    csv = pd.read_csv(res.angles_csv)
    assert len(csv) > 0 and csv["trunk_flexion_deg"].isna().all()


@pytest.mark.parametrize("make", [bad_inputs.empty_file, bad_inputs.text_as_mp4])
def test_bad_input_raises_a_one_sentence_video_error(tmp_path, make):
    video = make(tmp_path / "clip.mp4")
    with pytest.raises(VideoError) as exc:
        analyze_video(video, tmp_path / "out", AnalysisOptions(processes=1))
    message = str(exc.value)
    assert "clip.mp4" in message and message.endswith(".") and "\n" not in message
    assert not any((tmp_path / "out").glob("*.xlsx"))


def test_a_missing_file_raises_video_error(tmp_path):
    with pytest.raises(VideoError, match="does not exist"):
        analyze_video(tmp_path / "nope.mp4", tmp_path, AnalysisOptions())


@pytest.mark.slow
def test_with_a_body_model_the_angles_come_from_the_fit(tmp_path):
    from tests.support.synthetic_smplx import write_synthetic_smplx

    model = write_synthetic_smplx(tmp_path / "smplx.npz")
    res = analyze_video(SYNTHETIC / "bodyA_side.mp4", tmp_path, AnalysisOptions(processes=1, body_model=model))
    assert res.angle_source == "smplx" and res.person_found
    wb = load_workbook(res.report_xlsx)
    method = {c.value: wb["Method"].cell(c.row, 2).value for c in wb["Method"]["A"] if c.value}
    assert method[label("en", "angle_source")] == "smplx"
    assert isinstance(method.get(meta_label("en", "fit_residual_mean_mm")), (int, float))
