"""Check that every pin of a lock has a wheel for the pod image's platform, without installing anything.

The image (Dockerfile) is Debian 12 "bookworm" (glibc 2.36), x86-64, CPython 3.11. pip resolves the
lock for that platform with ``--dry-run --no-deps --only-binary=:all:`` and writes a JSON report:
it reads each project's index page and the wheel's metadata (PEP 658 ``.metadata`` files, a few
kilobytes), never the wheels themselves, so the whole check takes seconds, not gigabytes. pip matches
``--platform`` tags literally, so every manylinux tag that glibc 2.36 accepts is passed.

    python -m tests.support.image_lock requirements-image.lock        # exit 1 and the reason if a pin has no wheel
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

PYTHON_VERSION = "3.11"
GLIBC_MINOR = 36  # Debian 12 (python:3.11-slim-bookworm)
INDEX_URL = "https://pypi.org/simple"
PLATFORMS = (
    [f"manylinux_2_{m}_x86_64" for m in range(GLIBC_MINOR, 4, -1)]
    + ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64", "linux_x86_64"]
)


@dataclass
class LockCheck:
    ok: bool
    wheels: dict[str, str]  # name==version -> wheel file name
    error: str = ""


def pins(lock: Path) -> list[str]:
    return [line.split("#")[0].strip() for line in lock.read_text().splitlines() if line.split("#")[0].strip()]


def pip_command(lock: Path, report: Path) -> list[str]:
    cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--no-deps",
           "--only-binary=:all:", "--python-version", PYTHON_VERSION, "--implementation", "cp",
           "--index-url", INDEX_URL, "--quiet", "--report", str(report), "-r", str(lock)]  # fmt: skip
    for tag in PLATFORMS:
        cmd += ["--platform", tag]
    return cmd


def pip_env() -> dict[str, str]:
    """This machine's pip settings out of the way (local wheel folders, extra indexes, constraints):
    only PyPI answers, as it would for ``docker build``. A CA bundle and timeout are kept."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    for keep in ("PIP_CERT", "PIP_DEFAULT_TIMEOUT"):
        if os.environ.get(keep):
            env[keep] = os.environ[keep]
    return env


def check_lock(lock: Path, timeout: float = 300.0) -> LockCheck:
    lock = Path(lock).resolve()
    with tempfile.TemporaryDirectory(prefix="image-lock-") as tmp:
        report = Path(tmp) / "report.json"
        run = subprocess.run(pip_command(lock, report), capture_output=True, text=True, timeout=timeout,
                             env=pip_env(), cwd=tmp)  # fmt: skip
        if run.returncode != 0:
            lines = [ln for ln in (run.stderr + run.stdout).splitlines() if ln.startswith("ERROR")]
            return LockCheck(False, {}, "\n".join(lines) or run.stderr[-2000:])
        data = json.loads(report.read_text())
    wheels = {
        f"{item['metadata']['name']}=={item['metadata']['version']}": item["download_info"]["url"].rsplit("/", 1)[-1]
        for item in data.get("install", [])
    }
    missing = len(pins(lock)) - len(wheels)
    if missing:
        return LockCheck(False, wheels, f"{missing} pin(s) of {lock} were not resolved to a wheel")
    return LockCheck(True, wheels)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    lock = Path(argv[0] if argv else "requirements-image.lock")
    result = check_lock(lock)
    if not result.ok:
        print(f"{lock}: not installable on CPython {PYTHON_VERSION} / Linux x86-64 (glibc 2.{GLIBC_MINOR}):\n{result.error}",
              file=sys.stderr)  # fmt: skip
        return 1
    print(f"{lock}: all {len(result.wheels)} pins have a wheel for CPython {PYTHON_VERSION} / Linux x86-64")
    return 0


if __name__ == "__main__":
    sys.exit(main())
