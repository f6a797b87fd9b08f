"""Code.gs asks RunPod for the same pod as pod_launcher does through the runpod SDK.

Node runs Code.gs in the fake Apps Script runtime and hands back the GraphQL text it posted; the SDK's
own mutation generator builds the text for the same arguments pod_launcher.runpod_launcher passes
(``create_pod(..., gpu_count=1, volume_in_gb=0, support_public_ip=False, start_ssh=False)``). Both are
parsed and their ``input`` objects must be equal. graphql-core, when installed, also checks that
Code.gs's text is valid GraphQL (a real parser, not the fake's).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from runpod.api.mutations.pods import generate_pod_deployment_mutation

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")

CAPTURE = r"""
const { newWorld, load, parseGqlValue } = require('./apps_script/test/fake_gas.js');
const world = newWorld({ props: { SETTLE_SECONDS: '0', RUNPOD_CONTAINER_DISK_GB: '40', RUNPOD_CLOUD_TYPE: 'SECURE',
  HOTFOLDER_ANALYSIS__SMPLX_MODEL: 'a "quoted" {brace}\nvalue' } });
world.drive.addFile({ parent: world.hot, name: 'v.mp4' });
world.runpod.addPod({ name: 'hotfolder-worker-stale', ageS: 999999 }); // reaped first: a podTerminate too
load(world).onTrigger();
const deploy = world.runpod.requests.find((r) => /podFindAndDeployOnDemand/.test(r.payload));
const input = (q) => parseGqlValue(q, q.indexOf('input:') + 'input:'.length);
const ours = JSON.parse(deploy.payload).query;
const all = world.runpod.requests.map((r) => JSON.parse(r.payload).query);
process.stdout.write(JSON.stringify({ all, query: ours, ours: input(ours), pod: world.runpod.pods[0] && { name: world.runpod.pods[0].name, env: world.runpod.pods[0].env } }));
"""

PARSE = r"""
const { parseGqlValue } = require('./apps_script/test/fake_gas.js');
const q = process.argv[1];
process.stdout.write(JSON.stringify(parseGqlValue(q, q.indexOf('input:') + 'input:'.length)));
"""


def _node(script: str, arg: str) -> dict:
    out = subprocess.run([NODE, "-e", script, arg], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_deploy_input_equals_the_sdk_mutation_for_the_same_pod():
    got = _node(CAPTURE, "")
    pod = got["pod"]
    assert pod, "Code.gs launched no pod"
    # The SDK interpolates env values unescaped; the packed values are base64 and the secret reference
    # has no quotes, so the SDK text stays valid for exactly this env.
    sdk_text = generate_pod_deployment_mutation(
        name=pod["name"],
        image_name="ghcr.io/acme/hotfolder:1.0",
        gpu_type_id="NVIDIA GeForce RTX 4090",
        cloud_type="SECURE",
        support_public_ip=False,
        start_ssh=False,
        gpu_count=1,
        volume_in_gb=0,
        container_disk_in_gb=40,
        min_vcpu_count=1,
        min_memory_in_gb=1,
        docker_args="",
        volume_mount_path="/runpod-volume",
        env=pod["env"],
    )
    sdk_input = _node(PARSE, sdk_text)
    assert got["ours"] == sdk_input
    assert "podFindAndDeployOnDemand" in got["query"]


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_code_gs_mutation_is_valid_graphql():
    graphql = pytest.importorskip("graphql", reason="graphql-core not installed")
    got = _node(CAPTURE, "")
    doc = graphql.parse(got["query"])
    field = doc.definitions[0].selection_set.selections[0]
    assert field.name.value == "podFindAndDeployOnDemand"
    value = graphql.utilities.value_from_ast_untyped(field.arguments[0].value)
    value["cloudType"] = {"enum": value["cloudType"]}  # the fake's parser marks enums
    assert value == got["ours"]
    # The list query and the terminate mutation are valid too.
    ops = [graphql.parse(q).definitions[0].selection_set.selections[0].name.value for q in got["all"]]
    assert ops == ["myself", "podTerminate", "podFindAndDeployOnDemand"]
