"""Code.gs asks RunPod for the same pod as pod_launcher.runpod_launcher does.

Node runs Code.gs in the fake Apps Script runtime and hands back the GraphQL text it posted; the Python
launcher, given the equivalent settings and the same env, builds its mutation (``RunpodLauncher._create``,
the RunPod call itself replaced by a recorder). Both are parsed; the operation and the ``input`` objects
must be equal: CPU pods by default, GPU pods with a body model (minimums, CUDA versions), data centres
and countries, registry auth, interruptible pods. The defaults of Code.gs's Script Properties are the
defaults of ``RunpodSettings``. graphql-core, when installed, also checks that Code.gs's text is valid
GraphQL (a real parser, not the fake's).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from config import load_settings
from config.settings import RunpodSettings
from pod_launcher.pod_env import POD_ENV_VAR, decode_env
from pod_launcher.runpod_launcher import RunpodLauncher, _literal

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")

CAPTURE = r"""
const { newWorld, load, parseGqlValue, CREATE_OPS } = require('./apps_script/test/fake_gas.js');
const extra = JSON.parse(process.argv[1] || '{}');
const world = newWorld({ props: { SETTLE_SECONDS: '0', ...extra } });
if (extra.RUNPOD_CONTAINER_REGISTRY_AUTH_ID) world.runpod.registryAuths.add(extra.RUNPOD_CONTAINER_REGISTRY_AUTH_ID);
world.drive.addFile({ parent: world.hot, name: 'v.mp4' });
world.runpod.addPod({ name: 'hotfolder-worker-stale', ageS: 999999 }); // reaped first: a podTerminate too
load(world).onTrigger();
const deploy = world.runpod.requests.find((r) => CREATE_OPS.includes(r.op));
const input = (q) => parseGqlValue(q, q.indexOf('input:') + 'input:'.length);
const ours = JSON.parse(deploy.payload).query;
const all = world.runpod.requests.map((r) => JSON.parse(r.payload).query);
process.stdout.write(JSON.stringify({ all, op: deploy.op, query: ours, ours: input(ours), pod: world.runpod.pods[0] && { name: world.runpod.pods[0].name, env: world.runpod.pods[0].env } }));
"""

PARSE = r"""
const { parseGqlValue } = require('./apps_script/test/fake_gas.js');
const q = process.argv[1];
process.stdout.write(JSON.stringify(parseGqlValue(q, q.indexOf('input:') + 'input:'.length)));
"""


def _node(script: str, arg: str) -> dict:
    out = subprocess.run([NODE, "-e", script, arg], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def _python_mutation(monkeypatch, settings, env: dict[str, str]) -> tuple[str, str]:
    """The (operation, GraphQL text) pod_launcher sends for ``settings`` and ``env``."""
    sent: list[tuple[str, dict]] = []

    def call(self, fn, *args, **kwargs):
        if fn == "_deploy":
            sent.append(args)
            return {"id": "pod-py"}
        if fn == "get_gpu":
            return {"id": args[0], "lowestPrice": {"minimumBidPrice": 0.35}}  # as Code.gs's fake RunPod answers
        return None

    monkeypatch.setattr(RunpodLauncher, "_call", call)
    RunpodLauncher(settings).launch(env)
    mutation, fields = sent[-1]
    return mutation, f"mutation {{ {mutation}(input: {_literal(fields)}) {{ id }} }}"


def _comparable(value: dict, name: str) -> dict:
    """The input with the random pod name fixed and the packed env decoded (its JSON spacing may differ)."""
    env = {e["key"]: e["value"] for e in value.pop("env")}
    env[POD_ENV_VAR] = decode_env(env[POD_ENV_VAR])
    return {**value, "name": name, "env": env}


BASE = {"api_key": "rpa_TESTKEY_0123456789", "image": "ghcr.io/acme/hotfolder:1.0"}
CASES = {
    # Script Properties -> the same settings for pod_launcher
    "defaults: CPU pod": ({}, {"runpod": BASE}),
    "body model: GPU pod, data centre, registry auth, disk": (
        {"HOTFOLDER_ANALYSIS__SMPLX_MODEL": 'a "quoted" {brace}\nvalue', "RUNPOD_DATA_CENTER_IDS": "EU-RO-1,EU-SE-1",
         "RUNPOD_CONTAINER_REGISTRY_AUTH_ID": "cr_acme_ghcr", "RUNPOD_CONTAINER_DISK_GB": "40"},
        {"analysis": {"smplx_model": 'a "quoted" {brace}\nvalue'},
         "runpod": {**BASE, "data_center_ids": ["EU-RO-1", "EU-SE-1"], "container_registry_auth_id": "cr_acme_ghcr",
                    "container_disk_gb": 40}}),
    "interruptible GPU pod in a country, own minimums and CUDA": (
        {"RUNPOD_POD_KIND": "gpu", "RUNPOD_INTERRUPTIBLE": "true", "RUNPOD_COUNTRY_CODES": "cz", "RUNPOD_GPU_MIN_VCPUS": "12",
         "RUNPOD_GPU_MIN_MEMORY_GB": "24", "RUNPOD_ALLOWED_CUDA_VERSIONS": "13.1,13.2", "RUNPOD_CLOUD_TYPE": "ALL"},
        {"runpod": {**BASE, "pod_kind": "gpu", "interruptible": True, "country_codes": ["cz"], "gpu_min_vcpus": 12,
                    "gpu_min_memory_gb": 24, "allowed_cuda_versions": ["13.1", "13.2"], "cloud_type": "ALL"}}),
    "CPU pod with a country, a set bid ignored": (
        {"RUNPOD_COUNTRY_CODES": "RO", "RUNPOD_INTERRUPTIBLE": "true", "RUNPOD_BID_PER_GPU": "0.2"},
        {"runpod": {**BASE, "country_codes": ["RO"], "interruptible": True, "bid_per_gpu": 0.2}}),
}


@pytest.mark.skipif(NODE is None, reason="node is not installed")
@pytest.mark.parametrize("case", list(CASES))
def test_deploy_input_equals_pod_launcher_s_for_the_same_settings(case, monkeypatch):
    props, settings = CASES[case]
    got = _node(CAPTURE, json.dumps(props))
    pod = got["pod"]
    assert pod, "Code.gs launched no pod"
    mutation, text = _python_mutation(monkeypatch, load_settings(**settings), pod["env"])
    assert got["op"] == mutation
    assert _comparable(got["ours"], "n") == _comparable(_node(PARSE, text), "n")


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_script_property_defaults_are_pod_launcher_s_defaults():
    script = r"""
