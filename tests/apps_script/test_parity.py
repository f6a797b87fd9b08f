"""Parity with apps_script/Code.gs: the Python selection on the shared fixture.

``apps_script/test/parity.test.js`` feeds the same ``tests/fixtures/parity_folder.json`` to Code.gs;
both must give the hand-written expected selection, so the Python watcher and the Apps Script watcher
launch for the same videos.
"""

from __future__ import annotations

import json
from pathlib import Path

from drive.drive_store import is_video
from drive.model import VideoFile, parse_time
from drive.settle import select_processable

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "parity_folder.json"


def _load():
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    videos = [
        VideoFile(
            id=v["id"],
            name=v["name"],
            size=v["size"],
            md5=v["md5"],
            mime_type=v["mime_type"],
            modified_time=parse_time(v["modified_time"]) if v["modified_time"] else None,
            properties=v["properties"],
        )
        for v in data["videos"]
    ]
    return data, videos


def _normalised(observations):
    return {k: (o["size"], o["md5"], parse_time(o["since"])) for k, o in observations.items()}


def test_selection_matches_the_fixture():
    data, videos = _load()
    sel = select_processable(
        videos, data["observations"], parse_time(data["now"]), data["settle_seconds"], data["max_attempts"]
    )
    expected = data["expected"]
    assert [v.id for v in sel.process] == expected["process"]
    assert [v.id for v in sel.exhausted] == expected["exhausted"]
    assert [v.id for v in sel.waiting] == expected["waiting"]
    assert _normalised(sel.observations) == _normalised(expected["observations"])


def test_the_fixture_covers_every_rule():
    """Guards the fixture itself: each case the two implementations could disagree on is present."""
    data, videos = _load()
    notes = " ".join(v["note"] for v in data["videos"])
    for case in ("exactly settle_seconds", "size changed", "checksum changed", "no md5", "lease expired",
                 "lease ends exactly now", "exhausted", "unknown hf_state", "unparseable lease",
                 "damaged observation", "no modifiedTime", "ordered by name", "never observed"):
        assert case in notes, case
    assert "vid-gone" in data["observations"] and "vid-gone" not in data["expected"]["observations"]
    listed = {v.id for v in videos}
    expected = data["expected"]
    chosen = expected["process"] + expected["exhausted"] + expected["waiting"]
    assert len(chosen) == len(set(chosen)) and set(chosen) <= listed


def test_video_recognition_matches_the_fixture():
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    for case in data["listing"]["cases"]:
        assert is_video(case["name"], case["mime_type"]) is case["is_video"], case


def test_code_gs_knows_the_same_video_extensions():
    import re

    from drive.model import VIDEO_EXTENSIONS

    code = (Path(__file__).resolve().parents[2] / "apps_script" / "Code.gs").read_text(encoding="utf-8")
    listed = re.search(r"var VIDEO_EXTENSIONS = \('([^']*)'\)", code).group(1).split()
    assert set(listed) == VIDEO_EXTENSIONS
