"""The state machine and the claim protocol, run against every storage backend (``backend`` fixture)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from drive.model import MAX_PROPERTY_BYTES, PREFIX, Folder, ReportRef, State, VideoState
from drive.model import NONCE_KEY, error_file_name
from drive.queue import LostClaim, VideoQueue
from drive.settle import SettleTracker
from drive.storage import FileGone, StorageError

# One worker at a time: the claim protocol runs in full (write, re-read) without real waiting, and a
# slow disk under load cannot make the read->write gap look longer than the pause.
NO_WAIT = {"sleep": lambda seconds: None, "monotonic": lambda: 0.0}
VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"frames" * 200


def make_queue(backend, worker="w1", clock=None, settle=None, **drive) -> VideoQueue:
    """A single worker's queue: the claim protocol runs in full, without real waiting."""
    settings = backend.settings.drive.model_copy(update=drive)
    kwargs = {"clock": clock} if clock is not None else {}
    return VideoQueue(backend.storage, settings, worker, settle or SettleTracker(None, settings.settle_seconds),
                      **kwargs, **NO_WAIT)


def state_of(backend, file_id) -> VideoState:
    return VideoState.from_properties(backend.storage.get_video(file_id).properties)


def in_folder(backend, folder, name) -> VideoState:
    [video] = [v for v in backend.storage.list_videos(folder) if v.name == name]
    return VideoState.from_properties(video.properties)


def test_pending_claimed_done(backend, clock):
    vid = backend.add_video("line 1.mp4", VIDEO)
    queue = make_queue(backend, clock=clock)
    assert [v.id for v in queue.processable()] == [vid]
    assert state_of(backend, vid).state is State.PENDING

    claim = queue.claim_next()
    assert claim is not None and claim.video.id == vid and claim.attempt == 1
    st = state_of(backend, vid)
    assert (st.state, st.worker, st.attempts) == (State.CLAIMED, "w1", 1)
    assert st.lease_until == clock.now + queue.lease
    assert queue.processable() == []  # a live claim is not offered
    assert make_queue(backend, "w2", clock=clock).claim_next() is None

    clock.advance(20)
    claim = queue.renew(claim, progress=40)
    st = state_of(backend, vid)
    assert st.progress == 40 and st.lease_until == clock.now + queue.lease

    queue.complete(claim, ReportRef(id="report-1", name="line 1 - ergonomics.xlsx"))
    assert "line 1.mp4" not in backend.folder_names(Folder.INBOX)
    done = in_folder(backend, Folder.DONE, "line 1.mp4")
    assert (done.state, done.report_id, done.progress, done.attempts) == (State.DONE, "report-1", 100, 1)
    assert done.lease_until is None and done.finished_at == clock.now  # Code.gs: a later rename is old news
    assert queue.claim_next() is None


def test_transient_failures_retry_then_fail_with_error_file(backend, clock):
    vid = backend.add_video("press.mov", VIDEO)
    queue = make_queue(backend, clock=clock, max_attempts=3)
    for attempt in (1, 2):
        claim = queue.claim_next()
        assert claim.attempt == attempt
        st = queue.fail(claim, f"network down #{attempt}", permanent=False)
        assert (st.state, st.attempts) == (State.PENDING, attempt)
        stored = state_of(backend, vid)
        assert (stored.state, stored.error, stored.worker) == (State.PENDING, f"network down #{attempt}", None)
    claim = queue.claim_next()
    assert claim.attempt == 3
    st = queue.fail(claim, "network down #3", permanent=False)
    assert st.state is State.FAILED
    assert backend.folder_names(Folder.INBOX) == []
    failed = in_folder(backend, Folder.FAILED, "press.mov")
    assert (failed.state, failed.attempts, failed.error) == (State.FAILED, 3, "network down #3")
    text = backend.read_text(Folder.FAILED, error_file_name("press.mov"))
    assert "network down #3" in text and "Retry" in text and "3 of 3" in text
    assert queue.claim_next() is None  # invariant 2: it never blocks the queue


