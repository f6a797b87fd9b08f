"""What the launcher asks RunPod for: pod kind and sizes, CUDA, residency, secrets, registry auth,
interruptible pods; through the real SDK's GraphQL transport against the emulator."""

import base64
import json
import logging
import sys

import pytest

from config import load_settings
from config.consistency import settings_problems
from config.settings import SettingsError
from pod_launcher.base import LaunchError, NoCapacity
from pod_launcher.factory import open_launcher
from pod_launcher.pod_env import TOKEN_VAR
from pod_launcher.runpod_launcher import RunpodLauncher, pod_kind

GPUS = ["NVIDIA GeForce RTX 4090", "NVIDIA L4"]
# A made-up token (no real account): only its shape matters.
TOKEN = json.dumps({"token": "fake-access", "refresh_token": "fake-refresh-PLAIN", "client_id": "c", "client_secret": "s"})


@pytest.fixture
def emu(runpod_emulator):
    runpod_emulator.command = [sys.executable, "-c", "import time; time.sleep(60)"]
    runpod_emulator.stop_grace = 1.0
    return runpod_emulator


def make_settings(emu, runpod=None, **over):
    rp = {"api_key": emu.api_key, "image": "ghcr.io/acme/hotfolder:1.0", "gpu_types": GPUS, **(runpod or {})}
    launcher = {"backend": "runpod", "name_prefix": "hf-dep", **over.pop("launcher", {})}
    return load_settings(launcher=launcher, runpod=rp, **over)


def sent(pod):
    return pod.input


def test_defaults_cpu_pod_with_minimums_in_the_secure_cloud(emu):
    settings = make_settings(emu)
    assert pod_kind(settings) == "cpu" and settings.runpod.cloud_type == "SECURE"
    info = RunpodLauncher(settings).launch({"A": "b"})
    [pod] = emu.all_pods()
    assert pod.kind == "cpu" and pod.extra["op"] == "deployCpuPod" and emu.ops("podFindAndDeployOnDemand") == []
    assert sent(pod)["instanceId"] == "cpu5c-8-16" and sent(pod)["cloudType"] == "SECURE"
    assert "gpuTypeId" not in sent(pod) and "templateId" not in sent(pod)  # the SDK would add runpod-ubuntu
    assert info.cost_per_hour == pytest.approx(0.32) and info.id == pod.id


def test_cpu_instance_below_the_minimums_fails_at_start(emu):
    settings = make_settings(emu, runpod={"cpu_instance_ids": ["cpu3c-2-4", "bogus"]})
    problems = settings_problems(settings)
    assert any("cpu3c-2-4 has 2 vCPUs / 4 GB, below runpod.cpu_min_vcpus = 8" in p for p in problems)
    assert any("'bogus' is not a RunPod CPU instance id" in p for p in problems)
    with pytest.raises(SettingsError, match="contradictory settings"):
        open_launcher(settings)
    with pytest.raises(LaunchError, match="below runpod.cpu_min_vcpus"):
        RunpodLauncher(settings).launch({})
    assert emu.all_pods() == []


def test_cpu_instances_in_order_when_one_has_no_capacity(emu):
    emu.unavailable = {"cpu5c-8-16"}
    RunpodLauncher(make_settings(emu)).launch({})
    [pod] = emu.all_pods()
    assert sent(pod)["instanceId"] == "cpu3c-8-16"
    assert [r.query.count("cpu5c-8-16") for r in emu.ops("deployCpuPod")] == [1, 0]


def test_body_model_means_gpu_pod_with_min_vcpus_memory_and_cuda_versions(emu):
    settings = make_settings(emu, analysis={"smplx_model": "drive:abc123"})
    assert pod_kind(settings) == "gpu"
    RunpodLauncher(settings).launch({})
    [pod] = emu.all_pods()
    s = sent(pod)
    assert pod.extra["op"] == "podFindAndDeployOnDemand" and s["gpuTypeId"] == GPUS[0] and s["gpuCount"] == 1
    assert s["minVcpuCount"] == 8 and s["minMemoryInGb"] == 16
    assert s["allowedCudaVersions"] == ["13.0", "13.1", "13.2"] and s["cloudType"] == "SECURE"
    # pod_kind overrides auto both ways
    assert pod_kind(make_settings(emu, runpod={"pod_kind": "cpu"}, analysis={"smplx_model": "x"})) == "cpu"
    assert pod_kind(make_settings(emu, runpod={"pod_kind": "gpu"})) == "gpu"


def test_data_centres_in_order_then_countries(emu):
    emu.unavailable = {"cpu5c-8-16@EU-RO-1"}
    settings = make_settings(emu, runpod={"data_center_ids": ["EU-RO-1", "EU-SE-1"], "country_codes": ["US"]})
    RunpodLauncher(settings).launch({})
    [pod] = emu.all_pods()
    assert sent(pod)["dataCenterId"] == "EU-SE-1" and pod.data_center == "EU-SE-1" and "countryCode" not in sent(pod)
    assert [r.query.count('"EU-RO-1"') for r in emu.ops("deployCpuPod")] == [1, 0]

    by_country = make_settings(emu, runpod={"country_codes": ["cz"]})
    RunpodLauncher(by_country).launch({})
    cz = next(p for p in emu.all_pods() if p is not pod)
    assert sent(cz)["countryCode"] == "CZ" and cz.data_center == "EU-CZ-1"

    emu.unavailable = {"cpu5c-8-16@EU-CZ-1", "cpu3c-8-16@EU-CZ-1", "cpu3g-8-32@EU-CZ-1"}
    with pytest.raises(NoCapacity, match="cpu5c-8-16 in CZ"):
        RunpodLauncher(by_country).launch({})  # never elsewhere


