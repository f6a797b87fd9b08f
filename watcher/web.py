"""The watcher's status page and JSON API (FastAPI + Jinja2, served by uvicorn in a thread).

Security: binds loopback by default (the daemon warns when it binds beyond); logging in needs the
token (``web.token``, or a random one written 0600 to the state folder); wrong tokens are throttled
per client address (429 with Retry-After); the session cookie is signed with a per-process random
secret, SameSite=strict, HttpOnly, and Secure when ``web.public_url`` is https (behind a TLS proxy);
each session is also recorded on the server, so logging out ends it even for a copied cookie; every
form POST carries a per-session CSRF token that is checked. A failed API action answers 4xx/5xx.
The JSON API takes the token as ``Authorization: Bearer``. The page shows the last poll's data and
never makes storage requests of its own (except the action buttons).
"""


import hmac
import logging
import os
import secrets
import socket
import threading
import time
from collections import deque
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Protocol

from config.settings import Settings

log = logging.getLogger("hotfolder.web")

HERE = Path(__file__).parent
TOKEN_FILE = "web-token"
SESSION_SECONDS = 7 * 24 * 3600
LOGIN_FAILURES = 5  # wrong tokens from one address within LOGIN_WINDOW before it must wait
LOGIN_WINDOW = 60.0


class ActionError(Exception):
    """An action that did not happen: the message for the person, and the HTTP status for the API."""

    def __init__(self, message: str, status: int = 500):
        super().__init__(message)
        self.status = status


def local_zone(name: str = "") -> tzinfo:
    """``web.timezone`` (an IANA name), else this machine's zone."""
    if name:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    return datetime.now().astimezone().tzinfo


def format_when(t: datetime | None, zone: tzinfo, seconds: bool = True) -> str:
    if not t:
        return "never"
    local = t.astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else "") + " %Z").strip()


VERDICT_CLASSES = {"acceptable": "good", "category 1": "good", "conditionally acceptable": "neutral",
                   "category 2": "neutral", "unacceptable": "bad", "category 3": "bad", "category 4": "bad",
                   "not assessed": "none"}


def verdict_class(line: str) -> str:
    """The report's colour for a verdict line ("Trunk: unacceptable"): good, neutral, bad or none."""
    word = line.rpartition(":")[2].strip().lower()
    return VERDICT_CLASSES.get(word, "none")


class LoginThrottle:
    """At most ``limit`` wrong tokens per client address per ``window`` seconds; then it waits."""

    def __init__(self, limit: int = LOGIN_FAILURES, window: float = LOGIN_WINDOW, clock=time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[str, deque] = {}
        self._lock = threading.Lock()

    def retry_after(self, who: str) -> float:
        """Seconds ``who`` must wait before trying again (0: may try now)."""
        with self._lock:
            q = self._failures.get(who)
            if not q:
                return 0.0
            now = self.clock()
            while q and now - q[0] > self.window:
                q.popleft()
            return self.window - (now - q[0]) if len(q) >= self.limit else 0.0

    def failed(self, who: str) -> None:
        with self._lock:
            self._failures.setdefault(who, deque()).append(self.clock())
            if len(self._failures) > 10000:  # a flood of addresses: forget the oldest
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, who: str) -> None:
        with self._lock:
            self._failures.pop(who, None)


class Sessions:
    """Server-side record of live sessions: a cookie is honoured only while its id is here."""

    def __init__(self, max_age: float = SESSION_SECONDS, clock=time.time):
        self.max_age, self.clock = max_age, clock
        self._live: dict[str, float] = {}
        self._lock = threading.Lock()

    def start(self) -> str:
        sid = secrets.token_urlsafe(24)
        with self._lock:
            now = self.clock()
            self._live = {k: v for k, v in self._live.items() if v > now}
            self._live[sid] = now + self.max_age
        return sid

    def alive(self, sid: object) -> bool:
        if not isinstance(sid, str):
            return False
        with self._lock:
            until = self._live.get(sid)
            return until is not None and until > self.clock()

    def end(self, sid: object) -> None:
        with self._lock:
            self._live.pop(sid, None)  # type: ignore[arg-type]


