"""The watcher's small SQLite history: workers launched (GPU, cost), events, video state changes
seen, and the mail outbox: five small stores over one connection (``History`` bundles them). The
daemon prunes it once a day (``History.prune``: old events and mail, videos no longer anywhere); the
file is created 0600.

Nothing here is needed to process videos: their state lives on the files. Losing this file only
means the watcher forgets which notifications it already sent (it then records what it finds as
already known instead of mailing it again, see ``watcher.poll``) and the cost history.

The outbox key is unique: enqueueing a notification and recording the state change that caused it
happen in one transaction, so a restart never sends an e-mail twice.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from drive.model import format_time, parse_time, utcnow

_SCHEMA = """
CREATE TABLE IF NOT EXISTS workers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    gpu_type TEXT,
    cost_per_hour REAL,
    launched_at TEXT,
    launched_by_us INTEGER NOT NULL DEFAULT 0,
    last_seen_at TEXT,
    uptime_s REAL,
    ended_at TEXT,
    end_reason TEXT
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    video_id TEXT,
    video_name TEXT,
    worker_id TEXT,
    message TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS videos (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    done_count INTEGER NOT NULL DEFAULT 0,
    failed_count INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS outbox (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    recipients TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Event:
    seq: int
    at: datetime
    kind: str
    message: str
    video_id: str | None = None
    video_name: str | None = None
    worker_id: str | None = None


@dataclass(frozen=True)
class WorkerRecord:
    id: str
    name: str
    gpu_type: str | None
    cost_per_hour: float | None
    launched_at: datetime | None
    launched_by_us: bool
    uptime_s: float | None
    ended_at: datetime | None
    end_reason: str | None

    @property
    def cost_estimate(self) -> float | None:
        if self.cost_per_hour is None or self.uptime_s is None:
            return None
        return self.cost_per_hour * self.uptime_s / 3600.0


@dataclass(frozen=True)
class OutboxMessage:
    key: str
    kind: str
    subject: str
    text_body: str
    html_body: str
    recipients: list[str]
    attempts: int


@dataclass(frozen=True)
class Mail:
    """A rendered notification, ready for the outbox."""

    key: str  # unique per event: the same key is never sent twice
    kind: str
    subject: str
    text_body: str
    html_body: str
    recipients: list[str]


class _Db:
    """The one connection and its lock, shared by the stores (the poll job and the web thread use it)."""

    def __init__(self, path: Path | None):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Costs, e-mail addresses and video names: readable by the watcher's user only.
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            os.close(fd)
            os.chmod(path, 0o600)
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False,
                                    isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        with self.lock:
            self.conn.execute("PRAGMA journal_mode=WAL" if path else "PRAGMA journal_mode=MEMORY")
            self.conn.executescript(_SCHEMA)
        if path is not None:  # WAL side files are created with the process umask
            for side in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                if side.exists():
                    os.chmod(side, 0o600)

    def tx(self) -> "_Tx":
        return _Tx(self)


class _Store:
    def __init__(self, db: _Db):
        self._d = db

    @property
    def _db(self) -> sqlite3.Connection:
        return self._d.conn

    @property
    def _lock(self) -> threading.RLock:
        return self._d.lock


class MetaStore(_Store):
    """Small named values (the outcome baseline, when outcomes were last looked for, launch holds)."""

    def get(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else None

    def set(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))


class EventStore(_Store):
    """What happened, newest first on the page and in the digest."""

    def add(self, kind: str, message: str, *, video_id: str | None = None, video_name: str | None = None,
            worker_id: str | None = None, at: datetime | None = None) -> None:
        with self._lock:
            self.insert(kind, message, video_id, video_name, worker_id, at)

    def insert(self, kind, message, video_id, video_name, worker_id, at) -> None:
        """Inside a caller's transaction (no lock taken here)."""
        self._db.execute(
            "INSERT INTO events(at, kind, video_id, video_name, worker_id, message) VALUES (?,?,?,?,?,?)",
            (format_time(at or utcnow()), kind, video_id, video_name, worker_id, message),
        )

    def recent(self, limit: int = 50, since: datetime | None = None) -> list[Event]:
        with self._lock:
            if since is None:
                rows = self._db.execute("SELECT * FROM events ORDER BY seq DESC LIMIT ?", (limit,)).fetchall()
            else:
                rows = self._db.execute(
                    "SELECT * FROM events WHERE at >= ? ORDER BY seq DESC LIMIT ?", (format_time(since), limit)
                ).fetchall()
        return [
            Event(r["seq"], parse_time(r["at"]), r["kind"], r["message"], r["video_id"], r["video_name"],
                  r["worker_id"])
            for r in rows
        ]

    def prune(self, cutoff: datetime) -> int:
        with self._lock:
            return self._db.execute("DELETE FROM events WHERE at < ?", (format_time(cutoff),)).rowcount


class Outbox(_Store):
    """The mail outbox: a key is queued once, ever (while kept), so no event is mailed twice."""

    def enqueue(self, mail: Mail, at: datetime | None = None) -> bool:
        """Queue a message unless its key was queued before (sent or not); returns True if new."""
        with self._lock:
            return self.insert(mail, at or utcnow())

    def insert(self, mail: Mail, at: datetime) -> bool:
        cur = self._db.execute(
            "INSERT OR IGNORE INTO outbox(key, kind, subject, text_body, html_body, recipients, created_at)"
            " VALUES (?,?,?,?,?,?,?)",
            (mail.key, mail.kind, mail.subject, mail.text_body, mail.html_body, json.dumps(mail.recipients),
             format_time(at)),
        )
        return cur.rowcount == 1

    def has(self, key: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM outbox WHERE key = ?", (key,)).fetchone() is not None

    def unsent(self, max_attempts: int = 50) -> list[OutboxMessage]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM outbox WHERE sent_at IS NULL AND attempts < ? ORDER BY created_at", (max_attempts,)
            ).fetchall()
        return [_message(r) for r in rows]

    def mark_sent(self, key: str, at: datetime | None = None) -> None:
        with self._lock:
            self._db.execute("UPDATE outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL"
                             " WHERE key = ?", (format_time(at or utcnow()), key))

    def mark_failed(self, key: str, error: str) -> None:
        with self._lock:
            self._db.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE key = ?",
                             (error[:500], key))

    def sent(self, kind: str | None = None) -> list[OutboxMessage]:
        with self._lock:
            sql = "SELECT * FROM outbox WHERE sent_at IS NOT NULL"
            rows = self._db.execute(sql + (" AND kind = ?" if kind else "") + " ORDER BY sent_at",
                                    (kind,) if kind else ()).fetchall()
        return [_message(r) for r in rows]

    def prune(self, cutoff: datetime, max_attempts: int) -> int:
        """Sent (or given-up) mail created before ``cutoff``: its bodies are not needed any more."""
        with self._lock:
            return self._db.execute(
                "DELETE FROM outbox WHERE created_at < ? AND (sent_at IS NOT NULL OR attempts >= ?)",
                (format_time(cutoff), max_attempts)).rowcount


class VideoStore(_Store):
    """The last state seen per video id, with how often it reached done/failed (part of mail keys)."""

    def __init__(self, db: _Db, events: EventStore, outbox: Outbox):
        super().__init__(db)
        self._events, self._outbox = events, outbox

    def known(self) -> dict[str, str]:
        with self._lock:
            return {r["id"]: r["state"] for r in self._db.execute("SELECT id, state FROM videos")}

    def known_outcomes(self, ids: set[str]) -> dict[str, tuple[str, datetime | None]]:
        """(state, when it was recorded) for the given ids only: the cost follows the candidates."""
        out: dict[str, tuple[str, datetime | None]] = {}
        ids = list(ids)
        with self._lock:
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                q = "SELECT id, state, changed_at FROM videos WHERE id IN (%s)" % ",".join("?" * len(chunk))
                for r in self._db.execute(q, chunk):
                    out[r["id"]] = (r["state"], parse_time(r["changed_at"]))
        return out

    def has_seen_any(self) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM videos LIMIT 1").fetchone() is not None

    def record_state(self, video_id: str, name: str, state: str, *, at: datetime | None = None,
                     message: str | None = None, mail: Mail | None = None) -> bool:
        """Record that ``video_id`` is now in ``state``; returns False if that was already known.

        The event, the new state and the notification (if any) are written in one transaction.
        """
        at = at or utcnow()
        with self._d.tx() as db:
            row = db.execute("SELECT state FROM videos WHERE id = ?", (video_id,)).fetchone()
            if row is not None and row["state"] == state:
                return False
            counter = {"done": "done_count", "failed": "failed_count"}.get(state)
            db.execute(
                "INSERT INTO videos(id, name, state, changed_at) VALUES (?,?,?,?) "
                "ON CONFLICT(id) DO UPDATE SET name=excluded.name, state=excluded.state, "
                "changed_at=excluded.changed_at",
                (video_id, name, state, format_time(at)),
            )
            if counter:
                db.execute(f"UPDATE videos SET {counter} = {counter} + 1 WHERE id = ?", (video_id,))
            if message:
                self._events.insert(state, message, video_id, name, None, at)
            if mail is not None:
                self._outbox.insert(mail, at)
            return True

    def outcome_count(self, video_id: str, state: str) -> int:
        """How many times ``video_id`` was seen reaching done/failed (part of the e-mail key)."""
        col = {"done": "done_count", "failed": "failed_count"}[state]
        with self._lock:
            row = self._db.execute(f"SELECT {col} FROM videos WHERE id = ?", (video_id,)).fetchone()
        return int(row[0]) if row else 0

    def forget_missing(self, present: set[str]) -> int:
        """Drop videos no longer anywhere (deleted by the user); keeps the table small."""
        with self._d.tx() as db:
            gone = [vid for (vid,) in db.execute("SELECT id FROM videos").fetchall() if vid not in present]
            for vid in gone:
                db.execute("DELETE FROM videos WHERE id = ?", (vid,))
            return len(gone)


class WorkerStore(_Store):
    """Workers launched or seen, with their price and uptime (the cost estimate)."""

    def __init__(self, db: _Db, events: EventStore, outbox: Outbox):
        super().__init__(db)
        self._events, self._outbox = events, outbox

    def record_launch(self, worker_id: str, name: str, gpu_type: str | None, cost_per_hour: float | None,
                      at: datetime | None = None, message: str | None = None, mail: Mail | None = None) -> None:
        at = at or utcnow()
        with self._d.tx() as db:
            db.execute(
                "INSERT INTO workers(id, name, gpu_type, cost_per_hour, launched_at, launched_by_us, last_seen_at)"
                " VALUES (?,?,?,?,?,1,?) ON CONFLICT(id) DO UPDATE SET launched_by_us=1",
                (worker_id, name, gpu_type, cost_per_hour, format_time(at), format_time(at)),
            )
            self._events.insert("launched", message or f"worker {name} launched", None, None, worker_id, at)
            if mail is not None:
                self._outbox.insert(mail, at)

    def record_seen(self, worker_id: str, name: str, gpu_type: str | None, cost_per_hour: float | None,
                    started_at: datetime | None, uptime_s: float | None, at: datetime | None = None) -> None:
        at = at or utcnow()
        with self._lock:
            self._db.execute(
                "INSERT INTO workers(id, name, gpu_type, cost_per_hour, launched_at, last_seen_at, uptime_s)"
                " VALUES (?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET last_seen_at=excluded.last_seen_at,"
                " uptime_s=COALESCE(excluded.uptime_s, workers.uptime_s),"
                " gpu_type=COALESCE(excluded.gpu_type, workers.gpu_type),"
                " cost_per_hour=COALESCE(excluded.cost_per_hour, workers.cost_per_hour)",
                (worker_id, name, gpu_type, cost_per_hour, format_time(started_at) if started_at else None,
                 format_time(at), uptime_s),
            )

    def record_end(self, worker_id: str, reason: str, at: datetime | None = None, message: str | None = None,
                   mail: Mail | None = None) -> bool:
        """Mark a worker ended; returns False if it was already recorded as ended."""
        at = at or utcnow()
        with self._d.tx() as db:
            row = db.execute("SELECT ended_at, name FROM workers WHERE id = ?", (worker_id,)).fetchone()
            if row is not None and row["ended_at"]:
                return False
            if row is None:
                db.execute("INSERT INTO workers(id, name) VALUES (?, ?)", (worker_id, worker_id))
            db.execute("UPDATE workers SET ended_at = ?, end_reason = ? WHERE id = ?",
                       (format_time(at), reason, worker_id))
            self._events.insert("worker_" + reason, message or f"worker {worker_id} {reason}", None, None,
                                worker_id, at)
            if mail is not None:
                self._outbox.insert(mail, at)
            return True

    def all(self, include_ended: bool = True) -> list[WorkerRecord]:
        with self._lock:
            sql = "SELECT * FROM workers" + ("" if include_ended else " WHERE ended_at IS NULL")
            rows = self._db.execute(sql + " ORDER BY launched_at").fetchall()
        return [
            WorkerRecord(
                r["id"], r["name"], r["gpu_type"], r["cost_per_hour"],
                parse_time(r["launched_at"]) if r["launched_at"] else None, bool(r["launched_by_us"]),
                r["uptime_s"], parse_time(r["ended_at"]) if r["ended_at"] else None, r["end_reason"],
            )
            for r in rows
        ]

    def total_cost(self, since: datetime | None = None) -> float:
        total = 0.0
        for w in self.all():
            if since is not None and (w.launched_at is None or w.launched_at < since):
                continue
            total += w.cost_estimate or 0.0
        return total


class History(_Store):
    """The five small stores over one connection and one lock (thread-safe: the poll job and the
    web thread share it). ``history.events``, ``.videos``, ``.workers_store``, ``.outbox``, ``.meta``;
    the methods below are the short names the watcher uses."""

    def __init__(self, path: Path | None):
        super().__init__(_Db(path))
        self.path = path
        self.meta = MetaStore(self._d)
        self.events = EventStore(self._d)
        self.outbox = Outbox(self._d)
        self.videos = VideoStore(self._d, self.events, self.outbox)
        self.workers_store = WorkerStore(self._d, self.events, self.outbox)
        # short names
        self.get_meta, self.set_meta = self.meta.get, self.meta.set
        self.add_event, self.recent_events = self.events.add, self.events.recent
        self.known_videos, self.known_outcomes = self.videos.known, self.videos.known_outcomes
        self.has_seen_any_video, self.record_state = self.videos.has_seen_any, self.videos.record_state
        self.outcome_count = self.videos.outcome_count
        self.forget_missing_videos = self.videos.forget_missing
        self.record_launch, self.record_seen = self.workers_store.record_launch, self.workers_store.record_seen
        self.record_end, self.workers = self.workers_store.record_end, self.workers_store.all
        self.total_cost = self.workers_store.total_cost
        self.enqueue_mail, self.has_mail = self.outbox.enqueue, self.outbox.has
        self.unsent_mail, self.mark_sent = self.outbox.unsent, self.outbox.mark_sent
        self.mark_failed, self.sent_mail = self.outbox.mark_failed, self.outbox.sent

    def close(self) -> None:
        with self._d.lock:
            self._d.conn.close()

    def prune(self, keep_days: float = 90, now: datetime | None = None, present: set[str] | None = None,
              mail_attempts: int = 20) -> dict[str, int]:
        """Drop events and sent (or given-up) mail older than ``keep_days``; with ``present`` (every
        video id the storage holds now), forget the videos no longer anywhere. Sent mail keys go with
        their mail: by then the event that made them is long recorded in ``videos``."""
        cutoff = (now or utcnow()) - timedelta(days=keep_days)
        out = {"events": self.events.prune(cutoff), "mail": self.outbox.prune(cutoff, mail_attempts)}
        if present is not None:
            out["videos"] = self.videos.forget_missing(present)
        return out


def _message(r: sqlite3.Row) -> OutboxMessage:
    return OutboxMessage(r["key"], r["kind"], r["subject"], r["text_body"], r["html_body"],
                         json.loads(r["recipients"]), r["attempts"])


class _Tx:
    def __init__(self, db: _Db):
        self.d = db

    def __enter__(self) -> sqlite3.Connection:
        self.d.lock.acquire()
        self.d.conn.execute("BEGIN IMMEDIATE")
        return self.d.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.d.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.d.lock.release()
