"""Code.gs against the project's RunPod emulator (real GraphQL parsing and execution, graphql-core).

Node runs Code.gs in the fake Apps Script runtime, but UrlFetchApp makes real HTTP requests to
``tests.support.runpod_emulator``. The pod's command stands in for ``hotfolder work``: it unpacks its
env with the worker's own ``apply_worker_env`` and writes what it got. Shows: GPU fallback on the
emulator's "no instances available", the secret reference resolved by "RunPod" into a token the
worker reads, the pod env loading into the worker's settings, and the reaper terminating the pod; and
the pod settings shared with pod_launcher: a CPU pod by default, data centres, registry auth for a
private image, an interruptible GPU pod at RunPod's minimum bid, a plain token only when opted in.
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

WORLD = r"""
const { execFileSync } = require('node:child_process');
const { newWorld, load } = require('./apps_script/test/fake_gas.js');
const [url, key, extra] = process.argv.slice(1);
const world = newWorld({ apiKey: key, props: { SETTLE_SECONDS: '0', RUNPOD_API_URL: url + '/graphql', MAX_LIFETIME_SECONDS: '3600',
  HOTFOLDER_ANALYSIS__STANDARD: 'en1005-4', ...JSON.parse(extra || '{}') } });
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
"""

DRIVE_SCRIPT = WORLD + r"""
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
        out = subprocess.run([NODE, "-e", DRIVE_SCRIPT, emu.url, emu.api_key, json.dumps({"RUNPOD_POD_KIND": "gpu"})], cwd=ROOT,
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


ONE_RUN = WORLD + r"""
process.stdout.write(JSON.stringify({ run: gas.onTrigger(), logs: world.logs }));
"""


def _one_run(emu, props: dict) -> dict:
    out = subprocess.run([NODE, "-e", ONE_RUN, emu.url, emu.api_key, json.dumps(props)], cwd=ROOT,
                         capture_output=True, text=True, check=True, timeout=120)
    return json.loads(out.stdout)


def _token_the_worker_got(pod) -> dict:
    deadline = time.time() + 30
    got_file = pod.dir / "root" / "got.json"
    while not got_file.exists() and time.time() < deadline:
        time.sleep(0.1)
    return json.loads(got_file.read_text())["token"]


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_code_gs_pod_settings_through_the_runpod_emulator(tmp_path):
    token = {"token": "ya29.t", "refresh_token": "x1//r", "client_id": "c", "client_secret": "s"}
    token_b64 = base64.b64encode(json.dumps(token).encode()).decode()
    with RunpodEmulator(tmp_path / "pods", command=[sys.executable, "-c", FAKE_WORKER], stop_grace=1) as emu:
        emu.secrets["hotfolder_drive_token"] = token_b64
        emu.private_registries = {"ghcr.io"}
        emu.registry_auths = {"cr_acme_ghcr": "ghcr.io"}
        emu.unavailable = {"cpu5c-8-16@EU-RO-1"}

        # Defaults: a CPU pod in the secure cloud; EU data centres in order; the private image pulls.
        first = _one_run(emu, {"RUNPOD_DATA_CENTER_IDS": "EU-RO-1,EU-SE-1", "RUNPOD_CONTAINER_REGISTRY_AUTH_ID": "cr_acme_ghcr"})
        run = first["run"]
        assert run["errors"] == [], run
        assert run["launched"]["tried"] == ["cpu5c-8-16 in EU-RO-1", "cpu5c-8-16 in EU-SE-1"]
        cpu = emu.pods[run["launched"]["id"]]
        assert cpu.kind == "cpu" and cpu.extra["op"] == "deployCpuPod" and cpu.data_center == "EU-SE-1"
        assert cpu.input["cloudType"] == "SECURE" and cpu.input["instanceId"] == "cpu5c-8-16"
        assert cpu.input["containerRegistryAuthId"] == "cr_acme_ghcr" and cpu.running
        assert _token_the_worker_got(cpu) == token
        assert run["launched"]["costPerHr"] == pytest.approx(0.32)

        # A body model: an interruptible GPU pod at RunPod's minimum bid, with the minimums and CUDA versions.
        second = _one_run(emu, {"NAME_PREFIX": "hf-spot", "HOTFOLDER_ANALYSIS__SMPLX_MODEL": "drive:1Model",
                                "RUNPOD_CONTAINER_REGISTRY_AUTH_ID": "cr_acme_ghcr",
                                "RUNPOD_INTERRUPTIBLE": "true", "RUNPOD_COUNTRY_CODES": "se"})
        run = second["run"]
        assert run["errors"] == [], run
        gpu = emu.pods[run["launched"]["id"]]
        assert gpu.kind == "gpu" and gpu.interruptible and gpu.extra["op"] == "podRentInterruptable"
        assert gpu.input["bidPerGpu"] == pytest.approx(0.34) and gpu.cost_per_hr == pytest.approx(0.34)
        assert gpu.input["minVcpuCount"] == 8 and gpu.input["minMemoryInGb"] == 16
        assert gpu.input["allowedCudaVersions"] == ["13.0", "13.1", "13.2"]
        assert gpu.input["countryCode"] == "SE" and gpu.data_center == "EU-SE-1"
        assert [r.op for r in emu.requests if r.op in ("gpuTypes", *emu.CREATE_OPS)][-2:] == ["gpuTypes", "podRentInterruptable"]

        # A plain token only with the opt-in; it then reaches the worker from the env itself.
        third = _one_run(emu, {"NAME_PREFIX": "hf-plain", "RUNPOD_DRIVE_TOKEN_SECRET": "", "DRIVE_TOKEN_B64": token_b64,
                               "RUNPOD_ALLOW_PLAIN_TOKEN_ENV": "true", "RUNPOD_CONTAINER_REGISTRY_AUTH_ID": "cr_acme_ghcr"})
        plain = emu.pods[third["run"]["launched"]["id"]]
        assert [e["value"] for e in plain.input["env"] if e["key"] == "HOTFOLDER_DRIVE_TOKEN_B64"] == [token_b64]
        assert _token_the_worker_got(plain) == token
        creates_before = len(emu.creates())
        refused = subprocess.run([NODE, "-e", ONE_RUN, emu.url, emu.api_key,
                                  json.dumps({"NAME_PREFIX": "hf-refused", "RUNPOD_DRIVE_TOKEN_SECRET": "", "DRIVE_TOKEN_B64": token_b64})],
                                 cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert refused.returncode != 0 and "refusing to put the Drive credential" in refused.stderr
        assert token_b64 not in refused.stderr and len(emu.creates()) == creates_before
        # No request other than the opted-in one carried the plain token.
        assert [r.op for r in emu.requests if token_b64 in r.query] == ["deployCpuPod"]
