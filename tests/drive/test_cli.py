"""`hotfolder auth`: the consent flow against the emulated OAuth server, and `auth --check`."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

from config.settings import load_settings
from drive.oauth_flow import authorize

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    full = {**os.environ, "PYTHONPATH": str(REPO), **env}
    full.pop("HOTFOLDER_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "hotfolder", *args], env=full, cwd=REPO, capture_output=True, text=True, timeout=120)


def drive_env(emu, token: Path) -> dict[str, str]:
    return {f"HOTFOLDER_DRIVE__{k.upper()}": str(v) for k, v in emu.drive_settings(token).items()}


def test_auth_check_with_revoked_token_prints_the_message_without_traceback(drive_emulator, tmp_path):
    token = tmp_path / "tok.json"
    drive_emulator.write_token(token, expired=True)
    drive_emulator.revoke()
    res = run_cli("auth", "--check", env=drive_env(drive_emulator, token))
    assert res.returncode == 1
    assert "Traceback" not in res.stderr
    assert "run `hotfolder auth --client-secrets" in res.stderr and "invalid_grant" in res.stderr


def test_auth_check_with_good_token(drive_emulator, tmp_path):
    token = tmp_path / "tok.json"
    drive_emulator.write_token(token, expired=True)
    drive_emulator.add_file("a.mp4", b"1")
    res = run_cli("auth", "--check", env=drive_env(drive_emulator, token))
    assert res.returncode == 0, res.stderr
    assert "1 video(s)" in res.stdout
    assert stat.S_IMODE(token.stat().st_mode) == 0o600


def test_auth_without_client_secrets_explains(tmp_path):
    res = run_cli("auth", "--client-secrets", str(tmp_path / "missing.json"), env={})
    assert res.returncode == 2 and "does not exist" in res.stderr and "Traceback" not in res.stderr


def test_consent_flow_stores_a_0600_token(drive_emulator, tmp_path, monkeypatch, capsys):
    """The user's browser is played by a thread that consents and follows the redirect."""
    secrets = tmp_path / "client_secret.json"
    secrets.write_text(json.dumps(drive_emulator.client_secrets()))
    token = tmp_path / "cfg" / "tok.json"
    settings = load_settings(None, drive=drive_emulator.drive_settings(token))
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the emulated token endpoint is plain http

    class Browser:
        def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
            assert "scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fdrive" in url and "access_type=offline" in url
            redirect = drive_emulator.approve(url)
            threading.Thread(target=lambda: urllib.request.urlopen(redirect, timeout=10).read(), daemon=True).start()
            return True

    monkeypatch.setattr("webbrowser.get", lambda *a, **k: Browser())
    path = authorize(secrets, settings.drive, host="localhost", port=0, open_browser=True, timeout=30)
    assert path == token
    saved = json.loads(token.read_text())
    assert saved["refresh_token"].startswith("1//emu-refresh-") and saved["scopes"] == ["https://www.googleapis.com/auth/drive"]
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert "Open this URL" in capsys.readouterr().out
