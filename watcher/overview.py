"""What the web page, the JSON API, ``hotfolder status`` and the e-mails show: typed rows built from
one poll's listing (the web page never triggers Drive requests of its own)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from config.settings import Settings
from drive.model import State, VideoFile, VideoState, format_time, read_verdicts

DRIVE_FILE_URL = "https://drive.google.com/file/d/{id}/view"


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


def report_link(settings: Settings, report_id: str | None) -> str | None:
    """Where a person opens a report: its Drive URL, or its local path (local backend)."""
    if not report_id:
        return None
    if settings.storage.backend == "drive":
        return DRIVE_FILE_URL.format(id=report_id)
    return str(local_report_path(settings, report_id))


def local_report_path(settings: Settings, report_id: str) -> Path:
    """The local backend's report id is the file's name in the Reports folder (or a path under root)."""
    reports = (settings.local.root / settings.drive.reports_folder).resolve()
    candidate = Path(report_id)
    if candidate.is_absolute():
        return candidate
    if (reports / candidate).exists() or len(candidate.parts) == 1:
        return reports / candidate
    return (settings.local.root / candidate).resolve()


verdicts = read_verdicts  # the worker's verdict properties as lines (drive.model, one home)


def video_row(settings: Settings, video: VideoFile, state: VideoState, settled: bool, now: datetime) -> VideoRow:
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
        report_link=report_link(settings, state.report_id) if status == "done" else None,
        verdicts=verdicts(video.properties) if status == "done" else [],
    )
