"""`hotfolder watch`: the APScheduler poll loop, the web page thread, and `--once`.

One interval job runs ``watcher.poll.poll`` (max_instances=1, coalesced, generous misfire grace);
"Check now" on the web page starts a poll at once; a click while a poll runs asks that poll to run
once more when it ends (its listing may predate the click), so two polls never overlap and no click
is lost, however many arrive.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from config.settings import Settings
from drive.model import utcnow
from watcher import overview as ov
from watcher.history import History
from watcher.mailer import Notifier
from watcher.poll import PollContext, PollResult, poll, report_link

log = logging.getLogger("hotfolder.watcher")

JOB_ID = "poll"
MAINTENANCE_JOB_ID = "history-maintenance"
LOOPBACK = ("127.0.0.1", "::1", "localhost")
HISTORY_FILE = "history.sqlite3"
SETTLE_FILE = "settle.json"


def worker_env_factory(settings: Settings) -> Callable[[], dict[str, str]]:
    """The pod env for a new worker: settings plus, for Drive, the stored OAuth token (read per launch
    so a re-run `hotfolder auth` takes effect without restarting the watcher)."""

    def build() -> dict[str, str]:
        from config.logs import secret_filter
        from pod_launcher.pod_env import build_worker_env

        token_json = None
        if settings.storage.backend == "drive":
            # The credential workers use: a service-account key when configured, else the OAuth token.
            key_file = settings.drive.service_account_file
            path = (key_file or settings.drive.token_file).expanduser()
            if not path.is_file():
                raise RuntimeError(f"no Drive credential at {path}; run `hotfolder auth` first")
            token_json = path.read_text()
        env = build_worker_env(settings, token_json)
        for key, value in env.items():
            if "TOKEN" in key or "KEY" in key:
                secret_filter().add(value)
        return env

    return build


def build_context(settings: Settings, *, storage=None, launcher=None, settle=None, history=None,
                  notifier=None, worker_env=None, reap=None, sweep=None, clock=utcnow, web_url: str | None = None
                  ) -> PollContext:
    """Wire the real adapters (chosen by settings); tests pass their own for any of them."""
    state_dir = settings.watcher.state_dir
    state_dir.mkdir(parents=True, exist_ok=True)
    if storage is None:
        from drive.factory import open_storage

        storage = open_storage(settings)
    if launcher is None:
        from pod_launcher.factory import open_launcher

        launcher = open_launcher(settings)
    if settle is None:
        from drive.settle import SettleTracker

        settle = SettleTracker(state_dir / SETTLE_FILE, settings.drive.settle_seconds)
    if history is None:
        history = History(state_dir / HISTORY_FILE)
    if notifier is None:
        notifier = Notifier(settings.mail, history, web_url=web_url, clock=clock)
    if reap is None:
        from pod_launcher.reaper import reap as reap_fn

        reap = reap_fn
    if sweep is None:
        def sweep(videos):
            from drive.queue import VideoQueue

            return VideoQueue(storage, settings.drive, worker_id="watcher", clock=clock).sweep(videos)
    return PollContext(settings=settings, storage=storage, launcher=launcher, settle=settle, history=history,
                       notifier=notifier, worker_env=worker_env or worker_env_factory(settings), reap=reap,
                       sweep=sweep, clock=clock)


class WatcherService:
    """The poll job plus the web page's actions (``watcher.web.Actions``)."""

    def __init__(self, ctx: PollContext):
        self.ctx = ctx
        self.scheduler = None  # set by run_watch
        self.last_result: PollResult | None = None
        self.background: threading.Thread | None = None
        self.web_server = None  # set by run_watch when the page is served
        self.noticed: list = []  # outcomes seen by `--once` polls, in order
        self._state = threading.Lock()  # guards the three flags below
        self._running = False
        self._again = False
        self._closed = False

    # -- the job --------------------------------------------------------------------------------
    def run_poll(self) -> PollResult | None:
        """One poll, or none if one is running: that one then runs once more (the scheduler's job and
        "Check now" both come here)."""
        with self._state:
            if self._closed:
                return None
            if self._running:
                self._again = True
                return None
            self._running = True
        try:
            while True:
                result = self._poll()
                with self._state:  # deciding and clearing in one step: a click in between is not lost
                    if not self._again or self._closed:
                        self._running = False
                        return result
                    self._again = False
        except BaseException:
            with self._state:
                self._running = False
            raise

    def _poll(self) -> PollResult | None:
        try:
            self.last_result = poll(self.ctx)
            return self.last_result
        except Exception:  # noqa: BLE001 - a bug in one poll must not stop the daemon
            log.exception("poll failed; the next one runs as scheduled")
            return None

    @property
    def checking(self) -> bool:
        """True while a poll runs (including the follow-up a click asked for)."""
        return self._running

    def close(self) -> None:
        """No poll starts after this; one that is running finishes (run_watch then closes the history)."""
        with self._state:
            self._closed = True

    # -- web actions ----------------------------------------------------------------------------
    def overview(self) -> ov.Overview:
        events = [ov.EventRow(e.at, e.kind, e.message) for e in self.ctx.history.recent_events(30)]
        return replace(self.ctx.overview, events=events)

    def check_now(self) -> str:
        with self._state:
            if self._closed:
                return "The watcher is stopping."
            if self._running:
                self._again = True
                return "Checking the folder again as soon as the check that is running ends; reload in a few seconds."
        self.background = threading.Thread(target=self.run_poll, name="hotfolder-check-now", daemon=True)
        self.background.start()
        return "Checking the folder now; reload in a few seconds."

    def retry(self, file_id: str) -> str:
        from drive.queue import VideoQueue
        from drive.storage import FileGone
        from watcher.web import ActionError

        known = {v.id: v for v, _ in self.ctx.failed}
        name = known[file_id].name if file_id in known else file_id
        try:
            VideoQueue(self.ctx.storage, self.ctx.settings.drive, worker_id="watcher").retry(file_id)
        except Exception as exc:  # noqa: BLE001 - shown to the user (4xx/5xx on the API), logged
            log.warning("retry of %s failed: %s", name, exc)
            status = 404 if isinstance(exc, FileGone) else 409 if isinstance(exc, ValueError) else 502
            raise ActionError(f"Could not retry {name}: {exc}", status) from exc
        self.ctx.force_outcomes = True
        self.ctx.history.add_event("retry", f"{name}: moved back to the inbox for a retry (web page)",
                                   video_id=file_id, video_name=name)
        self.check_now()
        return f"{name} is back in the queue."

    def stop_workers(self) -> str:
        from watcher.web import ActionError

        try:
            workers = [w for w in self.ctx.launcher.list_workers() if w.alive]
        except Exception as exc:  # noqa: BLE001
            raise ActionError(f"Could not list workers: {exc}", 502) from exc
        stopped, errors = 0, []
        for w in workers:
            try:
                self.ctx.launcher.terminate(w.id)
                stopped += 1
                self.ctx.history.record_end(w.id, "stopped", message=f"worker {w.name} stopped from the web page")
            except Exception as exc:  # noqa: BLE001
                errors.append(f"{w.name}: {exc}")
        log.warning("web page: stopped %d worker(s)", stopped)
        msg = f"Stopped {stopped} worker(s); videos they held go back to the queue when their lease expires."
        if errors:
            raise ActionError(msg + " Errors: " + "; ".join(errors), 502)
        return msg

    def maintain(self) -> dict[str, int] | None:
        """The daily job: prune the history (old events and mail; videos no longer in any folder, from
        one full listing a day, never per poll). Never raises."""
        from drive.model import Folder

        ctx = self.ctx
        try:
            present = {v.id for folder in (Folder.INBOX, Folder.DONE, Folder.FAILED)
                       for v in ctx.storage.list_videos(folder)}
        except Exception as exc:  # noqa: BLE001 - without a full listing, keep every video record
            log.warning("history maintenance: cannot list the folders (%s); pruning events and mail only", exc)
            present = None
        try:
            with ctx.lock:  # not while a poll writes
                pruned = ctx.history.prune(ctx.settings.watcher.history_days, ctx.clock(), present)
        except Exception:  # noqa: BLE001
            log.exception("history maintenance failed; trying again tomorrow")
            return None
        log.info("history maintenance: pruned %s", pruned)
        return pruned

    def report_file(self, report_id: str) -> Path | None:
        """A local report for the browser; only files inside the Reports folder are served."""
        from drive.model import Folder

        storage = self.ctx.storage
        if self.ctx.settings.storage.backend != "local" or not hasattr(storage, "path"):
            return None
        link = storage.output_link(report_id) if hasattr(storage, "output_link") else None
        if not link:
            return None
        reports = storage.path(Folder.REPORTS).resolve()
        path = Path(link).resolve()
        if not path.is_relative_to(reports) or not path.is_file():
            return None
        return path


