"""Pose estimation: MediaPipe Pose (0.10.21 legacy ``solutions.pose``) on the sampled frames of a video.

``model_complexity=1`` is the only level whose model ships inside the wheel (0 and 2 download theirs
and fail offline). Tracking mode (``static_image_mode=False``) with MediaPipe's landmark smoothing.

Speed comes from processes, not threads: the video is cut into time segments and a pool of processes
(one MediaPipe instance each) analyses them. Tracking needs a few frames to lock on, so each segment
after the first starts ``WARMUP_S`` earlier and those warm-up frames are analysed and thrown away.
Each process decodes its own segment, so frames never cross process boundaries; results are small
arrays (33 landmarks per analysed frame), so memory stays flat whatever the video's length.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass

import numpy as np

from processor.anchoring import anchor_to_image
from processor.flip_average import Landmarks, flip_average
from processor.model import N_LANDMARKS, AnalysisOptions, PoseSequence, VideoInfo
from processor.video import iter_frames, preset, probe

WARMUP_S = 1.0  # tracking warm-up analysed before each segment and discarded
MIN_SEGMENT_S = 15.0  # shorter segments waste more on warm-up and process start than they gain
SEGMENTS_PER_PROCESS = 2  # a little more segments than processes evens out uneven segments

Progress = Callable[[float], None]


@dataclass(frozen=True)
class _Segment:
    path: str
    fps: float
    max_side: int
    start_s: float
    end_s: float | None  # None: to the end
    warmup_s: float
    flip: bool = False  # also analyse the mirrored frame and average (processor.flip_average)


@dataclass
class _SegmentResult:
    time_s: np.ndarray
    landmarks: Landmarks
    flip_disagreed: int = 0  # frames where the mirrored pass followed another person


_counter = None  # shared frame counter of the pool's processes (progress reporting)


def _init_worker(counter) -> None:
    global _counter
    _counter = counter
    os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's C++ start-up chatter


def _new_pose():
    import mediapipe as mp

    return mp.solutions.pose.Pose(
        static_image_mode=False,
        model_complexity=1,
        smooth_landmarks=True,
        enable_segmentation=False,
        min_detection_confidence=0.5,
        min_tracking_confidence=0.5,
    )


class _Tracker:
    """One MediaPipe instance and the landmarks it found, frame by frame."""

    def __init__(self, pose) -> None:
        self.pose = pose
        self.world: list[np.ndarray] = []
        self.image: list[np.ndarray] = []
        self.vis: list[np.ndarray] = []
        self._last_us = -1

    def process(self, image: np.ndarray, time_s: float):
        # The legacy API stamps frames as a 30-fps stream; give the landmark smoothing filter the
        # frames' real times instead (it adapts to speed, so the spacing matters). process() adds
        # 33333 µs before stamping.
        ts_us = max(self._last_us + 1, int(round(time_s * 1e6)))
        if hasattr(self.pose, "_simulated_timestamp"):
            self.pose._simulated_timestamp = ts_us - 33333
        self._last_us = ts_us
        return self.pose.process(image)

    def keep(self, res) -> None:
        if res.pose_world_landmarks is None or res.pose_landmarks is None:
            self.world.append(np.full((N_LANDMARKS, 3), np.nan, np.float32))
            self.image.append(np.full((N_LANDMARKS, 2), np.nan, np.float32))
            self.vis.append(np.full(N_LANDMARKS, np.nan, np.float32))
            return
        wl = res.pose_world_landmarks.landmark
        il = res.pose_landmarks.landmark
        self.world.append(np.array([(p.x, p.y, p.z) for p in wl], np.float32))
        self.image.append(np.array([(p.x, p.y) for p in il], np.float32))
        self.vis.append(np.array([p.visibility for p in il], np.float32))

    def landmarks(self) -> Landmarks:
        if not self.world:
            return Landmarks(
                np.zeros((0, N_LANDMARKS, 3), np.float32),
                np.zeros((0, N_LANDMARKS, 2), np.float32),
                np.zeros((0, N_LANDMARKS), np.float32),
            )
        return Landmarks(np.stack(self.world), np.stack(self.image), np.stack(self.vis))


def _run_segment(seg: _Segment, on_frame: Callable[[], None] | None = None) -> _SegmentResult:
    times: list[float] = []
    size = (1, 1)
    with _new_pose() as pose, (_new_pose() if seg.flip else contextlib.nullcontext()) as mirror_pose:
        original = _Tracker(pose)
        mirrored = _Tracker(mirror_pose) if seg.flip else None
        for frame in iter_frames(seg.path, seg.fps, seg.max_side, max(0.0, seg.start_s - seg.warmup_s), seg.end_s):
            size = (frame.image.shape[1], frame.image.shape[0])
            res = original.process(frame.image, frame.time_s)
            res_m = mirrored.process(np.ascontiguousarray(frame.image[:, ::-1]), frame.time_s) if mirrored else None
            if frame.time_s < seg.start_s - 1e-6:
                continue  # warm-up frame: it only primes tracking
            times.append(frame.time_s)
            original.keep(res)
            if mirrored is not None:
                mirrored.keep(res_m)
            if on_frame is not None:
                on_frame()
            elif _counter is not None:
                with _counter.get_lock():
                    _counter.value += 1
    found, disagreed = original.landmarks(), 0
    if mirrored is not None and times:
        found, disagreed = flip_average(found, mirrored.landmarks(), *size)
    return _SegmentResult(np.asarray(times, np.float64), found, disagreed)


def plan_segments(info: VideoInfo, fps: float, max_side: int, processes: int, flip: bool = False) -> list[_Segment]:
    """Cut the video into time segments whose boundaries lie on the analysis grid."""
    duration = info.duration_s
    n = 1
    if processes > 1:
        n = max(1, min(processes * SEGMENTS_PER_PROCESS, int(duration // MIN_SEGMENT_S)))
    if n == 1:
        return [_Segment(str(info.path), fps, max_side, 0.0, None, 0.0, flip)]
    step = 1.0 / fps
    bounds = [math.floor(duration * i / n / step) * step for i in range(n)] + [None]
    return [
        _Segment(str(info.path), fps, max_side, bounds[i], bounds[i + 1], WARMUP_S if i else 0.0, flip)
        for i in range(n)
    ]


def resolve_processes(requested: int) -> int:
    return requested if requested and requested > 0 else (os.cpu_count() or 1)


def estimate_pose(
    path: str | os.PathLike[str],
    options: AnalysisOptions = AnalysisOptions(),
    progress: Progress | None = None,
    anchor: bool = True,
    flip: bool | None = None,
) -> PoseSequence:
    """Landmarks of the most prominent person in every analysis frame (NaN rows where none is found).

    ``anchor=False`` keeps MediaPipe's own world landmarks instead of the image-anchored skeleton
    (``processor.anchoring``); ``flip`` overrides the quality preset's flip test
    (``processor.flip_average``). Only the accuracy benchmark uses either.

    Raises ``VideoError`` for input that is not a decodable video.
    """
    info = probe(path)
    p = preset(options.quality)
    fps = min(p.fps, info.fps) if info.fps > 0 else p.fps
    processes = resolve_processes(options.processes)
    flip = p.flip if flip is None else flip
    segments = plan_segments(info, fps, p.max_side, processes, flip)
    expected = max(1, int(info.duration_s * fps))
    started = time.monotonic()

    if len(segments) == 1:
        done = 0

        def tick() -> None:
            nonlocal done
            done += 1
            if progress is not None and done % 5 == 0:
                progress(min(0.99, done / expected))

        results = [_run_segment(segments[0], on_frame=tick)]
    else:
        import multiprocessing as mp

        ctx = mp.get_context("spawn")  # MediaPipe/TFLite state must not be forked
        counter = ctx.Value("q", 0)
        results_by_index: dict[int, _SegmentResult] = {}
        with ProcessPoolExecutor(
            max_workers=min(processes, len(segments)), mp_context=ctx, initializer=_init_worker, initargs=(counter,)
        ) as pool:
            futures = {pool.submit(_run_segment, s): i for i, s in enumerate(segments)}
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for f in finished:
                    results_by_index[futures[f]] = f.result()
                if progress is not None:
                    progress(min(0.99, counter.value / expected))
        results = [results_by_index[i] for i in range(len(segments))]

    times = np.concatenate([r.time_s for r in results])
    # A file cut short after its index (e.g. a partial upload of a "fast start" mp4) decodes until the
    # cut: say so, so the report can tell a damaged file from a person walking out of the picture.
    last = float(times[-1]) if len(times) else 0.0
    truncated = info.duration_s - last > max(1.0, 3.0 / fps)
    image = np.concatenate([r.landmarks.image for r in results])
    visibility = np.concatenate([r.landmarks.visibility for r in results])
    world = np.concatenate([r.landmarks.world for r in results])
    if anchor:
        world = anchor_to_image(world, image, visibility, info.width, info.height)
    seq = PoseSequence(
        time_s=times,
        world=world.astype(np.float32),
        image=image,
        visibility=visibility,
        video=info,
        source="mediapipe",
        meta={
            "quality": options.quality,
            "analysis_fps": fps,
            "max_side": p.max_side,
            "processes": min(processes, len(segments)),
            "segments": len(segments),
            "seconds": round(time.monotonic() - started, 3),
            "model": "mediapipe 0.10.21 solutions.pose, model_complexity=1",
            "flip_test": "averaged with the mirrored picture (processor.flip_average); "
            f"{sum(r.flip_disagreed for r in results)} frames kept unaveraged (another person)"
            if flip
            else "off",
            "skeleton": "x, y from the image landmarks, depth from the world landmarks (processor.anchoring)"
            if anchor
            else "MediaPipe world landmarks",
            "decoded_until_s": round(last, 3),
            "truncated": bool(truncated),
        },
    )
    if progress is not None:
        progress(1.0)
    return seq