def test_permanent_failure_fails_at_once(backend, clock):
    backend.add_video("notes.mp4", b"this is not a video")
    queue = make_queue(backend, clock=clock)
    claim = queue.claim_next()
    reason = "not a video: no video stream found " + "x" * 300
    st = queue.fail(claim, reason, permanent=True)
    assert (st.state, st.attempts) == (State.FAILED, 1)
    failed = in_folder(backend, Folder.FAILED, "notes.mp4")
    assert failed.state is State.FAILED and failed.error.startswith("not a video")
    assert len((PREFIX + "error").encode()) + len(failed.error.encode()) <= MAX_PROPERTY_BYTES
    text = backend.read_text(Folder.FAILED, error_file_name("notes.mp4"))
    assert reason in text  # the full reason is in the file, not cut
    assert "cannot help" in text
    assert queue.claim_next() is None


def test_expired_lease_is_reclaimed_and_old_owner_loses(backend, clock):
    vid = backend.add_video("crash.mp4", VIDEO)
    a = make_queue(backend, "pod-a", clock=clock)
    b = make_queue(backend, "pod-b", clock=clock)
    claim_a = a.claim_next()
    clock.advance(30)
    assert b.claim_next() is None  # lease still live
    clock.advance(a.lease.total_seconds())
    assert [v.id for v in b.processable()] == [vid]
    claim_b = b.claim_next()
    assert claim_b is not None and claim_b.attempt == 2  # the crashed attempt counts
    assert state_of(backend, vid).worker == "pod-b"
    with pytest.raises(LostClaim):
        a.renew(claim_a)
    with pytest.raises(LostClaim):
        a.complete(claim_a, ReportRef("r", "r"))
    with pytest.raises(LostClaim):
        a.fail(claim_a, "late", permanent=False)
    a.release(claim_a)  # a no-op: it is not ours
    assert state_of(backend, vid).worker == "pod-b"
    b.complete(claim_b, ReportRef("r", "r"))
    assert in_folder(backend, Folder.DONE, "crash.mp4").state is State.DONE


def test_renew_after_own_lease_expired_raises(backend, clock):
    backend.add_video("slow.mp4", VIDEO)
    queue = make_queue(backend, clock=clock)
    claim = queue.claim_next()
    clock.advance(queue.lease.total_seconds() + 1)
    with pytest.raises(LostClaim):
        queue.renew(claim)


def test_worker_crashing_every_time_ends_failed(backend, clock):
    backend.add_video("poison.mp4", VIDEO)
    queue = make_queue(backend, clock=clock, max_attempts=2)
    for attempt in (1, 2):
        claim = queue.claim_next()
        assert (claim.video.name, claim.attempt) == ("poison.mp4", attempt)
        clock.advance(queue.lease.total_seconds() + 1)  # the worker died holding the claim
    backend.add_video("zz next.mp4", VIDEO + b"2")
    # After two crashed attempts it is not offered again (invariant 2) but failed with its reason.
    assert [v.name for v in queue.processable()] == ["zz next.mp4"]
    claim = queue.claim_next()
    assert claim.video.name == "zz next.mp4"
    failed = in_folder(backend, Folder.FAILED, "poison.mp4")
    assert failed.state is State.FAILED and "stopped without finishing" in failed.error
    assert "2 time(s)" in backend.read_text(Folder.FAILED, error_file_name("poison.mp4"))


def test_release_does_not_count_the_attempt(backend, clock):
    vid = backend.add_video("sigterm.mp4", VIDEO)
    queue = make_queue(backend, clock=clock)
    claim = queue.claim_next()
    queue.release(claim)
    st = state_of(backend, vid)
    assert (st.state, st.attempts, st.worker, st.lease_until) == (State.PENDING, 0, None, None)
    with pytest.raises(LostClaim):
        queue.renew(claim)
    again = make_queue(backend, "w2", clock=clock).claim_next()
    assert again.attempt == 1