# -- the daemon ---------------------------------------------------------------------------------

def run_watch(settings: Settings, service: WatcherService | None = None, stop_event: threading.Event | None = None
              ) -> int:
    from apscheduler.schedulers.blocking import BlockingScheduler

    web_server = None
    if service is None:
        service = WatcherService(build_context(settings))
    if settings.web.enabled:
        web_server = service.web_server = _start_web(settings, service)
    scheduler = BlockingScheduler(timezone=timezone.utc)
    scheduler.add_job(service.run_poll, "interval", seconds=settings.watcher.poll_seconds, id=JOB_ID,
                      max_instances=1, coalesce=True,
                      misfire_grace_time=int(max(60, settings.watcher.poll_seconds)),
                      next_run_time=datetime.now(timezone.utc))
    # The history shrinks on a schedule: once a day, the first run a few minutes after the start.
    scheduler.add_job(service.maintain, "interval", hours=24, id=MAINTENANCE_JOB_ID, max_instances=1,
                      coalesce=True, misfire_grace_time=3600,
                      next_run_time=datetime.now(timezone.utc) + timedelta(minutes=5))
    service.scheduler = scheduler

    def stop(signum=None, frame=None):
        log.info("stopping the watcher (%s)", signal.Signals(signum).name if signum else "requested")
        scheduler.shutdown(wait=False)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    if stop_event is not None:  # tests run the daemon in a thread and stop it with an event
        threading.Thread(target=lambda: (stop_event.wait(), stop()), daemon=True).start()
    log.info("watching %s every %.0f s (launcher: %s)", _where(settings), settings.watcher.poll_seconds,
             settings.launcher.backend)
    try:
        scheduler.start()
    finally:
        if web_server is not None:
            web_server.stop()
        # Let a poll that was running finish its bookkeeping before the history closes.
        service.close()
        with service.ctx.lock:
            service.ctx.history.close()
    log.info("watcher stopped")
    return 0


