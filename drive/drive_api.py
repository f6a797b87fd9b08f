"""The Drive v3 client: service built from the packaged discovery document, one Http per thread,
and retries with exponential backoff + jitter for rate limits, server errors and dropped connections.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, TypeVar

import googleapiclient
import httplib2
from google.auth.exceptions import TransportError
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from drive.storage import FileGone, StorageError

log = logging.getLogger(__name__)
T = TypeVar("T")

# Transport failures worth another try: resets, timeouts, truncated bodies, stale keep-alives.
TRANSPORT_ERRORS = (OSError, http.client.HTTPException, httplib2.HttpLib2Error, TransportError)
RATE_LIMIT_REASONS = {"userRateLimitExceeded", "rateLimitExceeded", "sharingRateLimitExceeded"}


@lru_cache(maxsize=1)
def _discovery_text() -> str:
    return (Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "drive.v3.json").read_text()


def discovery_document(api_root: str) -> dict[str, Any]:
    """The packaged Drive v3 discovery document, pointed at ``api_root`` (Google's or an emulator)."""
    doc = json.loads(_discovery_text())
    root = api_root if api_root.endswith("/") else api_root + "/"
    doc["rootUrl"] = doc["mtlsRootUrl"] = root
    doc["baseUrl"] = root + doc["servicePath"]
    return doc


@dataclass(frozen=True)
class Backoff:
    """Retry policy: up to ``attempts`` tries, waits random-exponential from ``initial`` to ``maximum``."""

    attempts: int = 8
    initial: float = 1.0
    maximum: float = 60.0

    def wait(self, failures: int) -> float:
        """Seconds to sleep before try number ``failures + 1`` (used by the chunk loops)."""
        return wait_random_exponential(multiplier=self.initial, max=self.maximum)(_State(failures))


class _State:  # the bit of tenacity's RetryCallState that its wait strategies read
    def __init__(self, attempt_number: int):
        self.attempt_number = attempt_number


def error_reason(exc: HttpError) -> str:
    try:
        body = json.loads(exc.content or b"{}")
        errors = body.get("error", {}).get("errors") or [{}]
        return errors[0].get("reason") or ""
    except (ValueError, AttributeError):
        return ""


def is_retryable(exc: BaseException) -> bool:
    from drive.credentials import AuthError

    if isinstance(exc, AuthError):
        return False
    if isinstance(exc, HttpError):
        status = exc.resp.status
        return status == 429 or status >= 500 or (status == 403 and error_reason(exc) in RATE_LIMIT_REASONS)
    return isinstance(exc, TRANSPORT_ERRORS)


def describe(exc: BaseException) -> str:
    if isinstance(exc, HttpError):
        reason = exc._get_reason() if hasattr(exc, "_get_reason") else str(exc)
        return f"Drive API error {exc.resp.status}: {reason.strip()}"
    return f"{type(exc).__name__}: {exc}"


class DriveApi:
    """Thread-safe access to a Drive v3 service: each thread gets its own authorized Http and service."""

    def __init__(self, credentials: Any, api_root: str, backoff: Backoff = Backoff(), timeout: float = 120.0):
        self.credentials = credentials
        self.api_root = api_root
        self.backoff = backoff
        self.timeout = timeout
        self._local = threading.local()

    def http(self) -> AuthorizedHttp:
        h = getattr(self._local, "http", None)
        if h is None:
            raw = httplib2.Http(timeout=self.timeout)
            # Drive answers resumable-upload chunks with 308, which is not a redirect here
            # (googleapiclient.http.build_http does the same).
            raw.redirect_codes = raw.redirect_codes - {308}
            h = AuthorizedHttp(self.credentials, http=raw)
            self._local.http = h
        return h

    def files(self) -> Any:
        svc = getattr(self._local, "service", None)
        if svc is None:
            svc = build_from_document(discovery_document(self.api_root), http=self.http())
            self._local.service = svc
        return svc.files()

    def drop_connections(self) -> None:
        """Forget this thread's keep-alive connections (after a reset they are half-dead)."""
        h = getattr(self._local, "http", None)
        if h is None:
            return
        for conn in list(h.http.connections.values()):
            try:
                conn.close()
            except OSError:
                pass
        h.http.connections.clear()

    def call(self, what: str, make: Callable[[], Any], not_found: str | None = None) -> Any:
        """Build a request with ``make()`` and execute it with retries; translate errors.

        ``not_found``: a message for :class:`FileGone` when Drive answers 404.
        """

        def once() -> Any:
            try:
                return make().execute(http=self.http(), num_retries=0)
            except TRANSPORT_ERRORS:
                self.drop_connections()
                raise

        def before_sleep(state: Any) -> None:
            log.warning("Drive %s: %s; retrying (%d)", what, describe(state.outcome.exception()), state.attempt_number)

        try:
            for attempt in Retrying(
                retry=retry_if_exception(is_retryable),
                wait=wait_random_exponential(multiplier=self.backoff.initial, max=self.backoff.maximum),
                stop=stop_after_attempt(self.backoff.attempts),
                before_sleep=before_sleep,
                reraise=True,
            ):
                with attempt:
                    return once()
        except HttpError as exc:
            if exc.resp.status == 404 and not_found is not None:
                raise FileGone(not_found) from exc
            raise StorageError(f"Drive {what} failed: {describe(exc)}") from exc
        except StorageError:
            raise
        except TRANSPORT_ERRORS as exc:
            raise StorageError(f"Drive {what} failed: network error: {describe(exc)}") from exc
        raise AssertionError("unreachable")
