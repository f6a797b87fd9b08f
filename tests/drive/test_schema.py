from pathlib import Path

from processor.model import AnalysisResult
from processor.worker import verdict_properties
from watcher.overview import verdicts


def result(parts: dict[str, str], overall: str = "unacceptable") -> AnalysisResult:
    return AnalysisResult(video=Path("v.mp4"), report_xlsx=Path("r.xlsx"), angles_csv=Path("a.csv"), preview_mp4=None,
                          duration_s=10.0, analysed_share=1.0, person_found=True, standard="nv361",
                          verdicts=parts, overall_verdict=overall)


def test_worker_verdicts_fit_drive_and_read_back_as_words():
    parts = {"trunk": "unacceptable", "trunk_side": "conditionally_acceptable", "trunk_twist": "acceptable",
             "head": "not_assessed", "neck": "unacceptable", "upper_arm_left": "unacceptable",
             "upper_arm_right": "acceptable"}
    props = verdict_properties(result(parts))
    for key, value in props.items():
        assert len(key.encode()) + len(value.encode()) <= 124
    words = verdicts(props)
    assert words[0] == "Overall: unacceptable"
    assert "Trunk side: conditionally acceptable" in words and "Head: not assessed" in words
    assert "Upper arm right: acceptable" in words and len(words) == 1 + len(parts)


def test_too_many_parts_keep_whole_items_only():
    parts = {f"body_part_number_{i}": "conditionally_acceptable" for i in range(10)}
    props = verdict_properties(result(parts, "conditionally_acceptable"))
    assert len("hf_verdicts") + len(props["hf_verdicts"]) <= 124
    assert all(item.endswith("=cond") for item in props["hf_verdicts"].split(";"))
    assert verdicts({}) == []
