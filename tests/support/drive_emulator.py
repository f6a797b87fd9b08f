"""An HTTP emulator of the Google Drive v3 subset the project uses, plus the OAuth token endpoint.

The real google-api-python-client talks to it (packaged discovery document with ``rootUrl`` set
to ``api_root``), so tests exercise the same request paths as production. File contents live on
disk (a temporary folder) so 1 GB transfers do not sit in memory.

Supported: ``files.list`` (``q`` subset below, pageSize/pageToken, fields ignored except that all
metadata is returned), ``files.get`` (metadata, ``alt=media`` with ``Range``), ``files.create``
(metadata only, multipart, resumable), ``files.update`` (metadata, properties merge with ``null``
deleting, addParents/removeParents, multipart/resumable media), ``files.delete``; shortcuts;
``POST /token`` (refresh_token and authorization_code grants).

``q`` subset: clauses joined by ``and``: ``'<id>' in parents``, ``trashed = true|false``,
``mimeType = '...'`` / ``!=``, ``name = '...'`` (``\\'`` escapes), and
``properties has { key='k' and value='v' }``.

Faults are queued with :meth:`DriveEmulator.inject` and consumed by the first matching request.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import secrets
import shutil
import socket
import struct
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterable

FOLDER_MIME = "application/vnd.google-apps.folder"
SHORTCUT_MIME = "application/vnd.google-apps.shortcut"
DOC_MIME = "application/vnd.google-apps.document"
ROOT_ID = "root"
_BLOCK = 64 * 1024
_UPLOAD_GRANULARITY = 256 * 1024  # Drive persists partial chunks in multiples of this


def _now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Fault:
    """One injected failure.

    ``op``: which requests it hits: ``list``, ``get``, ``media`` (download), ``create``, ``update``,
    ``delete``, ``upload`` (a resumable chunk or status query), ``token``, or ``None`` for any API
    request (not the token endpoint). ``kind``: ``status`` (answer ``status`` with a Drive error
    body; 403 uses reason ``userRateLimitExceeded``), ``reset`` (close the connection with a TCP
    reset after ``after_bytes`` of the body sent or received), ``latency`` (sleep ``delay`` seconds
    first, then serve normally). ``times``: how many requests it hits.
    """

    kind: str = "status"
    op: str | None = None
    status: int = 503
    after_bytes: int = 0
    delay: float = 0.0
    times: int = 1
    file_id: str | None = None
    skip: int = 0  # let this many matching requests through first
    reason: str | None = None  # error reason for ``status`` faults (default: by status code)


@dataclass
class _File:
    id: str
    name: str
    mime_type: str
    parents: list[str]
    properties: dict[str, str] = field(default_factory=dict)
    trashed: bool = False
    created: str = field(default_factory=_now_iso)
    modified: str = field(default_factory=_now_iso)
    size: int = 0
    md5: str | None = None
    shortcut_target: str | None = None
    drive_id: str | None = None

    def is_blob(self) -> bool:
        return not self.mime_type.startswith("application/vnd.google-apps.")


@dataclass
class _Session:
    meta: dict[str, Any]
    total: int | None
    path: Path
    received: int = 0
    file_id: str | None = None  # set for media updates of an existing file
    mime_type: str | None = None


@dataclass
class RequestRecord:
    method: str
    path: str
    query: dict[str, str]
    op: str
    content_range: str | None = None  # uploads: "bytes a-b/N" or a "bytes */N" status query


class DriveEmulator:
    """Start with ``with DriveEmulator() as emu:`` (or :meth:`start`/:meth:`stop`)."""

    def __init__(self, page_size: int | None = None, token_lifetime: float = 3600.0):
        self._lock = threading.RLock()
        self._dir = Path(tempfile.mkdtemp(prefix="drive-emu-"))
        self._files: dict[str, _File] = {}
        self._sessions: dict[str, _Session] = {}
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self.requests: list[RequestRecord] = []
        self.max_page_size = page_size  # caps pageSize (1 gives one item per page)
        self.token_lifetime = token_lifetime
        self.access_tokens: dict[str, float] = {}  # token -> expiry (epoch)
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> client id
        self.auth_codes: dict[str, str] = {}
        self.client_id = "emu-client.apps.googleusercontent.com"
        self.client_secret = "emu-client-secret"
        self._files[ROOT_ID] = _File(ROOT_ID, "My Drive", FOLDER_MIME, [])
        self.folder_id = self.add_folder("Hot folder")
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> "DriveEmulator":
        handler = type("Handler", (_Handler,), {"emu": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="drive-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> "DriveEmulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "emulator not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    @property
    def api_root(self) -> str:
        return self.base_url

    @property
    def token_uri(self) -> str:
        return self.base_url + "token"

    @property
    def auth_uri(self) -> str:
        return self.base_url + "auth"

    # ---------------------------------------------------------------- test helpers: content

    def _new_id(self, prefix: str = "f") -> str:
        return f"{prefix}{next(self._ids):04d}{secrets.token_hex(4)}"

    def add_folder(self, name: str, parent: str | None = None, drive_id: str | None = None) -> str:
        with self._lock:
            fid = self._new_id("d")
            self._files[fid] = _File(fid, name, FOLDER_MIME, [parent or ROOT_ID], drive_id=drive_id)
            return fid

    def add_file(
        self,
        name: str,
        content: bytes | Path = b"",
        parent: str | None = None,
        mime_type: str = "video/mp4",
        properties: dict[str, str] | None = None,
    ) -> str:
        """A binary file; ``content`` may be a path (copied) so big files never sit in memory."""
        with self._lock:
            fid = self._new_id()
            f = _File(fid, name, mime_type, [parent or self.folder_id], dict(properties or {}))
            self._files[fid] = f
        self.set_content(fid, content)
        return fid

    def add_doc(self, name: str, parent: str | None = None, mime_type: str = DOC_MIME) -> str:
        with self._lock:
            fid = self._new_id("g")
            self._files[fid] = _File(fid, name, mime_type, [parent or self.folder_id])
            return fid

    def add_shortcut(self, name: str, target_id: str, parent: str | None = None) -> str:
        with self._lock:
            fid = self._new_id("s")
            self._files[fid] = _File(fid, name, SHORTCUT_MIME, [parent or self.folder_id], shortcut_target=target_id)
            return fid

    def set_content(self, file_id: str, content: bytes | Path, move: bool = False) -> None:
        """Replace a file's content (a user re-uploading or a sync still writing).

        ``move``: ``content`` is a path the emulator owns; rename it instead of copying.
        """
        path = self._dir / file_id
        md5 = hashlib.md5()
        if move and isinstance(content, Path):
            os.replace(content, path)
            with open(path, "rb") as src:
                while block := src.read(1 << 20):
                    md5.update(block)
            content = b""
        with open(path, "ab" if move else "wb") as out:
            if isinstance(content, (bytes, bytearray)):
                out.write(content)
                md5.update(content)
            else:
                with open(content, "rb") as src:
                    while block := src.read(1 << 20):
                        out.write(block)
                        md5.update(block)
        with self._lock:
            f = self._files[file_id]
            f.size, f.md5, f.modified = path.stat().st_size, md5.hexdigest(), _now_iso()

    def trash(self, file_id: str) -> None:
        with self._lock:
            self._files[file_id].trashed = True

    def remove(self, file_id: str) -> None:
        with self._lock:
            self._files.pop(file_id, None)

    def file(self, file_id: str) -> dict[str, Any]:
        """The file's metadata as the API returns it (a copy)."""
        with self._lock:
            return self._meta(self._files[file_id])

    def exists(self, file_id: str) -> bool:
        with self._lock:
            return file_id in self._files

    def content(self, file_id: str) -> bytes:
        return (self._dir / file_id).read_bytes()

    def content_path(self, file_id: str) -> Path:
        return self._dir / file_id

    def properties(self, file_id: str) -> dict[str, str]:
        with self._lock:
            return dict(self._files[file_id].properties)

    def parents(self, file_id: str) -> list[str]:
        with self._lock:
            return list(self._files[file_id].parents)

    def children(self, parent: str, include_trashed: bool = False) -> list[dict[str, Any]]:
        with self._lock:
            return [
                self._meta(f)
                for f in self._files.values()
                if parent in f.parents and (include_trashed or not f.trashed)
            ]

    def find(self, name: str, parent: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                self._meta(f)
                for f in self._files.values()
                if f.name == name and not f.trashed and (parent is None or parent in f.parents)
            ]

    # ---------------------------------------------------------------- test helpers: auth

    def issue_token(self, expired: bool = False, scopes: Iterable[str] = ("https://www.googleapis.com/auth/drive",)) -> dict[str, Any]:
        """An authorized-user token (``Credentials.to_json()`` layout) valid against this emulator."""
        refresh = "1//emu-refresh-" + secrets.token_urlsafe(16)
        access = self._new_access_token(lifetime=-60 if expired else self.token_lifetime)
        with self._lock:
            self.refresh_tokens[refresh] = self.client_id
            expiry = self.access_tokens[access]
        return {
            "token": access,
            "refresh_token": refresh,
            "token_uri": self.token_uri,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "scopes": list(scopes),
            "universe_domain": "googleapis.com",
            "account": "",
            "expiry": datetime.fromtimestamp(expiry, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }

    def client_secrets(self) -> dict[str, Any]:
        """An "installed" OAuth client-secrets document pointing at this emulator."""
        return {
            "installed": {
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "auth_uri": self.auth_uri,
                "token_uri": self.token_uri,
                "redirect_uris": ["http://localhost"],
            }
        }

    def approve(self, auth_url: str) -> str:
        """Play the user consenting at ``auth_url``: the redirect URL (with code and state) to open."""
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(auth_url).query))
        code = "4/emu-code-" + secrets.token_urlsafe(12)
        with self._lock:
            self.auth_codes[code] = q.get("client_id", "")
        sep = "&" if "?" in q["redirect_uri"] else "?"
        return q["redirect_uri"] + sep + urllib.parse.urlencode({"code": code, "state": q.get("state", ""), "scope": q.get("scope", "")})

    def write_token(self, path: Path, expired: bool = False) -> dict[str, Any]:
        """Store a fresh authorized-user token at ``path`` (mode 0600) as ``hotfolder auth`` would."""
        info = self.issue_token(expired=expired)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(info))
        path.chmod(0o600)
        return info

    def drive_settings(self, token_file: Path, **extra: Any) -> dict[str, Any]:
        """The ``[drive]`` settings that point a DriveStore at this emulator."""
        return {"folder_id": self.folder_id, "api_root": self.api_root, "token_uri": self.token_uri, "token_file": str(token_file), **extra}

    def _new_access_token(self, lifetime: float) -> str:
        token = "ya29.emu-" + secrets.token_urlsafe(24)
        with self._lock:
            self.access_tokens[token] = time.time() + lifetime
        return token

    def expire_access_tokens(self) -> None:
        with self._lock:
            for t in self.access_tokens:
                self.access_tokens[t] = 0.0

    def revoke(self, refresh_token: str | None = None) -> None:
        """Revoke one refresh token (or all); their access tokens stop working too."""
        with self._lock:
            if refresh_token is None:
                self.refresh_tokens.clear()
            else:
                self.refresh_tokens.pop(refresh_token, None)
            self.access_tokens.clear()

    # ---------------------------------------------------------------- test helpers: faults, counts

    def inject(self, fault: Fault | None = None, **kw: Any) -> Fault:
        fault = fault or Fault(**kw)
        with self._lock:
            self._faults.append(fault)
        return fault

    def pending_faults(self) -> list[Fault]:
        with self._lock:
            return [f for f in self._faults if f.times > 0]

    def expire_upload_sessions(self) -> None:
        with self._lock:
            self._sessions.clear()

    def request_count(self, op: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests if op is None or r.op == op)

    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()

    def _take_fault(self, op: str, file_id: str | None) -> Fault | None:
        with self._lock:
            for f in self._faults:
                if f.times <= 0:
                    continue
                if f.op is None and op == "token":
                    continue
                if f.op is not None and f.op != op:
                    continue
                if f.file_id is not None and f.file_id != file_id:
                    continue
                if f.skip > 0:
                    f.skip -= 1
                    continue
                f.times -= 1
                return f
        return None

    # ---------------------------------------------------------------- model

    def _meta(self, f: _File) -> dict[str, Any]:
        m: dict[str, Any] = {
            "kind": "drive#file",
            "id": f.id,
            "name": f.name,
            "mimeType": f.mime_type,
            "parents": list(f.parents),
            "trashed": f.trashed,
            "createdTime": f.created,
            "modifiedTime": f.modified,
            "webViewLink": f"https://drive.google.com/file/d/{f.id}/view",
        }
        if f.properties:
            m["properties"] = dict(f.properties)
        if f.is_blob():
            m["size"] = str(f.size)
            m["md5Checksum"] = f.md5
        if f.shortcut_target:
            target = self._files.get(f.shortcut_target)
            m["shortcutDetails"] = {
                "targetId": f.shortcut_target,
                "targetMimeType": target.mime_type if target else "application/octet-stream",
            }
        if f.drive_id:
            m["driveId"] = f.drive_id
        return m

    def _matches(self, f: _File, clauses: list[tuple]) -> bool:
        for kind, *args in clauses:
            if kind == "parent" and args[0] not in f.parents:
                return False
            if kind == "trashed" and f.trashed != args[0]:
                return False
            if kind == "mime" and (f.mime_type == args[1]) != (args[0] == "="):
                return False
            if kind == "name" and f.name != args[0]:
                return False
            if kind == "prop" and f.properties.get(args[0]) != args[1]:
                return False
        return True


