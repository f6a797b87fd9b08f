"""Workers as local subprocesses running ``hotfolder work`` (the embedded default, no accounts).

Each worker runs in its own session (process group), so terminating it also stops anything it
started. Workers are recorded in a small JSON registry in the state folder, so a restarted watcher
still sees and stops the ones its predecessor started; a pid is only trusted together with the
process's start time, because pids are reused.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import psutil

from config.settings import Settings
from pod_launcher.base import LaunchError, WorkerInfo

log = logging.getLogger(__name__)

REGISTRY = "local-workers.json"
WORKER_ID_VAR = "HOTFOLDER_WORKER_ID"
# Ended workers stay listed this long (the watcher reports how they ended), then are forgotten.
KEEP_ENDED_S = 3600.0
# The watcher's own secrets are not the worker's business.
_WATCHER_ONLY = ("HOTFOLDER_RUNPOD__", "HOTFOLDER_MAIL__", "HOTFOLDER_WEB__")


class LocalLauncher:
    def __init__(self, settings: Settings, command: list[str] | None = None, stop_grace: float = 15.0):
        self.prefix = settings.launcher.name_prefix
        self.state_dir = Path(settings.watcher.state_dir).expanduser().resolve()
        self.log_dir = self.state_dir / "workers"
        self.command = command or [sys.executable, "-m", "hotfolder", "work"]
        self.stop_grace = stop_grace  # SIGTERM lets the worker give its claim back first
        self._children: dict[int, subprocess.Popen] = {}

    # -- the Launcher interface -------------------------------------------------------------

    def launch(self, env: dict[str, str]) -> WorkerInfo:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with self._registry() as reg:
            n = int(reg.get("next", 1))
            reg["next"] = n + 1
            worker_id = f"local-{n}"
            name = f"{self.prefix}-{worker_id}"
            log_path = self.log_dir / f"{worker_id}.log"
            inherited = {k: v for k, v in os.environ.items() if not k.upper().startswith(_WATCHER_ONLY)}
            child_env = {**inherited, **env, WORKER_ID_VAR: worker_id}
            try:
                with log_path.open("ab") as out:
                    proc = subprocess.Popen(
                        self.command,
                        env=child_env,
                        stdin=subprocess.DEVNULL,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
            except OSError as exc:
                raise LaunchError(f"could not start a local worker ({self.command[0]}): {exc}") from None
            self._children[proc.pid] = proc
            try:
                create_time = psutil.Process(proc.pid).create_time()
            except psutil.Error:
                create_time = None  # already gone; listed as ended
            started = datetime.now(timezone.utc)
            reg.setdefault("workers", {})[worker_id] = {
                "name": name,
                "pid": proc.pid,
                "create_time": create_time,
                "started_at": started.timestamp(),
                "log": str(log_path),
            }
        log.info("launched local worker %s (pid %d, log %s)", worker_id, proc.pid, log_path)
        return WorkerInfo(id=worker_id, name=name, status="RUNNING", started_at=started, cost_per_hour=0.0, uptime_s=0.0)

    def list_workers(self) -> list[WorkerInfo]:
        now = time.time()
        out: list[WorkerInfo] = []
        with self._registry() as reg:
            workers = reg.setdefault("workers", {})
            for worker_id, w in list(workers.items()):
                alive = self._process(w) is not None
                if not alive and w.get("ended_at") is None:
                    w["ended_at"] = now
                if not alive and now - w["ended_at"] > KEEP_ENDED_S:
                    del workers[worker_id]
                    continue
                end = now if alive else w["ended_at"]
                out.append(
                    WorkerInfo(
                        id=worker_id,
                        name=w["name"],
                        status="RUNNING" if alive else "EXITED",
                        started_at=datetime.fromtimestamp(w["started_at"], timezone.utc),
                        cost_per_hour=0.0,
                        uptime_s=max(0.0, end - w["started_at"]),
                    )
                )
        return out

    def terminate(self, worker_id: str) -> None:
        with self._registry() as reg:
            w = reg.get("workers", {}).pop(worker_id, None)
        if w is None:
            return
        proc = self._process(w)
        if proc is None:
            return
        self._signal_group(w["pid"], signal.SIGTERM)
        try:
            proc.wait(self.stop_grace)
        except psutil.TimeoutExpired:
            log.warning("local worker %s ignored SIGTERM for %.0f s; killing it", worker_id, self.stop_grace)
        # Whatever the worker started (ffmpeg, pool processes) goes with it.
        self._signal_group(w["pid"], signal.SIGKILL)
        self._reap_child(w["pid"])
        log.info("terminated local worker %s (pid %d)", worker_id, w["pid"])

    def stop(self, worker_id: str) -> None:
        self.terminate(worker_id)  # a process has no stopped-but-kept state worth paying for

    def describe(self, worker_id: str) -> WorkerInfo | None:
        return next((w for w in self.list_workers() if w.id == worker_id), None)

    # -- helpers -------------------------------------------------------------------------------

    def _process(self, w: dict) -> psutil.Process | None:
        """The worker's process if it still runs (same pid AND same start time), else None."""
        pid = w["pid"]
        self._reap_child(pid)
        if w.get("create_time") is None:
            return None
        try:
            proc = psutil.Process(pid)
            if abs(proc.create_time() - w["create_time"]) > 0.05 or proc.status() == psutil.STATUS_ZOMBIE:
                return None
            return proc
        except psutil.Error:
            return None

    def _reap_child(self, pid: int) -> None:
        child = self._children.get(pid)
        if child is not None and child.poll() is not None:
            del self._children[pid]

    @staticmethod
    def _signal_group(pid: int, sig: int) -> None:
        # The worker leads its own session, so its pgid is its pid.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)

    @contextlib.contextmanager
    def _registry(self) -> Iterator[dict]:
        """The registry, locked against a second watcher process, written back atomically."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        path = self.state_dir / REGISTRY
        with open(self.state_dir / (REGISTRY + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                reg = json.loads(path.read_text()) if path.exists() else {}
            except (OSError, json.JSONDecodeError) as exc:
                log.warning("local worker registry %s unreadable (%s); starting a new one", path, exc)
                reg = {}
            before = json.dumps(reg, sort_keys=True)
            yield reg
            if json.dumps(reg, sort_keys=True) != before:
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(reg, indent=1))
                os.replace(tmp, path)
