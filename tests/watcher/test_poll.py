from datetime import timedelta

import pytest

from config import load_settings
from drive.model import Folder, State, VideoState
from tests.watcher.fakes import Clock, FakeLauncher, MemorySettle, MemoryStorage, RecordingReaper, claimed
from watcher.daemon import build_context
from watcher.history import History
from watcher.poll import last_activity, poll


@pytest.fixture
def env(tmp_path):
    class Env:
        pass

    e = Env()
    e.clock = Clock()
    e.settings = load_settings(
        drive={"settle_seconds": 30, "lease_seconds": 300},
        launcher={"max_workers": 1, "idle_timeout": 900, "max_lifetime": 7200},
        watcher={"state_dir": str(tmp_path / "state")},
    )
    e.storage = MemoryStorage()
    e.launcher = FakeLauncher(e.clock)
    e.reaper = RecordingReaper()
    e.history_path = tmp_path / "state" / "history.sqlite3"

    def make_ctx():
        return build_context(e.settings, storage=e.storage, launcher=e.launcher, settle=MemorySettle(30),
                             history=History(e.history_path), worker_env=lambda: {"HOTFOLDER_POD_ENV_B64": "e30="},
                             reap=e.reaper, clock=e.clock)

    e.make_ctx = make_ctx
    e.ctx = make_ctx()
    return e


def test_idle_poll_makes_one_storage_request_and_launches_nothing(env):
    poll(env.ctx)  # the first poll of a process also looks at Done/Failed once
    before = env.storage.requests
    for _ in range(100):
        env.clock.advance(60)
        r = poll(env.ctx)
        assert r.launched == [] and r.error is None
    assert env.storage.requests - before == 100
    assert env.launcher.launches == []


def test_growing_video_is_not_launched_for_until_settled(env):
    v = env.storage.add("upload.mp4", size=100, md5="a")
    assert poll(env.ctx).launched == []
    for size in (200, 300, 400):  # still being uploaded: size changes every poll
        env.clock.advance(20)
        env.storage.grow(v.id, size, f"m{size}")
        r = poll(env.ctx)
        assert r.launched == [] and [u.name for u in r.unsettled] == ["upload.mp4"]
    env.clock.advance(20)
    assert poll(env.ctx).launched == [], "unchanged for 20 s < settle_seconds"
    env.clock.advance(15)
    r = poll(env.ctx)
    assert [w.id for w in r.launched] == ["pod-1"]
    assert env.ctx.overview.with_status("pending")[0].name == "upload.mp4"


def test_three_videos_one_worker_and_done_mails_once(env):
    for name in ("a.mp4", "b.mp4", "c.mp4"):
        env.storage.add(name)
    poll(env.ctx)
    env.clock.advance(31)
    r = poll(env.ctx)
    assert len(r.launched) == 1 and len(env.launcher.launches) == 1
    [started] = env.ctx.history.sent_mail("batch_started")
    assert "3 videos" in started.subject and "NVIDIA L4" in started.text_body

    env.clock.advance(60)
    env.storage.set_state("id-a.mp4", claimed("pod-1", env.clock() + timedelta(seconds=300)))
    r = poll(env.ctx)
    assert r.launched == [], "max_workers=1 is running"
    assert env.ctx.overview.with_status("processing")[0].progress == 10

    for name in ("a.mp4", "b.mp4", "c.mp4"):
        env.clock.advance(60)
        env.storage.set_state("id-" + name, VideoState(State.DONE, report_id="R-" + name), Folder.DONE)
        r = poll(env.ctx)
        assert [v.name for v, _ in r.outcomes] == [name]
    env.launcher.exit("pod-1")
    env.clock.advance(60)
    r = poll(env.ctx)
    assert r.launched == [] and r.alive == []
    done = env.ctx.history.sent_mail("video_done")
    assert sorted(m.key for m in done) == ["done:id-a.mp4:1", "done:id-b.mp4:1", "done:id-c.mp4:1"]
    assert "Report ready: a.mp4" in done[0].subject

    # A restarted watcher (new process, same history file) sends nothing again.
    env.ctx.history.close()
    ctx2 = env.make_ctx()
    env.clock.advance(60)
    r = poll(ctx2)
    assert r.listed_outcomes and r.outcomes == []
    assert len(ctx2.history.sent_mail("video_done")) == 3
    assert ctx2.history.unsent_mail() == []