_STR = r"'((?:[^'\\]|\\.)*)'"
_CLAUSES = [
    ("parent", re.compile(rf"^{_STR}\s+in\s+parents$")),
    ("trashed", re.compile(r"^trashed\s*=\s*(true|false)$")),
    ("mime", re.compile(rf"^mimeType\s*(!?=)\s*{_STR}$")),
    ("name", re.compile(rf"^name\s*=\s*{_STR}$")),
    ("prop", re.compile(rf"^properties\s+has\s+\{{\s*key\s*=\s*{_STR}\s+and\s+value\s*=\s*{_STR}\s*\}}$")),
]


def _unescape(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s)


def parse_q(q: str) -> list[tuple]:
    """The supported ``q`` subset; anything else raises ValueError (answered with 400)."""
    # Split on " and " outside quotes and braces.
    parts, buf, quote, depth, i = [], "", False, 0, 0
    while i < len(q):
        c = q[i]
        if c == "\\" and quote:
            buf += q[i : i + 2]
            i += 2
            continue
        if c == "'":
            quote = not quote
        elif not quote and c == "{":
            depth += 1
        elif not quote and c == "}":
            depth -= 1
        if not quote and depth == 0 and q[i : i + 5].lower() == " and ":
            parts.append(buf)
            buf, i = "", i + 5
            continue
        buf += c
        i += 1
    parts.append(buf)
    clauses = []
    for part in (p.strip() for p in parts):
        for kind, rx in _CLAUSES:
            m = rx.match(part)
            if m:
                if kind == "trashed":
                    clauses.append((kind, m.group(1) == "true"))
                elif kind == "mime":
                    clauses.append((kind, m.group(1), _unescape(m.group(2))))
                else:
                    clauses.append((kind, *(_unescape(g) for g in m.groups())))
                break
        else:
            raise ValueError(f"unsupported query clause: {part!r}")
    return clauses


