import numpy as np
import pandas as pd
import pytest

from processor.cleaning import clean_angles
from processor.model import ANGLE_COLUMNS


def table(n=50, fps=10.0, value=30.0, conf=0.9):
    df = pd.DataFrame({c: np.full(n, value) for c in ANGLE_COLUMNS})
    df["time_s"] = np.arange(n) / fps
    for c in ANGLE_COLUMNS:
        if c.startswith("confidence"):
            df[c] = conf
    return df


def test_low_confidence_is_missing_not_neutral():
    df = table()
    df.loc[10:29, "confidence_trunk"] = 0.2  # 2 s of bad trunk
    c = clean_angles(df, duration_s=5.0)
    assert c.df.loc[10:29, "trunk_flexion_deg"].isna().all()
    assert c.df.loc[10:29, "neck_flexion_deg"].isna().all()  # measured against the trunk line
    assert c.df["upper_arm_elevation_left_deg"].notna().all()
    assert c.analysed_share == pytest.approx(0.6)
    assert c.part_share["arm_left"] == pytest.approx(1.0)


def test_short_gaps_filled_long_gaps_kept():
    df = table()
    df["trunk_flexion_deg"] = np.linspace(0, 49, 50)
    df.loc[5:8, "confidence_trunk"] = np.nan  # 0.4 s gap (frames 4 and 9 measured: 0.5 s apart)
    df.loc[20:30, "confidence_trunk"] = 0.0  # 1.1 s gap
    c = clean_angles(df, duration_s=5.0)
    assert c.df.loc[5:8, "trunk_flexion_deg"].to_numpy() == pytest.approx([5, 6, 7, 8], abs=1e-6)
    assert c.df.loc[20:30, "trunk_flexion_deg"].isna().all()


def test_smoothing_reduces_noise_keeps_level():
    rng = np.random.default_rng(1)
    df = table(n=100)
    df["trunk_flexion_deg"] = 45 + rng.normal(0, 3, 100)
    c = clean_angles(df)
    assert c.smooth_window_frames == 5
    assert c.df["trunk_flexion_deg"].std() < 0.75 * df["trunk_flexion_deg"].std()
    assert c.df["trunk_flexion_deg"].mean() == pytest.approx(45, abs=0.5)
    assert c.parameters()["smoothing"] == "Savitzky-Golay"


def test_no_person_at_all():
    df = table(n=20)
    for col in ANGLE_COLUMNS[1:]:
        df[col] = np.nan
    c = clean_angles(df, duration_s=2.0)
    assert c.analysed_share == 0.0 and c.df["trunk_flexion_deg"].isna().all()


@pytest.mark.parametrize("azimuth, kept", [(0, True), (25, True), (-170, True), (180, True),
                                           (45, False), (-60, False), (90, False), (-100, False), (140, False)])
def test_trunk_side_bend_only_from_in_front_or_behind(azimuth, kept):
    """From the side or obliquely it turns about an axis in the picture, where the depth decides: left
    empty there, never guessed; the twist, the trunk's flexion and the other parts stay measured."""
    df = table()
    df["camera_azimuth_deg"] = float(azimuth)
    c = clean_angles(df, duration_s=5.0)
    bend = c.df["trunk_side_bend_deg"]
    assert bend.notna().all() == kept and bend.isna().all() != kept
    for col in ("trunk_twist_deg", "trunk_flexion_deg", "neck_flexion_deg", "upper_arm_elevation_left_deg"):
        assert c.df[col].notna().all()
    assert c.analysed_share == pytest.approx(1.0)


def test_a_turning_worker_keeps_the_side_bend_of_the_frames_in_front():
    df = table(n=60)
    df["camera_azimuth_deg"] = np.repeat([0.0, 90.0, 180.0], 20)  # 2 s in front, 2 s from the side, 2 s behind
    c = clean_angles(df, duration_s=6.0)
    bend = c.df["trunk_side_bend_deg"]
    assert bend[:20].notna().all() and bend[20:40].isna().all() and bend[40:].notna().all()
    no_view = table()
    no_view["camera_azimuth_deg"] = np.nan  # where the camera stands is not known: measured as before
    assert clean_angles(no_view, duration_s=5.0).df["trunk_side_bend_deg"].notna().all()


def test_head_side_bend_and_rotation_empty_in_oblique_views_and_a_csv_reads_the_same():
    """One rule for the views a column is not measured from: the head's side bend and rotation in oblique
    views (one ear hidden); re-evaluating a per-frame CSV written before the rule applies it too."""
    from processor.evaluate_cli import read_angles_csv

    df = table(n=40)
    df["camera_azimuth_deg"] = np.repeat([0.0, 45.0], 20)
    cleaned = clean_angles(df, duration_s=4.0).df
    for col in ("head_side_bend_deg", "head_rotation_deg", "trunk_side_bend_deg"):
        assert cleaned[col][:20].notna().all() and cleaned[col][20:].isna().all()
    assert cleaned["trunk_twist_deg"].notna().all()
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "old - angles.csv"
        df.to_csv(path, index=False)  # unblanked, as an older version wrote it
        read = read_angles_csv(path)
    for col in ("head_side_bend_deg", "trunk_side_bend_deg"):
        assert read[col][:20].notna().all() and read[col][20:].isna().all()


def test_a_neck_beyond_its_anatomical_range_is_left_empty_and_a_csv_reads_the_same(tmp_path):
    """A neck flexion beyond 90° either way is no reading of a head (the cervical spine flexes ~50-60°,
    extends ~60-75°): the neck part is left empty there, a single such frame is bridged from its
    neighbours like any short gap, a run of them stays empty; the count is reported; re-evaluating a
    per-frame CSV written before the rule applies it too."""
    from processor.evaluate_cli import read_angles_csv

    df = table(n=60)
    df.loc[10, "neck_flexion_deg"] = 135.0  # one frame
    df.loc[30:42, "neck_flexion_deg"] = 140.0  # 1.3 s, as a deep bend 1.8 m in front read
    df.loc[30:42, "head_inclination_deg"] = -150.0  # which would count as the head bent back
    df.loc[50, "neck_flexion_deg"] = -95.0  # and beyond the extension range
    df.loc[20, "neck_flexion_deg"] = 89.0  # within it: a reading like any other
    c = clean_angles(df, duration_s=6.0)
    assert c.neck_out_of_range_frames == 15
    assert c.df.loc[10, "neck_flexion_deg"] == pytest.approx(30.0, abs=1e-6)  # bridged, not 135°
    for col in ("neck_flexion_deg", "head_inclination_deg", "head_side_bend_deg", "head_rotation_deg"):
        assert c.df.loc[30:42, col].isna().all()
    assert c.df.loc[18:22, "neck_flexion_deg"].max() > 40.0  # the 89° frame was kept (then smoothed)
    assert c.df["trunk_flexion_deg"].notna().all() and c.df["upper_arm_elevation_left_deg"].notna().all()
    assert c.part_share["neck"] == pytest.approx(1.0 - 1.3 / 6.0)
    path = tmp_path / "old - angles.csv"
    df.to_csv(path, index=False)  # unblanked, as an older version wrote it
    read = read_angles_csv(path)
    assert read.loc[30:42, "head_inclination_deg"].isna().all() and read.loc[10, "neck_flexion_deg"] != 135.0
    assert read.loc[20, "neck_flexion_deg"] == 89.0
