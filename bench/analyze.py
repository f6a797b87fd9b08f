"""Speed and memory of the analysis on this machine: frames/s and peak RSS per quality preset.

    PYTHONPATH=. python bench/analyze.py [--long] [--processes N] [--sources bodyA_45 bodyB_rear ...]

Makes its test clips with ffmpeg in a temp dir from committed synthetic clips (looped, upscaled):
a 60-s 1080p30 clip per source (``--sources``; default bodyA_45, a 45° view with no frame read twice;
bodyB_rear is the costly case: 12 % of its frames are deep bends seen from behind, read again afresh by
``processor.reread``), analysed at each quality; with ``--long`` also a 10-minute clip (balanced), to compare peak
RSS for 1 vs 10 minutes (it must stay flat: frames are streamed). Runs ``processor.pipeline.analyze_video``
when that module exists, else ``estimate_pose`` + ``compute_angles`` + ``clean_angles``. Each run is a
child process; peak RSS is the sum over its process tree (pool workers included), sampled every 0.1 s.
Figures depend on the machine's load: note it when you report them. "x real time on idle cores" is
the video's duration over (CPU seconds / worker processes): the speed the same work would reach if the
cores were not shared (an upper bound; it ignores start-up and uneven segments).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import resource

ROOT = Path(__file__).resolve().parents[1]
SYNTHETIC = ROOT / "tests" / "data" / "synthetic"
SOURCE = SYNTHETIC / "bodyA_45.mp4"

CHILD = r"""
import json, sys, time
from pathlib import Path
from processor.model import AnalysisOptions
opts = AnalysisOptions(quality=sys.argv[2], processes=int(sys.argv[3]))
t0 = time.monotonic()
from processor.pipeline import analyze_video

res = analyze_video(Path(sys.argv[1]), Path(sys.argv[4]), opts)
# Analysed frames = rows of the per-frame CSV (one per sampled frame).
with open(res.angles_csv, encoding="utf-8") as fh:
    frames = sum(1 for _ in fh) - 1
mode = "analyze_video"
print(json.dumps({"mode": mode, "frames": frames, "seconds": time.monotonic() - t0}))
"""


def make_clip(dst: Path, seconds: int, height: int = 1080, source: Path = SOURCE) -> Path:
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-stream_loop", "-1", "-i", str(source), "-t", str(seconds),
         "-vf", f"scale=-2:{height}:flags=bicubic,fps=30", "-c:v", "libx264", "-preset", "ultrafast",
         "-crf", "28", "-pix_fmt", "yuv420p", str(dst)],
        check=True,
    )  # fmt: skip
    return dst


def run(clip: Path, quality: str, processes: int, out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GLOG_minloglevel": "2"}
    started = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(clip), quality, str(processes), str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)  # fmt: skip
    peak = 0
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            procs = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in procs if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.1)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the child and its pool, once waited for
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    stdout = proc.stdout.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"analysis failed ({proc.returncode})")
    result = json.loads(stdout.strip().splitlines()[-1])
    result.update(wall_s=wall, cpu_s=cpu, peak_rss_mib=peak / 2**20)
    return result


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--long", action="store_true", help="also compare peak RSS for a 1- and a 10-minute clip")
    ap.add_argument("--processes", type=int, default=0, help="0: one per core")
    ap.add_argument("--qualities", nargs="*", default=["fast", "balanced", "accurate"])
    ap.add_argument("--sources", nargs="*", default=[SOURCE.stem], help="synthetic clips to loop (names)")
    args = ap.parse_args()
    if not shutil.which("ffmpeg"):
        print("ffmpeg is needed to make the bench clips", file=sys.stderr)
        return 2
    cores = psutil.cpu_count()
    load = os.getloadavg()[0]
    workers = args.processes or cores
    print(f"machine: {cores} cores, load average {load:.1f} at start; processes={args.processes or cores}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print(f"{'clip (60 s 1080p30)':18s} {'quality':9s} {'frames':>6s} {'wall s':>7s} {'x real time':>11s} {'frames/s':>8s} {'peak RSS MiB':>12s} {'CPU s':>6s} {'x real time on idle cores':>25s}")
        for source, q in ((s, q) for s in args.sources for q in args.qualities):
            clip = tmp / f"{source}_60s_1080p30.mp4"
            if not clip.exists():
                make_clip(clip, 60, source=SYNTHETIC / f"{source}.mp4")
            r = run(clip, q, args.processes, tmp / f"{source}_{q}")
            fps = (r["frames"] or 0) / r["wall_s"]
            print(f"{source[:18]:18s} {q:9s} {r['frames'] or '-':>6} {r['wall_s']:7.1f} {60 / r['wall_s']:11.2f} "
                  f"{fps:8.1f} {r['peak_rss_mib']:12.0f} {r['cpu_s']:6.1f} {60 / (r['cpu_s'] / workers):25.2f}   ({r['mode']})")  # fmt: skip
        if args.long:
            for minutes in (1, 10):
                c = make_clip(tmp / f"{minutes}min_360p.mp4", 60 * minutes, height=360)
                r = run(c, "balanced", args.processes, tmp / f"long{minutes}")  # the default preset
                print(f"{f'{minutes} min 360p30':18s} {'balanced':9s} {r['frames'] or '-':>6} {r['wall_s']:7.1f} "
                      f"{60 * minutes / r['wall_s']:11.2f} {(r['frames'] or 0) / r['wall_s']:8.1f} {r['peak_rss_mib']:12.0f} {r['cpu_s']:6.1f}")  # fmt: skip
    print(f"load average at end {os.getloadavg()[0]:.1f} (the machine is shared: figures vary with load)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
