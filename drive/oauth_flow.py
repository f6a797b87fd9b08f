"""`hotfolder auth`: the one-time OAuth consent that stores the Drive token (InstalledAppFlow)."""

from __future__ import annotations

from pathlib import Path

from config.settings import DriveSettings
from drive.credentials import SCOPES, save_token, _register_secrets

PROMPT = "Open this URL in a browser and allow access to Google Drive:\n\n    {url}\n"
SSH_HINT = "(On a remote machine, forward the port first: ssh -L {port}:localhost:{port} <this host>)\n"


def authorize(
    client_secrets: Path,
    settings: DriveSettings,
    host: str = "localhost",
    port: int = 8080,
    open_browser: bool = True,
    timeout: float | None = 600.0,
) -> Path:
    """Run the consent flow on a local redirect server and save the token to ``settings.token_file``.

    The full ``drive`` scope is required: files people upload through the Drive web UI are
    invisible to the narrower ``drive.file`` scope.
    """
    from google_auth_oauthlib.flow import InstalledAppFlow

    flow = InstalledAppFlow.from_client_secrets_file(str(client_secrets), scopes=SCOPES)
    creds = flow.run_local_server(
        host=host,
        port=port,
        open_browser=open_browser,
        authorization_prompt_message=PROMPT + (SSH_HINT.replace("{port}", str(port)) if port else ""),
        success_message="hotfolder is authorized; you can close this tab.",
        timeout_seconds=timeout,
        # offline + consent: always receive a refresh token, also when re-authorizing.
        access_type="offline",
        prompt="consent",
    )
    _register_secrets(creds)
    path = Path(settings.token_file).expanduser()
    save_token(creds, path)
    return path
