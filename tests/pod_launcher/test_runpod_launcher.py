"""RunpodLauncher through the real runpod SDK against the GraphQL emulator."""

import base64
import json
import logging
import sys
import time

import pytest

from config import load_settings
from pod_launcher.base import LaunchError, NoCapacity
from pod_launcher.pod_env import POD_ENV_VAR, TOKEN_VAR
from pod_launcher.runpod_launcher import RunpodLauncher
from pod_launcher.pod_env import build_worker_env

GPUS = ["NVIDIA GeForce RTX 4090", "NVIDIA RTX A5000", "NVIDIA L4"]
# A pod that unpacks its env the way the worker does, records it, and idles until terminated.
DUMP_ENV = (
    "import json, os, time\n"
    "from pod_launcher.pod_env import apply_worker_env\n"
    "apply_worker_env(os.environ)\n"
    "tok = os.environ.get('HOTFOLDER_DRIVE__TOKEN_FILE')\n"
    "out = {'env': dict(os.environ), 'token': open(tok).read() if tok else None,\n"
    "       'token_mode': oct(os.stat(tok).st_mode & 0o777) if tok else None}\n"
    "open('env.json.tmp', 'w').write(json.dumps(out)); os.replace('env.json.tmp', 'env.json')\n"
    "time.sleep(120)\n"
)


@pytest.fixture
def emu(runpod_emulator):
    runpod_emulator.command = [sys.executable, "-c", DUMP_ENV]
    runpod_emulator.stop_grace = 2.0
    return runpod_emulator


def make_settings(emu, **over):
    runpod = {"api_key": emu.api_key, "image": "ghcr.io/acme/hotfolder:1.0", "gpu_types": GPUS, "retry_after": 120,
              "pod_kind": "gpu"}
    runpod.update(over.pop("runpod", {}))
    return load_settings(launcher={"backend": "runpod", "name_prefix": "hf-test"}, runpod=runpod, **over)


def pod_dump(pod, timeout=30.0):
    path = pod.dir / "root" / "env.json"
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"pod never wrote its env; log:\n{pod.log_text()}"
        assert pod.running or path.exists(), f"pod exited; log:\n{pod.log_text()}"
        time.sleep(0.1)
    return json.loads(path.read_text())


def test_first_two_gpu_types_unavailable_pod_lands_on_third(emu, caplog):
    caplog.set_level(logging.INFO)
    emu.unavailable = {GPUS[0], GPUS[1]}
    info = RunpodLauncher(make_settings(emu)).launch({"HOTFOLDER_WORKER__IDLE_GRACE": "5"})

    [pod] = emu.all_pods()
    assert info.id == pod.id and pod.gpu == GPUS[2]
    assert info.name.startswith("hf-test-") and info.name == pod.name
    assert info.cost_per_hour == pytest.approx(0.43)
    assert [r.query.count(g) for r in emu.ops("podFindAndDeployOnDemand") for g in [GPUS[0]]] == [1, 0, 0]
    assert len(emu.ops("podFindAndDeployOnDemand")) == 3
    assert f"no {GPUS[0]} available" in caplog.text and f"no {GPUS[1]} available" in caplog.text
    assert f"launched RunPod pod {pod.id}" in caplog.text


def test_all_gpu_types_unavailable_then_a_later_call_succeeds(emu, caplog):
    caplog.set_level(logging.INFO)
    emu.unavailable = set(GPUS)
    launcher = RunpodLauncher(make_settings(emu))
    with pytest.raises(NoCapacity) as err:
        launcher.launch({})
    assert emu.all_pods() == []
    assert "no GPU available of any configured type" in str(err.value)
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("no pod started, will retry in 120 s" in line and GPUS[2] in line for line in lines)

    emu.unavailable = set()
    info = launcher.launch({})
    assert [p.id for p in emu.all_pods()] == [info.id] and emu.all_pods()[0].gpu == GPUS[0]


