"""Local folder backend and queue: what one poll and one claim cost.

Prints, for N videos in a local inbox: the first listing (computes every md5), a warm listing (md5
cache in memory), a listing by a fresh process-like store (md5 cache read from disk), and the claim +
complete cycle per video with the claim pause set to 0 (the protocol's I/O only; a real pause adds
``drive.claim_pause`` per claim).

    PYTHONPATH=$PWD python bench/local_queue.py [--videos 500] [--size-kb 1024]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.settings import load_settings  # noqa: E402
from drive.local_store import LocalStore  # noqa: E402
from drive.model import Folder, ReportRef  # noqa: E402
from drive.queue import VideoQueue  # noqa: E402
from drive.settle import SettleTracker  # noqa: E402


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=int, default=500)
    ap.add_argument("--size-kb", type=int, default=1024)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="hf-bench-") as tmp:
        settings = load_settings(local={"root": tmp}, drive={"settle_seconds": 0, "claim_pause": 0})
        store = LocalStore(settings)
        inbox = store.path(Folder.INBOX)
        block = os.urandom(args.size_kb * 1024)
        for i in range(args.videos):
            (inbox / f"clip {i:05d}.mp4").write_bytes(block[:-8] + i.to_bytes(8, "big"))
        total_mb = args.videos * args.size_kb / 1024
        _, cold = timed(store.list_videos)
        _, warm = timed(store.list_videos)
        _, disk = timed(LocalStore(settings).list_videos)
        print(f"inbox: {args.videos} videos, {total_mb:.0f} MB")
        print(f"  first listing (md5 of everything): {cold:8.3f} s  ({total_mb / cold:.0f} MB/s)")
        print(f"  warm listing (md5 cached):         {warm * 1000:8.1f} ms  ({warm / args.videos * 1e6:.0f} us/video)")
        print(f"  new store, md5 cache from disk:    {disk * 1000:8.1f} ms")

        queue = VideoQueue(store, settings.drive, "bench", SettleTracker(None, 0))
        n = min(args.videos, 100)
        start = time.perf_counter()
        for _ in range(n):
            claim = queue.claim_next()
            queue.complete(claim, ReportRef("r", "r"))
        per = (time.perf_counter() - start) / n
        print(f"  claim + complete (pause 0, listing {args.videos}..{args.videos - n} videos): {per * 1000:.1f} ms/video")


if __name__ == "__main__":
    main()
