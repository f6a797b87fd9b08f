"""The settle rule and the selection of videos to process (pure function and persistent tracker)."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from drive.model import VideoFile, parse_time
from drive.settle import SettleTracker, select_processable

PARITY = Path(__file__).with_name("data") / "select_processable_parity.json"
T0 = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)


def video(file_id: str, size=100, md5="m1", props=None, modified=None) -> VideoFile:
    return VideoFile(file_id, file_id + ".mp4", size, md5, "video/mp4", modified or T0, props or {})


def from_drive(f: dict) -> VideoFile:
    """A file in Drive v3 JSON (as Apps Script sees it) as the Python side sees it."""
    return VideoFile(
        id=f["id"],
        name=f["name"],
        size=int(f["size"]) if f.get("size") is not None else None,
        md5=f.get("md5Checksum"),
        mime_type=f.get("mimeType"),
        modified_time=parse_time(f["modifiedTime"]) if f.get("modifiedTime") else None,
        properties=dict(f.get("properties") or {}),
    )


def test_parity_fixture_pure_function():
    fixture = json.loads(PARITY.read_text())
    observations: dict = {}
    for step in fixture["steps"]:
        sel = select_processable(
            [from_drive(f) for f in step["files"]],
            observations,
            parse_time(step["now"]),
            fixture["settle_seconds"],
            fixture["max_attempts"],
        )
        got = {
            "process": [v.id for v in sel.process],
            "waiting": [v.id for v in sel.waiting],
            "exhausted": [v.id for v in sel.exhausted],
        }
        assert got == step["expect"], step["note"]
        observations = sel.observations


def test_parity_fixture_through_persisted_tracker(tmp_path):
    """The same steps with a fresh tracker per step reading the observations back from disk."""
    fixture = json.loads(PARITY.read_text())
    path = tmp_path / "state" / "settle.json"
    for step in fixture["steps"]:
        tracker = SettleTracker(path, fixture["settle_seconds"])
        sel = tracker.select([from_drive(f) for f in step["files"]], parse_time(step["now"]), fixture["max_attempts"])
        assert [v.id for v in sel.process] == step["expect"]["process"], step["note"]


def test_pure_function_does_not_mutate_its_input():
    observations = {"a": {"size": 1, "md5": "old", "since": "2026-01-05T07:00:00.000000Z"}}
    before = json.dumps(observations, sort_keys=True)
    sel = select_processable([video("a")], observations, T0, 30)
    assert json.dumps(observations, sort_keys=True) == before
    assert sel.observations["a"]["size"] == 100 and sel.waiting and not sel.process


def test_settled_after_quiet_period_and_reset_by_any_change():
    tracker = SettleTracker(None, settle_seconds=30)
    assert tracker.settled([video("a")], T0) == []
    assert tracker.settled([video("a")], T0 + timedelta(seconds=29.9)) == []
    assert [v.id for v in tracker.settled([video("a")], T0 + timedelta(seconds=30))] == ["a"]
    # Same size, new checksum (a re-synced file): waits again.
    assert tracker.settled([video("a", md5="m2")], T0 + timedelta(seconds=40)) == []
    assert tracker.settled([video("a", md5="m2")], T0 + timedelta(seconds=69)) == []
    assert tracker.settled([video("a", md5="m2")], T0 + timedelta(seconds=70)) != []
    # Size changed, checksum not yet known (Drive computes it after the upload): waits again.
    assert tracker.settled([video("a", size=200, md5=None)], T0 + timedelta(seconds=80)) == []


def test_zero_settle_takes_files_at_first_sight():
    assert SettleTracker(None, 0).settled([video("a")], T0) != []


def test_forgotten_when_gone_from_listing():
    tracker = SettleTracker(None, settle_seconds=10)
    tracker.settled([video("a"), video("b")], T0)
    tracker.settled([video("b")], T0 + timedelta(seconds=5))
    assert set(tracker.observations) == {"b"}
    assert [v.id for v in tracker.settled([video("a"), video("b")], T0 + timedelta(seconds=11))] == ["b"]


def test_observations_persist_across_tracker_instances(tmp_path):
    path = tmp_path / "state" / "settle.json"
    SettleTracker(path, 30).settled([video("a")], T0)
    assert path.exists()
    data = json.loads(path.read_text())
    assert data["a"]["size"] == 100 and data["a"]["md5"] == "m1" and parse_time(data["a"]["since"]) == T0
    # A later run (e.g. `hotfolder watch --once` again) continues where the last one stopped.
    later = SettleTracker(path, 30)
    assert [v.id for v in later.settled([video("a")], T0 + timedelta(seconds=31))] == ["a"]
    assert not [p for p in os.listdir(path.parent) if p != "settle.json"]  # no temp files left


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", ""])
def test_unreadable_observations_start_afresh(tmp_path, content, caplog):
    path = tmp_path / "settle.json"
    path.write_text(content)
    tracker = SettleTracker(path, 30)
    assert tracker.observations == {}
    assert tracker.settled([video("a")], T0) == []
    assert json.loads(path.read_text())["a"]["size"] == 100  # replaced by a good file


def test_order_oldest_modified_first_then_name():
    vids = [
        video("late", modified=T0),
        video("b-early", modified=T0 - timedelta(hours=1)),
        video("a-early", modified=T0 - timedelta(hours=1)),
        VideoFile("none", "0 no time.mp4", 1, "x", "video/mp4", None, {}),
    ]
    sel = select_processable(vids, {}, T0, 0)
    assert [v.id for v in sel.process] == ["a-early", "b-early", "late", "none"]


def test_live_claims_done_and_failed_are_not_offered():
    later = (T0 + timedelta(minutes=5)).isoformat()
    vids = [
        video("live", props={"hf_state": "claimed", "hf_worker": "w", "hf_lease_until": later}),
        video("done", props={"hf_state": "done"}),
        video("failed", props={"hf_state": "failed"}),
        video("pending", props={"hf_state": "pending", "hf_attempts": "2"}),
    ]
    sel = select_processable(vids, {}, T0, 0, max_attempts=3)
    assert [v.id for v in sel.process] == ["pending"] and sel.exhausted == [] and sel.waiting == []


def test_a_file_listed_twice_counts_once():
    sel = select_processable([video("a"), video("a")], {}, T0, 0)
    assert [v.id for v in sel.process] == ["a"]
