"""Small in-memory stand-ins for the storage, launcher, settle tracker and reaper, for poll unit tests.

The integration tests use the real adapters (local store / Drive emulator, local launcher / RunPod
emulator); these exist so each poll rule can be tested in isolation and requests counted exactly.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from drive.model import Folder, State, VideoFile, VideoState
from drive.storage import StorageError
from pod_launcher.base import NoCapacity, WorkerInfo

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, t: datetime = T0):
        self.t = t

    def __call__(self) -> datetime:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


class MemoryStorage:
    def __init__(self):
        self.folders: dict[Folder, dict[str, VideoFile]] = {f: {} for f in Folder}
        self.calls: Counter[str] = Counter()
        self.fail_listing = False

    def add(self, name: str, size: int = 1000, md5: str = "m0", folder: Folder = Folder.INBOX, **props) -> VideoFile:
        v = VideoFile(id="id-" + name, name=name, size=size, md5=md5, mime_type="video/mp4",
                      modified_time=T0, properties={k: str(x) for k, x in props.items()}, link=None)
        self.folders[folder][v.id] = v
        return v

    def grow(self, file_id: str, size: int, md5: str) -> None:
        v = self.folders[Folder.INBOX][file_id]
        self.folders[Folder.INBOX][file_id] = replace(v, size=size, md5=md5)

    def set_state(self, file_id: str, state: VideoState, folder: Folder | None = None) -> None:
        for f, files in self.folders.items():
            if file_id in files:
                v = files.pop(file_id)
                props = {k: x for k, x in {**v.properties, **state.to_properties()}.items() if x is not None}
                self.folders[folder or f][file_id] = replace(v, properties=props)
                return
        raise KeyError(file_id)

    def list_videos(self, folder: Folder = Folder.INBOX) -> list[VideoFile]:
        self.calls["list_videos:" + folder.value] += 1
        if self.fail_listing:
            raise StorageError("HTTP 503 from the API")
        return list(self.folders[folder].values())

    def list_outcomes(self, since=None) -> list[VideoFile]:
        """Done + Failed in one request (the memory store keeps no arrival times: all of them)."""
        self.calls["list_outcomes"] += 1
        if self.fail_listing:
            raise StorageError("HTTP 503 from the API")
        return list(self.folders[Folder.DONE].values()) + list(self.folders[Folder.FAILED].values())

    def output_link(self, ref_id: str) -> str | None:
        return f"memory://{ref_id}" if ref_id else None

    def move_video(self, file_id: str, folder: Folder) -> None:
        self.calls["move_video"] += 1
        self.set_state(file_id, VideoState.from_properties(self.find(file_id).properties), folder)

    def find(self, file_id: str) -> VideoFile:
        for files in self.folders.values():
            if file_id in files:
                return files[file_id]
        raise KeyError(file_id)

    @property
    def requests(self) -> int:
        return sum(self.calls.values())


class FakeLauncher:
    def __init__(self, clock: Clock, capacity: int = 100):
        self.clock = clock
        self.capacity = capacity
        self.workers: dict[str, WorkerInfo] = {}
        self.launches: list[dict[str, str]] = []
        self.terminated: list[str] = []

    def launch(self, env: dict[str, str]) -> WorkerInfo:
        if self.capacity <= 0:
            raise NoCapacity("no instances available for any GPU type")
        self.capacity -= 1
        self.launches.append(env)
        wid = f"pod-{len(self.launches)}"
        w = WorkerInfo(wid, f"hotfolder-worker-{len(self.launches)}", "RUNNING", self.clock(), "NVIDIA L4", 0.48)
        self.workers[wid] = w
        return w

    def list_workers(self) -> list[WorkerInfo]:
        return list(self.workers.values())

    def terminate(self, worker_id: str) -> None:
        self.terminated.append(worker_id)
        if worker_id in self.workers:
            self.workers[worker_id] = replace(self.workers[worker_id], status="TERMINATED")

    def exit(self, worker_id: str) -> None:
        self.workers[worker_id] = replace(self.workers[worker_id], status="EXITED")

    def alive(self) -> list[str]:
        return [w.id for w in self.workers.values() if w.alive]


class MemorySettle:
    """The settle rule of drive.settle (same (size, md5, since) observation), kept in memory."""

    def __init__(self, settle_seconds: float):
        self.settle_seconds = settle_seconds
        self.obs: dict[str, tuple] = {}

    def settled(self, videos, now):
        out = []
        seen = set()
        for v in videos:
            seen.add(v.id)
            o = self.obs.get(v.id)
            if o is None or o[:2] != (v.size, v.md5):
                o = self.obs[v.id] = (v.size, v.md5, now)
            if (now - o[2]).total_seconds() >= self.settle_seconds:
                out.append(v)
        for gone in set(self.obs) - seen:
            del self.obs[gone]
        return out

    def select(self, videos, now, max_attempts=None):
        """drive.settle's Selection over these observations (the poll classifies nothing itself)."""
        from drive.model import VideoState
        from drive.settle import Selection, classify, order_key

        videos = sorted({v.id: v for v in videos}.values(), key=order_key)
        settled = {v.id for v in self.settled(videos, now)}
        process, exhausted, waiting = [], [], []
        for v in videos:
            kind = classify(VideoState.from_properties(v.properties), now, max_attempts)
            if kind == "exhausted":
                exhausted.append(v)
            elif kind == "process":
                (process if v.id in settled else waiting).append(v)
        return Selection(process=process, exhausted=exhausted, waiting=waiting)


class RecordingReaper:
    """Terminates like the contract says: older than max_lifetime, or idle longer than idle_timeout."""

    def __init__(self):
        self.calls: list[dict[str, datetime]] = []

    def __call__(self, launcher, last_activity, now, settings, workers=None):
        self.calls.append(dict(last_activity))
        out = []
        for w in launcher.list_workers() if workers is None else workers:
            if not w.alive:
                continue
            age = (now - w.started_at).total_seconds()
            last = last_activity.get(w.id, w.started_at)
            if age > settings.max_lifetime or (now - last).total_seconds() > settings.idle_timeout:
                launcher.terminate(w.id)
                out.append(w)
        return out


def claimed(worker: str, lease_until: datetime, progress: int = 10, attempts: int = 0) -> VideoState:
    return VideoState(State.CLAIMED, worker, lease_until, attempts, progress)
