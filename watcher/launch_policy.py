"""When the watcher may launch again after launches that achieved nothing.

Two loops would otherwise bill for nothing, one poll after another:
- no GPU of any type was available: wait ``runpod.retry_after`` before asking again;
- workers end without taking any video (revoked Drive token, wrong image, missing RunPod secret): each
  relaunch pays for a pod start. After such a "fruitless" batch the next launch waits, doubling from
  one poll interval (counted from when the batch was found fruitless) up to ``MAX_HOLD``; any
  progress resets it.

A batch is judged once, when its workers are gone: fruitless iff no claim was seen meanwhile and every
video it was launched for is still processable with the attempt count it had (a claim always counts
an attempt, so a claim made and finished between two polls shows too).
The state lives in the history's ``meta`` table, so a restarted watcher keeps holding.

A spend cap, ``launcher.max_daily_cost`` (USD per UTC day, 0: none), holds launches until the next
midnight UTC once the day's workers cost that much (price x uptime, the status page's estimate): one
``spend_cap`` event and one mail per day say so.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from drive.model import VideoFile, VideoState, format_time, parse_time

log = logging.getLogger(__name__)

MAX_HOLD = timedelta(minutes=30)
_BATCH, _FRUITLESS, _NO_CAPACITY = "launch_batch", "fruitless_batches", "no_capacity_until"
_SPEND_DAY = "spend_cap_day"


class _Meta:  # what this module needs of watcher.history.History
    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...
    def add_event(self, kind: str, message: str, **kw) -> None: ...
    def total_cost(self, since: datetime | None = None) -> float: ...
    def enqueue_mail(self, mail, at: datetime | None = None) -> bool: ...


@dataclass(frozen=True)
class Hold:
    until: datetime
    reason: str


def _key(v: VideoFile) -> str:
    # A new file under an old name (the local backend's ids are names) is another video.
    return f"{v.id}|{v.md5}|{v.size}"


def _attempts(v: VideoFile) -> int:
    return VideoState.from_properties(v.properties).attempts


def record_batch(history: _Meta, videos: list[VideoFile], now: datetime) -> None:
    """Remember what a launch was for, to judge it once its workers are gone."""
    batch = {"at": format_time(now), "videos": {_key(v): _attempts(v) for v in videos}, "judged": False}
    history.set_meta(_BATCH, json.dumps(batch))


def record_no_capacity(history: _Meta, now: datetime, retry_after: float) -> None:
    history.set_meta(_NO_CAPACITY, format_time(now + timedelta(seconds=retry_after)))


def observe(history: _Meta, inbox: list[tuple[VideoFile, VideoState]], finished_any: bool) -> None:
    """Called every poll: a claim or a finished video seen while a batch is open shows its workers
    got to work."""
    raw = history.get_meta(_BATCH)
    if raw is None:
        return
    batch = json.loads(raw)
    if batch["judged"] or batch.get("touched"):
        return
    if finished_any or any(st.state.value == "claimed" or batch["videos"].get(_key(v), st.attempts) != st.attempts
                           for v, st in inbox):
        batch["touched"] = True
        history.set_meta(_BATCH, json.dumps(batch))


def spend_hold(history: _Meta, now: datetime, max_daily_cost: float, recipients: list[str] | None = None) -> Hold | None:
    """Hold until midnight UTC when today's workers have cost ``max_daily_cost`` or more (0: no cap)."""
    if max_daily_cost <= 0:
        return None
    now_utc = now.astimezone(timezone.utc)
    midnight = datetime.combine(now_utc.date(), time(0), tzinfo=timezone.utc)
    spent = history.total_cost(since=midnight)
    if spent < max_daily_cost:
        return None
    until = midnight + timedelta(days=1)
    reason = (f"daily spend cap reached: workers cost ${spent:.2f} today (UTC), launcher.max_daily_cost is "
              f"${max_daily_cost:.2f}; no new worker before {format_time(until)}")
    day = now_utc.date().isoformat()
    if history.get_meta(_SPEND_DAY) != day:  # once per day: event, log line, mail
        history.set_meta(_SPEND_DAY, day)
        log.warning("%s", reason)
        history.add_event("spend_cap", reason, at=now)
        if recipients:
            from watcher.history import Mail

            text = (f"{reason}.\n\nVideos stay queued and are processed after the cap resets, or raise "
                    "launcher.max_daily_cost in the watcher's settings and restart it.\n")
            history.enqueue_mail(Mail(f"spend_cap:{day}", "spend_cap", "Hot folder: daily spend cap reached, launches paused",
                                      text, "<p>" + text.replace("\n\n", "</p><p>").strip() + "</p>", list(recipients)),
                                 at=now)  # fmt: skip
    return Hold(until, reason)


def launch_hold(history: _Meta, processable: list[VideoFile], workers_alive: bool, now: datetime,
                poll_seconds: float, max_daily_cost: float = 0.0, recipients: list[str] | None = None) -> Hold | None:
    """A reason not to launch now, or None."""
    capped = spend_hold(history, now, max_daily_cost, recipients)
    if capped is not None:
        return capped
    until = parse_time(history.get_meta(_NO_CAPACITY) or "")
    if until is not None and until > now:
        return Hold(until, "no GPU capacity at the last try")
    raw = history.get_meta(_BATCH)
    if raw is None or workers_alive:
        return None
    batch = json.loads(raw)
    fruitless = int(history.get_meta(_FRUITLESS) or 0)
    if not batch["judged"]:
        current = {_key(v): _attempts(v) for v in processable}
        untouched = not batch.get("touched") and all(current.get(vid) == n for vid, n in batch["videos"].items())
        fruitless = fruitless + 1 if untouched else 0
        batch["judged"], batch["judged_at"] = True, format_time(now)
        history.set_meta(_BATCH, json.dumps(batch))
        history.set_meta(_FRUITLESS, str(fruitless))
        if untouched:
            message = (f"the last worker(s) ended without taking any video ({fruitless} time(s) in a row): "
                       "check the worker log, the Drive token and the pod image; relaunching later")
            log.error("%s", message)
            history.add_event("error", message, at=now)
    if fruitless == 0:
        return None
    delay = min(MAX_HOLD, timedelta(seconds=poll_seconds * 2 ** (fruitless - 1)))
    until = parse_time(batch.get("judged_at") or batch["at"]) + delay
    return Hold(until, f"{fruitless} fruitless launch(es) in a row") if until > now else None