const { newWorld, load } = require('./apps_script/test/fake_gas.js');
const world = newWorld();
process.stdout.write(JSON.stringify(load(world).readConfig_(world.props.data)));
"""
    cfg = _node(script, "")
    rp = RunpodSettings()
    assert cfg["podKindSetting"] == rp.pod_kind and cfg["podKind"] == "cpu"
    assert cfg["cpuInstanceIds"] == rp.cpu_instance_ids
    assert [cfg["cpuMinVcpus"], cfg["cpuMinMemoryGb"]] == [rp.cpu_min_vcpus, rp.cpu_min_memory_gb]
    assert cfg["gpuTypes"] == rp.gpu_types
    assert [cfg["gpuMinVcpus"], cfg["gpuMinMemoryGb"]] == [rp.gpu_min_vcpus, rp.gpu_min_memory_gb]
    assert cfg["allowedCudaVersions"] == rp.allowed_cuda_versions
    assert cfg["cloudType"] == rp.cloud_type == "SECURE"
    assert cfg["dataCenterIds"] == rp.data_center_ids and cfg["countryCodes"] == rp.country_codes
    assert cfg["registryAuthId"] == rp.container_registry_auth_id
    assert cfg["containerDiskGb"] == rp.container_disk_gb and cfg["retryAfterMs"] == rp.retry_after * 1000
    assert [cfg["interruptible"], cfg["bidPerGpu"], cfg["interruptibleFallback"]] == [
        rp.interruptible, rp.bid_per_gpu, rp.interruptible_fallback]
    assert cfg["allowPlainTokenEnv"] is rp.allow_plain_token_env is False


@pytest.mark.skipif(NODE is None, reason="node is not installed")
@pytest.mark.parametrize("case", list(CASES))
def test_code_gs_mutation_is_valid_graphql(case):
    graphql = pytest.importorskip("graphql", reason="graphql-core not installed")
    got = _node(CAPTURE, json.dumps(CASES[case][0]))
    doc = graphql.parse(got["query"])
    field = doc.definitions[0].selection_set.selections[0]
    assert field.name.value == got["op"]
    value = graphql.utilities.value_from_ast_untyped(field.arguments[0].value)
    value["cloudType"] = {"enum": value["cloudType"]}  # the fake's parser marks enums
    assert value == got["ours"]
    # The list query, the terminate mutation and the bid query are valid too.
    ops = [graphql.parse(q).definitions[0].selection_set.selections[0].name.value for q in got["all"]]
    assert ops[:2] == ["myself", "podTerminate"] and ops[-1] == got["op"]
    assert set(ops[2:-1]) <= {"gpuTypes"}
