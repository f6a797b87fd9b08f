from drive.model import OutputNames, error_file_name, fit_name, read_verdicts as verdicts, verdict_properties


def test_worker_verdicts_fit_drive_and_read_back_as_words():
    parts = {"trunk": "unacceptable", "trunk_side": "conditionally_acceptable", "trunk_twist": "acceptable",
             "head": "not_assessed", "neck": "unacceptable", "upper_arm_left": "unacceptable",
             "upper_arm_right": "acceptable"}
    props = verdict_properties(parts, "unacceptable")
    for key, value in props.items():
        assert len(key.encode()) + len(value.encode()) <= 124
    words = verdicts(props)
    assert words[0] == "Overall: unacceptable"
    assert "Trunk side: conditionally acceptable" in words and "Head: not assessed" in words
    assert "Upper arm right: acceptable" in words and len(words) == 1 + len(parts)


def test_too_many_parts_keep_whole_items_only():
    parts = {f"body_part_number_{i}": "conditionally_acceptable" for i in range(10)}
    props = verdict_properties(parts, "conditionally_acceptable")
    assert len("hf_verdicts") + len(props["hf_verdicts"]) <= 124
    assert all(item.endswith("=cond") for item in props["hf_verdicts"].split(";"))
    assert verdicts({}) == []


def test_names_made_from_a_long_video_name_fit_the_file_system_and_stay_apart():
    stem = "Lisovna – linka č. 3, ranní směna " * 8  # ~300 bytes of UTF-8
    a, b = OutputNames.of(stem + "A.mp4"), OutputNames.of(stem + "B.mp4")
    for name in (*a.__dict__.values(), error_file_name(stem + "A.mp4")):
        assert len(name.encode()) <= 255
        name.encode().decode()  # never cut inside a character
    assert a.report.endswith(" - ergonomics.xlsx") and a.report != b.report
    assert OutputNames.of("press.mov").report == "press - ergonomics.xlsx"
    assert error_file_name("press.mov") == "press.mov - error.txt"
    assert fit_name("x" * 300, ".txt", limit=20) != fit_name("x" * 299 + "y", ".txt", limit=20)
