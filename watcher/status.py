"""`hotfolder status`: the web page's overview in the terminal (rich tables).

Read-only: it lists the inbox, Done and Failed folders and the launcher's workers, and reads the
watcher's history (events, cost) if there is one; it launches, settles and mails nothing.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from config.settings import Settings
from drive.model import Folder, VideoState, utcnow
from watcher import overview as ov
from watcher.daemon import HISTORY_FILE
from watcher.history import History


def collect(settings: Settings, storage=None, launcher=None, now: datetime | None = None) -> ov.Overview:
    now = now or utcnow()
    if storage is None:
        from drive.factory import open_storage

        storage = open_storage(settings)
    if launcher is None:
        from pod_launcher.factory import open_launcher

        launcher = open_launcher(settings)
    rows: list[ov.VideoRow] = []
    errors = []
    for folder in (Folder.INBOX, Folder.FAILED, Folder.DONE):
        try:
            videos = storage.list_videos(folder)
        except Exception as exc:  # noqa: BLE001 - show what we can
            errors.append(f"cannot list {folder.value}: {exc}")
            continue
        videos.sort(key=lambda v: v.modified_time or now, reverse=folder != Folder.INBOX)
        # Without the watcher's settle observations a pending video is simply "pending".
        rows += [ov.video_row(settings, v, VideoState.from_properties(v.properties), True, now, storage.output_link)
                 for v in videos]
    workers: list[ov.WorkerRow] = []
    try:
        for w in launcher.list_workers():
            if w.alive:
                uptime = w.uptime_s if w.uptime_s is not None else (
                    (now - w.started_at).total_seconds() if w.started_at else None)
                cost = w.cost_per_hour * uptime / 3600 if w.cost_per_hour is not None and uptime is not None else None
                workers.append(ov.WorkerRow(w.id, w.name, w.status, w.gpu_type, w.cost_per_hour, uptime, cost,
                                            w.started_at))
    except Exception as exc:  # noqa: BLE001
        errors.append(f"cannot list workers: {exc}")
    events, cost = [], 0.0
    path = settings.watcher.state_dir / HISTORY_FILE
    if path.exists():
        try:
            history = History(path)
            events = [ov.EventRow(e.at, e.kind, e.message) for e in history.recent_events(15)]
            cost = history.total_cost()
            history.close()
        except sqlite3.Error as exc:
            errors.append(f"cannot read the history {path}: {exc}")
    return ov.Overview(now, rows, workers, events, "; ".join(errors) or None, settings.storage.backend,
                       settings.launcher.backend, cost)


def render(o: ov.Overview, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    from watcher.mailer import format_duration

    console = console or Console()
    counts = o.counts()
    console.print(f"[bold]Hot folder[/] ({o.storage} storage, {o.launcher} workers) — "
                  f"{counts['waiting'] + counts['pending']} waiting, {counts['processing']} processing, "
                  f"{counts['done']} done, {counts['failed']} failed; cost so far ${o.total_cost:,.2f}")
    if o.error:
        console.print(f"[red]{o.error}[/]")
    videos = Table(title="Videos", expand=True)
    for col in ("Video", "Status", "Progress / reason", "Report"):
        videos.add_column(col, overflow="fold")
    style = {"done": "green", "failed": "red", "processing": "cyan"}
    for v in o.videos:
        detail = f"{v.progress or 0} % ({v.worker})" if v.status == "processing" else (v.error or "")
        videos.add_row(v.name, f"[{style.get(v.status, 'yellow')}]{v.status}[/]", detail, v.report_link or "")
    console.print(videos if o.videos else "No videos.")
    if o.workers:
        workers = Table(title="Workers", expand=True)
        for col in ("Name", "Status", "GPU", "Uptime", "Cost"):
            workers.add_column(col)
        for w in o.workers:
            workers.add_row(w.name, w.status, w.gpu_type or "local", format_duration(w.uptime_s),
                            "n/a" if w.cost_estimate is None else f"${w.cost_estimate:,.2f}")
        console.print(workers)
    else:
        console.print("No worker running.")
    if o.events:
        events = Table(title="Recent events", expand=True)
        events.add_column("When (UTC)")
        events.add_column("Event", overflow="fold")
        for e in o.events:
            events.add_row(e.at.strftime("%Y-%m-%d %H:%M:%S"), e.message)
        console.print(events)


def run_status(settings: Settings, as_json: bool = False) -> int:
    o = collect(settings)
    if as_json:
        print(json.dumps(o.to_json(), indent=2))
    else:
        render(o)
    return 1 if o.error else 0
