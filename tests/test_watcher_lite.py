"""The watcher without the analysis stack: `hotfolder watch`, `status` and `auth` run in a process
where torch, jax, mediapipe, OpenCV and SciPy cannot be imported, and none of them is imported."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ["torch", "jax", "jaxlib", "mediapipe", "cv2", "smplx", "scipy", "pandas", "numpy", "matplotlib", "openpyxl"]
# Runs hotfolder's subcommands in one process with the heavy packages made unimportable (as in a
# watcher-only install), then reports what was imported.
PROBE = """
import importlib.abc, json, sys
HEAVY = {heavy!r}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HEAVY:
            raise ImportError(f"{{name}} is not installed (watcher-only install)")
sys.meta_path.insert(0, Block())
import hotfolder
codes = []
for argv in {commands!r}:
    try:
        codes.append(hotfolder.main(argv))
    except SystemExit as exc:
        codes.append(exc.code)
print("PROBE" + json.dumps({{"codes": codes, "heavy": sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)}}))
"""


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock(path: Path) -> dict[str, str]:
    pins = [ln.split("#")[0].strip() for ln in path.read_text().splitlines() if ln.split("#")[0].strip()]
    return {norm(p.split("==")[0]): p.split("==")[1] for p in pins}


def test_watch_status_and_auth_run_without_the_analysis_stack(tmp_path):
    commands = [["watch", "--once"], ["status"], ["auth", "--help"], ["watch", "--help"]]
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "HOTFOLDER_LOCAL__ROOT": str(tmp_path / "data"),
        "HOTFOLDER_WATCHER__STATE_DIR": str(tmp_path / "state"),
        "HOTFOLDER_WEB__ENABLED": "false",
    }
    (tmp_path / "data" / "inbox").mkdir(parents=True)
    run = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY, commands=commands)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=180)  # fmt: skip
    line = next((ln for ln in run.stdout.splitlines() if ln.startswith("PROBE")), None)
    assert line is not None, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(line[5:])
    assert result["heavy"] == [], result
    assert result["codes"] == [0, 0, 0, 0], run.stdout[-3000:] + run.stderr[-3000:]


def test_watcher_lock_is_the_pyproject_dependencies_at_the_dev_locks_versions():
    watcher, dev = lock(ROOT / "requirements-watcher.lock"), lock(ROOT / "requirements.lock")
    assert not {norm(h) for h in HEAVY + ["opencv-contrib-python", "torch", "mediapipe"]} & set(watcher)
    assert {n: v for n, v in watcher.items() if dev.get(n) != v} == {}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for dep in project["dependencies"]:
        assert norm(re.split(r"[<>=!~\[; ]", dep)[0]) in watcher, dep
    analysis = {norm(re.split(r"[<>=!~\[; ]", d)[0]) for d in project["optional-dependencies"]["analysis"]}
    assert {"torch", "mediapipe", "numpy"} <= analysis