def test_retry_from_failed(backend, clock):
    backend.add_video("retry me.mp4", VIDEO)
    queue = make_queue(backend, clock=clock)
    queue.fail(queue.claim_next(), "decoder crashed", permanent=True)
    [failed] = backend.storage.list_videos(Folder.FAILED)
    assert VideoState.from_properties(failed.properties).finished_at == clock.now
    queue.retry(failed.id)
    assert backend.storage.list_videos(Folder.FAILED) == []
    [back] = backend.storage.list_videos(Folder.INBOX)
    st = VideoState.from_properties(back.properties)
    assert (back.name, st.state, st.attempts, st.error, st.worker, st.finished_at) == (
        "retry me.mp4", State.PENDING, 0, None, None, None)
    claim = queue.claim_next()
    assert claim.attempt == 1
    with pytest.raises(FileGone):
        queue.retry("no-such-id")
    with pytest.raises(StorageError, match="not failed"):
        queue.retry(claim.video.id)  # claimed, in the inbox


def test_retry_gets_one_video_and_refuses_the_others(backend, clock, monkeypatch):
    # a pending video left in Failed by a crash between the state write and the move is moved back;
    # a done one is refused with its folder named; the Failed folder (which only grows) is never listed
    for name in ("crashed.mp4", "fine.mp4"):
        backend.add_video(name, VIDEO)
    queue = make_queue(backend, clock=clock)
    queue.fail(queue.claim_next(), "x", permanent=True)
    queue.complete(queue.claim_next(), ReportRef("r", "r"))
    [failed] = backend.storage.list_videos(Folder.FAILED)
    [done] = backend.storage.list_videos(Folder.DONE)
    assert (failed.folder, done.folder) == (Folder.FAILED, Folder.DONE)
    assert backend.storage.get_video(done.id).folder is Folder.DONE
    backend.storage.update_properties(failed.id, VideoState().to_properties())  # the crash: pending, not moved
    listed = []
    real = type(backend.storage).list_videos
    monkeypatch.setattr(type(backend.storage), "list_videos", lambda self, folder=Folder.INBOX: listed.append(folder) or real(self, folder))
    with pytest.raises(FileGone, match="fine.mp4 is in done"):
        queue.retry(done.id)
    queue.retry(failed.id)
    assert listed == []
    monkeypatch.undo()
    [back] = [v for v in backend.storage.list_videos(Folder.INBOX) if v.name == "crashed.mp4"]
    assert (back.folder, state_of(backend, back.id).state) == (Folder.INBOX, State.PENDING)
    assert backend.storage.list_videos(Folder.FAILED) == []


def test_retry_of_a_failed_video_stuck_in_the_inbox(backend, clock):
    vid = backend.add_video("stuck.mp4", VIDEO)
    backend.storage.update_properties(vid, {PREFIX + "state": "failed", PREFIX + "attempts": "3", PREFIX + "error": "x"})
    queue = make_queue(backend, clock=clock)
    queue.retry(vid)
    assert (state_of(backend, vid).state, state_of(backend, vid).attempts) == (State.PENDING, 0)


def test_growing_file_is_not_offered(backend, clock):
    settle = SettleTracker(None, settle_seconds=10)
    vid = backend.add_video("uploading.mp4", VIDEO[:100])
    queue = make_queue(backend, clock=clock, settle=settle)
    assert queue.processable() == []  # first sight
    clock.advance(6)
    backend.rewrite_video(vid, VIDEO[:500])  # still growing
    assert queue.processable() == []
    clock.advance(6)  # 12 s since first seen, but only 6 s since it last changed
    assert queue.processable() == []
    assert queue.claim_next() is None
    clock.advance(5)
    assert [v.id for v in queue.processable()] == [vid]
    assert queue.claim_next().video.size == 500