def test_failed_video_mail_has_reason_and_advice(env):
    env.storage.add("broken.mp4", folder=Folder.FAILED, hf_state="failed", hf_attempts=1,
                    hf_error="not a video: no video stream")
    env.ctx.history.record_state("id-broken.mp4", "broken.mp4", "claimed")  # seen before it failed
    r = poll(env.ctx)
    assert [v.name for v, _ in r.outcomes] == ["broken.mp4"]
    [m] = env.ctx.history.sent_mail("video_failed")
    assert "not a video" in m.text_body and "Export it again" in m.text_body
    assert env.ctx.overview.with_status("failed")[0].error == "not a video: no video stream"


def test_fresh_history_does_not_mail_old_outcomes(env):
    env.storage.add("old.mp4", folder=Folder.DONE, hf_state="done", hf_report_id="R1")
    r = poll(env.ctx)
    assert r.outcomes == [] and env.ctx.history.unsent_mail() == []
    assert env.ctx.history.sent_mail() == []
    assert env.ctx.overview.with_status("done")[0].report_link.endswith("R1")


def test_reaper_gets_last_activity_from_leases_and_mails_once(env):
    env.storage.add("a.mp4")
    poll(env.ctx)
    env.clock.advance(31)
    poll(env.ctx)  # launches pod-1
    env.clock.advance(30)
    lease_until = env.clock() + timedelta(seconds=300)
    env.storage.set_state("id-a.mp4", claimed("pod-1", lease_until))
    poll(env.ctx)
    assert env.reaper.calls[-1] == {"pod-1": lease_until - timedelta(seconds=300)}
    # The worker hangs: its lease is never renewed again.
    env.clock.advance(1000)
    r = poll(env.ctx)
    assert [w.id for w in r.reaped] == ["pod-1"] and env.launcher.terminated == ["pod-1"]
    [m] = env.ctx.history.sent_mail("worker_reaped")
    assert "idle" in m.subject and "$" in m.text_body
    # Its video's lease has expired: the same poll launches a replacement for it.
    assert [w.id for w in r.launched] == ["pod-2"]
    poll(env.ctx)
    assert len(env.ctx.history.sent_mail("worker_reaped")) == 1


def test_no_capacity_is_logged_and_retried_after_retry_after(env):
    env.launcher.capacity = 0
    env.storage.add("a.mp4")
    poll(env.ctx)
    env.clock.advance(31)
    r = poll(env.ctx)
    assert r.no_capacity and r.launched == []
    env.launcher.capacity = 1
    env.clock.advance(env.settings.runpod.retry_after)
    assert [w.id for w in poll(env.ctx).launched] == ["pod-1"]
    kinds = [e.kind for e in env.ctx.history.recent_events()]
    assert "no_capacity" in kinds and "launched" in kinds


def test_storage_outage_is_reported_not_raised(env):
    env.storage.fail_listing = True
    r = poll(env.ctx)
    assert "503" in r.error and env.ctx.overview.error == r.error
    env.storage.fail_listing = False
    assert poll(env.ctx).error is None


def test_max_workers_bounds_launches(env):
    env.settings.launcher.max_workers = 2
    for name in ("a.mp4", "b.mp4", "c.mp4"):
        env.storage.add(name)
    poll(env.ctx)
    env.clock.advance(31)
    assert len(poll(env.ctx).launched) == 2
    env.clock.advance(60)
    assert poll(env.ctx).launched == []


def test_last_activity_takes_latest_lease_per_worker():
    t = Clock()()
    inbox = [(None, claimed("w1", t + timedelta(seconds=100))), (None, claimed("w1", t + timedelta(seconds=200))),
             (None, VideoState())]
    assert last_activity(inbox, 300) == {"w1": t - timedelta(seconds=100)}


