"""`hotfolder watch` and `hotfolder status` as a user runs them (subprocesses, embedded default)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTFOLDER_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    env.update(extra)
    return env

def test_watch_serves_and_stops_cleanly_on_sigterm(tmp_path):
    env = cli_env(tmp_path, HOTFOLDER_WEB__PORT="0", HOTFOLDER_WATCHER__POLL_SECONDS="3600")
    proc = subprocess.Popen([sys.executable, "-m", "hotfolder", "watch"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "status page on" in line:
                break
        assert any("status page on http://127.0.0.1:" in line for line in lines), "".join(lines)
        token_file = tmp_path / "hotfolder-data" / "state" / "web-token"
        assert token_file.exists() and (token_file.stat().st_mode & 0o777) == 0o600
        assert token_file.read_text().strip() not in "".join(lines), "the token is never logged"
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, "".join(lines) + out
    assert "watcher stopped" in out
    assert (tmp_path / "hotfolder-data" / "state" / "history.sqlite3").exists()

def test_status_json_lists_the_inbox(tmp_path):
    inbox = tmp_path / "hotfolder-data" / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "welding.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 data")
    out = subprocess.run([sys.executable, "-m", "hotfolder", "status", "--json"], cwd=tmp_path,
                         env=cli_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [(v["name"], v["status"]) for v in data["videos"]] == [("welding.mp4", "pending")]
    assert data["workers"] == []
    table = subprocess.run([sys.executable, "-m", "hotfolder", "status"], cwd=tmp_path, env=cli_env(tmp_path),
                           capture_output=True, text=True, timeout=60)
    assert table.returncode == 0 and "welding.mp4" in table.stdout and "No worker running" in table.stdout
