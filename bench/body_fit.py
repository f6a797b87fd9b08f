"""Benchmark the SMPL-X fit: frames/s and peak memory versus chunk size and iterations.

    PYTHONPATH=. python bench/body_fit.py [--frames 2048] [--chunks 256 1024 2048]
        [--iterations 30 60] [--device auto|cpu|cuda] [--threads N]

Uses the synthetic SMPL-X stand-in from the tests (same sizes as the real model: 10,475
vertices, 55 joints), landmarks of a moving person with 1 cm noise at 30 fps. Frames/s is end
to end (model load, shape fit on 256 frames, all chunks, output assembly). Peak host memory is
the process RSS sampled every 5 ms during the run (minus the RSS before it); GPU memory is
``torch.cuda.max_memory_allocated``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


class PeakRss:
    def __init__(self):
        self.proc = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()

    def __enter__(self):
        self.base = self.proc.memory_info().rss
        self.peak = self.base
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def _poll(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.005)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def motion(n: int) -> np.ndarray:
    from processor.body_model import J

    t = np.arange(n) / 30.0
    bp = np.zeros((n, 21, 3))
    bp[:, J["spine1"] - 1, 0] = 0.3 + 0.3 * np.sin(0.7 * t)
    bp[:, J["spine2"] - 1, 0] = 0.2 + 0.2 * np.sin(0.7 * t)
    bp[:, J["left_shoulder"] - 1, 2] = -0.3 + 0.9 * np.sin(1.3 * t)
    bp[:, J["right_shoulder"] - 1, 2] = 0.5 + 0.6 * np.sin(0.9 * t)
    bp[:, J["left_elbow"] - 1, 1] = -0.8 - 0.7 * np.sin(2.1 * t)
    bp[:, J["right_elbow"] - 1, 1] = 0.8 + 0.7 * np.sin(1.7 * t)
    bp[:, J["left_knee"] - 1, 0] = 0.5 + 0.5 * np.sin(0.5 * t)
    bp[:, J["left_hip"] - 1, 0] = -0.3 - 0.3 * np.sin(0.5 * t)
    return bp


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=2048)
    ap.add_argument("--chunks", type=int, nargs="+", default=[256, 1024, 2048])
    ap.add_argument("--iterations", type=int, nargs="+", default=[30, 60])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = ap.parse_args(argv)

    import torch

    from processor.body_fit import fit_body
    from tests.support.synthetic_smplx import landmarks_from_model, write_synthetic_smplx

    if args.threads:
        torch.set_num_threads(args.threads)
    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    with tempfile.TemporaryDirectory() as tmp:
        model = write_synthetic_smplx(Path(tmp) / "synthetic_smplx.npz")
        pose = landmarks_from_model(model, motion(args.frames), betas=np.r_[0.5, -0.3, np.zeros(8)])
        pose.world = pose.world + np.random.default_rng(0).normal(0, 0.01, pose.world.shape)
        fit_body(pose, model, device=device, chunk_size=64, iterations=2)  # warm-up: load, allocator
        print(f"device={device} torch={torch.__version__} threads={torch.get_num_threads()} "
              f"frames={args.frames} (shape fit on 256 frames included)")  # fmt: skip
        name = torch.cuda.get_device_name() if device.startswith("cuda") else f"{psutil.cpu_count()} CPU cores"
        print(f"hardware: {name}")
        print(f"{'chunk':>6} {'iters':>6} {'seconds':>8} {'frames/s':>9} {'host MiB':>9} {'GPU MiB':>8} {'resid mm':>9}")
        for iters in args.iterations:
            for chunk in args.chunks:
                if device.startswith("cuda"):
                    torch.cuda.synchronize()
                    torch.cuda.reset_peak_memory_stats()
                with PeakRss() as rss:
                    t0 = time.perf_counter()
                    out = fit_body(pose, model, device=device, chunk_size=chunk, iterations=iters)
                    if device.startswith("cuda"):
                        torch.cuda.synchronize()
                    dt = time.perf_counter() - t0
                gpu = torch.cuda.max_memory_allocated() / 2**20 if device.startswith("cuda") else float("nan")
                print(f"{chunk:>6} {iters:>6} {dt:>8.2f} {args.frames / dt:>9.1f} {(rss.peak - rss.base) / 2**20:>9.1f} "
                      f"{gpu:>8.1f} {out.meta['residual_mean_mm']:>9.1f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
