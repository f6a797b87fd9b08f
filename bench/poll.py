"""Storage requests per watcher poll, against the Drive emulator with the real DriveStore.

Goal: ONE Drive request per idle poll (no video waiting, no worker alive) and 0 launches over
100 idle polls. Also prints the cost of a poll while a video is settling and the first poll of a
process (which looks at Done/Failed once).

``--history N`` (default 10,000): a second phase with N finished videos in Done and a worker alive
(a stub launcher that lists one running worker and counts its list calls): Drive requests, launcher
list calls and wall time per poll. With workers alive the watcher must look for outcomes every poll;
that look must not grow with the Done folder.

Measured 2026-11-29 (10,000 videos in Done, 1 worker alive, 10 polls, Drive emulator):

    before (full Done/Failed listing, reaper listing again): 12 Drive requests/poll (list x12),
           2 launcher list calls/poll, median 643 ms, max 957 ms
    after  (one modifiedTime-windowed list over Done+Failed, one shared worker list):
           2 Drive requests/poll (inbox + outcomes), 1 launcher list call/poll, median 85 ms, max 144 ms The launcher is the RunPod emulator with the real
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
    ap.add_argument("--history", type=int, default=10_000, help="finished videos in Done for the busy phase")
    ap.add_argument("--busy-polls", type=int, default=20)
    args = ap.parse_args()

    from config import load_settings
    from tests.support.drive_emulator import DriveEmulator
    from tests.support.drive_setup import FAST_BACKOFF
    from drive.drive_store import DriveStore
    from drive.model import Folder
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
            from config.settings import RunpodSettings

            runpod = {"api_key": rp.api_key, "image": "hotfolder:bench"}
            if "allow_plain_token_env" in RunpodSettings.model_fields:  # nothing is launched here
                runpod["allow_plain_token_env"] = True
            overrides.update(launcher={"backend": "runpod"}, runpod=runpod)
            launcher_name = "runpod emulator"
        except ImportError:
            pass
        settings = load_settings(**overrides)
        from pod_launcher.factory import open_launcher

        launcher = CountingLauncher(open_launcher(settings))
        storage = DriveStore(settings, backoff=FAST_BACKOFF)
        # One finished video from an earlier day, so the Done listing is not trivially empty.
        done = storage.folder_id(Folder.DONE)  # where this version of DriveStore puts it
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
    if args.history:
        busy_phase(args.history, args.busy_polls)
    return 0


class AliveLauncher:
    """One worker that stays alive (started now), so every poll looks for outcomes; counts list calls."""

    def __init__(self):
        from datetime import datetime, timezone

        from pod_launcher.base import WorkerInfo

        self.calls: Counter[str] = Counter()
        self.worker = WorkerInfo("pod-1", "hotfolder-worker-1", "RUNNING", datetime.now(timezone.utc), "CPU", 0.1)

    def launch(self, env):
        raise AssertionError("the busy phase launches nothing")

    def list_workers(self):
        self.calls["list_workers"] += 1
        return [self.worker]

    def terminate(self, worker_id):
        self.calls["terminate"] += 1


def busy_phase(n_done: int, polls: int) -> None:
    from config import load_settings
    from drive.drive_store import DriveStore
    from drive.model import Folder
    from tests.support.drive_emulator import DriveEmulator
    from tests.support.drive_setup import FAST_BACKOFF
    from watcher.daemon import build_context
    from watcher.poll import poll

    with DriveEmulator() as emu, tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        token = tmp / "drive-token.json"
        emu.write_token(token)
        settings = load_settings(storage={"backend": "drive"}, drive=emu.drive_settings(token, settle_seconds=30),
                                 watcher={"state_dir": str(tmp / "state")}, web={"enabled": False})
        storage = DriveStore(settings, backoff=FAST_BACKOFF)
        done = storage.folder_id(Folder.DONE)  # wherever this version of DriveStore puts it
        t0 = time.perf_counter()
        from datetime import datetime, timedelta, timezone

        first_day = datetime.now(timezone.utc) - timedelta(days=n_done // 10 + 1)
        for i in range(n_done):  # ten a day for the last n/10 days, each moved to Done on its day
            fid = emu.add_file(f"day{i // 10:04d}_{i % 10}.mp4", b"v", parent=done,
                               properties={"hf_state": "done", "hf_report_id": f"r{i}"})
            day = first_day + timedelta(days=i // 10, minutes=i % 10)
            emu._files[fid].modified = day.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        setup_s = time.perf_counter() - t0
        launcher = AliveLauncher()
        ctx = build_context(settings, storage=storage, launcher=launcher)
        poll(ctx)  # the first poll of the process (records the history's baseline)
        per_poll, times, lists = [], [], []
        ops: Counter = Counter()
        for _ in range(polls):
            mark, calls = len(emu.requests), launcher.calls["list_workers"]
            t1 = time.perf_counter()
            r = poll(ctx)
            times.append(time.perf_counter() - t1)
            got = drive_ops(emu, mark)
            ops.update(got)
            per_poll.append(sum(got.values()))
            lists.append(launcher.calls["list_workers"] - calls)
            assert r.error is None, r.error
            assert r.alive, "the worker should stay alive"
        print(f"busy polls with {n_done} finished videos in Done and 1 worker alive "
              f"(set up in {setup_s:.1f} s): {polls} polls")
        print(f"  Drive requests per poll: min {min(per_poll)}, mean {statistics.mean(per_poll):.2f}, "
              f"max {max(per_poll)} {dict(ops)}")
        print(f"  launcher list calls per poll: {statistics.mean(lists):.2f} (goal: 1)")
        print(f"  poll wall time: median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms")
        ctx.history.close()


if __name__ == "__main__":
    sys.exit(main())
