"""What a pod receives, in one place: built by the watcher, carried by the launchers, unpacked by the pod.

Contract (Apps Script produces the same; tests/apps_script/test_pod_env.py checks Code.gs against
it): ``HOTFOLDER_POD_ENV_B64`` = base64(JSON object of ``HOTFOLDER_<SECTION>__<KEY>`` settings) and
``HOTFOLDER_DRIVE_TOKEN_B64`` = base64 of the authorized-user token JSON, literal or as a RunPod
secret reference ``{{ RUNPOD_SECRET_<name> }}`` whose stored value is that base64. RunPod itself sets
``RUNPOD_POD_ID`` and ``RUNPOD_API_KEY``; the launcher adds ``HOTFOLDER_WORKER_ID``.

Why the packing: the runpod SDK writes env values into GraphQL text between double quotes without
escaping them, so a quote, backslash or newline would break (or rewrite) the mutation. Values that
are not plainly safe travel inside ``HOTFOLDER_POD_ENV_B64``, which the pod decodes (``apply_worker_env``).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import socket
from pathlib import Path
from typing import Any, MutableMapping

from config.logs import secret_filter
from config.settings import Settings, WorkerSettings

POD_ENV_VAR = "HOTFOLDER_POD_ENV_B64"
TOKEN_VAR = "HOTFOLDER_DRIVE_TOKEN_B64"

# What may sit between the SDK's double quotes unchanged: no quote, backslash or control character.
# Braces and spaces are fine (a RunPod secret reference is "{{ RUNPOD_SECRET_name }}").
_SAFE_VALUE = re.compile(r"[A-Za-z0-9 _\-.,:;/+=@%{}\[\]()~^*!?#&|<>$']*")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class PodEnvError(ValueError):
    """An environment variable name or packed value that cannot travel to a pod."""


def encode_env(values: dict[str, str]) -> str:
    return base64.b64encode(json.dumps(values, ensure_ascii=False).encode("utf-8")).decode("ascii")


def decode_env(packed: str) -> dict[str, str]:
    try:
        data = json.loads(base64.b64decode(packed.strip(), validate=True).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PodEnvError(f"{POD_ENV_VAR} is not base64 of a JSON object: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise PodEnvError(f"{POD_ENV_VAR} must hold a JSON object of strings")
    return data


def is_safe_value(value: str) -> bool:
    return _SAFE_VALUE.fullmatch(value) is not None


def graphql_safe_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` with every value the SDK could not quote moved into ``HOTFOLDER_POD_ENV_B64``.

    Values already packed there stay; a plain variable of the same name wins over a packed one.
    """
    safe: dict[str, str] = {}
    packed: dict[str, str] = {}
    for name, value in env.items():
        if _NAME.fullmatch(name) is None:
            raise PodEnvError(f"environment variable name {name!r} is not valid")
        if name == POD_ENV_VAR:
            continue
        if is_safe_value(value):
            safe[name] = value
        else:
            packed[name] = value
    if POD_ENV_VAR in env:
        packed = {**decode_env(env[POD_ENV_VAR]), **packed}
    for name in safe:
        packed.pop(name, None)
    if packed:
        safe[POD_ENV_VAR] = encode_env(packed)
    return safe


# -- a worker's env: built for a launch, applied in the pod ------------------------------------

WORKER_ID_VAR = "HOTFOLDER_WORKER_ID"
TOKEN_FILE_NAME = "drive-token.json"
_SECRET_REF = re.compile(r"\{\{\s*RUNPOD_SECRET_[^}]*\}\}")

# What a pod needs: drive (access and queue rules), analysis, the report's protocol fields, worker, and from launcher its lifetime
# and name prefix. Machine-local paths stay home; mail, web, watcher and the RunPod account never go.
_DRIVE_LOCAL = ("token_file", "client_secrets_file", "service_account_file")
_WORKER_LOCAL = ("scratch_dir",)
_LAUNCHER_KEYS = ("max_lifetime", "name_prefix")


class WorkerEnvError(Exception):
    """The pod env is unusable; the message says what to fix."""


