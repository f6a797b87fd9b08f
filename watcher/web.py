"""The watcher's status page and JSON API (FastAPI + Jinja2, served by uvicorn in a thread).

Security: binds loopback by default; logging in needs the token (``web.token``, or a random one
written 0600 to the state folder); the session cookie is signed with a per-process random secret,
SameSite=strict and HttpOnly; every form POST carries a per-session CSRF token that is checked.
The JSON API takes the token as ``Authorization: Bearer``. The page shows the last poll's data and
never makes storage requests of its own (except the action buttons).
"""


import hmac
import logging
import os
import secrets
import socket
import threading
from pathlib import Path
from typing import Protocol

from config.settings import Settings

log = logging.getLogger("hotfolder.web")

HERE = Path(__file__).parent
TOKEN_FILE = "web-token"


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


def create_app(actions: Actions, token: str, *, secret_key: str | None = None, title: str = "Hot folder"):
    from fastapi import FastAPI, Form, Request
    from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
    from fastapi.staticfiles import StaticFiles
    from fastapi.templating import Jinja2Templates
    from starlette.middleware.sessions import SessionMiddleware

    from config.logs import secret_filter
    from watcher.mailer import format_duration

    secret_filter().add(token)
    app = FastAPI(title=title, docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SessionMiddleware, secret_key=secret_key or secrets.token_urlsafe(32),
                       session_cookie="hotfolder_session", same_site="strict", max_age=7 * 24 * 3600)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["duration"] = format_duration
    templates.env.filters["money"] = lambda v: "n/a" if v is None else f"${v:,.2f}"
    templates.env.filters["when"] = lambda t: t.strftime("%Y-%m-%d %H:%M:%S UTC") if t else "never"

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
        return request.session.get("auth") is True

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
        if not csrf_ok(request, csrf):
            return refuse(403, "the form expired; reload the login page")
        if not token_ok(token_field):
            log.warning("web: failed login from %s", request.client.host if request.client else "?")
            return templates.TemplateResponse(request, "login.html", {"csrf": csrf_token(request),
                                              "error": "Wrong token.", "title": title}, status_code=401)
        request.session.clear()
        request.session["auth"] = True
        request.session["csrf"] = secrets.token_urlsafe(24)  # a new CSRF token after login
        return RedirectResponse("/", status_code=303)

    @app.post("/logout")
    def logout(request: Request, csrf: str = Form("")):
        if logged_in(request) and csrf_ok(request, csrf):
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

    @app.post("/check-now")
    def check_now(request: Request, csrf: str = Form("")):
        return guarded_post(request, csrf) or back(request, actions.check_now())

    @app.post("/retry/{file_id:path}")
    def retry(request: Request, file_id: str, csrf: str = Form("")):
        return guarded_post(request, csrf) or back(request, actions.retry(file_id))

    @app.post("/stop-workers")
    def stop_workers(request: Request, csrf: str = Form("")):
        return guarded_post(request, csrf) or back(request, actions.stop_workers())

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

    @app.post("/api/check-now")
    def api_check_now(request: Request):
        return api_auth(request) or {"message": actions.check_now()}

    @app.post("/api/retry/{file_id:path}")
    def api_retry(request: Request, file_id: str):
        return api_auth(request) or {"message": actions.retry(file_id)}

    @app.post("/api/stop-workers")
    def api_stop(request: Request):
        return api_auth(request) or {"message": actions.stop_workers()}

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