def test_env_values_with_quotes_braces_newlines_and_unicode_arrive_intact(emu):
    nasty = {
        "HOTFOLDER_ANALYSIS__SMPLX_MODEL": 'C:\\models\\"smplx"\\ {x} }} { "',
        "HOTFOLDER_DRIVE__FOLDER_ID": 'line1\nline2\r\n\ttab "quoted" \\n',
        "HOTFOLDER_DRIVE__REPORTS_FOLDER": "Zprávy – ergonomie ✓ 日本",
        "PLAIN_VALUE": "abc-123",
    }
    RunpodLauncher(make_settings(emu)).launch(nasty)
    [pod] = emu.all_pods()
    env = pod_dump(pod)["env"]
    for key, value in nasty.items():
        assert env[key] == value, key
    assert POD_ENV_VAR not in env  # unpacked and removed
    # Only GraphQL-safe text went over the wire.
    [create] = emu.ops("podFindAndDeployOnDemand")
    assert "line1" not in create.query and "Zpr" not in create.query


def test_unencoded_env_breaks_the_sdk_mutation(emu):
    """Why values are encoded: the SDK pastes them into GraphQL text as they are."""
    import runpod
    from runpod.error import QueryError

    runpod.api_key = emu.api_key
    with pytest.raises(QueryError):
        runpod.create_pod("x", "img", GPUS[0], env={"A": 'he said "hi"'})
    assert emu.all_pods() == []


def test_drive_token_as_runpod_secret_reference_and_as_literal(emu, tmp_path):
    token = json.dumps({"token": "ya29.ACCESS-xyz", "refresh_token": "x1//REFRESH-\"quoted\"-token", "client_id": "c",
                        "client_secret": "GOCSPX-secret-value", "scopes": ["https://www.googleapis.com/auth/drive"]})
    emu.secrets["hf_drive_token"] = base64.b64encode(token.encode()).decode()
    settings = make_settings(
        emu, storage={"backend": "drive"}, drive={"folder_id": "F1", "api_root": "http://127.0.0.1:9/"},
        runpod={"drive_token_secret": "{{ RUNPOD_SECRET_hf_drive_token }}"},
    )  # fmt: skip
    env = build_worker_env(settings, drive_token_json=None)
    assert env[TOKEN_VAR] == "{{ RUNPOD_SECRET_hf_drive_token }}"
    launcher = RunpodLauncher(settings)
    launcher.launch(env)

    # Plain in the env only when the settings say so by name.
    settings_literal = make_settings(emu, storage={"backend": "drive"}, drive={"folder_id": "F1"},
                                     runpod={"allow_plain_token_env": True})
    RunpodLauncher(settings_literal).launch(build_worker_env(settings_literal, drive_token_json=token))

    by_secret, literal = sorted(emu.all_pods(), key=lambda p: p.created)
    for pod in (by_secret, literal):
        dump = pod_dump(pod)
        assert json.loads(dump["token"]) == json.loads(token)
        assert dump["token_mode"] == "0o600"
        assert TOKEN_VAR not in dump["env"]
        assert dump["env"]["HOTFOLDER_DRIVE__FOLDER_ID"] == "F1"
        assert dump["env"]["HOTFOLDER_STORAGE__BACKEND"] == "drive"
    # The secret's value never crossed the API; the literal one only encoded.
    [q1, q2] = [r.query for r in emu.ops("podFindAndDeployOnDemand")]
    assert "RUNPOD_SECRET_hf_drive_token" in q1 and "REFRESH" not in q1 + q2


def test_list_by_prefix_cost_estimate_and_idempotent_terminate(emu):
    import runpod

    launcher = RunpodLauncher(make_settings(emu))
    mine = launcher.launch({})
    runpod.api_key = emu.api_key
    runpod.create_pod("someone-elses-pod", "other:image", GPUS[1])  # not ours: never listed or touched
    time.sleep(1.2)
    [listed] = launcher.list_workers()
    assert listed.id == mine.id and listed.alive and listed.status == "RUNNING"
    assert listed.uptime_s >= 1 and listed.cost_estimate == pytest.approx(0.69 * listed.uptime_s / 3600)
    assert abs((listed.started_at - mine.started_at).total_seconds()) < 2

    launcher.terminate(mine.id)
    launcher.terminate(mine.id)  # idempotent
    launcher.terminate("no-such-pod")
    assert launcher.list_workers() == []
    pod = emu.wait_terminated(mine.id, timeout=10)
    assert pod.terminated_by == "account" and not pod.running
    assert [p.name for p in emu.running_pods()] == ["someone-elses-pod"]


