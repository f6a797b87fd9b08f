"""Drive transfer throughput and peak memory: 100 MB and 1 GB through the Drive emulator.

Each transfer runs in its own subprocess (so peak RSS belongs to that one transfer) with the real
DriveStore: chunked download with md5 check, resumable upload in chunks. The emulator runs in
this parent process. Peak RSS should stay flat as the file grows (a few chunks of memory).

    PYTHONPATH=$PWD python bench/drive_io.py [--sizes 100,1024] [--chunk-mb 8]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MB = 1024 * 1024


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child(args: argparse.Namespace) -> None:
    from config.settings import load_settings
    from drive.drive_store import DriveStore

    settings = load_settings(None, storage={"backend": "drive"}, drive=json.loads(args.drive))
    store = DriveStore(settings)
    store.list_videos()  # connect, resolve the folder: not part of the timing
    before = peak_rss_mb()
    t0 = time.perf_counter()
    if args.child == "download":
        store.download(args.file_id, Path(args.path))
    else:
        store.upload_output(Path(args.path), Path(args.path).name, args.file_id, "video/mp4")
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "rss_before_mb": before, "peak_rss_mb": peak_rss_mb()}))


def random_file(path: Path, size: int) -> None:
    with open(path, "wb") as out:
        left = size
        while left:
            out.write(os.urandom(min(16 * MB, left)))
            left -= min(16 * MB, left)


def run_child(kind: str, drive: dict, file_id: str, path: Path) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, "--drive", json.dumps(drive), "--file-id", file_id, "--path", str(path)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("HOTFOLDER_CONFIG", None)
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{kind} child failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="100,1024", help="sizes in MB, comma separated")
    p.add_argument("--chunk-mb", type=int, default=8)
    p.add_argument("--child", choices=["download", "upload"])
    p.add_argument("--drive")
    p.add_argument("--file-id")
    p.add_argument("--path")
    args = p.parse_args()
    if args.child:
        return child(args)

    from tests.support.drive_emulator import DriveEmulator

    rows = []
    with DriveEmulator() as emu, tempfile.TemporaryDirectory(prefix="drive-io-") as tmp:
        tmpdir = Path(tmp)
        token = tmpdir / "token.json"
        emu.write_token(token)
        drive = emu.drive_settings(token, chunk_size=args.chunk_mb * MB)
        for size_mb in (int(s) for s in args.sizes.split(",")):
            src = tmpdir / f"src-{size_mb}.mp4"
            random_file(src, size_mb * MB)
            vid = emu.add_file(src.name, src)
            dl = tmpdir / f"dl-{size_mb}.mp4"
            r = run_child("download", drive, vid, dl)
            dl.unlink()  # store.download already verified the md5 against Drive's
            rows.append(("download", size_mb, r))
            before = {f["id"] for f in emu.find(src.name)}
            r = run_child("upload", drive, vid, src)
            [up] = [f for f in emu.find(src.name) if f["id"] not in before]
            assert up["md5Checksum"] == emu.file(vid)["md5Checksum"], "upload arrived corrupt"
            rows.append(("upload", size_mb, r))
            emu.remove(up["id"])
            emu.content_path(up["id"]).unlink(missing_ok=True)
            emu.remove(vid)
            emu.content_path(vid).unlink(missing_ok=True)
            src.unlink()
    print(f"Drive emulator transfers, chunk {args.chunk_mb} MiB, loopback, one subprocess per transfer")
    print(f"{'transfer':<10}{'size MiB':>10}{'seconds':>10}{'MiB/s':>10}{'RSS before':>12}{'peak RSS':>10}")
    for kind, size_mb, r in rows:
        print(f"{kind:<10}{size_mb:>10}{r['seconds']:>10.2f}{size_mb / r['seconds']:>10.1f}{r['rss_before_mb']:>10.0f}MB{r['peak_rss_mb']:>8.0f}MB")
    for kind in ("download", "upload"):
        peaks = [(size, r["peak_rss_mb"]) for k, size, r in rows if k == kind]
        if len(peaks) > 1:
            (s0, p0), (s1, p1) = min(peaks), max(peaks)
            print(f"{kind}: peak RSS {p0:.0f} MB at {s0} MiB vs {p1:.0f} MB at {s1} MiB ({p1 - p0:+.1f} MB for {s1 / s0:.0f}x the data)")


if __name__ == "__main__":
    main()
