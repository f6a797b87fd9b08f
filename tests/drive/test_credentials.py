"""Token loading, refresh through the emulated token endpoint, write-back, and re-auth messages."""

from __future__ import annotations

import json
import logging
import stat

import pytest

from config.logs import secret_filter
from config.settings import load_settings
from drive.credentials import AuthError, load_credentials
from drive.drive_store import DriveStore
from tests.support.drive_setup import FAST_BACKOFF


def settings_for(emu, token):
    return load_settings(None, storage={"backend": "drive"}, drive=emu.drive_settings(token))


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_expired_token_is_refreshed_and_written_back_0600(drive_emulator, tmp_path):
    token = tmp_path / "tok.json"
    old = drive_emulator.write_token(token, expired=True)
    creds = load_credentials(settings_for(drive_emulator, token).drive)
    saved = json.loads(token.read_text())
    assert saved["token"] == creds.token != old["token"]
    assert saved["refresh_token"] == old["refresh_token"]
    assert saved["token_uri"] == drive_emulator.token_uri
    assert mode(token) == 0o600
    assert drive_emulator.request_count("token") == 1
    assert [p.name for p in tmp_path.iterdir()] == ["tok.json"]  # no temp file left behind


def test_token_expired_on_the_server_is_refreshed_after_a_401(drive_emulator, tmp_path):
    token = tmp_path / "tok.json"
    drive_emulator.write_token(token)
    settings = settings_for(drive_emulator, token)
    store = DriveStore(settings, backoff=FAST_BACKOFF)
    vid = drive_emulator.add_file("a.mp4", b"1")
    assert [v.id for v in store.list_videos()] == [vid]
    before = json.loads(token.read_text())["token"]
    drive_emulator.expire_access_tokens()  # the client still believes its token is valid
    assert [v.id for v in store.list_videos()] == [vid]
    after = json.loads(token.read_text())["token"]
    assert after != before and mode(token) == 0o600
    assert drive_emulator.request_count("token") == 1


def test_revoked_refresh_token_gives_one_clear_message(drive_emulator, tmp_path):
    token = tmp_path / "tok.json"
    drive_emulator.write_token(token, expired=True)
    drive_emulator.revoke()
    with pytest.raises(AuthError) as err:
        load_credentials(settings_for(drive_emulator, token).drive)
    msg = str(err.value)
    assert "run `hotfolder auth" in msg and "invalid_grant" in msg and str(token) in msg
    assert "\n" not in msg


def test_revoked_while_running_is_not_retried(drive_emulator, tmp_path):
    token = tmp_path / "tok.json"
    drive_emulator.write_token(token)
    store = DriveStore(settings_for(drive_emulator, token), backoff=FAST_BACKOFF)
    store.list_videos()
    drive_emulator.revoke()
    drive_emulator.reset_counts()
    with pytest.raises(AuthError, match="hotfolder auth"):
        store.list_videos()
    assert drive_emulator.request_count("token") == 1


def test_missing_or_garbled_token_file(drive_emulator, tmp_path):
    settings = settings_for(drive_emulator, tmp_path / "nope.json")
    with pytest.raises(AuthError, match="is missing.*hotfolder auth"):
        load_credentials(settings.drive)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(AuthError, match="could not be read"):
        load_credentials(settings_for(drive_emulator, bad).drive)
    bad.write_text(json.dumps({"token": "x"}))
    with pytest.raises(AuthError, match="not a valid token"):
        load_credentials(settings_for(drive_emulator, bad).drive)


def test_tokens_are_masked_in_logs(drive_emulator, tmp_path, capsys):
    token = tmp_path / "tok.json"
    drive_emulator.write_token(token, expired=True)
    creds = load_credentials(settings_for(drive_emulator, token).drive)
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "token %s refresh %s", (creds.token, creds.refresh_token), None)
    secret_filter().filter(record)
    assert creds.token not in record.getMessage() and creds.refresh_token not in record.getMessage()


# -- service account on a shared drive ---------------------------------------------------------------

SA = "hotfolder@acme-ergo.iam.gserviceaccount.com"


def shared_drive_settings(emu, tmp_path, key):
    """A hot folder on a shared drive ("SD1") whose only member besides the owner is the service account."""
    folder = emu.add_folder("Ergo hot folder", drive_id="SD1")
    emu.share(folder, SA)
    vid = emu.add_file("station 1.mp4", b"v" * 100, parent=folder)
    drive = emu.drive_settings(tmp_path / "no-user-token.json", folder_id=folder, service_account_file=str(key))
    return load_settings(None, storage={"backend": "drive"}, drive=drive), vid


def test_service_account_key_on_a_shared_drive_no_consent_no_user_token(drive_emulator, tmp_path):
    key = tmp_path / "sa.json"
    info = drive_emulator.write_service_account_key(key, SA)
    settings, vid = shared_drive_settings(drive_emulator, tmp_path, key)
    creds = load_credentials(settings.drive)
    assert creds.service_account_email == SA and creds.token and drive_emulator.account_of(creds.token) == SA
    assert drive_emulator.jwt_grants == 1 and drive_emulator.refresh_tokens == {}
    store = DriveStore(settings, backoff=FAST_BACKOFF)
    assert [v.id for v in store.list_videos()] == [vid]
    assert not (tmp_path / "no-user-token.json").exists()  # nothing written back: the key is the credential
    # The private key never reaches a log line.
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "key %s", (info["private_key"],), None)
    secret_filter().filter(record)
    assert "PRIVATE KEY" not in record.getMessage()


def test_service_account_key_as_a_pods_token_file(drive_emulator, tmp_path):
    """A pod receives the key where a user token would be (HOTFOLDER_DRIVE_TOKEN_B64 -> token file)."""
    key = tmp_path / "drive-token.json"
    drive_emulator.write_service_account_key(key, SA)
    settings, vid = shared_drive_settings(drive_emulator, tmp_path, key)
    pod = load_settings(None, storage={"backend": "drive"},
                        drive={**settings.drive.model_dump(mode="json"), "service_account_file": None, "token_file": str(key)})
    assert [v.id for v in DriveStore(pod, backoff=FAST_BACKOFF).list_videos()] == [vid]


def test_service_account_key_readable_by_others_or_revoked(drive_emulator, tmp_path):
    key = tmp_path / "sa.json"
    drive_emulator.write_service_account_key(key, SA, mode=0o644)
    settings, _ = shared_drive_settings(drive_emulator, tmp_path, key)
    with pytest.raises(AuthError, match="readable by other users.*chmod 600"):
        load_credentials(settings.drive)
    key.chmod(0o600)
    drive_emulator.service_accounts.clear()  # the key was deleted in the Cloud console
    with pytest.raises(AuthError) as err:
        load_credentials(settings.drive)
    assert "refused the service-account key" in str(err.value) and "invalid_grant" in str(err.value)
