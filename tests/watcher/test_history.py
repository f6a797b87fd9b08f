from datetime import timedelta

from drive.model import utcnow
from watcher.history import History, Mail


def mail(key: str) -> Mail:
    return Mail(key, "video_done", "subject " + key, "text", "<p>html</p>", ["a@example.test"])


def test_state_change_and_its_mail_are_recorded_once_and_survive_a_restart(tmp_path):
    path = tmp_path / "state" / "history.sqlite3"
    h = History(path)
    assert h.record_state("v1", "a.mp4", "pending")
    assert h.record_state("v1", "a.mp4", "done", message="a.mp4: report ready", mail=mail("done:v1:1"))
    assert not h.record_state("v1", "a.mp4", "done", mail=mail("done:v1:1"))
    assert [m.key for m in h.unsent_mail()] == ["done:v1:1"]
    h.mark_sent("done:v1:1")
    h.close()

    h = History(path)  # a restarted watcher
    assert h.known_videos() == {"v1": "done"}
    assert h.outcome_count("v1", "done") == 1
    assert not h.enqueue_mail(mail("done:v1:1")), "a sent key is never queued again"
    assert h.unsent_mail() == []
    assert [e.message for e in h.recent_events()] == ["a.mp4: report ready"]


def test_failed_send_stays_in_outbox_with_attempts(tmp_path):
    h = History(tmp_path / "h.sqlite3")
    assert h.enqueue_mail(mail("k1"))
    h.mark_failed("k1", "ConnectionRefusedError: nope")
    h.mark_failed("k1", "ConnectionRefusedError: nope")
    [msg] = h.unsent_mail()
    assert msg.attempts == 2
    assert h.unsent_mail(max_attempts=2) == []


def test_workers_launch_end_and_cost(tmp_path):
    h = History(tmp_path / "h.sqlite3")
    t0 = utcnow()
    h.record_launch("pod1", "hotfolder-worker-1", "NVIDIA L4", 0.5, t0)
    h.record_seen("pod1", "hotfolder-worker-1", None, None, t0, 7200.0, t0 + timedelta(hours=2))
    assert h.record_end("pod1", "reaped", t0 + timedelta(hours=2))
    assert not h.record_end("pod1", "exited"), "an ended worker is ended once"
    [w] = h.workers()
    assert (w.gpu_type, w.launched_by_us, w.end_reason) == ("NVIDIA L4", True, "reaped")
    assert abs(h.total_cost() - 1.0) < 1e-9
    assert h.workers(include_ended=False) == []
    kinds = [e.kind for e in h.recent_events()]
    assert kinds == ["worker_reaped", "launched"]


def test_in_memory_history_works_without_a_file():
    h = History(None)
    h.set_meta("x", "1")
    assert h.get_meta("x") == "1"
    assert not h.has_seen_any_video()
