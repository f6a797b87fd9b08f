"""`hotfolder evaluate`: angle CSVs in, the same workbook and summary JSON out, no video needed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

from processor.nv361.timestudy import write_template
from tests.processor.angle_tables import make_angles
from tests.processor.test_cli_analyze import hotfolder


def write_csv(path: Path, duration: float = 300.0, **series) -> Path:
    make_angles(duration, **series).to_csv(path, index=False)
    return path


def test_a_csv_gives_the_workbook_and_the_summary(tmp_path):
    # 30 s static over 60° in 5 min -> 48 min per 480-min shift -> N row category 3
    bent = lambda t: np.where((t >= 100) & (t < 130), 70.0, 0.0)  # noqa: E731
    csv = write_csv(tmp_path / "press - angles.csv", trunk_flexion_deg=bent)
    proc = hotfolder("evaluate", str(csv), "--work-minutes", "450", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "press - summary.json").read_text(encoding="utf-8"))
    assert summary["standard"] == "nv361" and len(summary["rows"]) == 52
    assert summary["work_minutes"] == 450 and summary["coefficient"] == 0.975
    row = next(r for r in summary["rows"] if r["id"] == "trunk.flex_gt60.static")
    assert row["seconds"] == pytest.approx(30.0) and row["analysed_seconds"] == pytest.approx(300.0)
    assert row["minutes_per_shift"] == pytest.approx(45.0) and row["category"] == 3 and row["measured"]
    assert summary["category"] == 3 and summary["category_rows"] == ["trunk.flex_gt60.static"]
    wb = load_workbook(tmp_path / "press - ergonomics.xlsx")
    assert wb.sheetnames[:2] == ["Summary", "Catalogue NV 361"]


def test_missing_columns_are_not_measured(tmp_path):
    csv = tmp_path / "old - angles.csv"
    make_angles(60)[["time_s", "trunk_flexion_deg"]].to_csv(csv, index=False)
    proc = hotfolder("evaluate", str(csv), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = {r["id"]: r for r in json.loads((tmp_path / "old - summary.json").read_text())["rows"]}
    assert rows["trunk.flex_gt60.static"]["status"] == "measured"
    assert rows["arm_R.elev_gt60.static"]["status"] == "not_measured"
    assert rows["arm_R.elev_gt60.static"]["minutes_per_shift"] is None
    assert rows["legs.rotation.dyn_ge2"]["status"] == "not_from_video"


def test_a_zone_profile_too(tmp_path):
    csv = write_csv(tmp_path / "a - angles.csv", trunk_flexion_deg=45.0)
    proc = hotfolder("evaluate", str(csv), "--standard", "iso11226", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "a - summary.json").read_text())
    assert summary["standard"] == "iso11226"
    assert next(r for r in summary["rows"] if r["id"] == "trunk.moderate")["seconds"] == pytest.approx(300.0)


@pytest.mark.parametrize(("content", "words"), [
    ("hello\n1,2\n", "no time_s column"),
    ("time_s,trunk_flexion_deg\n0.0,abc\n", "not a number"),
    ("time_s,trunk_flexion_deg\n0.2,1\n0.1,1\n", "increasing"),
])  # fmt: skip
def test_a_broken_csv_is_one_sentence_naming_it(tmp_path, content, words):
    bad = tmp_path / "broken - angles.csv"
    bad.write_text(content)
    proc = hotfolder("evaluate", str(bad), cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "broken - angles.csv" in proc.stderr and words in proc.stderr


def test_a_time_study_gives_the_position_workbook(tmp_path):
    study = write_template(tmp_path / "casovy snimek svarec.xlsx", example=True)
    from processor.nv361.timestudy import parse_time_study

    parsed = parse_time_study(study)
    for op in parsed.operations:
        for worker, video in op.videos.items():
            # every video: 6 s of static trunk flexion over 60° in 60 s
            write_csv(tmp_path / f"{Path(video).stem} - angles.csv", duration=60.0,
                      trunk_flexion_deg=lambda t: np.where((t >= 10) & (t < 16), 70.0, 0.0))
    csvs = sorted(str(p) for p in tmp_path.glob("* - angles.csv"))
    proc = hotfolder("evaluate", *csvs, "--time-study", str(study), "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    position = json.loads(next((tmp_path / "out").glob("* - pozice.json")).read_text(encoding="utf-8"))
    # 6/60 of every operation's minutes: 0.1 × 450 min of work = 45 min per worker and on average
    row = next(r for r in position["rows"] if r["id"] == "trunk.flex_gt60.static")
    assert row["average"] == pytest.approx(45.0)
    assert position["category"] == 3


def test_a_time_study_naming_a_missing_csv_says_which(tmp_path):
    study = write_template(tmp_path / "casovy snimek.xlsx", example=True)
    csv = write_csv(tmp_path / "priprava PK - angles.csv", duration=60.0)
    proc = hotfolder("evaluate", str(csv), "--time-study", str(study), cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "svarovani PK" in proc.stderr