def _start_web(settings: Settings, service: WatcherService):
    from watcher.web import TOKEN_FILE, WebServer, create_app, web_token

    token = web_token(settings)
    try:
        app = create_app(service, token, secure_cookie=settings.web.public_url.lower().startswith("https://"),
                         zone=settings.web.timezone)
        server = WebServer(app, settings.web.host, settings.web.port).start()
    except (OSError, RuntimeError) as exc:
        # Processing matters more than the page: keep watching, say clearly what to change.
        log.error("cannot serve the status page on %s:%s (%s); watching without it. Set [web] port to a free "
                  "port, or enabled = false", settings.web.host, settings.web.port, exc)
        return None
    where = "web.token in the config" if settings.web.token.get_secret_value() else \
        str(settings.watcher.state_dir / TOKEN_FILE)
    log.info("status page on %s (log-in token: %s)", server.url, where)
    if settings.web.host not in LOOPBACK:
        log.warning("the status page listens on %s, beyond this machine: anyone who can reach port %s can try "
                    "to log in. Serve it behind a TLS reverse proxy and set web.public_url to its https:// "
                    "address, or set web.host = \"127.0.0.1\"", settings.web.host, server.port)
    service.ctx.notifier.web_url = public_page_url(settings, server)
    return server


def public_page_url(settings: Settings, server) -> str | None:
    """The page's address for e-mails: ``web.public_url``; else this host's name when the page
    listens beyond loopback (never ``0.0.0.0``); else none (a loopback page is no use in a mail)."""
    if settings.web.public_url:
        return settings.web.public_url.rstrip("/") + "/"
    if settings.web.host in LOOPBACK:
        return None
    import socket

    host = settings.web.host
    if host in ("0.0.0.0", "::", ""):
        host = socket.getfqdn()
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{server.port}/"


