"""What the web page, the JSON API, ``hotfolder status`` and the e-mails show: typed rows built from
one poll's listing (the web page never triggers Drive requests of its own)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Callable

from config.settings import Settings
from drive.model import State, VideoFile, VideoState, format_time, read_verdicts


@dataclass(frozen=True)
class VideoRow:
    id: str
    name: str
    status: str  # "waiting" (still settling), "pending", "processing", "done", "failed"
    progress: int | None = None
    worker: str | None = None
    attempts: int = 0
    error: str | None = None
    link: str | None = None
    report_id: str | None = None
    report_link: str | None = None
    verdicts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class WorkerRow:
    id: str
    name: str
    status: str
    gpu_type: str | None
    cost_per_hour: float | None
    uptime_s: float | None
    cost_estimate: float | None
    started_at: datetime | None


@dataclass(frozen=True)
class EventRow:
    at: datetime
    kind: str
    message: str


@dataclass(frozen=True)
class Overview:
    at: datetime | None
    videos: list[VideoRow]
    workers: list[WorkerRow]
    events: list[EventRow] = field(default_factory=list)
    error: str | None = None
    storage: str = "local"
    launcher: str = "local"
    total_cost: float = 0.0

    def with_status(self, *statuses: str) -> list[VideoRow]:
        return [v for v in self.videos if v.status in statuses]

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in ("waiting", "pending", "processing", "done", "failed")}
        for v in self.videos:
            out[v.status] = out.get(v.status, 0) + 1
        return out

    def to_json(self) -> dict:
        def conv(obj):
            if isinstance(obj, datetime):
                return format_time(obj)
            if isinstance(obj, dict):
                return {k: conv(v) for k, v in obj.items()}
            if isinstance(obj, list):
                return [conv(v) for v in obj]
            return obj

        data = conv(asdict(self))
        data["counts"] = self.counts()
        return data


EMPTY = Overview(at=None, videos=[], workers=[])


verdicts = read_verdicts  # the worker's verdict properties as lines (drive.model, one home)


def video_row(settings: Settings, video: VideoFile, state: VideoState, settled: bool, now: datetime,
              link_of: Callable[[str], str | None] = lambda _id: None) -> VideoRow:
    """One row of the page; ``link_of``: the storage's ``output_link`` (where a person opens the report)."""
    if state.state == State.DONE:
        status = "done"
    elif state.state == State.FAILED:
        status = "failed"
    elif state.state == State.CLAIMED and not state.lease_expired(now):
        status = "processing"
    else:
        status = "pending" if settled else "waiting"
    return VideoRow(
        id=video.id,
        name=video.name,
        status=status,
        progress=state.progress if status == "processing" else None,
        worker=state.worker if status == "processing" else None,
        attempts=state.attempts,
        error=state.error if status in ("failed", "pending") else None,
        link=video.link,
        report_id=state.report_id,
        report_link=link_of(state.report_id) if status == "done" and state.report_id else None,
        verdicts=verdicts(video.properties) if status == "done" else [],
    )