def test_done_or_failed_video_left_in_inbox_is_moved_by_sweep(backend, clock):
    a = backend.add_video("a.mp4", VIDEO)
    b = backend.add_video("b.mp4", VIDEO + b"b")
    backend.storage.update_properties(a, {PREFIX + "state": "done", PREFIX + "report_id": "r1"})
    backend.storage.update_properties(b, {PREFIX + "state": "failed", PREFIX + "error": "x"})
    queue = make_queue(backend, clock=clock)
    assert queue.claim_next() is None
    assert backend.folder_names(Folder.INBOX) == []
    assert [v.name for v in backend.storage.list_videos(Folder.DONE)] == ["a.mp4"]
    assert [v.name for v in backend.storage.list_videos(Folder.FAILED)] == ["b.mp4"]


def test_claim_order_is_oldest_first(backend, clock):
    ids = [backend.add_video(f"{n}.mp4", VIDEO + n.encode()) for n in ("c", "a", "b")]
    queue = make_queue(backend, clock=clock)
    listed = {v.id: (v.modified_time, v.name, v.id) for v in backend.storage.list_videos()}
    expected = sorted(ids, key=listed.__getitem__)
    got = []
    while (claim := queue.claim_next()) is not None:
        got.append(claim.video.id)
        queue.complete(claim, ReportRef("r", "r"))
    assert got == expected


# ----------------------------------------------------------------- the claim protocol under races


class Interleave:
    """Wraps a Storage; ``overrides`` maps a method name to ``fn(real_method, *args)``."""

    def __init__(self, storage, **overrides):
        self.storage = storage
        self.overrides = overrides

    def __getattr__(self, name):
        real = getattr(self.storage, name)
        fn = self.overrides.get(name)
        return real if fn is None else (lambda *args, **kw: fn(real, *args, **kw))


