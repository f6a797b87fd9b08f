"""The Drive credential on disk: load it, refresh it, write it back (JSON, mode 0600, never pickled).

Either Google's authorized-user JSON (``Credentials.to_json()``), written by ``hotfolder auth``, or a
service-account key (``drive.service_account_file``; or a token file whose JSON has
``"type": "service_account"``, as a pod receives it): google-auth's service-account credentials sign a
JWT for an access token, with no consent screen and no personal token; the hot folder then lives on a
shared drive the service account is a member of. User-token refreshes happen either here (an expired
token at load) or inside the HTTP transport on a 401; both go through :class:`StoredCredentials.refresh`,
which persists the new access token.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from google.auth.exceptions import RefreshError, TransportError
from google.oauth2 import service_account
from google.oauth2.credentials import Credentials

from config.logs import secret_filter
from config.settings import GOOGLE_TOKEN_URI, DriveSettings
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


class ServiceAccountCredentials(service_account.Credentials):
    """A service account's credentials; a refused JWT grant becomes one clear :class:`AuthError`."""

    _key_file: Path | None = None

    def refresh(self, request: Any) -> None:
        try:
            super().refresh(request)
        except RefreshError as exc:
            where = self._key_file or Path("service-account key from the environment")
            raise AuthError(
                f"Google refused the service-account key {where} ({self.service_account_email}): {_reason(exc)}; "
                "check that the key is not deleted or disabled in the Google Cloud console"
            ) from exc
        if self.token:
            secret_filter().add(self.token)


def load_credentials(settings: DriveSettings, refresh: bool = True) -> StoredCredentials | ServiceAccountCredentials:
    """The stored credential, with ``settings.token_uri`` applied; refreshed now if known to be expired.

    ``drive.service_account_file`` set: that service-account key (mode 0600 required). Otherwise the
    token file, which may also hold a service-account key (a pod's credential). Raises
    :class:`AuthError` (one sentence) if the file is missing, unreadable or open to other users, or
    Google refuses it (``invalid_grant``).
    """
    if settings.service_account_file:
        path = Path(settings.service_account_file).expanduser()
        return service_account_from_info(_read_key(path), settings, key_file=path, refresh=refresh)
    path = Path(settings.token_file).expanduser()
    try:
        info = json.loads(path.read_text())
    except FileNotFoundError:
        raise AuthError(reauth_message(path, "is missing")) from None
    except (OSError, ValueError) as exc:
        raise AuthError(reauth_message(path, f"could not be read: {exc}")) from None
    if isinstance(info, dict) and info.get("type") == "service_account":
        return service_account_from_info(info, settings, key_file=path, refresh=refresh)
    return credentials_from_info(info, settings, token_file=path, refresh=refresh)


def _read_key(path: Path) -> dict[str, Any]:
    try:
        mode = path.stat().st_mode & 0o777
        info = json.loads(path.read_text())
    except FileNotFoundError:
        raise AuthError(f"the service-account key {path} (drive.service_account_file) is missing") from None
    except (OSError, ValueError) as exc:
        raise AuthError(f"the service-account key {path} could not be read: {exc}") from None
    if mode & 0o077:
        raise AuthError(f"the service-account key {path} is readable by other users (mode {mode:o}); run `chmod 600 {path}`")
    return info


def service_account_from_info(info: dict[str, Any], settings: DriveSettings, key_file: Path | None = None,
                              refresh: bool = True) -> ServiceAccountCredentials:
    """Service-account credentials for the Drive scope, signing their JWTs for ``settings.token_uri``
    when it is not Google's default (an emulator), else for the key's own ``token_uri``."""
    where = key_file or Path("service-account key from the environment")
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise AuthError(f"{where} is not a Google service-account key (JSON with \"type\": \"service_account\")")
    if isinstance(info.get("private_key"), str):
        secret_filter().add(info["private_key"])
    try:
        creds = ServiceAccountCredentials.from_service_account_info(info, scopes=SCOPES)
    except (ValueError, KeyError) as exc:
        raise AuthError(f"{where} is not a valid service-account key: {exc}") from None
    if settings.token_uri and settings.token_uri != GOOGLE_TOKEN_URI:
        creds = creds.with_token_uri(settings.token_uri)
    creds._key_file = key_file
    if refresh:
        refresh_now(creds)
    return creds


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
