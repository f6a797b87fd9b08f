"""Which inbox videos may be processed now: the settle rule and the lease rule, as plain data.

Settle rule (``apps_script/Code.gs`` implements the same; a parity test feeds both one JSON fixture,
``tests/drive/data/select_processable_parity.json``): per file id we keep an observation
``{"size", "md5", "since"}``. When a file's current (size, md5) differ from its observation, or it has
none, the observation becomes (size, md5, now). A file is *settled* iff ``now - since >= settle_seconds``.
Files that left the listing are forgotten. So a file still being uploaded or synced, whose size or
checksum keeps changing, is never taken.

Lease rule: a settled video is to be processed when it is pending (no ``hf_state`` counts as pending),
or claimed with an expired lease (its worker died). A claimed, expired video whose attempts already
reached ``max_attempts`` is *exhausted*: it is not offered again but failed by the queue, so a video
that crashes workers can never block the queue.

Order: oldest ``modified_time`` first, then name, then id (videos without a time go last).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterable

from drive.atomic import atomic_write
from drive.model import State, VideoFile, VideoState, format_time, parse_time

log = logging.getLogger(__name__)

Observations = dict[str, dict[str, object]]  # {file id: {"size": int|None, "md5": str|None, "since": ISO}}


@dataclass(frozen=True)
class Selection:
    """The outcome of one look at the inbox."""

    process: list[VideoFile]  # settled and claimable, in processing order
    exhausted: list[VideoFile]  # claimed, lease expired, attempts used up: to be failed
    waiting: list[VideoFile]  # claimable but not settled yet
    observations: Observations = field(default_factory=dict)  # the updated observations


def order_key(video: VideoFile) -> tuple:
    t = video.modified_time
    return (t is None, format_time(t) if t else "", video.name, video.id)


def update_observations(videos: Iterable[VideoFile], observations: Observations, now: datetime) -> Observations:
    """The settle rule's bookkeeping (pure: returns a new dict)."""
    updated: Observations = {}
    for v in videos:
        old = observations.get(v.id)
        if old is not None and old.get("size") == v.size and old.get("md5") == v.md5 and _since(old):
            updated[v.id] = dict(old)
        else:
            updated[v.id] = {"size": v.size, "md5": v.md5, "since": format_time(now)}
    return updated


def is_settled(observation: dict[str, object] | None, now: datetime, settle_seconds: float) -> bool:
    since = _since(observation) if observation else None
    return since is not None and (now - since).total_seconds() >= settle_seconds


def classify(state: VideoState, now: datetime, max_attempts: int | None) -> str:
    """``process``, ``exhausted`` or ``skip`` for one video's state (ignoring settle)."""
    if state.state is State.PENDING:
        return "process"
    if state.state is State.CLAIMED and state.lease_expired(now):
        if max_attempts is not None and state.attempts >= max_attempts:
            return "exhausted"
        return "process"
    return "skip"


def select_processable(
    videos: Iterable[VideoFile],
    observations: Observations,
    now: datetime,
    settle_seconds: float,
    max_attempts: int | None = None,
) -> Selection:
    """Pure: which ``videos`` to process now, given the previous ``observations``.

    ``max_attempts=None`` never reports a video as exhausted (it is then offered like any expired claim).
    """
    unique: dict[str, VideoFile] = {}
    for v in videos:  # a file reachable twice (e.g. through a shortcut) counts once
        unique.setdefault(v.id, v)
    videos = sorted(unique.values(), key=order_key)
    obs = update_observations(videos, observations, now)
    process: list[VideoFile] = []
    exhausted: list[VideoFile] = []
    waiting: list[VideoFile] = []
    for v in videos:
        kind = classify(VideoState.from_properties(v.properties), now, max_attempts)
        if kind == "exhausted":
            # It was settled when it was first claimed; its content no longer matters.
            exhausted.append(v)
        elif kind == "process":
            (process if is_settled(obs[v.id], now, settle_seconds) else waiting).append(v)
    return Selection(process=process, exhausted=exhausted, waiting=waiting, observations=obs)


class SettleTracker:
    """Keeps the observations between polls; persisted as JSON at ``path`` (in memory if None)."""

    def __init__(self, path: Path | None, settle_seconds: float):
        self.path = Path(path) if path is not None else None
        self.settle_seconds = float(settle_seconds)
        self.observations: Observations = self._load()

    def settled(self, videos: Iterable[VideoFile], now: datetime) -> list[VideoFile]:
        """Record this poll's view of ``videos`` and return those settled, in the order given."""
        videos = list(videos)
        self._store(update_observations(videos, self.observations, now))
        return [v for v in videos if is_settled(self.observations.get(v.id), now, self.settle_seconds)]

    def select(self, videos: Iterable[VideoFile], now: datetime, max_attempts: int | None = None) -> Selection:
        """``select_processable`` over the tracked observations, which it then updates."""
        sel = select_processable(videos, self.observations, now, self.settle_seconds, max_attempts)
        self._store(sel.observations)
        return sel

    def _store(self, observations: Observations) -> None:
        changed = observations != self.observations
        self.observations = observations
        if changed and self.path is not None:
            _write_json_atomic(self.path, observations)

    def _load(self) -> Observations:
        if self.path is None or not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            return {str(k): dict(v) for k, v in data.items() if isinstance(v, dict)}
        except (OSError, ValueError) as exc:
            # Losing observations costs one settle period, never a video.
            log.warning("settle observations in %s unreadable (%s); starting afresh", self.path, exc)
            return {}


def _since(observation: dict[str, object] | None) -> datetime | None:
    raw = observation.get("since") if observation else None
    return parse_time(raw) if isinstance(raw, str) else None


def _write_json_atomic(path: Path, data: object) -> None:
    atomic_write(path, json.dumps(data, indent=1, sort_keys=True))