def test_both_read_then_both_write_last_writer_wins(backend):
    """A and B both see the video pending before either writes; B writes last, so B wins."""
    vid = backend.add_video("race.mp4", VIDEO)
    a_read, b_read, a_wrote = threading.Event(), threading.Event(), threading.Event()

    def a_update(real, *args):
        a_read.set()  # the read came before this write
        b_read.wait(5)
        view = real(*args)
        a_wrote.set()
        return view

    def b_update(real, *args):
        b_read.set()
        a_wrote.wait(5)
        return real(*args)

    settings = backend.settings.drive.model_copy(update={"claim_pause": 1.0})
    qa = VideoQueue(Interleave(backend.storage, update_properties=a_update), settings, "pod-a", SettleTracker(None, 0))
    qb = VideoQueue(Interleave(backend.storage, update_properties=b_update), settings, "pod-b", SettleTracker(None, 0))
    results = {}
    threads = [threading.Thread(target=lambda n=n, q=q: results.__setitem__(n, q.claim_next())) for n, q in (("a", qa), ("b", qb))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert results["a"] is None
    assert results["b"] is not None and results["b"].video.id == vid
    assert state_of(backend, vid).worker == "pod-b"


def test_claim_seen_during_pause_is_respected(backend):
    """B reads while A waits in its pause: B sees A's live claim and leaves the video alone."""
    vid = backend.add_video("pause.mp4", VIDEO)
    settings = backend.settings.drive.model_copy(update={"claim_pause": 1.0})
    qb = VideoQueue(backend.storage, settings, "pod-b", SettleTracker(None, 0), **NO_WAIT)
    seen = {}

    def sleep_a(seconds):
        seen["b"] = qb.claim_next()

    qa = VideoQueue(backend.storage, settings, "pod-a", SettleTracker(None, 0), sleep=sleep_a, monotonic=lambda: 0.0)
    claim = qa.claim_next()
    assert claim is not None and seen["b"] is None
    assert state_of(backend, vid).worker == "pod-a"


def test_slow_claim_write_is_undone(backend):
    """A write that took longer than the pause cannot prove uniqueness: it is rolled back."""
    vid = backend.add_video("slow write.mp4", VIDEO)
    settings = backend.settings.drive.model_copy(update={"claim_pause": 0.05})
    ticks = iter([0.0, 1.0, 1.0, 1.0])  # read at t=0, write answered at t=1: gap 1 s > 0.05 s
    qa = VideoQueue(backend.storage, settings, "pod-a", SettleTracker(None, 0), monotonic=lambda: next(ticks))
    assert qa.claim_next() is None
    props = backend.storage.get_video(vid).properties
    assert NONCE_KEY not in props and PREFIX + "worker" not in props
    assert state_of(backend, vid).state is State.PENDING and state_of(backend, vid).attempts == 0
    assert make_queue(backend, "pod-b").claim_next().video.id == vid


def test_concurrent_threads_claim_one_video_once(backend):
    vid = backend.add_video("one.mp4", VIDEO)
    settings = backend.settings.drive.model_copy(update={"claim_pause": 1.0})
    barrier = threading.Barrier(4)
    results = []

    def run(i):
        q = VideoQueue(backend.storage, settings, f"pod-{i}", SettleTracker(None, 0))
        barrier.wait()
        results.append(q.claim_next())

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    winners = [c for c in results if c is not None]
    assert len(results) == 4 and len(winners) == 1
    assert state_of(backend, vid).worker == winners[0].worker_id


def test_lease_must_exceed_twice_the_pause(backend):
    with pytest.raises(ValueError, match="claim_pause"):
        make_queue(backend, lease_seconds=1, claim_pause=0.6)


# ----------------------------------------------------------------- two worker processes


@pytest.mark.timeout(120)
def test_two_processes_claim_twenty_videos_each_once(backend, tmp_path):
    ids = [backend.add_video(f"clip {i:02d}.mp4", VIDEO + bytes([i])) for i in range(20)]
    overrides = {**backend.overrides, "drive": {**backend.overrides["drive"], "claim_pause": 0.5}}
    go = tmp_path / "go"
    child = Path(__file__).with_name("claim_race_child.py")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    logs = [tmp_path / f"worker-{n}.log" for n in "ab"]
    procs = [
        subprocess.Popen([sys.executable, str(child), json.dumps(overrides), f"pod-{n}", str(log), str(go)], env=env)
        for n, log in zip("ab", logs)
    ]
    deadline = time.monotonic() + 60
    while not all(Path(str(log) + ".ready").exists() for log in logs):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "workers did not start"
        time.sleep(0.02)
    go.touch()
    assert [p.wait(timeout=100) for p in procs] == [0, 0]

    events = [json.loads(line) for log in logs for line in log.read_text().splitlines()]
    claims = [e for e in events if e["event"] == "claim"]
    done = [e for e in events if e["event"] == "done"]
    lost = [e for e in events if e["event"] == "lost"]
    assert sorted(e["id"] for e in done) == sorted(ids)  # each video finished exactly once
    # Each video claimed by exactly one worker. The only allowed exception: a claim write slower than
    # the pause (a stalled disk) is undone, which can void a claim just won; its holder must then
    # have found out (LostClaim) before finishing anything.
    undone = [e for e in events if e["event"] == "undo"]
    assert len(claims) == len(ids) + len(lost), (claims, lost)
    assert len(lost) <= len(undone), "a claim was lost without a slow write to explain it"
    assert {e["worker"] for e in claims} == {"pod-a", "pod-b"}  # they really raced
    assert backend.storage.list_videos(Folder.INBOX) == []
    finished = backend.storage.list_videos(Folder.DONE)
    assert sorted(v.name for v in finished) == sorted(f"clip {i:02d}.mp4" for i in range(20))
    for v in finished:
        st = VideoState.from_properties(v.properties)
        assert (st.state, st.attempts) == (State.DONE, 1)
        winner = next(e["worker"] for e in done if e["id"] == ids[int(v.name[5:7])])
        assert st.worker == winner
    reports = [n for n in backend.folder_names(Folder.REPORTS) if n.endswith(" - report.txt")]
    assert len(reports) == 20  # one report per video, none twice


def test_watcher_sweep_fails_exhausted_claims_without_claiming(backend, clock):
    vid = backend.add_video("hung.mp4", VIDEO)
    backend.add_video("fresh.mp4", VIDEO + b"f")
    backend.storage.update_properties(vid, {
        PREFIX + "state": "claimed", PREFIX + "worker": "pod-x", PREFIX + "attempts": "3",
        PREFIX + "lease_until": "2026-01-05T07:00:00.000000Z", PREFIX + "error": "out of memory",
    })
    watcher = make_queue(backend, "watcher", clock=clock)
    assert [v.name for v in watcher.processable()] == ["fresh.mp4"]  # no pod is launched for hung.mp4
    touched = watcher.sweep()
    assert [v.name for v in touched] == ["hung.mp4"]
    failed = in_folder(backend, Folder.FAILED, "hung.mp4")
    assert (failed.state, failed.attempts) == (State.FAILED, 3)
    text = backend.read_text(Folder.FAILED, error_file_name("hung.mp4"))
    assert "pod-x" in text and "out of memory" in text
    assert in_folder(backend, Folder.INBOX, "fresh.mp4").state is State.PENDING  # untouched


def test_video_deleted_while_processing_loses_the_claim(backend, clock):
    vid = backend.add_video("deleted.mp4", VIDEO)
    queue = make_queue(backend, clock=clock)
    claim = queue.claim_next()
    if backend.delete_video is None:
        pytest.skip(f"the {backend.name} test backend cannot delete files")
    backend.delete_video(vid)  # the user deleted it meanwhile
    for action in (lambda: queue.renew(claim), lambda: queue.complete(claim, ReportRef("r", "r")),
                   lambda: queue.fail(claim, "x", permanent=True)):
        with pytest.raises(LostClaim):
            action()
    queue.release(claim)  # quietly nothing


def test_video_changed_between_listing_and_claim_is_skipped(backend, clock):
    vid = backend.add_video("resynced.mp4", VIDEO)

    def get_after_change(real, file_id):
        backend.rewrite_video(vid, VIDEO + b"late bytes")
        return real(file_id)

    queue = VideoQueue(Interleave(backend.storage, get_video=get_after_change), backend.settings.drive, "w1",
                       SettleTracker(None, 0), clock=clock, **NO_WAIT)
    assert queue.claim_next() is None
    assert state_of(backend, vid).state is State.PENDING and PREFIX + "worker" not in backend.storage.get_video(vid).properties


def test_renew_refuses_a_lease_about_to_run_out(backend, clock):
    backend.add_video("late renew.mp4", VIDEO)
    queue = make_queue(backend, clock=clock, claim_pause=2.0, lease_seconds=60)
    claim = queue.claim_next()
    clock.advance(58.5)  # 1.5 s left, less than the claim pause: someone may be claiming it now
    with pytest.raises(LostClaim):
        queue.renew(claim)


def test_zero_pause_means_single_worker_mode(backend, clock):
    backend.add_video("solo.mp4", VIDEO)
    queue = make_queue(backend, clock=clock, claim_pause=0)
    assert queue.claim_next() is not None


def test_claim_write_that_errors_is_undone_and_reported(backend, clock):
    vid = backend.add_video("flaky api.mp4", VIDEO)

    def write_then_fail(real, file_id, props):
        real(file_id, props)  # it landed, but the answer was lost
        write_then_fail.calls += 1
        if write_then_fail.calls == 1:
            raise StorageError("connection reset")

    write_then_fail.calls = 0
    queue = VideoQueue(Interleave(backend.storage, update_properties=write_then_fail), backend.settings.drive,
                       "w1", SettleTracker(None, 0), clock=clock, **NO_WAIT)
    assert queue.claim_next() is None  # one video's error is that video's, not the look's
    assert [v.id for v in queue.last_lookup.waiting] == [vid]  # tried again after a backoff
    st = state_of(backend, vid)
    assert (st.state, st.worker, st.attempts) == (State.PENDING, None, 0)  # not stuck until the lease runs out
    assert make_queue(backend, "w2", clock=clock).claim_next().video.id == vid