def test_api_outage_html_5xx_becomes_a_launch_error(emu, caplog):
    launcher = RunpodLauncher(make_settings(emu))
    emu.inject("html_5xx", op="myself", status=503)
    with pytest.raises(LaunchError, match="error page"):
        launcher.list_workers()
    emu.inject("html_5xx", op="gpuTypes", status=502)
    with pytest.raises(LaunchError) as err:
        launcher.launch({})
    assert not isinstance(err.value, NoCapacity)
    assert emu.all_pods() == []
    assert launcher.list_workers() == []  # the API is back


def test_answer_lost_after_create_still_returns_the_pod(emu):
    launcher = RunpodLauncher(make_settings(emu))
    emu.inject("lose_answer", op="podFindAndDeployOnDemand", status=504)
    info = launcher.launch({})
    [pod] = emu.all_pods()
    assert info.id == pod.id  # found again by its unique name: recorded, not leaked


def test_api_timeout_and_dropped_connection(emu, monkeypatch):
    import requests

    real_post = requests.post
    monkeypatch.setattr(requests, "post", lambda *a, **k: real_post(*a, **{**k, "timeout": 0.5}))
    launcher = RunpodLauncher(make_settings(emu))
    emu.inject("hang", op="myself", seconds=1.5)
    with pytest.raises(LaunchError, match="Timeout"):
        launcher.list_workers()
    emu.inject("drop", op="myself")
    with pytest.raises(LaunchError, match="ConnectionError"):
        launcher.list_workers()


def test_missing_key_or_image_or_rejected_key(emu):
    with pytest.raises(LaunchError, match="runpod.api_key is not set"):
        RunpodLauncher(make_settings(emu, runpod={"api_key": ""})).list_workers()
    with pytest.raises(LaunchError, match="runpod.image is not set"):
        RunpodLauncher(make_settings(emu, runpod={"image": ""})).launch({})
    with pytest.raises(LaunchError, match="rejected the API key"):
        RunpodLauncher(make_settings(emu, runpod={"api_key": "rpa_WRONG_KEY_1234"})).list_workers()


def test_no_api_key_or_token_in_any_log_line(emu, caplog):
    caplog.set_level(logging.DEBUG)
    token = json.dumps({"token": "ya29.LOGME-NOT", "refresh_token": "x1//REFRESH-LOGME-NOT", "client_id": "c"})
    settings = make_settings(emu, storage={"backend": "drive"}, drive={"folder_id": "F1"},
                             runpod={"allow_plain_token_env": True})
    launcher = RunpodLauncher(settings)
    env = build_worker_env(settings, drive_token_json=token)
    emu.inject("lose_answer", op="podFindAndDeployOnDemand")
    info = launcher.launch(env)
    emu.unavailable = {GPUS[0]}
    launcher.launch(env)
    for worker in launcher.list_workers():
        launcher.terminate(worker.id)
    emu.unavailable = set(GPUS)
    with pytest.raises(NoCapacity):
        launcher.launch(env)
    text = caplog.text
    assert "launched RunPod pod" in text or "was created" in text
    assert info.id in text
    for secret in (emu.api_key, env[TOKEN_VAR], "REFRESH-LOGME-NOT", "LOGME-NOT", *(p.key for p in emu.all_pods())):
        assert secret not in text


def test_pod_is_created_from_the_configured_image_cloud_and_disk(emu):
    settings = make_settings(emu, runpod={"cloud_type": "SECURE", "container_disk_gb": 55, "gpu_types": ["NVIDIA RTX A5000"]})
    info = RunpodLauncher(settings).launch({"A": "b"})
    [pod] = emu.all_pods()
    sent = pod.extra["input"]
    assert sent["imageName"] == "ghcr.io/acme/hotfolder:1.0" and sent["cloudType"] == "SECURE"
    assert sent["containerDiskInGb"] == 55 and sent["gpuTypeId"] == "NVIDIA RTX A5000" and sent["gpuCount"] == 1
    assert sent["name"] == info.name and info.name.startswith("hf-test-") and len(info.name) <= 40
    assert not sent.get("startSsh") and sent["supportPublicIp"] is False  # no SSH, no public IP needed
    assert {e["key"]: e["value"] for e in sent["env"]} == {"A": "b"}
