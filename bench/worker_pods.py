"""Worker and pod overhead: what the queue machinery costs around each analysis.

Runs one RunPod pod (the RunPod emulator, real runpod SDK) draining N videos from the Drive
emulator (real google-api-python-client) with the quick analyzer, so the figures are the
worker's own overhead: pod start to first claim, per-video time (claim with its pause, download,
two uploads, mark done, move), and idle grace plus self-termination at the end. Also the same
drain on the local folder backend in-process.

    PYTHONPATH=$PWD python bench/worker_pods.py [--videos 10] [--size-mb 20] [--claim-pause 0.3]
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def log_times(text: str, pattern: str) -> list[float]:
    out = []
    for line in text.splitlines():
        if re.search(pattern, line):
            stamp = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
            out.append(stamp.timestamp())
    return out


def pod_run(args: argparse.Namespace, tmp: Path) -> None:
    from config import load_settings
    from pod_launcher.runpod_launcher import RunpodLauncher
    from pod_launcher.pod_env import build_worker_env
    from tests.support.drive_emulator import DriveEmulator
    from tests.support.runpod_emulator import RunpodEmulator

    payload = os.urandom(args.size_mb * 1024 * 1024)
    with DriveEmulator() as drive, RunpodEmulator(tmp / "runpod", command=[sys.executable, "-m", "tests.support.quick_worker"]) as rp:
        os.environ["RUNPOD_API_BASE_URL"] = rp.url
        token = tmp / "token.json"
        drive.write_token(token)
        rp.secrets["tok"] = base64.b64encode(token.read_bytes()).decode()
        for i in range(args.videos):
            drive.add_file(f"clip {i:03d}.mp4", b"\x00\x00\x00\x18ftypmp42" + payload[:-i - 1])
        settings = load_settings(
            storage={"backend": "drive"},
            drive=drive.drive_settings(token, settle_seconds=0, claim_pause=args.claim_pause, lease_seconds=60),
            launcher={"backend": "runpod"},
            runpod={"api_key": rp.api_key, "image": "img:1", "gpu_types": ["NVIDIA L4"],
                    "drive_token_secret": "{{ RUNPOD_SECRET_tok }}"},
            worker={"idle_grace": args.idle_grace, "heartbeat": 5},
        )  # fmt: skip
        t0 = time.time()
        info = RunpodLauncher(settings).launch(build_worker_env(settings, None))
        t_launched = time.time()
        pod = rp.wait_terminated(info.id, timeout=600)
        while pod.running:
            time.sleep(0.05)
        t_end = time.time()
        text = pod.log_text()
    started = log_times(text, r"worker \S+ started")[0]
    claims = log_times(text, r"claimed ")
    dones = log_times(text, r" done: report ")
    exit_ = log_times(text, r"queue empty")[0]
    n = len(dones)
    print(f"pod: {n} videos of {args.size_mb} MB, claim_pause {args.claim_pause} s, idle_grace {args.idle_grace} s")
    print(f"  launch call (GPU lookup + create + price read)  {t_launched - t0:6.2f} s")
    print(f"  pod created -> worker started (imports)        {started - t_launched:6.2f} s")
    print(f"  worker started -> first claim                   {claims[0] - started:6.2f} s")
    print(f"  per video, claim to done (quick analyzer)       {(dones[-1] - claims[0]) / n:6.2f} s")
    print(f"  last done -> idle exit                          {exit_ - dones[-1]:6.2f} s")
    print(f"  idle exit -> pod gone                           {t_end - exit_:6.2f} s")
    print(f"  total billed time (create -> gone)              {t_end - t_launched:6.2f} s")


def local_run(args: argparse.Namespace, tmp: Path) -> None:
    from config import load_settings
    from processor.runtime.worker import run_worker
    from tests.support.quick_analyzer import quick_analyze

    inbox = tmp / "data" / "inbox"
    inbox.mkdir(parents=True)
    payload = os.urandom(args.size_mb * 1024 * 1024)
    for i in range(args.videos):
        (inbox / f"clip {i:03d}.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + payload[:-i - 1])
    settings = load_settings(
        local={"root": str(tmp / "data")},
        drive={"settle_seconds": 0, "claim_pause": args.claim_pause},
        worker={"scratch_dir": str(tmp / "scratch"), "idle_grace": 0.2, "heartbeat": 5},
    )
    t0 = time.perf_counter()
    run_worker(settings, analyze=quick_analyze, environ={}, install_signals=False)
    wall = time.perf_counter() - t0
    print(f"local backend, in-process: {args.videos} videos in {wall:.2f} s "
          f"({(wall - 0.2) / args.videos:.2f} s per video incl. the {args.claim_pause} s claim pause)")  # fmt: skip


def main() -> None:
    import logging

    logging.basicConfig(level=logging.WARNING)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--videos", type=int, default=10)
    p.add_argument("--size-mb", type=int, default=20)
    p.add_argument("--claim-pause", type=float, default=0.3)
    p.add_argument("--idle-grace", type=float, default=2.0)
    args = p.parse_args()
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(REPO)]))
    with tempfile.TemporaryDirectory() as d:
        pod_run(args, Path(d))
    with tempfile.TemporaryDirectory() as d:
        local_run(args, Path(d))


if __name__ == "__main__":
    main()
