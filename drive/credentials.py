"""The Drive OAuth token on disk: load it, refresh it, write it back (JSON, mode 0600, never pickled).

The token is Google's authorized-user JSON (``Credentials.to_json()``), written by ``hotfolder auth``.
Refreshes happen either here (an expired token at load) or inside the HTTP transport on a 401;
both go through :class:`StoredCredentials.refresh`, which persists the new access token.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from google.auth.exceptions import RefreshError, TransportError
from google.oauth2.credentials import Credentials

from config.logs import secret_filter
from config.settings import DriveSettings
from drive.atomic import atomic_write
from drive.storage import StorageError

log = logging.getLogger(__name__)

DRIVE_SCOPE = "https://www.googleapis.com/auth/drive"
SCOPES = [DRIVE_SCOPE]


class AuthError(StorageError):
    """The stored Drive authorization is missing, unusable or revoked; the user must re-authorize."""


def reauth_message(token_file: Path, why: str) -> str:
    return (
        f"Google Drive authorization {why} ({token_file}); run `hotfolder auth --client-secrets "
        f"<client_secret.json>` again to sign in."
    )


class StoredCredentials(Credentials):
    """User credentials that write themselves back to ``token_file`` after every refresh."""

    _token_file: Path | None = None
    _save_lock = threading.Lock()

    def refresh(self, request: Any) -> None:
        try:
            super().refresh(request)
        except RefreshError as exc:
            # invalid_grant: revoked, expired (7-day "Testing" consent screens), password change.
            raise AuthError(reauth_message(self._token_file or Path("?"), f"was refused by Google: {_reason(exc)}")) from exc
        _register_secrets(self)
        if self._token_file is not None:
            save_token(self, self._token_file)
            log.info("Drive access token refreshed and saved to %s", self._token_file)


def _reason(exc: RefreshError) -> str:
    args = exc.args
    if len(args) > 1 and isinstance(args[1], dict) and args[1].get("error"):
        desc = args[1].get("error_description")
        return f"{args[1]['error']}" + (f" ({desc})" if desc else "")
    return str(args[0]) if args else "refresh failed"


def _register_secrets(creds: Credentials) -> None:
    f = secret_filter()
    for value in (creds.token, creds.refresh_token, creds.client_secret):
        if value:
            f.add(value)


def load_credentials(settings: DriveSettings, refresh: bool = True) -> StoredCredentials:
    """The stored token, with ``settings.token_uri`` applied; refreshed now if known to be expired.

    Raises :class:`AuthError` (one sentence: run ``hotfolder auth``) if the file is missing or
    unreadable, or the refresh token is refused (``invalid_grant``).
    """
    path = Path(settings.token_file).expanduser()
    try:
        info = json.loads(path.read_text())
    except FileNotFoundError:
        raise AuthError(reauth_message(path, "is missing")) from None
    except (OSError, ValueError) as exc:
        raise AuthError(reauth_message(path, f"could not be read: {exc}")) from None
    return credentials_from_info(info, settings, token_file=path, refresh=refresh)


def credentials_from_info(info: dict[str, Any], settings: DriveSettings, token_file: Path | None = None, refresh: bool = True) -> StoredCredentials:
    """Credentials from the authorized-user JSON (e.g. decoded from a pod's environment)."""
    where = token_file or Path("token from the environment")
    try:
        loaded = StoredCredentials.from_authorized_user_info(info)
    except (ValueError, KeyError) as exc:
        raise AuthError(reauth_message(where, f"is not a valid token: {exc}")) from None
    # from_authorized_user_info always uses Google's token URI; with_token_uri copies without
    # ``expiry``, so put it back (otherwise an expired token is only noticed by a 401).
    creds = loaded.with_token_uri(settings.token_uri)
    creds.expiry = loaded.expiry
    creds._token_file = token_file
    _register_secrets(creds)
    if refresh and (creds.token is None or creds.expired):
        refresh_now(creds)
    return creds


def refresh_now(creds: Credentials) -> None:
    import google.auth.transport.requests

    try:
        creds.refresh(google.auth.transport.requests.Request())
    except TransportError as exc:
        raise StorageError(f"could not reach the Google token endpoint to refresh the Drive token: {exc}") from exc


def save_token(creds: Credentials, path: Path) -> None:
    """Write the authorized-user JSON atomically with mode 0600 (temp file in the same folder + rename)."""
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = creds.to_json()
    with StoredCredentials._save_lock:
        atomic_write(path, data, mode=0o600)