class _Reset(Exception):
    """Raised inside a handler after the connection was aborted on purpose."""


class _Handler(BaseHTTPRequestHandler):
    emu: DriveEmulator
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle + delayed ACK add 40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # -- plumbing

    def _route(self, method: str) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        path = url.path
        op, file_id = self._classify(method, path, query)
        emu = self.emu
        with emu._lock:
            emu.requests.append(RequestRecord(method, path, query, op, self.headers.get("Content-Range")))
        try:
            fault = emu._take_fault(op, file_id)
            if fault and fault.kind == "latency":
                time.sleep(fault.delay)
                fault = None
            if fault and fault.kind == "status":
                self._drain()
                return self._fault_status(fault.status, fault.reason)
            if fault and fault.kind == "reset" and op != "media":
                # Uploads: take some of the body (persisted like Drive does), then drop the line.
                return self._upload_reset(path, query, fault.after_bytes)
            if op != "token" and not self._authorized():
                self._drain()
                return self._error(401, "Request had invalid authentication credentials.", "authError")
            f = self.emu._files.get(file_id or "")
            if f is not None and f.drive_id and query.get("supportsAllDrives") != "true":
                self._drain()  # as on Drive: shared-drive items are invisible to callers not opting in
                return self._not_found(file_id)
            self._dispatch(method, path, query, op, file_id, fault)
        except _Reset:
            self.close_connection = True
        except (ConnectionError, BrokenPipeError):
            self.close_connection = True

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PATCH(self) -> None:
        self._route("PATCH")

    def do_PUT(self) -> None:
        self._route("PUT")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    def _classify(self, method: str, path: str, query: dict[str, str]) -> tuple[str, str | None]:
        if path == "/token":
            return "token", None
        m = re.match(r"^/(upload/)?drive/v3/files(?:/([^/]+))?$", path)
        if not m:
            return "other", None
        upload, fid = m.group(1), m.group(2)
        if upload and "upload_id" in query:
            return "upload", fid
        if method == "GET":
            if fid is None:
                return "list", None
            return ("media" if query.get("alt") == "media" else "get"), fid
        if method == "POST":
            return "create", None
        if method == "PATCH":
            return "update", fid
        if method == "DELETE":
            return "delete", fid
        return "other", fid

    def _length(self) -> int:
        return int(self.headers.get("Content-Length") or 0)

    def _drain(self) -> bytes:
        n = self._length()
        return self.rfile.read(n) if n else b""

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None, ctype: str = "application/json; charset=UTF-8") -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if body or status not in (204, 308):
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(obj).encode(), headers)

    def _error(self, status: int, message: str, reason: str) -> None:
        self._json(status, {"error": {"code": status, "message": message, "errors": [{"domain": "global", "reason": reason, "message": message}]}})

    def _fault_status(self, status: int, reason: str | None = None) -> None:
        reasons = {
            403: ("userRateLimitExceeded", "User Rate Limit Exceeded"),
            429: ("rateLimitExceeded", "Rate Limit Exceeded"),
            500: ("backendError", "Backend Error"),
            502: ("backendError", "Bad Gateway"),
            503: ("backendError", "Service Unavailable"),
        }
        default, message = reasons.get(status, ("error", "Injected error"))
        reason = reason or default
        self._error(status, message, reason)

    def _abort(self) -> None:
        """Drop the connection with a TCP reset (as a broken network would)."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        raise _Reset()

    def _authorized(self) -> bool:
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return False
        with self.emu._lock:
            expiry = self.emu.access_tokens.get(auth[7:])
        return expiry is not None and expiry > time.time()

    # -- API

    def _dispatch(self, method: str, path: str, query: dict[str, str], op: str, fid: str | None, fault: Fault | None) -> None:
        if op == "token":
            return self._token()
        if op == "list":
            return self._list(query)
        if op == "get":
            return self._get(fid)
        if op == "media":
            return self._media(fid, fault)
        if op == "create":
            return self._create(query, path.startswith("/upload/"))
        if op == "update":
            return self._update(fid, query, path.startswith("/upload/"))
        if op == "delete":
            return self._delete(fid)
        if op == "upload":
            return self._upload_chunk(query)
        self._drain()
        self._error(404, f"Not found: {method} {path}", "notFound")

    def _file(self, fid: str | None) -> _File | None:
        with self.emu._lock:
            return self.emu._files.get(fid or "")

    def _not_found(self, fid: str | None) -> None:
        self._error(404, f"File not found: {fid}.", "notFound")

    def _list(self, query: dict[str, str]) -> None:
        emu = self.emu
        try:
            clauses = parse_q(query.get("q", ""))
        except ValueError as exc:
            return self._error(400, str(exc), "invalid")
        size = int(query.get("pageSize") or 100)
        if emu.max_page_size:
            size = min(size, emu.max_page_size)
        start = int(query.get("pageToken") or 0)
        with emu._lock:
            hits = sorted((f for f in emu._files.values() if f.id != ROOT_ID and emu._matches(f, clauses)), key=lambda f: (f.created, f.id))
            page = [emu._meta(f) for f in hits[start : start + size]]
        body: dict[str, Any] = {"kind": "drive#fileList", "incompleteSearch": False, "files": page}
        if start + size < len(hits):
            body["nextPageToken"] = str(start + size)
        self._json(200, body)

    def _get(self, fid: str | None) -> None:
        f = self._file(fid)
        if f is None:
            return self._not_found(fid)
        with self.emu._lock:
            self._json(200, self.emu._meta(f))

    def _media(self, fid: str | None, fault: Fault | None) -> None:
        f = self._file(fid)
        if f is None:
            return self._not_found(fid)
        if not f.is_blob():
            return self._error(403, "Only files with binary content can be downloaded.", "fileNotDownloadable")
        size = f.size
        start, end, status = 0, size - 1, 200
        rng = self.headers.get("Range")
        headers: dict[str, str] = {}
        if rng:
            m = re.match(r"bytes=(\d+)-(\d*)$", rng.strip())
            if not m:
                return self._error(400, "Bad Range", "badRange")
            start = int(m.group(1))
            end = min(int(m.group(2)) if m.group(2) else size - 1, size - 1)
            if start >= size:
                return self._send(416, b"", {"Content-Range": f"bytes */{size}"})
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        length = end - start + 1 if size else 0
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Type", f.mime_type)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        limit = fault.after_bytes if fault and fault.kind == "reset" else None
        sent = 0
        with open(self.emu._dir / f.id, "rb") as src:
            src.seek(start)
            while sent < length:
                n = min(_BLOCK, length - sent)
                if limit is not None and sent + n > limit:
                    n = limit - sent
                    if n > 0:
                        self.wfile.write(src.read(n))
                    self._abort()
                self.wfile.write(src.read(n))
                sent += n

    def _read_body(self) -> bytes:
        return self._drain()

    def _parse_upload(self, is_upload: bool, query: dict[str, str]) -> tuple[dict[str, Any], bytes | None, str | None]:
        """Metadata and (for multipart) media of a create/update request."""
        body = self._read_body()
        ctype = self.headers.get("Content-Type", "")
        if not is_upload or query.get("uploadType") == "resumable":
            return (json.loads(body) if body.strip() else {}), None, None
        if query.get("uploadType") == "media":
            return {}, body, ctype
        m = re.search(r'boundary="?([^";]+)"?', ctype)
        if not m:
            raise ValueError("multipart upload without boundary")
        meta, media, mtype = {}, b"", None
        for part in body.split(b"--" + m.group(1).encode())[1:]:
            if part.startswith(b"--"):
                break
            part = part[2:] if part.startswith(b"\r\n") else part[1:] if part.startswith(b"\n") else part
            ends = [(i, len(sep)) for sep in (b"\r\n\r\n", b"\n\n") if (i := part.find(sep)) >= 0]
            cut, width = min(ends) if ends else (len(part), 0)
            head, data = part[:cut], part[cut + width :]
            data = data[:-2] if data.endswith(b"\r\n") else data[:-1] if data.endswith(b"\n") else data
            htext = head.decode("latin-1").lower()
            if "application/json" in htext and not meta:
                meta = json.loads(data)
            else:
                media = data
                tm = re.search(r"content-type:\s*([^\s;]+)", htext)
                mtype = tm.group(1) if tm else None
        return meta, media, mtype

    def _apply_meta(self, f: _File, meta: dict[str, Any]) -> None:
        if "name" in meta:
            f.name = meta["name"]
        if "trashed" in meta:
            f.trashed = bool(meta["trashed"])
        for key in ("properties", "appProperties"):
            if key in meta and meta[key] is not None:
                for k, v in meta[key].items():
                    if v is None:
                        f.properties.pop(k, None)
                    else:
                        if len(k.encode()) + len(str(v).encode()) > 124:
                            raise ValueError(f"The property {k} exceeds the maximum size of 124 bytes.")
                        f.properties[k] = str(v)
        f.modified = _now_iso()

    def _create(self, query: dict[str, str], is_upload: bool) -> None:
        emu = self.emu
        try:
            meta, media, mtype = self._parse_upload(is_upload, query)
        except ValueError as exc:
            return self._error(400, str(exc), "badRequest")
        parents = meta.get("parents") or [ROOT_ID]
        with emu._lock:
            for p in parents:
                if p not in emu._files:
                    return self._not_found(p)
        if query.get("uploadType") == "resumable":
            return self._start_session(meta, None)
        mime = meta.get("mimeType") or mtype or ("application/octet-stream" if media is not None else "application/octet-stream")
        with emu._lock:
            fid = emu._new_id()
            target = (meta.get("shortcutDetails") or {}).get("targetId")
            f = _File(fid, meta.get("name", "Untitled"), mime, list(parents), shortcut_target=target)
            try:
                self._apply_meta(f, {k: v for k, v in meta.items() if k in ("properties", "appProperties")})
            except ValueError as exc:
                return self._error(400, str(exc), "badRequest")
            emu._files[fid] = f
        if f.is_blob():
            emu.set_content(fid, media or b"")
        with emu._lock:
            self._json(200, emu._meta(f))

    def _update(self, fid: str | None, query: dict[str, str], is_upload: bool) -> None:
        emu = self.emu
        f = self._file(fid)
        if f is None:
            self._drain()
            return self._not_found(fid)
        try:
            meta, media, _ = self._parse_upload(is_upload, query)
        except ValueError as exc:
            return self._error(400, str(exc), "badRequest")
        with emu._lock:
            add = [p for p in query.get("addParents", "").split(",") if p]
            remove = [p for p in query.get("removeParents", "").split(",") if p]
            for p in add:
                if p not in emu._files:
                    return self._not_found(p)
            try:
                self._apply_meta(f, meta)
            except ValueError as exc:
                return self._error(400, str(exc), "badRequest")
            f.parents = [p for p in f.parents if p not in remove] + [p for p in add if p not in f.parents]
        if query.get("uploadType") == "resumable":
            return self._start_session({}, fid)
        if media is not None:
            emu.set_content(fid, media)
        with emu._lock:
            self._json(200, emu._meta(f))

    def _delete(self, fid: str | None) -> None:
        self._drain()
        with self.emu._lock:
            if self.emu._files.pop(fid or "", None) is None:
                return self._not_found(fid)
        self._send(204)

    # -- resumable uploads

    def _start_session(self, meta: dict[str, Any], file_id: str | None) -> None:
        emu = self.emu
        total = self.headers.get("X-Upload-Content-Length")
        sid = secrets.token_urlsafe(12)
        with emu._lock:
            emu._sessions[sid] = _Session(
                meta=meta,
                total=int(total) if total else None,
                path=emu._dir / f"upload-{sid}",
                file_id=file_id,
                mime_type=self.headers.get("X-Upload-Content-Type"),
            )
        emu._sessions[sid].path.write_bytes(b"")
        base = "upload/drive/v3/files" + (f"/{file_id}" if file_id else "")
        self._send(200, b"", {"Location": f"{emu.base_url}{base}?uploadType=resumable&upload_id={sid}"})

    def _session(self, query: dict[str, str]) -> _Session | None:
        with self.emu._lock:
            return self.emu._sessions.get(query.get("upload_id", ""))

    def _upload_reset(self, path: str, query: dict[str, str], after: int) -> None:
        s = self._session(query)
        n = min(after, self._length())
        data = self.rfile.read(n) if n else b""
        if s is not None:
            m = re.match(r"bytes (\d+)-(\d+)/(\d+|\*)", self.headers.get("Content-Range", ""))
            if m:
                start = int(m.group(1))
                keep = (len(data) // _UPLOAD_GRANULARITY) * _UPLOAD_GRANULARITY
                if start <= s.received and keep:
                    self._write_at(s, start, data[:keep])
        self._abort()

    def _write_at(self, s: _Session, start: int, data: bytes) -> None:
        with open(s.path, "r+b") as out:
            out.truncate(start)
            out.seek(start)
            out.write(data)
        s.received = start + len(data)

    def _upload_chunk(self, query: dict[str, str]) -> None:
        s = self._session(query)
        if s is None:
            self._drain()
            return self._error(404, "Upload session not found or expired.", "notFound")
        crange = self.headers.get("Content-Range", "")
        n = self._length()
        m = re.match(r"bytes \*/(\d+|\*)$", crange.strip())
        if m or not crange:  # status query (or an empty body)
            self._drain()
            if m and m.group(1) != "*":
                s.total = int(m.group(1))
            if s.total is not None and s.received >= s.total:
                return self._finish(s, query)
            return self._send(308, b"", {"Range": f"bytes=0-{s.received - 1}"} if s.received else {})
        m = re.match(r"bytes (\d+)-(\d+)/(\d+|\*)$", crange.strip())
        if not m:
            self._drain()
            return self._error(400, f"Bad Content-Range {crange!r}", "badContentRange")
        start, end = int(m.group(1)), int(m.group(2))
        if m.group(3) != "*":
            s.total = int(m.group(3))
        if start > s.received:
            self._drain()
            return self._error(400, f"Chunk starts at {start} but only {s.received} bytes were received.", "badContentRange")
        # Stream the chunk to disk (it can be large) instead of reading it whole.
        with open(s.path, "r+b") as out:
            out.truncate(start)
            out.seek(start)
            left = n
            while left:
                block = self.rfile.read(min(_BLOCK, left))
                if not block:
                    raise _Reset()
                out.write(block)
                left -= len(block)
        s.received = start + n
        if end + 1 != s.received:
            return self._error(400, "Content-Range does not match the body length.", "badContentRange")
        if s.total is not None and s.received >= s.total:
            return self._finish(s, query)
        self._send(308, b"", {"Range": f"bytes=0-{s.received - 1}"})

    def _finish(self, s: _Session, query: dict[str, str]) -> None:
        emu = self.emu
        with emu._lock:
            emu._sessions.pop(query.get("upload_id", ""), None)
            if s.file_id is not None:
                f = emu._files.get(s.file_id)
                if f is None:
                    return self._not_found(s.file_id)
            else:
                meta = s.meta
                fid = emu._new_id()
                f = _File(fid, meta.get("name", "Untitled"), meta.get("mimeType") or s.mime_type or "application/octet-stream", list(meta.get("parents") or [ROOT_ID]))
                try:
                    self._apply_meta(f, {k: v for k, v in meta.items() if k in ("properties", "appProperties")})
                except ValueError as exc:
                    return self._error(400, str(exc), "badRequest")
                emu._files[fid] = f
        emu.set_content(f.id, s.path, move=True)
        with emu._lock:
            self._json(200, emu._meta(f))

    # -- OAuth token endpoint

    def _token(self) -> None:
        emu = self.emu
        form = dict(urllib.parse.parse_qsl(self._drain().decode()))
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):  # client credentials may come as HTTP Basic auth instead
            import base64

            cid, _, csecret = base64.b64decode(auth[6:]).decode().partition(":")
            form.setdefault("client_id", urllib.parse.unquote_plus(cid))
            form.setdefault("client_secret", urllib.parse.unquote_plus(csecret))
        if form.get("client_id") != emu.client_id or form.get("client_secret") != emu.client_secret:
            return self._json(401, {"error": "invalid_client", "error_description": "The OAuth client was not found."})
        grant = form.get("grant_type")
        if grant == "refresh_token":
            with emu._lock:
                ok = form.get("refresh_token") in emu.refresh_tokens
            if not ok:
                return self._json(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
            token = emu._new_access_token(emu.token_lifetime)
            return self._json(200, {"access_token": token, "expires_in": int(emu.token_lifetime), "scope": "https://www.googleapis.com/auth/drive", "token_type": "Bearer"})
        if grant == "authorization_code":
            with emu._lock:
                ok = emu.auth_codes.pop(form.get("code", ""), None) is not None
            if not ok:
                return self._json(400, {"error": "invalid_grant", "error_description": "Malformed auth code."})
            refresh = "1//emu-refresh-" + secrets.token_urlsafe(16)
            with emu._lock:
                emu.refresh_tokens[refresh] = emu.client_id
            token = emu._new_access_token(emu.token_lifetime)
            return self._json(200, {"access_token": token, "refresh_token": refresh, "expires_in": int(emu.token_lifetime), "scope": "https://www.googleapis.com/auth/drive", "token_type": "Bearer"})
        self._json(400, {"error": "unsupported_grant_type", "error_description": f"Invalid grant_type: {grant}"})
