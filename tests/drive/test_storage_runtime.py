"""What the pod runtime needs from every storage backend (local folder and Drive): two copies of an
output never overwrite each other and the oldest is the one found, a late writer's copy can be removed,
and the storage tells its own time (leases are read against it)."""

from __future__ import annotations

from datetime import timedelta

from drive.model import utcnow
from tests.drive.test_queue import VIDEO


def test_a_second_copy_sits_beside_the_first_which_stays_the_one_found(backend, tmp_path):
    vid = backend.add_video("v.mp4", VIDEO)
    backend.storage.update_properties(vid, {"hf_state": "claimed"})
    local = tmp_path / "report.xlsx"
    local.write_bytes(b"first")
    first = backend.storage.upload_output(local, "v - ergonomics.xlsx", vid, "application/octet-stream", claim="aaa")
    local.write_bytes(b"late")
    late = backend.storage.upload_output(local, "v - ergonomics.xlsx", vid, "application/octet-stream", claim="bbb")
    assert late.id != first.id
    assert backend.storage.find_output("v - ergonomics.xlsx", vid) == first
    assert backend.storage.fetch(first.id, tmp_path / "got").read_bytes() == b"first"
    backend.storage.delete_output(late.id)
    backend.storage.delete_output(late.id)  # idempotent
    assert backend.storage.find_output("v - ergonomics.xlsx", vid) == first


def test_server_time_is_close_to_this_machine_s(backend):
    skew = (backend.storage.server_time() - utcnow()).total_seconds()
    assert abs(skew) < 2.0  # Drive's Date header has whole seconds
    assert backend.storage.server_time().utcoffset() == timedelta(0)