def test_daily_digest_is_queued_once_per_day(env):
    env.settings.mail.digest_hour = 7  # T0 is 08:00 UTC
    env.storage.add("a.mp4", folder=Folder.DONE, hf_state="done", hf_report_id="R")
    env.ctx.history.record_state("id-a.mp4", "a.mp4", "claimed")
    poll(env.ctx)
    env.clock.advance(60)
    poll(env.ctx)
    [digest] = env.ctx.history.sent_mail("digest")
    assert digest.key == "digest:2026-11-22" and "1 done, 0 failed" in digest.subject
    env.clock.advance(24 * 3600)
    poll(env.ctx)
    assert [m.key for m in env.ctx.history.sent_mail("digest")] == ["digest:2026-11-22", "digest:2026-11-23"]


def test_mail_outage_never_blocks_processing_and_mail_follows_later(env, tmp_path):
    from tests.support.smtp_server import SmtpServer, free_port
    from watcher.mailer import Notifier

    port = free_port()
    settings = {"host": "127.0.0.1", "port": port, "security": "none", "sender": "hf@example.test",
                "recipients": ["a@example.test"]}
    from config import load_settings as load

    env.ctx.notifier = Notifier(load(mail=settings).mail, env.ctx.history, clock=env.clock)
    env.storage.add("a.mp4")
    poll(env.ctx)
    env.clock.advance(31)
    r = poll(env.ctx)  # nobody listens on the SMTP port
    assert len(r.launched) == 1 and r.error is None
    assert [m.kind for m in env.ctx.history.unsent_mail()] == ["batch_started"]
    server = SmtpServer(tmp_path)
    server.port = server.controller.port = port
    with server:
        env.clock.advance(60)
        poll(env.ctx)
        assert [m["X-Hotfolder-Event"] for m in server.wait_for(1)] == ["started:pod-1"]
        poll(env.ctx)
    assert len(server.messages) == 1


def test_workers_that_end_without_taking_a_video_are_relaunched_with_growing_pauses(env):
    """A revoked token or a broken image must not become a loop of paid pod starts."""
    env.storage.add("a.mp4")
    poll(env.ctx)
    launch_times = []
    for _ in range(40):  # 40 polls a minute apart; every worker dies at once, claiming nothing
        env.clock.advance(60)
        r = poll(env.ctx)
        for w in r.launched:
            launch_times.append(env.clock())
            env.launcher.exit(w.id)
    gaps = [(b - a).total_seconds() for a, b in zip(launch_times, launch_times[1:])]
    assert len(launch_times) <= 7, f"{len(launch_times)} launches in 40 minutes"
    assert gaps == sorted(gaps) and gaps[-1] >= 16 * 60, gaps
    assert any("without taking any video" in e.message for e in env.ctx.history.recent_events())


def test_progress_resets_the_pause(env):
    env.storage.add("a.mp4")
    env.storage.add("b.mp4")
    poll(env.ctx)
    env.clock.advance(60)
    [w] = poll(env.ctx).launched
    # The worker finished a.mp4 before it stopped: a useful batch, so b.mp4 gets a worker at once.
    env.storage.set_state("id-a.mp4", VideoState(State.DONE, attempts=1, report_id="R"), Folder.DONE)
    env.launcher.exit(w.id)
    env.clock.advance(60)
    assert len(poll(env.ctx).launched) == 1


def test_no_capacity_waits_retry_after_before_asking_again(env):
    env.launcher.capacity = 0
    env.storage.add("a.mp4")
    poll(env.ctx)
    env.clock.advance(60)
    assert poll(env.ctx).no_capacity
    for _ in range(4):  # retry_after defaults to 300 s: no request to RunPod meanwhile
        env.clock.advance(60)
        r = poll(env.ctx)
        assert not r.no_capacity and r.launch_held_until is not None
    env.launcher.capacity = 1
    env.clock.advance(60)
    assert len(poll(env.ctx).launched) == 1
