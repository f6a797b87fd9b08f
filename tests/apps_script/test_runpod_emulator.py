"""Code.gs against the project's RunPod emulator (real GraphQL parsing and execution, graphql-core).

Node runs Code.gs in the fake Apps Script runtime, but UrlFetchApp makes real HTTP requests to
``tests.support.runpod_emulator``. The pod's command stands in for ``hotfolder work``: it unpacks its
env with the worker's own ``apply_worker_env`` and writes what it got. Shows: GPU fallback on the
emulator's "no instances available", the secret reference resolved by "RunPod" into a token the
worker reads, the pod env loading into the worker's settings, and the reaper terminating the pod.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.runpod_emulator import RunpodEmulator

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")

FAKE_WORKER = r"""
import json, os, sys, time
from pathlib import Path
from pod_launcher.pod_env import apply_worker_env
env = dict(os.environ)
apply_worker_env(env, scratch_dir=Path("scratch"))
token = Path(env["HOTFOLDER_DRIVE__TOKEN_FILE"]).read_text()
Path("got.json").write_text(json.dumps({"env": {k: v for k, v in env.items() if k.startswith("HOTFOLDER_")}, "token": json.loads(token)}))
time.sleep(600)
"""

DRIVE_SCRIPT = r"""
const { execFileSync } = require('node:child_process');
const { newWorld, load } = require('./apps_script/test/fake_gas.js');
const [url, key] = process.argv.slice(1);
const world = newWorld({ apiKey: key, props: { SETTLE_SECONDS: '0', RUNPOD_API_URL: url + '/graphql', MAX_LIFETIME_SECONDS: '3600',
  HOTFOLDER_ANALYSIS__STANDARD: 'en1005-4' } });
world.drive.addFile({ parent: world.hot, name: 'station 1.mp4' });
// UrlFetchApp is synchronous: each request runs in a child node process with fetch().
const FETCH = `fetch(process.argv[1], { method: 'POST', headers: JSON.parse(process.argv[2]), body: process.argv[3] })
  .then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() })))
  .catch((e) => process.stdout.write(JSON.stringify({ error: String(e) })));`;
world.runpod.handle = (u, params) => {
  const headers = { ...params.headers, 'Content-Type': params.contentType };
  const r = JSON.parse(execFileSync(process.execPath, ['-e', FETCH, u, JSON.stringify(headers), params.payload]).toString());
  if (r.error) throw new Error(r.error);
  return r;
};
const gas = load(world);
const first = gas.onTrigger();
world.clock.advance(600);
const second = gas.onTrigger();
world.clock.advance(3600);
const third = gas.onTrigger();
process.stdout.write(JSON.stringify({ first, second, third, logs: world.logs }));
"""


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_code_gs_launches_and_reaps_through_the_runpod_emulator(tmp_path):
    token = {"token": "ya29.t", "refresh_token": "x1//r", "client_id": "c", "client_secret": "s",
             "token_uri": "https://oauth2.googleapis.com/token"}
    with RunpodEmulator(tmp_path / "pods", command=[sys.executable, "-c", FAKE_WORKER], stop_grace=2) as emu:
        emu.secrets["hotfolder_drive_token"] = base64.b64encode(json.dumps(token).encode()).decode()
        emu.unavailable = {"NVIDIA GeForce RTX 4090", "NVIDIA RTX A5000"}
        out = subprocess.run([NODE, "-e", DRIVE_SCRIPT, emu.url, emu.api_key], cwd=ROOT,
                             capture_output=True, text=True, check=True, timeout=120)
        result = json.loads(out.stdout)
        first, second, third = result["first"], result["second"], result["third"]
        assert first["errors"] == [], first
        assert first["launched"]["gpu"] == "NVIDIA L4"
        assert first["launched"]["tried"] == ["NVIDIA GeForce RTX 4090", "NVIDIA RTX A5000", "NVIDIA L4"]
        assert second["launched"] is None and "a worker is alive" in second["decision"]
        assert [r["id"] for r in third["reaped"]] == [first["launched"]["id"]]

        pod = emu.terminated[first["launched"]["id"]]
        assert pod.name.startswith("hotfolder-worker-") and pod.terminated_by == "account"
        deadline = time.time() + 30
        got_file = pod.dir / "root" / "got.json"
        while not got_file.exists() and time.time() < deadline:
            time.sleep(0.1)
        got = json.loads(got_file.read_text())
        assert got["token"] == token
        assert got["env"]["HOTFOLDER_DRIVE__FOLDER_ID"] == "folder1"
        assert got["env"]["HOTFOLDER_STORAGE__BACKEND"] == "drive"
        assert got["env"]["HOTFOLDER_ANALYSIS__STANDARD"] == "en1005-4"
        assert got["env"]["HOTFOLDER_LAUNCHER__MAX_LIFETIME"] == "3600"
        # No request carried the key anywhere but the Authorization header, and no log line shows it.
        assert all(emu.api_key not in r.query for r in emu.requests)
        assert not any(emu.api_key in line for line in result["logs"])
        # The video is still pending after the reap (this stand-in worker processes nothing): the same
        # run starts a fresh pod, again falling back past the two unavailable GPU types.
        assert third["launched"] and third["launched"]["id"] != first["launched"]["id"]
        assert [r.op for r in emu.requests].count("podFindAndDeployOnDemand") == 6
        assert [p.id for p in emu.running_pods()] == [third["launched"]["id"]]
