"""Storage requests per watcher poll, against the Drive emulator with the real DriveStore.

Goal: ONE Drive request per idle poll (no video waiting, no worker alive) and 0 launches over
100 idle polls. Also prints the cost of a poll while a video is settling and the first poll of a
process (which looks at Done/Failed once). The launcher is the RunPod emulator with the real
runpod SDK when available, else the local launcher; nothing is launched in the idle phase.

    PYTHONPATH=$PWD python bench/poll.py [--polls 100]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


class CountingLauncher:
    """Wraps a launcher and counts its calls."""

    def __init__(self, inner):
        self.inner = inner
        self.calls: Counter[str] = Counter()

    def launch(self, env):
        self.calls["launch"] += 1
        return self.inner.launch(env)

    def list_workers(self):
        self.calls["list_workers"] += 1
        return self.inner.list_workers()

    def terminate(self, worker_id):
        self.calls["terminate"] += 1
        return self.inner.terminate(worker_id)


def drive_ops(emu, since: int) -> Counter:
    return Counter(r.op for r in emu.requests[since:] if r.op != "token")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--polls", type=int, default=100)
    args = ap.parse_args()

    from config import load_settings
    from tests.support.drive_emulator import DriveEmulator
    from tests.support.drive_setup import FAST_BACKOFF
    from drive.drive_store import DriveStore
    from watcher.daemon import build_context
    from watcher.poll import poll

    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        emu = stack.enter_context(DriveEmulator())
        token = tmp / "drive-token.json"
        emu.write_token(token)
        overrides = dict(storage={"backend": "drive"}, drive=emu.drive_settings(token, settle_seconds=30),
                         watcher={"state_dir": str(tmp / "state")}, web={"enabled": False})
        launcher_name = "local"
        try:
            from tests.support.runpod_emulator import RunpodEmulator

            rp = stack.enter_context(RunpodEmulator(tmp / "runpod"))
            import os

            os.environ["RUNPOD_API_BASE_URL"] = rp.url
            overrides.update(launcher={"backend": "runpod"},
                             runpod={"api_key": rp.api_key, "image": "hotfolder:bench"})
            launcher_name = "runpod emulator"
        except ImportError:
            pass
        settings = load_settings(**overrides)
        from pod_launcher.factory import open_launcher

        launcher = CountingLauncher(open_launcher(settings))
        storage = DriveStore(settings, backoff=FAST_BACKOFF)
        # One finished video from an earlier day, so the Done listing is not trivially empty.
        done = emu.add_folder(settings.drive.done_folder)  # a sibling of the hot folder, as DriveStore makes it
        emu.add_file("yesterday.mp4", b"old", parent=done, properties={"hf_state": "done", "hf_report_id": "r1"})
        ctx = build_context(settings, storage=storage, launcher=launcher)

        mark = len(emu.requests)
        poll(ctx)
        first = drive_ops(emu, mark)

        per_poll, times = [], []
        for _ in range(args.polls):
            mark = len(emu.requests)
            t0 = time.perf_counter()
            r = poll(ctx)
            times.append(time.perf_counter() - t0)
            per_poll.append(sum(drive_ops(emu, mark).values()))
            assert r.error is None, r.error
        idle_ops = drive_ops(emu, len(emu.requests) - sum(per_poll))

        # A video still being uploaded: polls while it settles (nothing launched yet).
        vid = emu.add_file("uploading.mp4", b"x" * 1000)
        settling = []
        for i in range(3):
            emu.set_content(vid, b"x" * (1000 * (i + 2)))
            mark = len(emu.requests)
            r = poll(ctx)
            settling.append(sum(drive_ops(emu, mark).values()))
            assert not r.launched

        print(f"watcher poll bench — DriveStore on the Drive emulator, launcher: {launcher_name}")
        print(f"first poll of a process: {sum(first.values())} Drive requests {dict(first)}")
        print(f"idle polls: {args.polls}; Drive requests per idle poll: min {min(per_poll)}, "
              f"mean {statistics.mean(per_poll):.2f}, max {max(per_poll)} (goal: 1) {dict(idle_ops)}")
        print(f"launches during idle polls: {launcher.calls['launch']} (goal: 0); "
              f"launcher list calls: {launcher.calls['list_workers']}")
        print(f"poll wall time: median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms")
        print(f"polls while a video is still growing: Drive requests {settling}, launches {launcher.calls['launch']}")
        ctx.history.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
