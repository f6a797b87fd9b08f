"""The layering the design card fixes, read from the imports (module level and inside functions).

- the analysis pipeline (``processor`` except the pod runtime and the two command modules) imports
  nothing from ``drive``, ``pod_launcher`` or ``watcher``; the command modules (``hotfolder analyze`` /
  ``evaluate``) take only the output names from ``drive.model``;
- the pod runtime (``processor.runtime``) imports nothing from ``watcher``, and the watcher nothing
  from ``processor``: what passes between them is the pod env (``pod_launcher.pod_env``);
- ``drive`` knows nothing of pods or posture; ``pod_launcher`` nothing of Drive, posture or the watcher.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {"processor/cli.py", "processor/evaluate_cli.py"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def modules(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)


def top(name: str) -> str:
    return name.split(".")[0]


def layer(rel: str) -> str:
    if rel.startswith("processor/runtime/"):
        return "runtime"
    if rel in COMMANDS:
        return "commands"
    return rel.split("/")[0] if not rel.startswith("processor/") else "pipeline"


FORBIDDEN = {
    "pipeline": {"drive", "pod_launcher", "watcher"},
    "commands": {"pod_launcher", "watcher"},
    "runtime": {"watcher"},
    "watcher": {"processor"},
    "drive": {"processor", "pod_launcher", "watcher"},
    "pod_launcher": {"processor", "watcher", "drive"},
}


def all_modules() -> list[Path]:
    return [p for folder in ("processor", "drive", "pod_launcher", "watcher") for p in modules(folder)]


@pytest.mark.parametrize("path", all_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_forbidden_import(path):
    rel = str(path.relative_to(ROOT))
    kind = layer(rel)
    bad = sorted(n for n in imports_of(path) if top(n) in FORBIDDEN[kind])
    if kind == "commands":  # the output names are the one thing they take from drive
        bad += sorted(n for n in imports_of(path) if top(n) == "drive" and not n.startswith("drive.model"))
    assert not bad, f"{rel} ({kind}) imports {bad}"


def test_the_check_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text("def f():\n    from drive.storage import Storage\n    import watcher.poll\n")
    assert {"drive.storage", "watcher.poll"} <= imports_of(sample)
