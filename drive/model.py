"""Types shared by both storage backends, the state machine and their users (worker, watcher), and
the one home of the per-video contract: the ``hf_*`` state schema, the verdict codes the worker
leaves for the watcher, and the names of the files written for a video (outputs, error file).

State lives on each video as string properties with an ``hf_`` prefix (Drive ``properties``,
which Apps Script can read too; a sidecar JSON file in the local backend). A video without
``hf_state`` is pending.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import PurePath

PREFIX = "hf_"
NONCE_KEY = PREFIX + "claim_nonce"  # identifies one claim (drive.queue)
# On outputs: the claim nonce that uploaded them, so a late writer can find and remove its own files.
OUTPUT_CLAIM_KEY = PREFIX + "claim"
# On a time study (processor.runtime.positions): the version evaluated, its workbook, what it waits for.
POSITION_MD5_KEY = PREFIX + "position_md5"
POSITION_REPORT_KEY = PREFIX + "position_report"
POSITION_WAITING_KEY = PREFIX + "position_waiting"
POSITION_ERROR_KEY = PREFIX + "position_error"
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
    # the folder it lies in (inbox, Done, Failed): listings and get_video fill it; None elsewhere
    folder: Folder | None = None


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
    # when it became done or failed: an outcome changed later (renamed in Done) is not news (Code.gs)
    finished_at: datetime | None = None

    @classmethod
    def from_properties(cls, props: dict[str, str]) -> "VideoState":
        raw = props.get(PREFIX + "state") or State.PENDING.value
        try:
            state = State(raw)
        except ValueError:
            state = State.PENDING
        lease = props.get(PREFIX + "lease_until")
        finished = props.get(PREFIX + "finished_at")
        return cls(
            state=state,
            worker=props.get(PREFIX + "worker") or None,
            lease_until=parse_time(lease) if lease else None,
            attempts=_int(props.get(PREFIX + "attempts"), 0),
            progress=_int(props.get(PREFIX + "progress"), None),
            report_id=props.get(PREFIX + "report_id") or None,
            error=props.get(PREFIX + "error") or None,
            finished_at=parse_time(finished) if finished else None,
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
            PREFIX + "finished_at": format_time(self.finished_at) if self.finished_at else None,
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


# -- the verdicts a worker leaves on a finished video -----------------------------------------------

VERDICT_KEY, VERDICTS_KEY = PREFIX + "verdict", PREFIX + "verdicts"
# Short codes, so that many body parts fit Drive's 124 bytes; k1..k3: NV 361 catalogue categories.
VERDICT_CODES = {"acceptable": "ok", "conditionally_acceptable": "cond", "unacceptable": "bad", "not_assessed": "na",
                 "category_1": "k1", "category_2": "k2", "category_3": "k3"}
VERDICT_WORDS = {"ok": "acceptable", "cond": "conditionally acceptable", "bad": "unacceptable", "na": "not assessed",
                 "k1": "category 1", "k2": "category 2", "k3": "category 3"}


def verdict_properties(verdicts: dict[str, str], overall: str) -> dict[str, str]:
    """``hf_verdict`` (overall) and ``hf_verdicts`` ("trunk=bad;neck=ok;..." with short codes, whole
    items only, within Drive's 124 bytes per property) for the watcher's "report ready" e-mail."""
    room = MAX_PROPERTY_BYTES - len(VERDICTS_KEY)
    items: list[str] = []
    for part, verdict in verdicts.items():
        item = f"{part}={VERDICT_CODES.get(verdict, verdict)}"
        if len(";".join([*items, item]).encode()) > room:
            break
        items.append(item)
    props = {VERDICT_KEY: truncate_property(VERDICT_KEY, overall)}
    if items:
        props[VERDICTS_KEY] = ";".join(items)
    return props


def read_verdicts(props: dict[str, str]) -> list[str]:
    """The verdicts of ``verdict_properties`` as lines for people ("Trunk: unacceptable")."""
    out = []
    overall = props.get(VERDICT_KEY)
    if overall:
        out.append(f"Overall: {overall.replace('_', ' ')}")
    for item in (props.get(VERDICTS_KEY) or "").split(";"):
        part, _, verdict = item.partition("=")
        part, verdict = part.strip(), verdict.strip()
        if part and verdict:
            word = VERDICT_WORDS.get(verdict, verdict.replace("_", " "))
            out.append(f"{part.replace('_', ' ').capitalize()}: {word}")
    return out


# -- the names of the files written for a video ------------------------------------------------------

# Most file systems allow 255 bytes per name; a video's name may already be close to that, so the
# names made from it keep their suffix and shorten the stem (marked with "~" and a short hash of the
# full stem, so two long names that share a start stay apart).
MAX_NAME_BYTES = 255


def fit_name(stem: str, suffix: str, limit: int = MAX_NAME_BYTES) -> str:
    """``stem + suffix``, the stem shortened (UTF-8 safe) if the whole would exceed ``limit`` bytes."""
    if len((stem + suffix).encode()) <= limit:
        return stem + suffix
    import hashlib

    tag = "~" + hashlib.sha1(stem.encode()).hexdigest()[:8]
    room = limit - len(suffix.encode()) - len(tag.encode())
    return stem.encode()[: max(0, room)].decode(errors="ignore").rstrip() + tag + suffix


@dataclass(frozen=True)
class OutputNames:
    """The files one video's analysis leaves in Reports, named after the video (the only home of these
    names: the worker, the analyse/evaluate commands and the position workbooks use them)."""

    report: str
    angles: str
    preview: str
    summary: str

    @classmethod
    def of(cls, video_name: str) -> "OutputNames":
        stem = PurePath(video_name).stem or video_name
        return cls(fit_name(stem, " - ergonomics.xlsx"), fit_name(stem, " - angles.csv"),
                   fit_name(stem, " - preview.mp4"), fit_name(stem, " - summary.json"))

    def in_dir(self, folder) -> dict:
        """{report, angles, preview, summary: path in ``folder``} (``processor.model.OutputPaths(**...)``)."""
        return {key: folder / name for key, name in self.__dict__.items()}


def error_file_name(name: str) -> str:
    """``<name> - error.txt`` in Failed: why a video (or a time study) could not be processed."""
    return fit_name(name, " - error.txt")
