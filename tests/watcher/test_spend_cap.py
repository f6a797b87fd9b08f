"""launcher.max_daily_cost: the day's estimated spend (price x uptime) stops new launches until
midnight UTC, with one event, one log line and one mail per day."""

from datetime import datetime, timedelta, timezone

from watcher.history import History
from watcher.launch_policy import launch_hold, spend_hold

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def worker(h: History, wid: str, price: float, hours: float, at: datetime) -> None:
    h.record_launch(wid, f"hf-{wid}", "cpu5c-8-16", price, at)
    h.record_seen(wid, f"hf-{wid}", "cpu5c-8-16", price, at, hours * 3600, at + timedelta(hours=hours))


def test_cap_reached_holds_until_midnight_utc_and_says_so_once(tmp_path, caplog):
    h = History(tmp_path / "history.sqlite")
    worker(h, "a", 0.32, 2.0, T0 - timedelta(days=1))  # yesterday: does not count today
    worker(h, "b", 0.32, 5.0, T0)  # $1.60 today
    assert launch_hold(h, [], False, T0 + timedelta(hours=5), 60, max_daily_cost=2.0, recipients=["hse@example.com"]) is None
    worker(h, "c", 0.69, 1.0, T0 + timedelta(hours=5))  # + $0.69 = $2.29
    now = T0 + timedelta(hours=6)
    hold = launch_hold(h, [], False, now, 60, max_daily_cost=2.0, recipients=["hse@example.com"])
    assert hold is not None and hold.until == datetime(2026, 11, 21, tzinfo=timezone.utc)
    assert "daily spend cap reached: workers cost $2.29 today" in hold.reason and "launcher.max_daily_cost is $2.00" in hold.reason
    # Asked again on the next polls: still held, but one event, one log line, one mail for the day.
    assert spend_hold(h, now + timedelta(minutes=1), 2.0, ["hse@example.com"]) is not None
    events = [e for e in h.recent_events() if e.kind == "spend_cap"]
    assert len(events) == 1 and "no new worker before 2026-11-21" in events[0].message
    [mail] = h.unsent_mail()
    assert mail.kind == "spend_cap" and "spend cap" in mail.subject and mail.recipients == ["hse@example.com"]
    assert caplog.text.count("daily spend cap reached") == 1
    # The next UTC day starts from zero; no cap configured: never held.
    assert spend_hold(h, datetime(2026, 11, 21, 0, 1, tzinfo=timezone.utc), 2.0) is None
    assert spend_hold(h, now, 0.0) is None


def test_a_poll_over_the_day_s_cap_launches_nothing_and_says_until_when(tmp_path):
    """The poll passes launcher.max_daily_cost and mail.recipients to the launch policy."""
    from config import load_settings
    from tests.watcher.fakes import T0 as NOW
    from tests.watcher.fakes import Clock, FakeLauncher, MemorySettle, MemoryStorage, RecordingReaper
    from watcher.daemon import build_context
    from watcher.poll import poll

    def context(cap: float):
        settings = load_settings(
            drive={"settle_seconds": 30, "lease_seconds": 300},
            launcher={"max_workers": 1, "idle_timeout": 900, "max_lifetime": 7200, "max_daily_cost": cap},
            mail={"recipients": ["hse@example.com"]},
            watcher={"state_dir": str(tmp_path / f"state-{cap}")},
        )
        clock, storage, launcher = Clock(), MemoryStorage(), FakeLauncher(Clock())
        history = History(tmp_path / f"state-{cap}" / "history.sqlite3")
        worker(history, "early", 0.32, 5.0, NOW - timedelta(hours=7))  # $1.60 spent today (UTC) before 08:00
        storage.add("station 1.mp4")
        ctx = build_context(settings, storage=storage, launcher=launcher, settle=MemorySettle(30), history=history,
                            worker_env=lambda: {"HOTFOLDER_POD_ENV_B64": "e30="}, reap=RecordingReaper(), clock=clock)
        poll(ctx)
        clock.advance(31)  # settled
        return ctx, clock, launcher, history

    ctx, clock, launcher, history = context(1.50)
    r = poll(ctx)
    assert r.launched == [] and launcher.launches == [] and r.error is None
    assert r.launch_held_until == datetime(2026, 11, 23, tzinfo=timezone.utc)
    clock.advance(60)
    assert poll(ctx).launched == [] and launcher.launches == []
    [event] = [e for e in history.recent_events() if e.kind == "spend_cap"]
    assert "workers cost $1.60 today" in event.message and "launcher.max_daily_cost is $1.50" in event.message
    [mail] = history.sent_mail("spend_cap") + [m for m in history.unsent_mail() if m.kind == "spend_cap"]
    assert mail.recipients == ["hse@example.com"]

    # Under the cap the same poll launches.
    ctx, clock, launcher, history = context(5.0)
    r = poll(ctx)
    assert len(r.launched) == 1 and r.launch_held_until is None
