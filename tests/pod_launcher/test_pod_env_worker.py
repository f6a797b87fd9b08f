"""build_worker_env / apply_worker_env: settings and the Drive token travel to the worker intact."""

import base64
import json
import os
import stat

import pytest

from config import load_settings
from config.logs import secret_filter
from pod_launcher.pod_env import POD_ENV_VAR, TOKEN_VAR, decode_env
from pod_launcher.pod_env import WorkerEnvError, apply_worker_env, build_worker_env, worker_identity

TOKEN = json.dumps({"token": "ya29.a0-access", "refresh_token": "x1//0g-refresh-token", "client_id": "cid",
                    "client_secret": "GOCSPX-client-secret", "token_uri": "https://oauth2.googleapis.com/token"})


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith("HOTFOLDER_"):
            monkeypatch.delenv(key)


def drive_settings(tmp_path, **over):
    return load_settings(
        storage={"backend": "drive"},
        drive={"folder_id": 'F"1\n', "api_root": "http://127.0.0.1:8123/", "token_uri": "http://127.0.0.1:8123/token",
               "lease_seconds": 420, "max_attempts": 5},
        analysis={"quality": "fast", "preview": True, "camera_pitch_deg": 12.5, "smplx_model": "drive:abc"},
        worker={"idle_grace": 7, "heartbeat": 3},
        launcher={"backend": "runpod", "max_lifetime": 999, "name_prefix": "hf-x"},
        **over,
    )  # fmt: skip


def test_round_trip_reproduces_the_settings(tmp_path, monkeypatch):
    settings = drive_settings(tmp_path, runpod={"allow_plain_token_env": True})
    env = build_worker_env(settings, TOKEN)
    assert set(env) == {POD_ENV_VAR, TOKEN_VAR}
    packed = decode_env(env[POD_ENV_VAR])
    assert "HOTFOLDER_RUNPOD__API_KEY" not in packed and not any(k.startswith("HOTFOLDER_MAIL") for k in packed)

    environ = dict(env)
    apply_worker_env(environ, scratch_dir=tmp_path / "scratch")
    assert POD_ENV_VAR not in environ and TOKEN_VAR not in environ
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    got = load_settings()
    assert got.storage.backend == "drive"
    assert got.drive.folder_id == 'F"1\n' and got.drive.api_root == settings.drive.api_root
    assert got.drive.token_uri == settings.drive.token_uri and got.drive.lease_seconds == 420
    assert got.drive.max_attempts == 5 and got.launcher.max_lifetime == 999 and got.launcher.name_prefix == "hf-x"
    assert got.analysis == settings.analysis
    assert got.worker.idle_grace == 7 and got.worker.heartbeat == 3
    token_file = got.drive.token_file
    assert token_file.parent == (tmp_path / "scratch").resolve()
    assert json.loads(token_file.read_text()) == json.loads(TOKEN)
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    # Everything secret in the token is masked in log lines from now on.
    for secret in ("x1//0g-refresh-token", "GOCSPX-client-secret", env[TOKEN_VAR]):
        assert secret in secret_filter().secrets


def test_secret_reference_for_runpod_and_token_file_for_local_workers(tmp_path):
    ref = "{{ RUNPOD_SECRET_hotfolder_drive_token }}"
    env = build_worker_env(drive_settings(tmp_path, runpod={"drive_token_secret": ref}), TOKEN)
    assert env[TOKEN_VAR] == ref
    local = load_settings(storage={"backend": "drive"}, drive={"token_file": str(tmp_path / "tok.json")})
    env = build_worker_env(local, None)
    assert TOKEN_VAR not in env
    assert decode_env(env[POD_ENV_VAR])["HOTFOLDER_DRIVE__TOKEN_FILE"] == str((tmp_path / "tok.json").resolve())
    # A RunPod pod never gets the credential in plain env unless the user says so.
    with pytest.raises(WorkerEnvError, match="runpod.drive_token_secret"):
        build_worker_env(drive_settings(tmp_path), TOKEN)
    with pytest.raises(WorkerEnvError, match="needs the Drive credential"):
        build_worker_env(drive_settings(tmp_path, runpod={"allow_plain_token_env": True}), None)


def test_a_service_account_key_travels_like_a_token_and_its_private_key_is_masked(tmp_path):
    key = json.dumps({"type": "service_account", "client_email": "hf@p.iam.gserviceaccount.com",
                      "private_key": "-----BEGIN PRIVATE KEY-----\nMIIfake\n-----END PRIVATE KEY-----\n"})
    ref = "{{ RUNPOD_SECRET_hotfolder_drive_key }}"
    settings = drive_settings(tmp_path, runpod={"drive_token_secret": ref})
    settings.drive.service_account_file = tmp_path / "key.json"  # a path of the watcher's machine
    env = build_worker_env(settings, key)
    assert env[TOKEN_VAR] == ref and "HOTFOLDER_DRIVE__SERVICE_ACCOUNT_FILE" not in decode_env(env[POD_ENV_VAR])
    env = build_worker_env(drive_settings(tmp_path, runpod={"allow_plain_token_env": True}), key)
    assert json.loads(base64.b64decode(env[TOKEN_VAR])) == json.loads(key)
    assert json.loads(key)["private_key"] in secret_filter().secrets


def test_local_backend_shares_the_folder_tree_by_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = build_worker_env(load_settings(local={"root": "data"}), None)
    packed = decode_env(env[POD_ENV_VAR])
    assert packed["HOTFOLDER_LOCAL__ROOT"] == str(tmp_path / "data")
    assert packed["HOTFOLDER_WORKER__SCRATCH_DIR"] == str(tmp_path / "hotfolder-data" / "scratch")
    assert TOKEN_VAR not in env


def test_unresolved_secret_reference_and_garbage_are_clear_errors(tmp_path):
    with pytest.raises(WorkerEnvError, match="create that secret in RunPod"):
        apply_worker_env({TOKEN_VAR: "{{ RUNPOD_SECRET_missing }}"}, scratch_dir=tmp_path)
    with pytest.raises(WorkerEnvError, match="not base64"):
        apply_worker_env({TOKEN_VAR: "%%%"}, scratch_dir=tmp_path)
    with pytest.raises(WorkerEnvError, match="not JSON"):
        apply_worker_env({TOKEN_VAR: base64.b64encode(b"nope").decode()}, scratch_dir=tmp_path)
    with pytest.raises(WorkerEnvError, match=POD_ENV_VAR):
        apply_worker_env({POD_ENV_VAR: "not-base64!"}, scratch_dir=tmp_path)
    assert not (tmp_path / "drive-token.json").exists()


def test_worker_identity_prefers_the_launcher_id():
    assert worker_identity({"HOTFOLDER_WORKER_ID": "local-3", "RUNPOD_POD_ID": "p"}) == "local-3"
    assert worker_identity({"RUNPOD_POD_ID": "abc123"}) == "abc123"
    assert worker_identity({}).endswith(f"-{os.getpid()}")
