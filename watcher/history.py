"""The watcher's small SQLite history: workers launched (GPU, cost), events, video state changes
seen, and the mail outbox.

Nothing here is needed to process videos: their state lives on the files. Losing this file only
means the watcher forgets which notifications it already sent (it then records what it finds as
already known instead of mailing it again, see ``watcher.poll``) and the cost history.

The outbox key is unique: enqueueing a notification and recording the state change that caused it
happen in one transaction, so a restart never sends an e-mail twice.
"""

from __future__ import annotations

import json
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


class History:
    """Thread-safe (one connection, one lock): the poll job and the web thread share it."""

    def __init__(self, path: Path | None):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False,
                                   isolation_level=None)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL" if path else "PRAGMA journal_mode=MEMORY")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- transactions -----------------------------------------------------------------------
    def _tx(self):
        return _Tx(self)

    # -- meta -------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # -- events -----------------------------------------------------------------------------
    def add_event(self, kind: str, message: str, *, video_id: str | None = None,
                  video_name: str | None = None, worker_id: str | None = None,
                  at: datetime | None = None) -> None:
        with self._lock:
            self._insert_event(kind, message, video_id, video_name, worker_id, at)

    def _insert_event(self, kind, message, video_id, video_name, worker_id, at) -> None:
        self._db.execute(
            "INSERT INTO events(at, kind, video_id, video_name, worker_id, message) VALUES (?,?,?,?,?,?)",
            (format_time(at or utcnow()), kind, video_id, video_name, worker_id, message),
        )

    def recent_events(self, limit: int = 50, since: datetime | None = None) -> list[Event]:
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

    # -- video states -----------------------------------------------------------------------
    def known_videos(self) -> dict[str, str]:
        """Last state seen per video id."""
        with self._lock:
            return {r["id"]: r["state"] for r in self._db.execute("SELECT id, state FROM videos")}

    def has_seen_any_video(self) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM videos LIMIT 1").fetchone() is not None

    def record_state(self, video_id: str, name: str, state: str, *, at: datetime | None = None,
                     message: str | None = None, mail: Mail | None = None) -> bool:
        """Record that ``video_id`` is now in ``state``; returns False if that was already known.

        The event, the new state and the notification (if any) are written in one transaction.
        """
        at = at or utcnow()
        with self._tx() as db:
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
                self._insert_event(state, message, video_id, name, None, at)
            if mail is not None:
                self._insert_mail(mail, at)
            return True

    def outcome_count(self, video_id: str, state: str) -> int:
        """How many times ``video_id`` was seen reaching done/failed (part of the e-mail key)."""
        col = {"done": "done_count", "failed": "failed_count"}[state]
        with self._lock:
            row = self._db.execute(f"SELECT {col} FROM videos WHERE id = ?", (video_id,)).fetchone()
        return int(row[0]) if row else 0

    def mark_gone_except(self, present: set[str]) -> None:
        """Videos not in any listing now are marked "gone" (their outcome counters stay): one moved
        back by hand, or a new file under an old name, is then news again, not a repeat."""
        with self._tx() as db:
            rows = db.execute("SELECT id FROM videos WHERE state != 'gone'").fetchall()
            for (vid,) in rows:
                if vid not in present:
                    db.execute("UPDATE videos SET state = 'gone' WHERE id = ?", (vid,))

    def forget_missing_videos(self, present: set[str]) -> None:
        """Drop videos no longer anywhere (deleted by the user); keeps the table small."""
        with self._tx() as db:
            for (vid,) in db.execute("SELECT id FROM videos").fetchall():
                if vid not in present:
                    db.execute("DELETE FROM videos WHERE id = ?", (vid,))

    # -- workers ----------------------------------------------------------------------------
    def record_launch(self, worker_id: str, name: str, gpu_type: str | None, cost_per_hour: float | None,
                      at: datetime | None = None, message: str | None = None, mail: Mail | None = None) -> None:
        at = at or utcnow()
        with self._tx() as db:
            db.execute(
                "INSERT INTO workers(id, name, gpu_type, cost_per_hour, launched_at, launched_by_us, last_seen_at)"
                " VALUES (?,?,?,?,?,1,?) ON CONFLICT(id) DO UPDATE SET launched_by_us=1",
                (worker_id, name, gpu_type, cost_per_hour, format_time(at), format_time(at)),
            )
            self._insert_event("launched", message or f"worker {name} launched", None, None, worker_id, at)
            if mail is not None:
                self._insert_mail(mail, at)

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
        with self._tx() as db:
            row = db.execute("SELECT ended_at, name FROM workers WHERE id = ?", (worker_id,)).fetchone()
            if row is not None and row["ended_at"]:
                return False
            if row is None:
                db.execute("INSERT INTO workers(id, name) VALUES (?, ?)", (worker_id, worker_id))
            db.execute("UPDATE workers SET ended_at = ?, end_reason = ? WHERE id = ?",
                       (format_time(at), reason, worker_id))
            self._insert_event("worker_" + reason, message or f"worker {worker_id} {reason}", None, None,
                               worker_id, at)
            if mail is not None:
                self._insert_mail(mail, at)
            return True

    def workers(self, include_ended: bool = True) -> list[WorkerRecord]:
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
        for w in self.workers():
            if since is not None and (w.launched_at is None or w.launched_at < since):
                continue
            total += w.cost_estimate or 0.0
        return total

    # -- mail outbox ------------------------------------------------------------------------
    def enqueue_mail(self, mail: Mail, at: datetime | None = None) -> bool:
        """Queue a message unless its key was queued before (sent or not); returns True if new."""
        with self._lock:
            return self._insert_mail(mail, at or utcnow())

    def _insert_mail(self, mail: Mail, at: datetime) -> bool:
        cur = self._db.execute(
            "INSERT OR IGNORE INTO outbox(key, kind, subject, text_body, html_body, recipients, created_at)"
            " VALUES (?,?,?,?,?,?,?)",
            (mail.key, mail.kind, mail.subject, mail.text_body, mail.html_body, json.dumps(mail.recipients),
             format_time(at)),
        )
        return cur.rowcount == 1

    def has_mail(self, key: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM outbox WHERE key = ?", (key,)).fetchone() is not None

    def unsent_mail(self, max_attempts: int = 50) -> list[OutboxMessage]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM outbox WHERE sent_at IS NULL AND attempts < ? ORDER BY created_at", (max_attempts,)
            ).fetchall()
        return [
            OutboxMessage(r["key"], r["kind"], r["subject"], r["text_body"], r["html_body"],
                          json.loads(r["recipients"]), r["attempts"])
            for r in rows
        ]

    def mark_sent(self, key: str, at: datetime | None = None) -> None:
        with self._lock:
            self._db.execute("UPDATE outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL"
                             " WHERE key = ?", (format_time(at or utcnow()), key))

    def mark_failed(self, key: str, error: str) -> None:
        with self._lock:
            self._db.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE key = ?",
                             (error[:500], key))

    def sent_mail(self, kind: str | None = None) -> list[OutboxMessage]:
        with self._lock:
            sql = "SELECT * FROM outbox WHERE sent_at IS NOT NULL"
            rows = self._db.execute(sql + (" AND kind = ?" if kind else "") + " ORDER BY sent_at",
                                    (kind,) if kind else ()).fetchall()
        return [
            OutboxMessage(r["key"], r["kind"], r["subject"], r["text_body"], r["html_body"],
                          json.loads(r["recipients"]), r["attempts"])
            for r in rows
        ]

    def prune(self, keep_days: float = 90, now: datetime | None = None) -> None:
        """Drop old events and sent mail (keys of sent mail are kept a long time so none repeats)."""
        cutoff = format_time((now or utcnow()) - timedelta(days=keep_days))
        with self._lock:
            self._db.execute("DELETE FROM events WHERE at < ?", (cutoff,))


class _Tx:
    def __init__(self, history: History):
        self.h = history

    def __enter__(self) -> sqlite3.Connection:
        self.h._lock.acquire()
        self.h._db.execute("BEGIN IMMEDIATE")
        return self.h._db

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.h._db.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.h._lock.release()
