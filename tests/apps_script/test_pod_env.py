"""The pod env Code.gs builds is one the Python worker accepts (pod_launcher.pod_env contract).

Node runs Code.gs in the fake Apps Script runtime and prints the env it would send to RunPod; the
worker's own ``apply_worker_env`` unpacks it (after RunPod resolved the secret reference) and the
settings model must load it with the values the Script Properties asked for.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from config.settings import load_settings

from pod_launcher import pod_env as worker_env  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")

SCRIPT = r"""
const { newWorld, load } = require('./apps_script/test/fake_gas.js');
const world = newWorld({ props: JSON.parse(process.argv[1]) });
const gas = load(world);
process.stdout.write(JSON.stringify(gas.buildPodEnv_(gas.readConfig_(world.props.data))));
"""


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_worker_loads_the_env_apps_script_sends(tmp_path, monkeypatch):
    props = {
        "FOLDER_ID": "1HotFolderId",
        "NAME_PREFIX": "acme-hf",
        "MAX_LIFETIME_SECONDS": "7200",
        "SETTLE_SECONDS": "45",
        "MAX_ATTEMPTS": "4",
        "DONE_FOLDER": "Hotovo",
        "HOTFOLDER_ANALYSIS__STANDARD": "iso11226",
        "HOTFOLDER_ANALYSIS__LANG": "cs",
        "HOTFOLDER_ANALYSIS__SMPLX_MODEL": 'drive:1"quoted"\nid',
        "HOTFOLDER_WORKER__IDLE_GRACE": "90",
    }
    out = subprocess.run([NODE, "-e", SCRIPT, json.dumps(props)], cwd=ROOT, capture_output=True, text=True, check=True)
    env = json.loads(out.stdout)
    assert set(env) == {"HOTFOLDER_POD_ENV_B64", "HOTFOLDER_DRIVE_TOKEN_B64"}
    assert env["HOTFOLDER_DRIVE_TOKEN_B64"] == "{{ RUNPOD_SECRET_hotfolder_drive_token }}"

    # On the pod, RunPod has replaced the reference with the secret's value: the base64 token JSON.
    token = {"token": "ya29.x", "refresh_token": "x1//r", "client_id": "c", "client_secret": "s",
             "token_uri": "https://oauth2.googleapis.com/token"}
    environ = dict(env, HOTFOLDER_DRIVE_TOKEN_B64=base64.b64encode(json.dumps(token).encode()).decode())
    worker_env.apply_worker_env(environ, scratch_dir=tmp_path)
    for key in [k for k in os.environ if k.startswith("HOTFOLDER_")]:
        monkeypatch.delenv(key)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    settings = load_settings()
    assert settings.storage.backend == "drive"
    assert settings.drive.folder_id == "1HotFolderId"
    assert settings.drive.settle_seconds == 45
    assert settings.drive.max_attempts == 4
    assert settings.drive.done_folder == "Hotovo"
    assert settings.launcher.name_prefix == "acme-hf"
    assert settings.launcher.max_lifetime == 7200
    assert settings.analysis.standard == "iso11226"
    assert settings.analysis.lang == "cs"
    assert settings.analysis.smplx_model == 'drive:1"quoted"\nid'
    assert settings.worker.idle_grace == 90
    token_file = Path(settings.drive.token_file)
    assert json.loads(token_file.read_text()) == token
    assert token_file.stat().st_mode & 0o777 == 0o600
