"""`hotfolder analyze` as a user runs it: a subprocess, bad input gives one sentence and exit 2."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.processor import bad_inputs

REPO = Path(__file__).resolve().parents[2]
SYNTHETIC = REPO / "tests" / "data" / "synthetic"


def hotfolder(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    env.pop("HOTFOLDER_CONFIG", None)
    env["HOTFOLDER_ANALYSIS__PROCESSES"] = "1"
    return subprocess.run([sys.executable, "-m", "hotfolder", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def one_clear_sentence(proc: subprocess.CompletedProcess, name: str) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("hotfolder analyze:")]
    assert len(lines) == 1, proc.stderr
    assert name in lines[0]
    return lines[0]


@pytest.mark.parametrize(("make", "words"), [
    (bad_inputs.empty_file, "empty"),
    (bad_inputs.text_as_mp4, "not a video"),
    # OpenCV writes the mp4 index (moov) last: cut short, nothing can be decoded
    (lambda p: bad_inputs.truncated_copy(p, bad_inputs.no_person_video(p.with_name("full.mp4"))), "clip.mp4"),
])  # fmt: skip
def test_bad_input(tmp_path, make, words):
    video = make(tmp_path / "clip.mp4")
    line = one_clear_sentence(hotfolder("analyze", str(video), cwd=tmp_path), "clip.mp4")
    assert words in line
    assert not list(tmp_path.glob("*.xlsx"))


def test_missing_file_and_unknown_standard(tmp_path):
    one_clear_sentence(hotfolder("analyze", "ghost.mp4", cwd=tmp_path), "ghost.mp4")
    video = bad_inputs.empty_file(tmp_path / "x.mp4")
    line = one_clear_sentence(hotfolder("analyze", str(video), "--standard", "osha", cwd=tmp_path), "osha")
    assert "nv361" in line


@pytest.mark.slow
def test_a_truncated_video_with_its_index_first_gets_a_report_saying_so(tmp_path):
    # the synthetic clips are written with the index first (faststart): the first part still decodes
    video = bad_inputs.truncated_copy(tmp_path / "cut.mp4", SYNTHETIC / "bodyA_side.mp4", keep=0.3)
    proc = hotfolder("analyze", str(video), "--no-progress", cwd=tmp_path)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    summary = load_workbook(tmp_path / "cut - ergonomics.xlsx")["Summary"]
    texts = [str(c.value) for c in summary["B"] if c.value]
    assert any("could be decoded; the file may be truncated or damaged" in t for t in texts), texts
    share = summary.cell([c.value for c in summary["A"]].index("Analysed share of the video") + 1, 2).value
    assert share < 0.6


@pytest.mark.slow
def test_a_video_without_a_person(tmp_path):
    video = bad_inputs.no_person_video(tmp_path / "room.mp4")
    proc = hotfolder("analyze", str(video), "-o", str(tmp_path / "out"), "--lang", "cs", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "No person was found in room.mp4" in proc.stdout
    wb = load_workbook(tmp_path / "out" / "room - ergonomics.xlsx")
    texts = [c.value for c in wb["Souhrn"]["B"]]
    assert "Ve videu nebyla nalezena žádná osoba, pracovní polohy proto nelze posoudit." in texts


@pytest.mark.slow
def test_a_one_frame_video_gets_a_report_that_says_how_little_was_analysed(tmp_path):
    video = bad_inputs.one_frame_video(tmp_path / "still.mp4", SYNTHETIC / "bodyA_side.mp4")
    proc = hotfolder("analyze", str(video), "--no-progress", cwd=tmp_path)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 0, proc.stderr
    wb = load_workbook(tmp_path / "still - ergonomics.xlsx")
    summary = {r[0].value: r[1].value for r in wb["Summary"].iter_rows(max_col=2) if r[0].value}
    assert summary["Duration (s)"] <= 0.2  # the one frame
    assert summary["Proposed category"].startswith("none (too little data")  # not a formula computing one
    assert summary["Overall assessment"].startswith("No category: the worker was measured for only")
    assert not any(isinstance(c.value, str) and c.value.startswith("=IF(")
                   for c in wb["Catalogue NV 361"]["O"])  # no row category either
    assert wb["Per-frame angles"].max_row == 2


@pytest.mark.slow
def test_a_real_clip_with_options(tmp_path):
    proc = hotfolder("analyze", str(SYNTHETIC / "bodyA_side.mp4"), "-o", str(tmp_path), "--standard", "iso11226",
                     "--quality", "fast", "--lang", "cs", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "bodyA_side - ergonomics.xlsx").is_file()
    assert (tmp_path / "bodyA_side - angles.csv").is_file()
    assert "standard iso11226" in proc.stdout
    wb = load_workbook(tmp_path / "bodyA_side - ergonomics.xlsx")
    assert wb.sheetnames[0] == "Souhrn"
    assert_czech_method_sheet(wb["Metodika"])


# English words that a Czech sentence never contains (identifiers such as "mediapipe" or "fast" may stay).
ENGLISH = re.compile(r"\b(the|and|of|by|from|with|frames?|person|people|seen|not|only|none|off|on|given|level|trunk)\b")


def assert_czech_method_sheet(ws) -> None:
    """Every name and sentence on a Czech Method sheet is Czech, the processing record included: no raw
    variable names (``angles_vertical_tilt_deg``) and no English sentence the pipeline wrote."""
    english = []
    for name, value in ws.iter_rows(min_col=1, max_col=2, values_only=True):
        if isinstance(name, str) and "_" in name.split("(")[0]:  # a raw variable name, not a label
            english.append(name)
        for text in (name, value):
            if isinstance(text, str) and not text.startswith("=") and ENGLISH.search(text):
                english.append(text)
    assert english == [], english


@pytest.mark.slow
def test_a_czech_catalogue_workbook_has_no_english_on_its_method_sheet(tmp_path):
    proc = hotfolder("analyze", str(SYNTHETIC / "bodyA_passerby.mp4"), "-o", str(tmp_path), "--quality", "fast",
                     "--lang", "cs", "--no-progress", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert_czech_method_sheet(load_workbook(tmp_path / "bodyA_passerby - ergonomics.xlsx")["Metodika"])


def test_an_invalid_body_model_file_is_one_sentence(tmp_path):
    model = tmp_path / "model.npz"
    model.write_text("not a model", encoding="utf-8")
    proc = hotfolder("analyze", str(SYNTHETIC / "bodyA_side.mp4"), "-o", str(tmp_path), "--body-model", str(model),
                     "--no-progress", cwd=tmp_path)
    one_clear_sentence(proc, "model.npz")
    assert not list(tmp_path.glob("*.xlsx"))
