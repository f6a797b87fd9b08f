"""Types shared by both storage backends, the state machine and their users (worker, watcher).

State lives on each video as string properties with an ``hf_`` prefix (Drive ``properties``,
which Apps Script can read too; a sidecar JSON file in the local backend). A video without
``hf_state`` is pending.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timezone

PREFIX = "hf_"
# Drive allows 124 bytes for key + value of one property.
MAX_PROPERTY_BYTES = 124

# Video files recognised by name when the MIME type says nothing (both backends; Code.gs keeps a copy,
# checked by tests/apps_script/test_parity.py).
VIDEO_EXTENSIONS = frozenset(
    "mp4 m4v mov qt avi mkv webm mts m2ts ts 3gp 3g2 mpg mpeg mpe mxf wmv asf flv f4v ogv vob dv insv".split()
)


def has_video_extension(name: str) -> bool:
    return "." in name and name.rsplit(".", 1)[1].lower() in VIDEO_EXTENSIONS


class State(str, enum.Enum):
    PENDING = "pending"
    CLAIMED = "claimed"
    DONE = "done"
    FAILED = "failed"


class Folder(str, enum.Enum):
    """The inbox and the folders a backend manages next to it (names come from settings)."""

    INBOX = "inbox"
    REPORTS = "reports"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class VideoFile:
    """One file in the inbox as the storage backend sees it."""

    id: str  # Drive file id; the local backend uses the file name relative to the inbox
    name: str
    size: int | None
    md5: str | None
    mime_type: str | None
    modified_time: datetime | None
    properties: dict[str, str] = field(default_factory=dict)
    link: str | None = None  # a URL (Drive webViewLink) or a local path, for people


@dataclass(frozen=True)
class VideoState:
    """The ``hf_*`` properties of one video, parsed."""

    state: State = State.PENDING
    worker: str | None = None
    lease_until: datetime | None = None
    attempts: int = 0
    progress: int | None = None
    report_id: str | None = None
    error: str | None = None

    @classmethod
    def from_properties(cls, props: dict[str, str]) -> "VideoState":
        raw = props.get(PREFIX + "state") or State.PENDING.value
        try:
            state = State(raw)
        except ValueError:
            state = State.PENDING
        lease = props.get(PREFIX + "lease_until")
        return cls(
            state=state,
            worker=props.get(PREFIX + "worker") or None,
            lease_until=parse_time(lease) if lease else None,
            attempts=_int(props.get(PREFIX + "attempts"), 0),
            progress=_int(props.get(PREFIX + "progress"), None),
            report_id=props.get(PREFIX + "report_id") or None,
            error=props.get(PREFIX + "error") or None,
        )

    def to_properties(self) -> dict[str, str | None]:
        """All ``hf_*`` keys; ``None`` deletes a key (Drive semantics)."""
        return {
            PREFIX + "state": self.state.value,
            PREFIX + "worker": self.worker,
            PREFIX + "lease_until": format_time(self.lease_until) if self.lease_until else None,
            PREFIX + "attempts": str(self.attempts),
            PREFIX + "progress": None if self.progress is None else str(self.progress),
            PREFIX + "report_id": self.report_id,
            PREFIX + "error": truncate_property(PREFIX + "error", self.error) if self.error else None,
        }

    def lease_expired(self, now: datetime) -> bool:
        return self.lease_until is None or self.lease_until <= now


@dataclass(frozen=True)
class ReportRef:
    """An uploaded report (or other output) file."""

    id: str
    name: str
    link: str | None = None


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def format_time(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(s: str) -> datetime | None:
    try:
        t = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def truncate_property(key: str, value: str) -> str:
    """Cut ``value`` so that key + value fit Drive's 124-byte limit (UTF-8 safe)."""
    room = MAX_PROPERTY_BYTES - len(key.encode())
    data = value.encode()
    if len(data) <= room:
        return value
    return data[: room - 3].decode(errors="ignore") + "..."


def _int(v: str | None, default):
    try:
        return int(v) if v not in (None, "") else default
    except ValueError:
        return default
