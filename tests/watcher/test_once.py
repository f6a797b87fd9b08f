"""`hotfolder watch --once` on the embedded default (local folder, local worker subprocess running
the worker loop with the quick analyzer), run twice like `make demo` twice."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def run_once(cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTFOLDER_")}
    env.update(PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
               HOTFOLDER_DRIVE__SETTLE_SECONDS="1", HOTFOLDER_DRIVE__CLAIM_PAUSE="0.5",
               HOTFOLDER_WORKER__IDLE_GRACE="1", HOTFOLDER_WATCHER__ONCE_TIMEOUT="120")
    # `hotfolder watch --once`, with the local launcher starting the quick worker instead of
    # `hotfolder work` (the launcher's command is a constructor argument, not a setting).
    code = ("import sys, pod_launcher.local_launcher as ll\n"
            "init = ll.LocalLauncher.__init__\n"
            "ll.LocalLauncher.__init__ = lambda self, settings, command=None, **kw: init(\n"
            "    self, settings, command=[sys.executable, '-m', 'tests.support.quick_worker'], **kw)\n"
            "import hotfolder\n"
            "sys.exit(hotfolder.main(['watch', '--once']))\n")
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=180)


def test_repeated_once_runs_continue_and_print_their_reports(tmp_path):
    inbox = tmp_path / "hotfolder-data" / "inbox"
    inbox.mkdir(parents=True)
    reports = []
    for run in (1, 2):
        (inbox / "press.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 run %d" % run)
        r = run_once(tmp_path)
        assert r.returncode == 0, r.stdout + r.stderr
        done = [line for line in r.stdout.splitlines() if line.startswith("done")]
        assert len(done) == 1, r.stdout
        path = Path(done[0].split(": report ", 1)[1])
        assert path.is_file() and path.parent.name == "Reports"
        reports.append(path)
    assert reports[0] != reports[1], "the second run reports its own new report"
    assert [p.name for p in inbox.iterdir() if not p.name.startswith('.') and p.is_file()] == []  # Reports/Done/Failed inside

    r = run_once(tmp_path)
    assert r.returncode == 0 and "Nothing to do" in r.stdout
