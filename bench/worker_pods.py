"""Worker throughput on this machine, cost per video on CPU and GPU pods, and the pod overhead.

1. Throughput (measured): the real ``hotfolder work`` (the full analysis, ``analysis.quality``
   balanced, skeleton mode: no body model) drains N one-minute 1080p30 clips made with ffmpeg from a
   committed synthetic clip, on the local folder backend, on this machine's cores. Reported: videos
   per hour and the real-time factor (video seconds / processing seconds), from the worker's log.
2. Cost per video on each pod kind (estimated): the measured core-seconds per video scaled to the pod's
   vCPUs (assumed linear: the pose pool is one process per core), plus an assumed transfer time, at
   the RunPod on-demand list prices in PRICES (with their date); plus the pod's start and idle grace
   spread over a batch. Nothing of this is measured on RunPod.
3. With ``--overhead``: one pod of ``--pod-kind`` (the RunPod emulator, real runpod SDK) draining
   videos from the Drive emulator with the quick analyzer: pod start to first claim, per-video
   queue overhead, idle grace and self-termination; and the same drain in-process on the local backend.

    PYTHONPATH=$PWD python bench/worker_pods.py [--videos 3] [--clip-seconds 60] [--overhead]
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


# RunPod on-demand list prices (USD per hour) as stated in the README: known in 2025, not re-checked
# when this bench was last run; check runpod.io/pricing. CPU pods bill per vCPU (about $0.03-0.04/vCPU-h).
PRICES_AS_OF = "2025 list prices (RunPod on-demand, secure cloud), not re-checked"
PRICES = [
    # kind, offer, vCPUs the work gets, USD/h
    ("cpu", "cpu3c-8-16 (8 vCPU, $0.03/vCPU-h)", 8, 0.24),
    ("cpu", "cpu5c-8-16 (8 vCPU, $0.04/vCPU-h)", 8, 0.32),
    ("gpu", "RTX A4000 (>= 8 vCPU)", 8, 0.25),
    ("gpu", "RTX 4090 (>= 8 vCPU)", 8, 0.69),
]
TRANSFER_S = 10.0  # assumed per 1-min clip on a data-centre link: download ~100 MB + uploads
START_S = 90.0  # assumed: image pull on a new host + imports, before the first claim
SOURCE = REPO / "tests" / "data" / "synthetic" / "bodyA_45.mp4"


def make_clip(dst: Path, seconds: int) -> Path:
    import subprocess

    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-stream_loop", "-1", "-i", str(SOURCE), "-t", str(seconds),
         "-vf", "scale=-2:1080:flags=bicubic,fps=30", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "28",
         "-pix_fmt", "yuv420p", str(dst)],
        check=True,
    )  # fmt: skip
    return dst


def throughput_run(args: argparse.Namespace, tmp: Path) -> dict:
    """The real ``hotfolder work`` on the local backend; figures from its log."""
    import shutil
    import subprocess

    root = tmp / "data"
    inbox = root / "inbox"
    inbox.mkdir(parents=True)
    clip = make_clip(tmp / "clip.mp4", args.clip_seconds)
    for i in range(args.videos):
        shutil.copy(clip, inbox / f"station {i + 1}.mp4")
        with open(inbox / f"station {i + 1}.mp4", "ab") as fh:
            fh.write(bytes([i]))  # distinct checksums
    env = {**os.environ, "PYTHONPATH": str(REPO), "GLOG_minloglevel": "2",
           "HOTFOLDER_STORAGE__BACKEND": "local", "HOTFOLDER_LOCAL__ROOT": str(root),
           "HOTFOLDER_DRIVE__SETTLE_SECONDS": "0", "HOTFOLDER_WORKER__SCRATCH_DIR": str(tmp / "scratch"),
           "HOTFOLDER_WORKER__IDLE_GRACE": "1", "HOTFOLDER_ANALYSIS__QUALITY": "balanced",
           "HOTFOLDER_LAUNCHER__BACKEND": "local"}  # fmt: skip
    t0 = time.time()
    proc = subprocess.run([sys.executable, str(REPO / "hotfolder.py"), "work"], cwd=tmp, env=env,
                          capture_output=True, text=True, timeout=3600)  # fmt: skip
    wall = time.time() - t0
    text = proc.stdout + proc.stderr
    claims, dones = log_times(text, r"claimed "), log_times(text, r" done: report ")
    if proc.returncode != 0 or len(dones) != args.videos:
        raise SystemExit(f"hotfolder work failed ({proc.returncode}, {len(dones)} done):\n{text[-3000:]}")
    busy = dones[-1] - claims[0]  # first claim to last done: the steady-state work
    per_video = busy / args.videos
    return {"videos": args.videos, "clip_s": args.clip_seconds, "wall_s": wall, "per_video_s": per_video,
            "videos_per_hour": 3600 / per_video, "rtf": args.clip_seconds / per_video,
            "start_s": claims[0] - t0, "cores": os.cpu_count()}  # fmt: skip


def report_throughput(r: dict) -> None:
    cores = r["cores"]
    print(f"measured here on {cores} CPU cores (load average {os.getloadavg()[0]:.1f}): `hotfolder work`, "
          f"{r['videos']} clips of {r['clip_s']} s 1080p30, balanced, skeleton mode, local backend")  # fmt: skip
    print(f"  per video (claim to done)         {r['per_video_s']:7.1f} s")
    print(f"  throughput                        {r['videos_per_hour']:7.1f} videos/hour")
    print(f"  real-time factor                  {r['rtf']:7.2f} x real time")
    print(f"  worker start to first claim       {r['start_s']:7.1f} s   (whole run {r['wall_s']:.0f} s)")
    core_s = r["per_video_s"] * cores  # core-seconds per clip
    print(f"\nestimated on RunPod ({PRICES_AS_OF}; estimate made {time.strftime('%Y-%m-%d')}):")
    print(f"  analysis scaled linearly from {core_s:.0f} core-s per {r['clip_s']} s clip; + {TRANSFER_S:.0f} s transfer per minute of clip "
          f"(assumed); + {START_S:.0f} s start and 2 s idle grace per batch (assumed)")  # fmt: skip
    print(f"  {'pod':36s} {'$/h':>5s} {'s/clip':>7s} {'clips/h':>7s} {'x RT':>5s} {'$/clip, batch of 10':>20s} {'$/lone clip':>12s}")
    for kind, offer, vcpus, price in PRICES:
        per = core_s / vcpus + TRANSFER_S * r["clip_s"] / 60
        batch = price * (per + (START_S + 2) / 10) / 3600
        lone = price * (per + START_S + 2) / 3600
        print(f"  {kind.upper() + ' ' + offer:36s} {price:5.2f} {per:7.1f} {3600 / per:7.0f} {r['clip_s'] / per:5.1f} "
              f"{batch:20.4f} {lone:12.4f}")  # fmt: skip
    print("  GPU pods: the same CPU-bound work (the GPU idles without a body model); the SMPL-X fit's GPU time is not included")


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
            runpod={"api_key": rp.api_key, "image": "img:1", "gpu_types": ["NVIDIA L4"], "pod_kind": args.pod_kind,
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
    print(f"{args.pod_kind.upper()} pod ({pod.gpu or 'CPU instance'}, ${pod.cost_per_hr:.2f}/h in the emulator): {n} videos of "
          f"{args.size_mb} MB, claim_pause {args.claim_pause} s, idle_grace {args.idle_grace} s")  # fmt: skip
    print(f"  launch call (create + price read)               {t_launched - t0:6.2f} s")
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
    p.add_argument("--videos", type=int, default=3, help="clips for the throughput run (10 for --overhead's default)")
    p.add_argument("--clip-seconds", type=int, default=60)
    p.add_argument("--overhead", action="store_true", help="also the pod/queue overhead through the emulators")
    p.add_argument("--pod-kind", choices=["cpu", "gpu"], default="cpu", help="the pod of the overhead run")
    p.add_argument("--size-mb", type=int, default=20)
    p.add_argument("--claim-pause", type=float, default=0.3)
    p.add_argument("--idle-grace", type=float, default=2.0)
    args = p.parse_args()
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(REPO)]))
    with tempfile.TemporaryDirectory() as d:
        report_throughput(throughput_run(args, Path(d)))
    if not args.overhead:
        return
    print()
    with tempfile.TemporaryDirectory() as d:
        pod_run(args, Path(d))
    with tempfile.TemporaryDirectory() as d:
        local_run(args, Path(d))


if __name__ == "__main__":
    main()
