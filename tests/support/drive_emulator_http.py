"""The HTTP side of the Drive emulator: request routing, the ``q`` parser, uploads, faults, OAuth.

State and test helpers live in ``tests.support.drive_emulator``; this module only speaks HTTP.
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import struct
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from tests.support.drive_emulator import _BLOCK, _UPLOAD_GRANULARITY, ROOT_ID, Fault, RequestRecord, _File, _normal_time, _now_iso, _Session

if TYPE_CHECKING:
    from tests.support.drive_emulator import DriveEmulator


_STR = r"'((?:[^'\\]|\\.)*)'"
_CLAUSES = [
    ("parent", re.compile(rf"^{_STR}\s+in\s+parents$")),
    ("trashed", re.compile(r"^trashed\s*=\s*(true|false)$")),
    ("mime", re.compile(rf"^mimeType\s*(!?=)\s*{_STR}$")),
    ("name", re.compile(rf"^name\s*=\s*{_STR}$")),
    ("prop", re.compile(rf"^properties\s+has\s+\{{\s*key\s*=\s*{_STR}\s+and\s+value\s*=\s*{_STR}\s*\}}$")),
    ("modified", re.compile(rf"^modifiedTime\s*(>=|<=|>|<|=)\s*{_STR}$")),
]


def _split_top(q: str, word: str) -> list[str]:
    """``q`` split on `` <word> `` outside quotes, braces and parentheses."""
    parts, buf, quote, depth, i = [], "", False, 0, 0
    sep = f" {word} "
    while i < len(q):
        c = q[i]
        if c == "\\" and quote:
            buf += q[i : i + 2]
            i += 2
            continue
        if c == "'":
            quote = not quote
        elif not quote and c in "{(":
            depth += 1
        elif not quote and c in "})":
            depth -= 1
        if not quote and depth == 0 and q[i : i + len(sep)].lower() == sep:
            parts.append(buf)
            buf, i = "", i + len(sep)
            continue
        buf += c
        i += 1
    parts.append(buf)
    return parts


def _unescape(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s)


def parse_q(q: str) -> list[tuple]:
    """The supported ``q`` subset; anything else raises ValueError (answered with 400).

    Clauses joined by ``and``; a parenthesised group of clauses joined by ``or`` is one clause
    (``("any", [[clause], ...])``)."""
    parts = _split_top(q, "and")
    clauses = []
    for part in (p.strip() for p in parts):
        if part.startswith("(") and part.endswith(")"):
            clauses.append(("any", [parse_q(alt.strip()) for alt in _split_top(part[1:-1].strip(), "or")]))
            continue
        for kind, rx in _CLAUSES:
            m = rx.match(part)
            if m:
                if kind == "trashed":
                    clauses.append((kind, m.group(1) == "true"))
                elif kind in ("mime", "modified"):
                    clauses.append((kind, m.group(1), _unescape(m.group(2))))
                else:
                    clauses.append((kind, *(_unescape(g) for g in m.groups())))
                break
        else:
            raise ValueError(f"unsupported query clause: {part!r}")
    return clauses


class _Reset(Exception):
    """Raised inside a handler after the connection was aborted on purpose."""


class Handler(BaseHTTPRequestHandler):
    emu: DriveEmulator
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header from the emulated server's clock (``DriveEmulator.clock_offset``: a skewed server).
        return super().date_time_string((time.time() if timestamp is None else timestamp) + self.emu.clock_offset)

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
            if f is not None and op not in ("token", "upload") and not self.emu.visible(f, self.account):
                self._drain()  # another account's file: Drive answers 404, not 403
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

    account: str | None = None  # who the request's token belongs to (None: the owner)

    def _authorized(self) -> bool:
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return False
        self.account = self.emu.account_of(auth[7:])
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
            hits = sorted((f for f in emu._files.values() if f.id != ROOT_ID and emu._matches(f, clauses)
                           and emu.visible(f, self.account)), key=lambda f: (f.created, f.id))
            page = [emu._meta(f, self.account) for f in hits[start : start + size]]
        body: dict[str, Any] = {"kind": "drive#fileList", "incompleteSearch": False, "files": page}
        if start + size < len(hits):
            body["nextPageToken"] = str(start + size)
        self._json(200, body)

    def _get(self, fid: str | None) -> None:
        f = self._file(fid)
        if f is None:
            return self._not_found(fid)
        with self.emu._lock:
            self._json(200, self.emu._meta(f, self.account))

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
        # modifiedTime moves with content and renames only. (Google documents that updates "might"
        # change it automatically; code must not rely on it staying put or on it moving.)
        if "name" in meta and meta["name"] != f.name:
            f.name = meta["name"]
            f.modified = _now_iso()
        if "trashed" in meta:
            f.trashed = bool(meta["trashed"])
        if meta.get("modifiedTime"):  # writable on Drive: the caller sets when it changed
            f.modified = _normal_time(meta["modifiedTime"])
        for key in ("properties", "appProperties"):
            if key in meta and meta[key] is not None:
                for k, v in meta[key].items():
                    if v is None:
                        f.properties.pop(k, None)
                    else:
                        if len(k.encode()) + len(str(v).encode()) > 124:
                            raise ValueError(f"The property {k} exceeds the maximum size of 124 bytes.")
                        f.properties[k] = str(v)

    def _create(self, query: dict[str, str], is_upload: bool) -> None:
        emu = self.emu
        try:
            meta, media, mtype = self._parse_upload(is_upload, query)
        except ValueError as exc:
            return self._error(400, str(exc), "badRequest")
        parents = meta.get("parents") or [ROOT_ID]
        with emu._lock:
            for p in parents:
                if p not in emu._files or not emu.visible(emu._files[p], self.account):
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
            self._json(200, emu._meta(f, self.account))

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
                if p not in emu._files or not emu.visible(emu._files[p], self.account):
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
            self._json(200, emu._meta(f, self.account))

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
            self._json(200, emu._meta(f, self.account))

    # -- OAuth token endpoint

    def _token(self) -> None:
        emu = self.emu
        form = dict(urllib.parse.parse_qsl(self._drain().decode()))
        if form.get("grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return self._json(*emu.jwt_grant(form.get("assertion", "")))  # a service account's signed JWT
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
            with emu._lock:  # a refreshed token acts for the same account
                account = emu.token_accounts.get(form.get("refresh_token", ""))
                if account is not None:
                    emu.token_accounts[token] = account
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