def build_worker_env(settings: Settings, drive_token_json: str | None) -> dict[str, str]:
    """The env for one worker: settings packed into ``HOTFOLDER_POD_ENV_B64``, plus the Drive token.

    ``drive_token_json`` is the Drive credential: the OAuth token, or a service-account key. A RunPod
    pod gets it only as the RunPod secret reference ``runpod.drive_token_secret``, or, when the user
    opted in with ``runpod.allow_plain_token_env``, base64-encoded in the pod env (which everyone with
    access to the RunPod account can read); otherwise this raises. A local worker gets it
    base64-encoded, or with no credential given reads the watcher's own token or key file.
    """
    values: dict[str, str] = {}

    def put(section: str, key: str, value: Any) -> None:
        if value is not None:
            values[f"HOTFOLDER_{section.upper()}__{key.upper()}"] = _env_text(value)

    put("storage", "backend", settings.storage.backend)
    for key, value in settings.drive:
        if key not in _DRIVE_LOCAL:
            put("drive", key, value)
    for key, value in settings.analysis:
        put("analysis", key, value)
    for key, value in settings.protocol:
        put("protocol", key, value)
    for key, value in settings.worker:
        if key not in _WORKER_LOCAL:
            put("worker", key, value)
    for key in _LAUNCHER_KEYS:
        put("launcher", key, getattr(settings.launcher, key))
    local_worker = settings.launcher.backend == "local"
    if local_worker:
        # Same machine: share the folder tree and scratch area (absolute, whatever the cwd).
        put("local", "root", Path(settings.local.root).expanduser().resolve())
        put("worker", "scratch_dir", Path(settings.worker.scratch_dir).expanduser().resolve())

    env = {POD_ENV_VAR: encode_env(values)}
    if settings.storage.backend != "drive":
        return env
    if not local_worker:
        if settings.runpod.drive_token_secret:
            env[TOKEN_VAR] = settings.runpod.drive_token_secret.strip()
            return env
        if not settings.runpod.allow_plain_token_env:
            raise WorkerEnvError(
                "RunPod workers need the Drive credential: create a RunPod secret holding it (base64) and set "
                "runpod.drive_token_secret = '{{ RUNPOD_SECRET_<name> }}', or set runpod.allow_plain_token_env = true "
                "to send it in the pod env (visible to everyone with access to the RunPod account)"
            )
        if drive_token_json is None:
            raise WorkerEnvError("a RunPod worker needs the Drive credential: pass the token or key JSON")
    if drive_token_json is not None:
        _check_token(drive_token_json)
        encoded = base64.b64encode(drive_token_json.encode("utf-8")).decode("ascii")
        secret_filter().add(encoded)
        env[TOKEN_VAR] = encoded
    else:  # a local worker without a credential given: the watcher's own files, same machine
        values["HOTFOLDER_DRIVE__TOKEN_FILE"] = str(Path(settings.drive.token_file).expanduser().resolve())
        if settings.drive.service_account_file:
            values["HOTFOLDER_DRIVE__SERVICE_ACCOUNT_FILE"] = str(Path(settings.drive.service_account_file).expanduser().resolve())
        env[POD_ENV_VAR] = encode_env(values)
    return env


def apply_worker_env(environ: MutableMapping[str, str] | None = None, scratch_dir: Path | None = None) -> None:
    """Unpack the pod env into ``environ`` (default ``os.environ``) before settings are loaded.

    Packed settings override variables already set (the launcher's word is final). The token is
    written to a 0600 file in the scratch folder and ``HOTFOLDER_DRIVE__TOKEN_FILE`` points at it;
    the encoded forms are removed so that nothing the worker starts inherits them.
    """
    environ = os.environ if environ is None else environ
    for key in ("RUNPOD_API_KEY",):
        if environ.get(key):
            secret_filter().add(environ[key])
    packed = environ.pop(POD_ENV_VAR, None)
    if packed:
        try:
            environ.update(decode_env(packed))
        except PodEnvError as exc:
            raise WorkerEnvError(str(exc)) from None
    token_b64 = environ.pop(TOKEN_VAR, None)
    if not token_b64:
        return
    if _SECRET_REF.search(token_b64):
        raise WorkerEnvError(
            f"{TOKEN_VAR} is the unresolved RunPod secret reference {token_b64.strip()!r}: "
            "create that secret in RunPod (Settings > Secrets) holding the base64 token"
        )
    secret_filter().add(token_b64.strip())
    try:
        token_json = base64.b64decode(token_b64.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise WorkerEnvError(f"{TOKEN_VAR} is not base64 text") from None
    _check_token(token_json)
    scratch = Path(
        scratch_dir or environ.get("HOTFOLDER_WORKER__SCRATCH_DIR") or WorkerSettings.model_fields["scratch_dir"].default
    ).expanduser()
    scratch.mkdir(parents=True, exist_ok=True)
    path = (scratch / TOKEN_FILE_NAME).resolve()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        os.fchmod(fh.fileno(), 0o600)
        fh.write(token_json)
    environ["HOTFOLDER_DRIVE__TOKEN_FILE"] = str(path)


def worker_identity(environ: MutableMapping[str, str] | None = None) -> str:
    """The id this worker writes into ``hf_worker``: the launcher's worker id."""
    environ = os.environ if environ is None else environ
    return environ.get(WORKER_ID_VAR) or environ.get("RUNPOD_POD_ID") or f"{socket.gethostname()}-{os.getpid()}"


def _check_token(token_json: str) -> None:
    try:
        data = json.loads(token_json)
    except json.JSONDecodeError:
        raise WorkerEnvError("the Drive token is not JSON; run `hotfolder auth` again") from None
    if not isinstance(data, dict):
        raise WorkerEnvError("the Drive token is not a JSON object; run `hotfolder auth` again")
    for key in ("refresh_token", "token", "client_secret", "private_key"):
        if isinstance(data.get(key), str):
            secret_filter().add(data[key])


def _env_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    if hasattr(value, "get_secret_value"):
        return value.get_secret_value()
    return str(value)