def test_no_plain_drive_credential_in_a_pod_env_by_default(emu, caplog):
    caplog.set_level(logging.INFO)
    plain = {TOKEN_VAR: base64.b64encode(TOKEN.encode()).decode()}
    drive = {"storage": {"backend": "drive"}, "drive": {"folder_id": "F1"}}
    settings = make_settings(emu, **drive)
    assert any("runpod.drive_token_secret" in p and "allow_plain_token_env" in p for p in settings_problems(settings))
    with pytest.raises(LaunchError, match="allow_plain_token_env"):
        RunpodLauncher(settings).launch(plain)
    # A secret reference travels as the reference; the launcher refuses a literal even then.
    ref = "{{ RUNPOD_SECRET_hf_drive }}"
    emu.secrets["hf_drive"] = plain[TOKEN_VAR]
    with_secret = make_settings(emu, runpod={"drive_token_secret": ref}, **drive)
    assert settings_problems(with_secret) == []
    with pytest.raises(LaunchError, match="in plain text"):
        RunpodLauncher(with_secret).launch(plain)
    RunpodLauncher(with_secret).launch({TOKEN_VAR: ref})
    # Opting in by name.
    RunpodLauncher(make_settings(emu, runpod={"allow_plain_token_env": True}, **drive)).launch(plain)
    by_ref, literal = sorted(emu.all_pods(), key=lambda p: p.created)
    assert {e["value"] for e in sent(by_ref)["env"]} == {ref} and by_ref.env[TOKEN_VAR] == plain[TOKEN_VAR]
    assert [e["value"] for e in sent(literal)["env"]] == [plain[TOKEN_VAR]]
    assert "fake-refresh-PLAIN" not in caplog.text and plain[TOKEN_VAR] not in caplog.text


def test_registry_auth_id_is_set_so_a_private_image_pulls(emu):
    emu.private_registries = {"ghcr.io"}
    emu.registry_auths = {"cr_acme_ghcr": "ghcr.io"}
    RunpodLauncher(make_settings(emu)).launch({})  # no auth: RunPod creates the pod, the pull fails
    RunpodLauncher(make_settings(emu, runpod={"container_registry_auth_id": "cr_acme_ghcr"})).launch({})
    denied, pulled = sorted(emu.all_pods(), key=lambda p: p.created)
    assert "pull access denied" in denied.log_text() and not denied.running
    assert sent(pulled)["containerRegistryAuthId"] == "cr_acme_ghcr" and pulled.running
    gpu = make_settings(emu, runpod={"container_registry_auth_id": "cr_acme_ghcr", "pod_kind": "gpu"})
    RunpodLauncher(gpu).launch({})
    assert all(sent(p).get("containerRegistryAuthId") == "cr_acme_ghcr" for p in emu.all_pods() if p.kind == "gpu")
    with pytest.raises(LaunchError, match="registry auth"):
        RunpodLauncher(make_settings(emu, runpod={"container_registry_auth_id": "cr_unknown"})).launch({})


def test_interruptible_gpu_pod_at_the_minimum_bid_then_on_demand_fallback(emu, caplog):
    caplog.set_level(logging.INFO)
    spot = {"pod_kind": "gpu", "interruptible": True}
    info = RunpodLauncher(make_settings(emu, runpod=spot)).launch({})
    [pod] = emu.all_pods()
    assert pod.interruptible and pod.extra["op"] == "podRentInterruptable"
    assert sent(pod)["bidPerGpu"] == pytest.approx(0.34)  # RunPod's minimum bid for a 4090 here ($0.69 on demand)
    assert info.cost_per_hour == pytest.approx(0.34)

    emu.spot_unavailable = {GPUS[0]}
    RunpodLauncher(make_settings(emu, runpod=spot)).launch({})
    fallback = max(emu.all_pods(), key=lambda p: p.created)
    assert not fallback.interruptible and fallback.gpu == GPUS[0] and fallback.extra["op"] == "podFindAndDeployOnDemand"
    assert "renting it on demand" in caplog.text

    # A bid below the minimum without fallback: the next GPU type's spot market, then no capacity.
    low = {**spot, "bid_per_gpu": 0.05, "interruptible_fallback": False}
    with pytest.raises(NoCapacity):
        RunpodLauncher(make_settings(emu, runpod=low)).launch({})
    assert len(emu.all_pods()) == 2


def test_contradictory_timings_fail_at_start(emu):
    settings = make_settings(emu, worker={"idle_grace": 600}, launcher={"idle_timeout": 900})
    problems = settings_problems(settings)
    assert any(p.startswith("worker.idle_grace (600 s) must be at most half of launcher.idle_timeout (900 s)") for p in problems)
    with pytest.raises(SettingsError, match="reaper terminates every idle worker"):
        open_launcher(settings)
    with pytest.raises(SettingsError, match="three worker.heartbeat periods"):  # config.settings refuses it
        load_settings(worker={"heartbeat": 200}, drive={"lease_seconds": 300})
    assert settings_problems(load_settings()) == []