def _where(settings: Settings) -> str:
    if settings.storage.backend == "drive":
        return f"Drive folder {settings.drive.folder_id}"
    return str((settings.local.root / "inbox").resolve())


# -- watch --once ------------------------------------------------------------------------------

def run_once(settings: Settings, service: WatcherService | None = None, out: Callable[[str], None] = print,
             sleep: Callable[[float], None] = time.sleep) -> int:
    """One cycle; wait for unsettled videos to settle, then for the workers launched to finish;
    print where the reports are. Exit 0 if every video seen is done, 1 otherwise."""
    service = service or WatcherService(build_context(settings))
    ctx = service.ctx
    deadline = time.monotonic() + settings.watcher.once_timeout
    try:
        result = _poll_or_raise(service)
        seen = {v.id: v.name for v, _ in result.inbox}
        step = max(0.5, min(settings.drive.settle_seconds / 4, 5.0))
        announced = ""
        while result.unsettled and time.monotonic() < deadline:
            names = ", ".join(v.name for v in result.unsettled)
            if names != announced:  # once per set of videos, not every step
                log.info("waiting for %s to settle (unchanged for %.0f s)", names, settings.drive.settle_seconds)
                announced = names
            sleep(step)
            result = _poll_or_raise(service)
            seen.update({v.id: v.name for v, _ in result.inbox})
        if not seen and result.error:
            out(f"Cannot check {_where(settings)}: {result.error}")
            return 2
        if not seen:
            out(f"Nothing to do: {_where(settings)} has no videos.")
            return 0
        timed_out = _wait_for_workers(service, deadline, seen, sleep)
        if timed_out:
            for wid in ctx.launched_ids:
                try:
                    ctx.launcher.terminate(wid)
                except Exception as exc:  # noqa: BLE001
                    log.warning("cannot terminate worker %s: %s", wid, exc)
        ctx.force_outcomes = True
        _poll_or_raise(service)  # notices the outcomes, sends the e-mails
        return _print_outcomes(settings, service, seen, out, timed_out)
    finally:
        ctx.history.close()


def _poll_or_raise(service: WatcherService) -> PollResult:
    result = poll(service.ctx)
    if result.error:
        log.warning("%s", result.error)
    service.noticed.extend(result.outcomes)
    return result


def _wait_for_workers(service: WatcherService, deadline: float, seen: dict[str, str], sleep) -> bool:
    """Poll until no worker launched by this run is alive (nor, while a video seen by this run is
    still open, any other worker: e.g. one started by an earlier run); True if ``once_timeout``
    passed first."""
    ctx = service.ctx
    interval = max(1.0, min(ctx.settings.watcher.poll_seconds, 5.0))
    while True:
        result = _poll_or_raise(service)
        seen.update({v.id: v.name for v, _ in result.inbox})
        open_seen = any(v.id in seen and st.state.value in ("pending", "claimed") for v, st in result.inbox)
        busy = [w for w in result.alive if w.id in ctx.launched_ids or open_seen]
        if not busy and result.error is None:
            return False
        if time.monotonic() >= deadline:
            log.error("`watch --once`: workers still running after %.0f s (watcher.once_timeout); stopping them",
                      ctx.settings.watcher.once_timeout)
            return True
        sleep(interval)


def _print_outcomes(settings: Settings, service: WatcherService, seen: dict[str, str], out, timed_out: bool
                    ) -> int:
    """What happened to the videos of this run: the outcomes its polls noticed (ids of the local
    backend change when a video moves, so those are the reliable record), then what is still open."""
    ctx = service.ctx
    ok = not timed_out
    for v, st in service.noticed:
        if st.state.value == "done":
            link = report_link(ctx, st.report_id)
            out(f"done    {v.name}: report {link or 'in the ' + settings.drive.reports_folder + ' folder'}")
        else:
            ok = False
            out(f"failed  {v.name}: {st.error or 'unknown reason'}")
    for row in ctx.overview.videos:
        if row.id in seen and row.status in ("waiting", "pending", "processing"):
            ok = False
            out(f"{row.status:7} {row.name}: not finished in this run")
    if settings.storage.backend == "local" and hasattr(ctx.storage, "path"):
        from drive.model import Folder

        out(f"Reports folder: {ctx.storage.path(Folder.REPORTS)}")
    return 0 if ok else 1
