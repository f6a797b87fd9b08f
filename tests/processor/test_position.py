"""A position from its time study and per-video summaries, computed by hand here and by
``evaluate_position``; the workbook and the JSON twin carry the same numbers."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from openpyxl import load_workbook

from processor.nv361 import load_catalogue
from processor.nv361.category import work_time
from processor.nv361.evaluate import CatalogueResult, RowResult, assess
from processor.nv361.position import (
    PositionError, evaluate_position, position_json, position_output_names, write_position_json,
    write_position_workbook,
)  # fmt: skip
from processor.nv361.summary import catalogue_summary
from processor.nv361.timestudy import Operation, TimeStudy, is_time_study_name

CATALOGUE = load_catalogue()
TRUNK_N = "trunk.flex_gt60.static"  # N: 20 / 30 min at 480 min
ARM_R_PP = "arm_R.elev_40_60.dyn_ge2"  # PP: 100 / 160 min
ARM_L_N = "arm_L.elev_gt60.static"  # N


def make_summary(video: str, seconds: dict[str, tuple[float, float]], *, analysed: float = 600.0,
                 unmeasured: tuple[str, ...] = (), supported: frozenset[str] = frozenset()) -> dict:
    """A ``catalogue_summary`` object: the rows in ``seconds`` have (seconds, analysed seconds); every other
    measurable row 0 s of ``analysed``; rows of the parts in ``unmeasured`` were not measured (0 of 0 s)."""
    rows = []
    for r in CATALOGUE:
        s, a = seconds.get(r.id, (0.0, analysed))
        if not r.measurable:
            status, s, a = "not_from_video", 0.0, 0.0
        elif r.part in unmeasured:
            assert r.id not in seconds
            status, s, a = "not_measured", 0.0, 0.0
        elif not r.applies_with(supported):
            status, s = "not_applicable", 0.0
        else:
            status = "measured"
        rows.append(RowResult(r, status, s, a, 1 if s else 0, s))
    result = CatalogueResult(duration_s=analysed, analysed_s=analysed, signal_analysed_s={}, rows=tuple(rows),
                             episodes=(), supported=supported)
    return catalogue_summary(video, result, None)


def study(shift: float, ops_min: tuple[float, float, float]) -> TimeStudy:
    return TimeStudy(
        company="Strojírny Příklad s.r.o.", ico="12345678", position="Svářeč / zámečník", workplace="Hala 2",
        date="2025-03-12", measured_by="Ing. Jana Nováková", shift_min=shift, meal_break_min=30.0,
        workers=("A", "B"),
        operations=(
            Operation("Příprava", ops_min[0], frozenset(), {"A": "a1.mp4", "B": "b1.mp4"}),
            Operation("Svařování", ops_min[1], frozenset({"arm"}), {"A": "a2.mp4", "B": "b2.mp4"}),
            Operation("Kontrola", ops_min[2], frozenset(), {"A": "a3.mp4", "B": "b3.mp4"}),
        ),
        source_name="časový snímek svářeč.xlsx",
    )  # fmt: skip


ARMS = ("arm_right", "arm_left")


def summaries_450() -> dict[str, dict]:
    return {
        "a1.mp4": make_summary("a1.mp4", {TRUNK_N: (60, 600)}),
        "a2.mp4": make_summary("a2.mp4", {ARM_R_PP: (300, 600)}, supported=frozenset({"arm"})),
        "a3.mp4": make_summary("a3.mp4", {ARM_L_N: (12, 240)}),
        "b1.mp4": make_summary("b1.mp4", {TRUNK_N: (45, 600), ARM_R_PP: (120, 480)}, unmeasured=("arm_left",)),
        "b2.mp4": make_summary("b2.mp4", {TRUNK_N: (18, 600)}, unmeasured=ARMS, supported=frozenset({"arm"})),
        "b3.mp4": make_summary("b3.mp4", {}, unmeasured=("arm_left",)),
    }


def test_two_workers_three_operations_by_hand_450():
    """Shift 480, meal break 30 -> work time 450 min, table 8 coefficient 0.975 (N limits 19.5 / 29.25)."""
    s = study(480.0, (200.0, 150.0, 100.0))
    res = evaluate_position(s, summaries_450())
    assert (res.work.minutes, res.work.coefficient, res.work.source) == (450.0, 0.975, "time_study")

    trunk = res.row(TRUNK_N)
    # A: op1 60 s of 600 s × 200 min = 20; op2, op3 0 s -> 20
    # B: op1 45/600 × 200 = 15; op2 18/600 × 150 = 4.5; op3 0 -> 19.5
    assert trunk.workers["A"].minutes == pytest.approx(20.0)
    assert trunk.workers["A"].by_operation == pytest.approx((20.0, 0.0, 0.0))
    assert trunk.workers["B"].minutes == pytest.approx(19.5)
    assert trunk.workers["B"].by_operation == pytest.approx((15.0, 4.5, 0.0))
    assert trunk.average == pytest.approx(19.75)
    # 19.75 > 19.5 (= 20 × 0.975): category 2; at 480 min the same minutes would be category 1
    assert trunk.assessment.category == 2
    assert trunk.assessment.limits == pytest.approx((19.5, 29.25))
    assert assess({TRUNK_N: 19.75}, work_time(480, "setting")).row(TRUNK_N).category == 1

    arm_r = res.row(ARM_R_PP)
    # A: op2 300/600 × 150 = 75 -> 75. B: op1 120/480 × 200 = 50; op2 did not measure the arms; op3 0 -> 50
    assert arm_r.workers["A"].minutes == pytest.approx(75.0)
    assert arm_r.workers["B"].by_operation[0] == pytest.approx(50.0)
    assert arm_r.workers["B"].by_operation[1] is None
    assert arm_r.workers["B"].minutes == pytest.approx(50.0)
    assert arm_r.average == pytest.approx(62.5)
    assert arm_r.assessment.category == 1

    arm_l = res.row(ARM_L_N)
    # A: op3 12/240 × 100 = 5; B: no video measured the left arm -> not measured; the average is A's alone
    assert arm_l.workers["A"].minutes == pytest.approx(5.0)
    assert arm_l.workers["B"].minutes is None
    assert arm_l.workers["B"].by_operation == (None, None, None)
    assert arm_l.average == pytest.approx(5.0)

    # support: the arm-supported videos leave the unsupported static arm row not applicable for op2 only
    assert res.row("arm_R.elev_40_60_unsupported.static").status == "measured"
    assert res.row("arm_R.elev_40_60_unsupported.static").average == 0.0
    assert res.row("legs.awkward.static").status == "not_from_video"
    assert res.row("legs.awkward.static").average is None

    assert res.category == 2
    assert res.assessment.deciding == (TRUNK_N,)
    assert res.assessment.n_minutes == pytest.approx(19.75 + 5.0)
    assert res.assessment.pp_minutes == pytest.approx(62.5)
    assert "Předklon trupu větší než 60°" in res.sentence("cs") and "20 min" in res.sentence("cs")
    # B's right arm counts op1 and op3 but not op2, whose video did not see it: a note says so
    assert [n.en for n in res.notes] == [
        "Worker B, operation 'Svařování' (video 'b2.mp4'): right arm not measured in this video; those rows "
        "count this worker's other operations only."]


def test_work_time_630_lowers_the_category():
    """Shift 660, meal break 30 -> 630 min, coefficient 1.150 (N limits 23 / 34.5)."""
    s = study(660.0, (280.0, 210.0, 140.0))
    sums = summaries_450()
    sums["a1.mp4"] = make_summary("a1.mp4", {TRUNK_N: (72, 600)})
    sums["b1.mp4"] = make_summary("b1.mp4", {TRUNK_N: (60, 600), ARM_R_PP: (120, 480)}, unmeasured=("arm_left",))
    sums["b2.mp4"] = make_summary("b2.mp4", {TRUNK_N: (12, 600)}, unmeasured=ARMS, supported=frozenset({"arm"}))
    res = evaluate_position(s, sums)
    assert (res.work.minutes, res.work.coefficient) == (630.0, 1.15)
    trunk = res.row(TRUNK_N)
    # A: 72/600 × 280 = 33.6. B: 60/600 × 280 = 28 + 12/600 × 210 = 4.2 -> 32.2. Average 32.9
    assert trunk.workers["A"].minutes == pytest.approx(33.6)
    assert trunk.workers["B"].minutes == pytest.approx(32.2)
    assert trunk.average == pytest.approx(32.9)
    # 23 < 32.9 <= 34.5: category 2; with the 480-min limits (30 min) it would be category 3
    assert trunk.assessment.category == 2
    assert assess({TRUNK_N: 32.9}, work_time(480, "setting")).row(TRUNK_N).category == 3
    # the PP arm row: A 300/600 × 210 = 105, B 120/480 × 280 = 70 -> 87.5, category 1
    assert res.row(ARM_R_PP).average == pytest.approx(87.5)
    assert res.category == 2 and res.assessment.deciding == (TRUNK_N,)


def test_operation_without_video_contributes_nothing():
    s = study(480.0, (200.0, 150.0, 100.0))
    s = replace(s, operations=s.operations + (Operation("Bezpečnostní přestávka", 30.0, frozenset(), {}),),
                shift_min=510.0)
    res = evaluate_position(s, summaries_450())
    assert res.row(TRUNK_N).workers["A"].by_operation == pytest.approx((20.0, 0.0, 0.0, None))
    assert res.row(TRUNK_N).average == pytest.approx(19.75)
    assert res.work.coefficient == 1.0  # 480 min


def test_missing_or_unusable_summaries_are_one_error():
    s = study(480.0, (200.0, 150.0, 100.0))
    sums = summaries_450()
    del sums["b2.mp4"], sums["a3.mp4"]
    sums["b3.mp4"] = {"standard": "rula", "rows": []}
    with pytest.raises(PositionError) as info:
        evaluate_position(s, sums)
    assert info.value.problems == (
        "časový snímek svářeč.xlsx: no summary for video 'b2.mp4' (operation 'Svařování', worker B); analyse the "
        "video first.",
        "časový snímek svářeč.xlsx: no summary for video 'a3.mp4' (operation 'Kontrola', worker A); analyse the "
        "video first.",
        "časový snímek svářeč.xlsx: video 'b3.mp4' (operation 'Kontrola', worker B): the summary of 'b3.mp4' is not "
        "an NV 361 catalogue summary.",
    )


def test_a_video_with_too_little_data_cannot_stand_for_an_operation():
    sums = summaries_450()
    sums["b2.mp4"] = {**sums["b2.mp4"], "withheld": "short",
                      "sentence_en": "No category: the worker was measured for only 6.0 s; at least 10 s are needed."}
    with pytest.raises(PositionError) as info:
        evaluate_position(study(480.0, (200.0, 150.0, 100.0)), sums)
    [problem] = info.value.problems
    assert "'b2.mp4'" in problem and "measured for only 6.0 s" in problem


def test_summary_keys_matched_like_the_folder_and_support_mismatch_noted(tmp_path):
    s = study(480.0, (200.0, 150.0, 100.0))
    sums = {k.upper(): v for k, v in summaries_450().items()}  # the files are named A1.MP4 ...
    sums["A2.MP4"] = make_summary("A2.MP4", {ARM_R_PP: (300, 600)})  # analysed without the arm support
    path = tmp_path / "a2 - summary.json"
    path.write_text(json.dumps(sums.pop("A2.MP4")), encoding="utf-8")
    sums["A2.MP4"] = path  # a path works too
    res = evaluate_position(s, sums)
    assert res.videos["a1.mp4"] == "A1.MP4"
    assert res.row(TRUNK_N).average == pytest.approx(19.75)
    assert res.notes[0].en.startswith("Video 'a2.mp4' (operation 'Svařování', worker A) was analysed with support "
                                      "'none' but the time study says 'arm'; the video's own marks are used.")
    assert res.notes[0].cs.startswith("Video 'a2.mp4' (operace 'Svařování', pracovník A) bylo vyhodnoceno s oporou "
                                      "'žádná', časový snímek uvádí 'paže'")


def _cells(ws) -> list:
    return [v for row in ws.iter_rows(values_only=True) for v in row if v is not None]


def _row_of(ws, text: str) -> tuple:
    for row in ws.iter_rows(values_only=True):
        if row and row[0] == text:
            return row
    raise AssertionError(f"no row {text!r}")


def test_workbook_czech(tmp_path):
    res = evaluate_position(study(480.0, (200.0, 150.0, 100.0)), summaries_450())
    path = write_position_workbook(res, tmp_path / position_output_names(res.study)[0])
    assert path.name == "Svářeč zámečník - pozice.xlsx"
    wb = load_workbook(path)
    assert wb.sheetnames == ["Protokol", "Všechny položky", "Časový snímek", "Výpočet"]
    for ws in wb.worksheets:
        assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.fitToWidth == 1
        assert ws.sheet_properties.pageSetUpPr.fitToPage
    ws = wb["Protokol"]
    cells = _cells(ws)
    for label, value in [("Firma", "Strojírny Příklad s.r.o."), ("IČO", "12345678"), ("Měřil", "Ing. Jana Nováková"),
                         ("Měření pracovníci (iniciály)", "A, B"), ("Datum měření", "2025-03-12")]:
        assert _row_of(ws, label)[1] == value
    assert "3. Zaznamenaný výskyt pracovních poloh" in cells and "4. Celkové výsledky" in cells
    # section 3: the rows that occurred, legal text verbatim, minutes per worker, average, class, category
    text = next(r.text_cs for r in load_catalogue() if r.id == TRUNK_N)
    trunk = _row_of(ws, text)
    assert trunk[:3] == (text, "statická", None)
    assert trunk[3] == pytest.approx(20.0) and trunk[4] == pytest.approx(19.5) and trunk[5] == pytest.approx(19.75)
    assert trunk[6:8] == ("N", 2)
    arm = _row_of(ws, next(r.text_cs for r in load_catalogue() if r.id == ARM_R_PP))
    assert arm[1:3] == ("dynamická", "≥ 2/min")
    assert arm[3:6] == pytest.approx((75.0, 50.0, 62.5)) and arm[6:8] == ("PP", 1)
    arm_l = _row_of(ws, next(r.text_cs for r in load_catalogue() if r.id == ARM_L_N))
    assert arm_l[3] == pytest.approx(5.0) and arm_l[4] is None and arm_l[5] == pytest.approx(5.0)
    assert "Trup" in cells and "Pravá horní končetina" in cells and "Dolní končetiny" not in cells
    assert not any(r.text_cs in cells for r in load_catalogue() if r.id == "trunk.flex_40_60.static")  # did not occur
    # section 4
    assert _row_of(ws, "Délka směny (min)")[1] == 480
    assert _row_of(ws, "Přestávka na jídlo a oddech (min)")[1] == 30
    assert _row_of(ws, "Doba výkonu práce (min)")[1] == 450
    coef = [r for r in ws.iter_rows(values_only=True) if r[0] and str(r[0]).startswith("Koeficient")][0]
    assert coef[1] == 0.975
    assert ws.cell(next(c.row for c in ws["A"] if c.value and str(c.value).startswith("Koeficient")), 2).number_format \
        == "0.000"
    n_limits = [r for r in ws.iter_rows(values_only=True) if r[0] and str(r[0]).startswith("Limity nepřijatelných")][0]
    assert n_limits[1:3] == pytest.approx((19.5, 29.25))
    assert _row_of(ws, "Celkové hodnocení")[1] == res.sentence("cs")
    assert _row_of(ws, "Navržená kategorie")[1] == 2
    assert any(isinstance(v, str) and v.startswith("Pracovník B, operace 'Svařování'") for v in cells)

    # all 52 rows, "not assessed from the video" among them
    all_rows = wb["Všechny položky"]
    data = list(all_rows.iter_rows(min_row=2, values_only=True))
    assert len(data) == 52
    assert [r[0] for r in data] == [r.id for r in load_catalogue()]
    by_id = {r[0]: r for r in data}
    assert by_id["legs.awkward.static"][-1] == "nelze posoudit z videa"
    assert by_id[TRUNK_N][12:15] == (2, None, "posouzeno")  # category, not borderline, status
    assert by_id[TRUNK_N][6:9] == pytest.approx((20.0, 19.5, 19.75))
    assert by_id[TRUNK_N][9] is None  # no summary gave a range: none is shown (not one of zero width)
    assert by_id[TRUNK_N][10:12] == pytest.approx((19.5, 29.25))
    assert by_id[ARM_L_N][6] == pytest.approx(5.0) and by_id[ARM_L_N][7] is None
    # the calculation: every video's seconds behind the minutes
    calc = list(wb["Výpočet"].iter_rows(min_row=2, values_only=True))
    b2 = [r for r in calc if r[0] == TRUNK_N and r[2] == "B" and r[4] == "b2.mp4"][0]
    assert b2[5:10] == pytest.approx((18.0, 600.0, 0.03, 150.0, 4.5))
    # the time study echoed
    assert _row_of(wb["Časový snímek"], "Svařování")[1:5] == (150, "paže", "a2.mp4", "b2.mp4")


def test_workbook_english_has_both_texts(tmp_path):
    res = evaluate_position(study(480.0, (200.0, 150.0, 100.0)), summaries_450())
    wb = load_workbook(write_position_workbook(res, tmp_path / "p.xlsx", lang="en"))
    assert wb.sheetnames == ["Protocol", "All rows", "Time study", "Calculation"]
    ws = wb["Protocol"]
    row = next(r for r in load_catalogue() if r.id == TRUNK_N)
    trunk = _row_of(ws, row.text_cs)
    assert trunk[1:3] == (row.text_en, "static")
    assert _row_of(ws, "Work time (min)")[1] == 450
    assert _row_of(ws, "Overall assessment")[1] == res.sentence("en")
    assert _row_of(ws, "Proposed category")[1] == 2
    assert {r[-1] for r in wb["All rows"].iter_rows(min_row=2, values_only=True)} >= {
        "assessed", "not assessed from the video"}


def test_json_twin_has_the_same_numbers(tmp_path):
    res = evaluate_position(study(480.0, (200.0, 150.0, 100.0)), summaries_450())
    obj = json.loads(write_position_json(res, tmp_path / position_output_names(res.study)[1]).read_text("utf-8"))
    assert obj == json.loads(json.dumps(position_json(res)))
    assert obj["schema"] == "ergo-hotfolder/position/1" and obj["standard"] == "nv361"
    assert (obj["shift_minutes"], obj["meal_break_minutes"], obj["work_minutes"], obj["coefficient"]) == (
        480.0, 30.0, 450.0, 0.975)
    assert obj["limits"] == {"PP": [97.5, 156.0], "N": [19.5, 29.25]}
    assert obj["workers"] == ["A", "B"] and obj["company"] == "Strojírny Příklad s.r.o."
    assert obj["operations"][1] == {"name": "Svařování", "minutes": 150.0, "supported": ["arm"],
                                    "videos": {"A": "a2.mp4", "B": "b2.mp4"},
                                    "summaries": {"A": "a2.mp4", "B": "b2.mp4"}}
    assert len(obj["rows"]) == 52
    rows = {r["id"]: r for r in obj["rows"]}
    t = rows[TRUNK_N]
    assert t["workers"] == {"A": {"minutes": 20.0, "by_operation": [20.0, 0.0, 0.0], "minutes_range": None},
                            "B": {"minutes": 19.5, "by_operation": [15.0, 4.5, 0.0], "minutes_range": None}}
    assert (t["average"], t["category"], t["limits"], t["class"]) == (19.75, 2, [19.5, 29.25], "N")
    assert (t["minutes_range"], t["borderline"], obj["category_range"]) == (None, False, None)
    assert t["text_cs"] == "Předklon trupu větší než 60°"
    assert rows[ARM_L_N]["workers"]["B"] == {"minutes": None, "by_operation": [None, None, None], "minutes_range": None}
    assert rows["legs.awkward.static"]["status"] == "not_from_video"
    assert (obj["category"], obj["category_rows"]) == (2, [TRUNK_N])
    assert obj["sentence_cs"] == res.sentence("cs") and obj["sentence_en"] == res.sentence("en")
    # every number in the workbook's section 3 is in the JSON, rounded to 3 decimals
    for pr in res.rows:
        assert rows[pr.row.id]["average"] == (None if pr.average is None else round(pr.average, 3))


def with_range(summary: dict, row_id: str, low: float, high: float, work: float = 480.0) -> dict:
    """The summary as a video assessed for ``work`` minutes writes it, with the row's minutes ``low``–``high``
    within the measurement uncertainty."""
    out = json.loads(json.dumps(summary))
    out["work_minutes"] = work
    next(r for r in out["rows"] if r["id"] == row_id)["minutes_range"] = [low, high]
    return out


def test_each_videos_uncertainty_carries_into_the_position():
    """Trunk > 60° static (N, limits 19.5 / 29.25 at 450 min). Worker A: a1 60 of 600 s × 200 min = 20 min;
    a1's summary (assessed for 480 min) gives 40-56 min, shares 1/12-7/60, × 200 = 16.667-23.333. Worker B:
    b1 45/600 × 200 = 15, range 30-40 of 480 -> 12.5-16.667; b2 18/600 × 150 = 4.5 with no range (its point
    at both ends): 17.0-21.167. Average 19.75 (category 2), range 16.833-22.25: categories 1-2, borderline."""
    sums = summaries_450()
    sums["a1.mp4"] = with_range(sums["a1.mp4"], TRUNK_N, 40.0, 56.0)
    sums["b1.mp4"] = with_range(sums["b1.mp4"], TRUNK_N, 30.0, 40.0)
    res = evaluate_position(study(480.0, (200.0, 150.0, 100.0)), sums)
    t = res.row(TRUNK_N)
    assert t.workers["A"].minutes_range == pytest.approx((200 / 12, 200 * 7 / 60))
    assert t.workers["B"].minutes_range == pytest.approx((17.0, 200 / 12 + 4.5))
    assert t.average == pytest.approx(19.75) and t.assessment.category == 2
    assert t.assessment.minutes_range == pytest.approx((16.8333, 22.25), abs=1e-3)
    assert t.assessment.borderline and t.assessment.category_range == (1, 2)
    assert res.assessment.category_range == (1, 2)
    assert "1–2" in res.sentence("en") and "borderline" in res.sentence("en")
    # a row for which no video gave a range has none and is not borderline
    assert res.row(ARM_R_PP).assessment.minutes_range is None and not res.row(ARM_R_PP).assessment.borderline
    # one worker with a range, the other without: the other's point value at both ends
    only_a = summaries_450()
    only_a["a1.mp4"] = with_range(only_a["a1.mp4"], TRUNK_N, 40.0, 56.0)
    t = evaluate_position(study(480.0, (200.0, 150.0, 100.0)), only_a).row(TRUNK_N)
    assert t.workers["B"].minutes_range is None
    assert t.assessment.minutes_range == pytest.approx(((200 / 12 + 19.5) / 2, (200 * 7 / 60 + 19.5) / 2))
    obj = position_json(res)
    row = next(r for r in obj["rows"] if r["id"] == TRUNK_N)
    assert (row["minutes_range"], row["borderline"], obj["category_range"]) == ([16.833, 22.25], True, [1, 2])


def test_borderline_rows_marked_in_the_workbook(tmp_path):
    sums = summaries_450()
    sums["a1.mp4"] = with_range(sums["a1.mp4"], TRUNK_N, 40.0, 56.0)
    sums["b1.mp4"] = with_range(sums["b1.mp4"], TRUNK_N, 30.0, 40.0)
    res = evaluate_position(study(480.0, (200.0, 150.0, 100.0)), sums)
    wb = load_workbook(write_position_workbook(res, tmp_path / "p.xlsx", lang="en"))
    text = next(r.text_cs for r in load_catalogue() if r.id == TRUNK_N)
    assert _row_of(wb["Protocol"], text)[-1] == "borderline 1–2"
    by_id = {r[0]: r for r in wb["All rows"].iter_rows(min_row=2, values_only=True)}
    # id, part, text cs, text en, work, frequency, class, A, B, average, uncertainty, limits, category, borderline
    assert by_id[TRUNK_N][10] == "16.8–22.2" and by_id[TRUNK_N][13:15] == (2, "borderline 1–2")
    assert by_id[ARM_R_PP][14] is None


def test_a_malformed_range_in_a_summary_is_named():
    sums = summaries_450()
    broken = with_range(sums["a1.mp4"], TRUNK_N, 40.0, 56.0)
    next(r for r in broken["rows"] if r["id"] == TRUNK_N)["minutes_range"] = ["many", 3]
    sums["a1.mp4"] = broken
    with pytest.raises(PositionError, match="a1.mp4.*minutes_range"):
        evaluate_position(study(480.0, (200.0, 150.0, 100.0)), sums)


def test_output_names():
    s = study(480.0, (200.0, 150.0, 100.0))
    assert position_output_names(s) == ("Svářeč zámečník - pozice.xlsx", "Svářeč zámečník - pozice.json")
    assert position_output_names(replace(s, position="")) == (
        "časový snímek svářeč - pozice.xlsx", "časový snímek svářeč - pozice.json")
    # the output is never taken for a new time study
    assert not is_time_study_name(position_output_names(replace(s, position=""))[0])