class Actions(Protocol):
    """What the page can see and do; ``watcher.daemon.WatcherService`` implements it."""

    def overview(self): ...  # -> watcher.overview.Overview

    def check_now(self) -> str: ...

    def retry(self, file_id: str) -> str: ...

    def stop_workers(self) -> str: ...

    def report_file(self, report_id: str) -> Path | None: ...


def web_token(settings: Settings) -> str:
    """The login token: ``web.token``, else the one in ``<state_dir>/web-token`` (created 0600)."""
    configured = settings.web.token.get_secret_value()
    if configured:
        return configured
    path = settings.watcher.state_dir / TOKEN_FILE
    if path.exists():
        token = path.read_text().strip()
        if token:
            return token
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    os.chmod(path, 0o600)
    log.info("web page token generated; it is in %s", path)
    return token


def create_app(actions: Actions, token: str, *, secret_key: str | None = None, title: str = "Hot folder",
               secure_cookie: bool = False, zone: str | tzinfo = "", throttle: LoginThrottle | None = None,
               sessions: Sessions | None = None):
    from fastapi import FastAPI, Form, Request
    from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
    from fastapi.staticfiles import StaticFiles
    from fastapi.templating import Jinja2Templates
    from starlette.middleware.sessions import SessionMiddleware

    from config.logs import secret_filter
    from watcher.mailer import format_duration

    secret_filter().add(token)
    tz = local_zone(zone) if isinstance(zone, str) else zone
    throttle = throttle or LoginThrottle()
    sessions = sessions or Sessions()
    app = FastAPI(title=title, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.sessions, app.state.throttle = sessions, throttle
    app.add_middleware(SessionMiddleware, secret_key=secret_key or secrets.token_urlsafe(32),
                       session_cookie="hotfolder_session", same_site="strict", max_age=SESSION_SECONDS,
                       https_only=secure_cookie)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["duration"] = format_duration
    templates.env.filters["money"] = lambda v: "n/a" if v is None else f"${v:,.2f}"
    templates.env.filters["when"] = lambda t: format_when(t, tz)
    templates.env.filters["verdict_class"] = verdict_class

    def token_ok(given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(given.encode(), token.encode())

    def csrf_token(request: Request) -> str:
        if "csrf" not in request.session:
            request.session["csrf"] = secrets.token_urlsafe(24)
        return request.session["csrf"]

    def csrf_ok(request: Request, given: str | None) -> bool:
        expected = request.session.get("csrf")
        return bool(expected and given) and hmac.compare_digest(given.encode(), expected.encode())

    def logged_in(request: Request) -> bool:
        return request.session.get("auth") is True and sessions.alive(request.session.get("sid"))

    def bearer_ok(request: Request) -> bool:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and token_ok(value.strip())

    def refuse(status: int = 403, text: str = "forbidden") -> HTMLResponse:
        return HTMLResponse(f"<!doctype html><title>{status}</title><p>{text}. <a href='/login'>Log in</a></p>",
                            status_code=status)

    def back(request: Request, message: str) -> RedirectResponse:
        request.session["flash"] = message
        return RedirectResponse("/", status_code=303)

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request):
        return templates.TemplateResponse(request, "login.html", {"csrf": csrf_token(request), "error": None,
                                                                  "title": title})

    @app.post("/login")
    def login(request: Request, token_field: str = Form("", alias="token"), csrf: str = Form("")):
        who = request.client.host if request.client else "?"
        wait = throttle.retry_after(who)
        if wait > 0:
            return HTMLResponse(f"<!doctype html><title>429</title><p>Too many wrong tokens; try again in "
                                f"{wait:.0f} s. <a href='/login'>Log in</a></p>", status_code=429,
                                headers={"Retry-After": str(int(wait) + 1)})
        if not csrf_ok(request, csrf):
            return refuse(403, "the form expired; reload the login page")
        if not token_ok(token_field):
            throttle.failed(who)
            log.warning("web: failed login from %s", who)
            return templates.TemplateResponse(request, "login.html", {"csrf": csrf_token(request),
                                              "error": "Wrong token.", "title": title}, status_code=401)
        throttle.succeeded(who)
        sessions.end(request.session.get("sid"))
        request.session.clear()
        request.session["sid"] = sessions.start()
        request.session["auth"] = True
        request.session["csrf"] = secrets.token_urlsafe(24)  # a new CSRF token after login
        return RedirectResponse("/", status_code=303)

    @app.post("/logout")
    def logout(request: Request, csrf: str = Form("")):
        if logged_in(request) and csrf_ok(request, csrf):
            sessions.end(request.session.get("sid"))  # a copy of the cookie stops working too
            request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request):
        if not logged_in(request):
            return RedirectResponse("/login", status_code=303)
        data = actions.overview()
        flash = request.session.pop("flash", None)
        return templates.TemplateResponse(request, "index.html", {
            "o": data, "csrf": csrf_token(request), "flash": flash, "title": title,
            "waiting": data.with_status("waiting", "pending"), "processing": data.with_status("processing"),
            "done": data.with_status("done"), "failed": data.with_status("failed"),
        })

    def guarded_post(request: Request, csrf: str):
        if not logged_in(request):
            return refuse(403, "log in first")
        if not csrf_ok(request, csrf):
            return refuse(403, "missing or wrong CSRF token; reload the page")
        return None

    def act(request: Request, action) -> RedirectResponse:
        try:
            return back(request, action())
        except ActionError as exc:
            return back(request, str(exc))

    @app.post("/check-now")
    def check_now(request: Request, csrf: str = Form("")):
        return guarded_post(request, csrf) or act(request, actions.check_now)

    @app.post("/retry/{file_id:path}")
    def retry(request: Request, file_id: str, csrf: str = Form("")):
        return guarded_post(request, csrf) or act(request, lambda: actions.retry(file_id))

    @app.post("/stop-workers")
    def stop_workers(request: Request, csrf: str = Form("")):
        return guarded_post(request, csrf) or act(request, actions.stop_workers)

    @app.get("/reports/{report_id:path}")
    def report(request: Request, report_id: str):
        if not (logged_in(request) or bearer_ok(request)):
            return refuse(403, "log in first")
        path = actions.report_file(report_id)
        if path is None:
            return HTMLResponse("report not found", status_code=404)
        return FileResponse(path, filename=path.name)

    # -- JSON API: the same data; the token as a Bearer header (no cookies, so no CSRF) ----------
    def api_auth(request: Request) -> JSONResponse | None:
        if bearer_ok(request):
            return None
        return JSONResponse({"error": "missing or wrong bearer token"}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})

    @app.get("/api/status")
    def api_status(request: Request):
        if not logged_in(request) and (denied := api_auth(request)):
            return denied
        return actions.overview().to_json()

    def api_act(request: Request, action):
        denied = api_auth(request)
        if denied:
            return denied
        try:
            return {"message": action()}
        except ActionError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)

    @app.post("/api/check-now")
    def api_check_now(request: Request):
        return api_act(request, actions.check_now)

    @app.post("/api/retry/{file_id:path}")
    def api_retry(request: Request, file_id: str):
        return api_act(request, lambda: actions.retry(file_id))

    @app.post("/api/stop-workers")
    def api_stop(request: Request):
        return api_act(request, actions.stop_workers)

    return app


class WebServer:
    """uvicorn in a daemon thread; ``url`` is known once ``start`` returns (port 0 picks a free port)."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 8787):
        import uvicorn

        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.host, self.port = host, self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       name="hotfolder-web", daemon=True)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self, timeout: float = 10.0) -> "WebServer":
        self.thread.start()
        import time

        deadline = time.monotonic() + timeout
        while not self.server.started and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not self.server.started:
            raise RuntimeError(f"web page did not start on {self.url}")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
