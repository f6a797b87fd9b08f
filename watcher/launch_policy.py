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
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from drive.model import VideoFile, VideoState, format_time, parse_time

log = logging.getLogger(__name__)

MAX_HOLD = timedelta(minutes=30)
_BATCH, _FRUITLESS, _NO_CAPACITY = "launch_batch", "fruitless_batches", "no_capacity_until"


class _Meta:  # what this module needs of watcher.history.History
    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...
    def add_event(self, kind: str, message: str, **kw) -> None: ...


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


def launch_hold(history: _Meta, processable: list[VideoFile], workers_alive: bool, now: datetime,
                poll_seconds: float) -> Hold | None:
    """A reason not to launch now, or None."""
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
