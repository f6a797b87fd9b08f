"""How a worker's environment travels to a pod intact.

The runpod SDK writes env values into GraphQL text between double quotes without escaping them,
so a quote, backslash or newline would break (or rewrite) the mutation. Values that are not plainly
safe travel inside one variable, ``HOTFOLDER_POD_ENV_B64`` = base64(JSON object {name: value}),
which the worker decodes (``processor.worker_env.apply_worker_env``). Apps Script uses the same format.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

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
