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

Typical use (fixture ``drive_emulator`` in tests/conftest.py; a real store: tests/support/drive_setup.py)::

    emu.write_token(tmp_path / "token.json")            # an authorized-user token valid here
    settings = load_settings(storage={"backend": "drive"}, drive=emu.drive_settings(tmp_path / "token.json"))
    vid = emu.add_file("line 1.mp4", b"...")            # into the hot folder (emu.folder_id)
    emu.inject(status=429, op="list")                   # next files.list answers 429
    emu.inject(kind="reset", op="media", after_bytes=10_000_000)
    emu.properties(vid); emu.content(vid); emu.children(folder_id); emu.request_count("list")
    emu.expire_access_tokens(); emu.revoke()            # 401 -> refresh; invalid_grant
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import secrets
import shutil
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterable

FOLDER_MIME = "application/vnd.google-apps.folder"
SHORTCUT_MIME = "application/vnd.google-apps.shortcut"
DOC_MIME = "application/vnd.google-apps.document"
ROOT_ID = "root"
_BLOCK = 64 * 1024
_UPLOAD_GRANULARITY = 256 * 1024  # Drive persists partial chunks in multiples of this


_last_ms = 0
_clock_lock = threading.Lock()


def _normal_time(value: str) -> str:
    """An RFC 3339 time as stored here (UTC, milliseconds, Z), so times compare as text."""
    t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _now_iso() -> str:
    """RFC 3339 with milliseconds, as Drive; strictly increasing so that event order is never a tie."""
    global _last_ms
    with _clock_lock:
        _last_ms = max(int(time.time() * 1000), _last_ms + 1)
        ms = _last_ms
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


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
        self.clock_offset = 0.0  # seconds the server's Date header is ahead of this machine's clock
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
        self.shared: dict[str, set[str]] = {}  # account -> ids shared with it (see share())
        self.token_accounts: dict[str, str] = {}  # access or refresh token -> account (absent: the owner)
        self.service_accounts: dict[str, tuple[str, Any]] = {}  # key id -> (email, RSA public key)
        self.jwt_grants = 0
        self.client_id = "emu-client.apps.googleusercontent.com"
        self.client_secret = "emu-client-secret"
        self._files[ROOT_ID] = _File(ROOT_ID, "My Drive", FOLDER_MIME, [])
        self.folder_id = self.add_folder("Hot folder")
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> "DriveEmulator":
        from tests.support.drive_emulator_http import Handler

        handler = type("BoundHandler", (Handler,), {"emu": self})
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

    def issue_token(self, expired: bool = False, scopes: Iterable[str] = ("https://www.googleapis.com/auth/drive",),
                    account: str | None = None) -> dict[str, Any]:
        """An authorized-user token (``Credentials.to_json()`` layout) valid against this emulator;
        ``account``: act as a second account that sees only what was ``share``d with it."""
        refresh = "1//emu-refresh-" + secrets.token_urlsafe(16)
        access = self._new_access_token(lifetime=-60 if expired else self.token_lifetime)
        with self._lock:
            self.refresh_tokens[refresh] = self.client_id
            if account is not None:
                self.token_accounts[refresh] = self.token_accounts[access] = account
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

    def write_token(self, path: Path, expired: bool = False, account: str | None = None) -> dict[str, Any]:
        """Store a fresh authorized-user token at ``path`` (mode 0600) as ``hotfolder auth`` would."""
        info = self.issue_token(expired=expired, account=account)
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

    def _meta(self, f: _File, account: str | None = None) -> dict[str, Any]:
        parents = list(f.parents) if account is None else \
            [p for p in f.parents if p in self._files and self.visible(self._files[p], account)]
        m: dict[str, Any] = {
            "kind": "drive#file",
            "id": f.id,
            "name": f.name,
            "mimeType": f.mime_type,
            "parents": parents,
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
            if kind == "modified":
                op, value = args[0], _normal_time(args[1])
                ok = {">=": f.modified >= value, "<=": f.modified <= value, ">": f.modified > value,
                      "<": f.modified < value, "=": f.modified == value}[op]
                if not ok:
                    return False
            if kind == "any" and not any(self._matches(f, alt) for alt in args[0]):
                return False
        return True

    # ---------------------------------------------------------------- accounts (who sees what)

    def share(self, file_id: str, account: str) -> None:
        """Share ``file_id`` (a folder: with everything in it) with a second ``account``.

        Tokens from ``issue_token(account=...)`` act as that account: it sees only what was shared
        with it (and what lies inside), other files answer 404 as on Drive, and a shared item's
        parents it cannot see are left out of its metadata (Drive's "Shared with me")."""
        with self._lock:
            self.shared.setdefault(account, set()).add(file_id)

    def visible(self, f: _File, account: str | None) -> bool:
        """Whether ``account`` (None: the owner, who sees everything) can see ``f``."""
        if account is None:
            return True
        roots = self.shared.get(account, set())
        seen: set[str] = set()
        todo = [f.id]
        while todo:
            fid = todo.pop()
            if fid in roots:
                return True
            if fid in seen:
                continue
            seen.add(fid)
            g = self._files.get(fid)
            if g is not None:
                todo.extend(g.parents)
        return False

    # ---------------------------------------------------------------- service accounts (JWT grant)

    def write_service_account_key(self, path: Path, email: str = "hotfolder@acme-ergo.iam.gserviceaccount.com",
                                  mode: int = 0o600) -> dict[str, Any]:
        """A service-account key file (Google's JSON layout, token_uri = this emulator) whose JWTs the
        token endpoint accepts; its tokens act as account ``email`` (share the hot folder or add it
        to the shared drive with :meth:`share`)."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        key_id = secrets.token_hex(20)
        with self._lock:
            self.service_accounts[key_id] = (email, key.public_key())
        info = {"type": "service_account", "project_id": "acme-ergo", "private_key_id": key_id, "private_key": pem,
                "client_email": email, "client_id": "1" + secrets.token_hex(10), "token_uri": self.token_uri}  # fmt: skip
        path = Path(path)
        path.write_text(json.dumps(info))
        path.chmod(mode)
        return info

    def jwt_grant(self, assertion: str) -> tuple[int, dict[str, Any]]:
        """The token endpoint's answer to a service account's RS256-signed JWT assertion."""
        import base64

        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        def b64(part: str) -> bytes:
            return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

        bad = (400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
        try:
            head_b64, body_b64, sig_b64 = assertion.split(".")
            head, claims = json.loads(b64(head_b64)), json.loads(b64(body_b64))
            with self._lock:
                email, public = self.service_accounts[head.get("kid", "")]
            public.verify(b64(sig_b64), f"{head_b64}.{body_b64}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except (ValueError, KeyError, InvalidSignature):
            return bad
        if head.get("alg") != "RS256" or claims.get("iss") != email or claims.get("aud") not in (self.token_uri, "https://oauth2.googleapis.com/token"):
            return bad
        if not (claims.get("iat", 0) - 300 <= time.time() < claims.get("exp", 0)):
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT: Token must be a short-lived token"}
        if "https://www.googleapis.com/auth/drive" not in str(claims.get("scope", "")).split():
            return 400, {"error": "invalid_scope", "error_description": "Invalid OAuth scope."}
        token = self._new_access_token(self.token_lifetime)
        with self._lock:
            self.token_accounts[token] = email
            self.jwt_grants += 1
        return 200, {"access_token": token, "expires_in": int(self.token_lifetime), "token_type": "Bearer"}

    def account_of(self, access_token: str) -> str | None:
        with self._lock:
            return self.token_accounts.get(access_token)
