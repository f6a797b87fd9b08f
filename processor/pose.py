"""Pose estimation: MediaPipe Pose (0.10.21 legacy ``solutions.pose``) on the sampled frames of a video.

``model_complexity=1`` is the only level whose model ships inside the wheel (0 and 2 download theirs
and fail offline). Tracking mode (``static_image_mode=False``) with MediaPipe's landmark smoothing.

Why tracking and not a fresh detection in every frame (static mode). In tracking mode the next frame's
crop comes from this frame's landmarks, so a wrong reading can carry itself on: seen from behind at a
65-70° bend, the tracked shoulders fell onto the hips (picture trunk 6-10 px of ~95, read ~90°), while
static mode, whose crop comes from the detector, put them 35 px above (read 70°). Over the whole rendered
set (2026-11-29, balanced, everything else the pipeline's, trunk MAE tracking -> static) the rear clips
gain (bodyB_rear 6.8 -> 4.8°, bodyC_rear 6.0 -> 3.1°, bodyA_rear_cycle 8.0 -> 6.3°, bodyA_rear 4.5 -> 3.9°),
but the frontal ones lose (bodyA/B/C_front 6.9 / 6.2 / 5.4 -> 7.0 / 8.7 / 8.8°, the work cycle 7.1 -> 8.9°:
in front, static mode put the shoulders below the hips at 73°), the benches fall apart (bodyA_bench 7.4 ->
19.5°), the time in another trunk zone rises to 12-15 % on three clips (bodyA_rear_cycle 3.6 -> 14.3 %),
and the near arm from behind gets worse (bodyB_rear 9.7 -> 14.7°, bodyA_rear_cycle 9.1 -> 17.7°). Choosing
per frame or per view between the two would need both passes (twice the pose step's time, which takes
the balanced preset below 2x real time) and a rule that says which reading is right, which neither gives.
What the pipeline does instead is narrower: only the frames seen from behind whose tracked trunk is
shorter than a fully curled one (so no right reading) are read again afresh (``processor.reread``).

Why the full model (``model_complexity=1``) and not the heavy one (2). The heavy model is not in any
PyPI wheel, but the ``@mediapipe/pose`` npm package (0.5.1675469404, Apache-2.0) carries it beside a
full model identical to the wheel's byte for byte, and placed in the wheel's ``modules/pose_landmark``
the legacy solution runs it offline. Measured on the 22 rendered clips (2026-11-29, balanced, everything
else the pipeline's, full -> heavy, mean over clips): trunk MAE 4.3 -> 5.4°, near arm 8.8 -> 10.7°, neck
(all frames) 7.2 -> 12.8° (its neutral offset is the full model's), 62 against 19 ms a frame. It gained
in front (near arm bodyA/B/C_front 13.5 / 12.8 / 10.1 -> 9.1 / 8.1 / 7.7°, trunk bodyA_front_cycle 7.1 ->
5.3°) and lost from the side (near arm 5.0-6.4 -> 11.1-13.3°) and behind the bench and the machine
(trunk bodyB_bench_front 8.6 -> 15.0°, bodyC_machine_side 3.0 -> 16.4°, its zone 1.3 -> 12.3 %).

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
from processor.flip_average import Landmarks, same_person, unmirror
from processor.model import N_LANDMARKS, AnalysisOptions, PoseSequence, VideoError, VideoInfo
from processor.reread import UPPER_AND_HIPS, picture_torso, possible, same_place, seen_by_both, short_trunks
from processor.subject import (
    BINS, N_REGIONS, Detections, IdentityTracker, Observation, choose_subject, crop_box, describe, focal_of,
    identity_fit, observe, seed,
)
from processor.video import iter_frames, preset, probe

WARMUP_S = 1.0  # tracking warm-up analysed before each segment and discarded
MIN_SEGMENT_S = 15.0  # shorter segments waste more on warm-up and process start than they gain
SEGMENTS_PER_PROCESS = 2  # a little more segments than processes evens out uneven segments
REREAD_GAP_S = 2.0  # short-trunk frames closer than this are decoded again in one stretch (processor.reread)
REREAD_JOB_FRAMES = 40  # frames per re-reading job for the pool: ~4 s of work, and progress at each job's end
REREAD_MIN_JOB_FRAMES = 5  # fewer are read in this process: a job opens the video and a pose graph (~0.2 s)

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
    follow_subject: bool = True  # tell people apart and look for the subject in a crop (processor.subject)


@dataclass
class _SegmentResult:
    time_s: np.ndarray
    landmarks: Landmarks  # every detection: one row each (``frame`` says of which analysed frame)
    frame: np.ndarray  # (M,) index into time_s
    track: np.ndarray  # (M,) the segment's track id (processor.subject); 0 with follow_subject off
    centre: np.ndarray  # (M, 2) pixels
    scale: np.ndarray  # (M,) pixels per metre
    look: np.ndarray  # (M, regions, bins)
    box: np.ndarray  # (M, 4) pixels: x0, y0, x1, y1 of the visible landmarks
    searched: np.ndarray  # (N,) the track a crop looked for in each analysed frame (-1: none)
    size: tuple[int, int] = (1, 1)  # analysed frame width, height
    flip_disagreed: int = 0  # frames where the mirrored pass followed another person
    recovered: int = 0  # frames whose subject was found again in a crop (processor.subject)


_counter = None  # shared frame counter of the pool's processes (progress reporting)


def _init_worker(counter) -> None:
    global _counter
    _counter = counter
    os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's C++ start-up chatter


def _new_pose(static: bool = False):
    import mediapipe as mp

    return mp.solutions.pose.Pose(
        static_image_mode=static,
        model_complexity=1,
        smooth_landmarks=True,
        enable_segmentation=False,
        min_detection_confidence=0.5,
        min_tracking_confidence=0.5,
    )


def _mirror(image: np.ndarray) -> np.ndarray:
    """The picture flipped left-right, contiguous as MediaPipe needs it. OpenCV's flip, the same pixels:
    numpy's copy of the reversed view went pixel by pixel, 5 % of a balanced pose pass's time in a
    profile (2026-11-30; 2.1 ms against cv2.flip's 0.44 ms for a 640x360 frame, side by side)."""
    import cv2

    return cv2.flip(image, 1)


_Found = tuple[np.ndarray, np.ndarray, np.ndarray]  # world (33, 3), image (33, 2), visibility (33,)


class _Tracker:
    """One MediaPipe instance in tracking mode, fed the frames' real times."""

    def __init__(self, pose) -> None:
        self.pose = pose
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


def _found(res) -> _Found | None:
    if res is None or res.pose_world_landmarks is None or res.pose_landmarks is None:
        return None
    wl = res.pose_world_landmarks.landmark
    il = res.pose_landmarks.landmark
    return (
        np.array([(p.x, p.y, p.z) for p in wl], np.float32),
        np.array([(p.x, p.y) for p in il], np.float32),
        np.array([p.visibility for p in il], np.float32),
    )


def _unmirror(found: _Found | None) -> _Found | None:
    if found is None:
        return None
    back = unmirror(Landmarks(found[0][None], found[1][None], found[2][None]))
    return back.world[0], back.image[0], back.visibility[0]


def _merge(original: _Found | None, mirrored: _Found | None, width: int, height: int) -> tuple[list[_Found], bool]:
    """The frame's detections after the flip test (``processor.flip_average``), and whether the two disagreed.

    Both on the same person: their average; on different people: both, the original's first; one
    only: that one. The first is what the flip test alone keeps.
    """
    if original is None or mirrored is None:
        return [f for f in (original, mirrored) if f is not None], False
    if same_person(original[1][None], mirrored[1][None], width, height)[0]:
        return [tuple((a + b) / 2.0 for a, b in zip(original, mirrored))], False
    return [original, mirrored], True


def _in_crop(found: _Found | None, box, width: int, height: int) -> _Found | None:
    """Image landmarks found in a crop, expressed in the whole picture (normalised)."""
    if found is None:
        return None
    x0, y0, x1, y1 = box
    image = found[1].astype(np.float64)
    image = np.stack([(x0 + image[:, 0] * (x1 - x0)) / width, (y0 + image[:, 1] * (y1 - y0)) / height], axis=1)
    return found[0], image.astype(np.float32), found[2]


def _detect_in_crop(pose, frame: np.ndarray, box, flip: bool) -> list[_Found]:
    """Static-mode detection (and its mirror) in a crop of the frame, in whole-picture coordinates."""
    height, width = frame.shape[:2]
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    if x1 - x0 < 16 or y1 - y0 < 16:
        return []
    crop = np.ascontiguousarray(frame[y0:y1, x0:x1])
    box = (x0, y0, x1, y1)
    original = _in_crop(_found(pose.process(crop)), box, width, height)
    mirrored = None
    if flip:
        mirrored = _in_crop(_unmirror(_found(pose.process(_mirror(crop)))), box, width, height)
    return _merge(original, mirrored, width, height)[0]


def _run_segment(seg: _Segment, on_frame: Callable[[], None] | None = None) -> _SegmentResult:
    times: list[float] = []
    rows: list[tuple[int, int, _Found, Observation | None]] = []  # frame, track, landmarks, identity
    searched: list[int] = []
    size = (1, 1)
    disagreed = recovered = 0
    identity: IdentityTracker | None = None
    crop_pose = None
    with contextlib.ExitStack() as stack:
        original = _Tracker(stack.enter_context(_new_pose()))
        mirrored = _Tracker(stack.enter_context(_new_pose())) if seg.flip else None
        for frame in iter_frames(seg.path, seg.fps, seg.max_side, max(0.0, seg.start_s - seg.warmup_s), seg.end_s):
            size = (frame.image.shape[1], frame.image.shape[0])
            res = original.process(frame.image, frame.time_s)
            res_m = mirrored.process(_mirror(frame.image), frame.time_s) if mirrored else None
            found, disagree = _merge(_found(res), _unmirror(_found(res_m)), *size)
            warmup = frame.time_s < seg.start_s - 1e-6  # it only primes tracking (and identities)
            if not seg.follow_subject:
                if warmup:
                    continue
                rows.extend((len(times), 0, f, None) for f in found[:1])  # the flip test's choice
            else:
                if identity is None:
                    identity = IdentityTracker(size[0], size[1], 1.0 / seg.fps)
                # when the passes disagree, the original's is the frame's detection and the mirrored
                # one a second chance for the primary (processor.subject)
                obs = [observe(frame.time_s, *f, frame.image) for f in found]
                ids = identity.assign(frame.time_s, obs[:1]) + [-1] * (len(obs) - 1)
                if len(obs) > 1:
                    ids[1] = identity.recover(obs[1])
                box = identity.crop_wanted(frame.time_s) if found and not warmup else None
                target = identity.primary.id if box is not None else -1
                if box is not None:
                    if crop_pose is None:
                        crop_pose = stack.enter_context(_new_pose(static=True))
                    for f in _detect_in_crop(crop_pose, frame.image, box, seg.flip):
                        if any(same_person(f[1][None], g[1][None], *size)[0] for g in found):
                            continue  # whom the main pass found: not a second person
                        o = observe(frame.time_s, *f, frame.image)
                        tid = identity.recover(o)
                        if tid >= 0:
                            found, obs, ids = found + [f], obs + [o], ids + [tid]
                            recovered += not warmup
                            break
                if warmup:
                    continue
                rows.extend((len(times), tid, f, o) for f, o, tid in zip(found, obs, ids) if tid >= 0)
                searched.append(target)
            disagreed += disagree
            times.append(frame.time_s)
            if on_frame is not None:
                on_frame()
            elif _counter is not None:
                with _counter.get_lock():
                    _counter.value += 1
    n_looks = (N_REGIONS, BINS)
    landmarks = Landmarks(
        np.array([r[2][0] for r in rows], np.float32).reshape(-1, N_LANDMARKS, 3),
        np.array([r[2][1] for r in rows], np.float32).reshape(-1, N_LANDMARKS, 2),
        np.array([r[2][2] for r in rows], np.float32).reshape(-1, N_LANDMARKS),
    )
    return _SegmentResult(
        time_s=np.asarray(times, np.float64),
        landmarks=landmarks,
        frame=np.array([r[0] for r in rows], np.int64),
        track=np.array([r[1] for r in rows], np.int64),
        centre=np.array([r[3].centre if r[3] else (np.nan, np.nan) for r in rows], np.float64).reshape(-1, 2),
        scale=np.array([r[3].scale if r[3] else np.nan for r in rows], np.float64),
        look=np.array([r[3].look if r[3] else np.full(n_looks, np.nan) for r in rows], np.float32).reshape(-1, *n_looks),
        box=np.array([r[3].box if r[3] else (np.nan,) * 4 for r in rows], np.float64).reshape(-1, 4),
        searched=np.asarray(searched if seg.follow_subject else [-1] * len(times), np.int64),
        size=size,
        flip_disagreed=disagreed,
        recovered=recovered,
    )


def plan_segments(
    info: VideoInfo, fps: float, max_side: int, processes: int, flip: bool = False, follow_subject: bool = True
) -> list[_Segment]:
    """Cut the video into time segments whose boundaries lie on the analysis grid."""
    duration = info.duration_s
    n = 1
    if processes > 1:
        n = max(1, min(processes * SEGMENTS_PER_PROCESS, int(duration // MIN_SEGMENT_S)))
    if n == 1:
        return [_Segment(str(info.path), fps, max_side, 0.0, None, 0.0, flip, follow_subject)]
    step = 1.0 / fps
    bounds = [math.floor(duration * i / n / step) * step for i in range(n)] + [None]
    return [
        _Segment(str(info.path), fps, max_side, bounds[i], bounds[i + 1], WARMUP_S if i else 0.0, flip, follow_subject)
        for i in range(n)
    ]


def _abandon(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: queued segments are cancelled and running processes killed. ``shutdown(wait=True)``
    (what ``with`` does) would wait for a frozen process forever; the executor keeps its processes in a
    private ``_processes`` map, read here because the public API offers no way to kill them."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        proc.kill()
    for proc in processes:
        proc.join(timeout=5)


def resolve_processes(requested: int) -> int:
    """``analysis.processes``, or for 0 what the container allows: its usable CPUs (affinity and cgroup
    quota, not the host's ``os.cpu_count()``), capped by the memory available per pose process."""
    from processor.resources import pose_processes

    return pose_processes(requested)


def _grid_numbers(times: np.ndarray, fps: float) -> np.ndarray:
    """Analysis frames' numbers on the analysis grid, as ``iter_frames`` gives them (``Frame.index``)."""
    return np.floor(np.asarray(times) / (1.0 / fps) + 1e-6).astype(np.int64)  # iter_frames divides by its step


def _search(seg: _Segment, frames: np.ndarray, times: np.ndarray, start: tuple[Observation, np.ndarray],
            others: dict[int, list[np.ndarray]]) -> list[tuple[int, _Found, Observation]]:
    """Look for the subject in a crop around where they were last seen, in the analysed frames
    ``frames`` (consecutive, at ``times``), from ``start`` (their observation and look model).

    For the frames where someone else was found instead and the segment did not look for the subject
    (it never knew them: its MediaPipe instance started on someone else). ``others``: the image
    landmarks found in each frame, which a crop detection must not be.
    """
    ref, look = start
    step = 1.0 / seg.fps
    out: list[tuple[int, _Found, Observation]] = []
    pending = dict(zip(_grid_numbers(times, seg.fps).tolist(), frames.tolist()))
    with _new_pose(static=True) as pose:
        for frame in iter_frames(seg.path, seg.fps, seg.max_side, float(times[0]), float(times[-1]) + step / 2):
            index = pending.get(frame.index)
            if index is None:
                continue
            height, width = frame.image.shape[:2]
            box = crop_box(ref.box, width, height)
            for f in _detect_in_crop(pose, frame.image, box, seg.flip):
                if any(same_person(f[1][None], g[None], width, height)[0] for g in others.get(index, [])):
                    continue
                o = observe(frame.time_s, *f, frame.image)
                if o is not None and identity_fit(ref, look, o, focal_of(width, height)) is not None:
                    out.append((index, f, o))
                    ref = o
                    break
    return out


def _read_again(path: str, fps: float, max_side: int, flip: bool, times: np.ndarray,
                frames: np.ndarray, progress: Progress | None = None) -> dict[int, _Found]:
    """Fresh (static-mode) readings, with the flip test if ``flip``, of the analysis frames ``frames``
    (indices into ``times``), on the whole picture: {frame index: the reading the flip test keeps}.
    ``progress`` gets the share of them done."""
    out: dict[int, _Found] = {}
    if not len(frames):
        return out
    step = 1.0 / fps
    buckets = _grid_numbers(times[frames], fps)
    stretches = np.split(np.arange(len(frames)), np.flatnonzero(np.diff(times[frames]) > REREAD_GAP_S) + 1)
    done = 0
    with _new_pose(static=True) as pose:
        for run in stretches:
            pending = dict(zip(buckets[run].tolist(), frames[run].tolist()))
            start, end = float(times[frames[run[0]]]), float(times[frames[run[-1]]]) + step / 2.0
            for frame in iter_frames(path, fps, max_side, start, end):
                index = pending.get(frame.index)
                if index is None:
                    continue
                height, width = frame.image.shape[:2]
                found = _detect_in_crop(pose, frame.image, (0, 0, width, height), flip)
                if found:
                    out[index] = found[0]
                done += 1
                if progress is not None:
                    progress(done / len(frames))
    return out


def reread_jobs(frames: np.ndarray, workers: int) -> list[np.ndarray]:
    """The re-reading's frames cut into contiguous jobs of near-equal size, a multiple of ``workers`` of them
    (each at most ``REREAD_JOB_FRAMES``, at least ``REREAD_MIN_JOB_FRAMES``), so that the pool's processes
    finish together: fixed jobs of 40 left one process reading 40 of 52 frames while the other read 12."""
    n, workers = len(frames), max(1, workers)
    k = workers * -(-n // (workers * REREAD_JOB_FRAMES))  # rounds of one job per process
    k = min(k, n // REREAD_MIN_JOB_FRAMES)
    return [job for job in np.array_split(np.asarray(frames), max(k, 1)) if len(job)]


def _read_again_shared(pool: ProcessPoolExecutor | None, workers: int, path: str, fps: float, max_side: int,
                       flip: bool, times: np.ndarray, frames: np.ndarray, progress: Progress | None) -> dict[int, _Found]:
    """``_read_again``, in ``reread_jobs`` shared among the ``pool``'s ``workers`` processes (one
    re-reading of a 60-s rear-view clip's 81 deep-bend frames took 8.9 s in one process: one static
    reading, and its mirror, per frame); in this process without a pool or for one job's worth."""
    jobs = reread_jobs(frames, workers)
    if pool is None or len(jobs) <= 1:
        return _read_again(path, fps, max_side, flip, times, frames, progress)
    futures = {pool.submit(_read_again, path, fps, max_side, flip, times, job): len(job) for job in jobs}
    out: dict[int, _Found] = {}
    done = 0
    pending = set(futures)
    while pending:
        finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
        for f in finished:
            out.update(f.result())
            done += futures[f]
        if progress is not None:
            progress(done / len(frames))  # may raise: the worker cancels a stall
    return out


def _reread_short_trunks(path: str, info: VideoInfo, fps: float, max_side: int, flip: bool, times: np.ndarray,
                         world: np.ndarray, image: np.ndarray, visibility: np.ndarray,
                         progress: Progress | None = None, pool: ProcessPoolExecutor | None = None,
                         workers: int = 1) -> tuple[np.ndarray, dict]:
    """The anchored skeleton, with the frames seen from behind whose trunk is impossibly short read again
    where the fresh reading is the same person with a possible trunk (``processor.reread``). ``image`` and
    ``visibility`` are updated in place; returns the anchored world and what was done.

    The first pass reports progress up to 0.99; this step moves it on toward 1 by the share of its frames
    done, so a long re-reading is not taken for a stall (``processor.runtime.heartbeat``). With the first
    pass's ``pool`` the frames are shared among its ``workers`` processes (``reread_jobs``)."""
    anchored = anchor_to_image(world, image, visibility, info.width, info.height)
    short = short_trunks(anchored, visibility, times)
    meta = {"short_trunk_frames": int(len(short.frames)), "short_trunk_frames_read_again": 0}
    tail = None if progress is None else (lambda share: progress(0.99 + 0.0099 * share))
    try:
        fresh = _read_again_shared(pool, workers, str(path), fps, max_side, flip, times, short.frames, tail)
    except VideoError:  # it decoded once already: keep the tracked readings rather than lose the video
        return anchored, meta
    idx = np.array([i for i in short.frames.tolist() if i in fresh], np.int64)
    if not len(idx):
        return anchored, meta
    f_image = np.stack([fresh[i][1] for i in idx.tolist()])
    f_vis = seen_by_both(visibility[idx], np.stack([fresh[i][2] for i in idx.tolist()]))
    f_world = anchor_to_image(np.stack([fresh[i][0] for i in idx.tolist()]), f_image, f_vis, info.width, info.height)
    torso = picture_torso(image, np.setdiff1d(np.arange(len(times)), short.frames), info.width, info.height)
    ok = same_place(f_image, image[idx], torso, info.width, info.height) & possible(f_world, short.shortest_m)
    take = idx[ok]
    # the upper body and the hips from the fresh reading; the legs stay the tracked ones (hip-centred both)
    sel = np.ix_(take, UPPER_AND_HIPS)
    anchored[sel], image[sel], visibility[sel] = (x[ok][:, UPPER_AND_HIPS] for x in (f_world, f_image, f_vis))
    meta["short_trunk_frames_read_again"] = int(len(take))
    return anchored, meta


def _the_subject(results: list[_SegmentResult], segments: list[_Segment], times: np.ndarray, fps: float,
                 follow: bool):
    """Per analysed frame the subject's landmarks (NaN where not found), and what to report about it."""
    n = len(times)
    world = np.full((n, N_LANDMARKS, 3), np.nan, np.float32)
    image = np.full((n, N_LANDMARKS, 2), np.nan, np.float32)
    visibility = np.full((n, N_LANDMARKS), np.nan, np.float32)
    offsets = np.cumsum([0] + [len(r.time_s) for r in results])[:-1]
    frame = np.concatenate([r.frame + o for r, o in zip(results, offsets)]).astype(np.int64)
    lm = Landmarks(*(np.concatenate([getattr(r.landmarks, k) for r in results]) for k in ("world", "image", "visibility")))
    detected = np.zeros(n, bool)
    detected[frame] = True
    if not follow:
        row = np.full(n, -1, np.int64)
        row[frame[::-1]] = np.arange(len(frame))[::-1]  # the first detection of each frame
        meta: dict = {"subject_choice": "off: whoever MediaPipe found"}
    else:
        # track ids unique over the video: segment k's ids follow segment k-1's
        track_offsets = np.cumsum([0] + [int(r.track.max()) + 1 if len(r.track) else 0 for r in results])[:-1]
        det = Detections(
            frame=frame,
            track=np.concatenate([r.track + o for r, o in zip(results, track_offsets)]).astype(np.int64),
            t=times[frame] if len(frame) else np.zeros(0),
            centre=np.concatenate([r.centre for r in results]),
            scale=np.concatenate([r.scale for r in results]),
            look=np.concatenate([r.look for r in results]).astype(np.float64),
            box=np.concatenate([r.box for r in results]),
        )
        width, height = results[0].size
        step = 1.0 / fps
        choice = choose_subject(det, n, width, height, step)
        recovered = int(sum(r.recovered for r in results))
        # frames where someone else was found and the segment did not look for the subject
        searched = np.concatenate([np.where(r.searched >= 0, r.searched + o, -1) for r, o in zip(results, track_offsets)])
        unsearched = detected & (choice.row < 0) & ~np.isin(searched, list(choice.tracks))
        extra: list[tuple[int, _Found]] = []
        if choice.tracks and unsearched.any():
            others: dict[int, list[np.ndarray]] = {}
            for i, fi in enumerate(frame):
                others.setdefault(int(fi), []).append(lm.image[i])
            seg_of = np.concatenate([np.full(len(r.time_s), k) for k, r in enumerate(results)])
            idx = np.flatnonzero(unsearched)
            for run in np.split(idx, np.flatnonzero((np.diff(idx) > 1) | (np.diff(seg_of[idx]) != 0)) + 1):
                start = seed(det, choice, int(run[0]))
                if start is not None:
                    found = _search(segments[int(seg_of[run[0]])], run, times[run], start, others)
                    extra.extend((i, f) for i, f, _ in found)
        row = choice.row.copy()
        if extra:
            base = len(lm.world)
            lm = Landmarks(*(np.concatenate([getattr(lm, k), np.stack([f[j] for _, f in extra])])
                             for j, k in enumerate(("world", "image", "visibility"))))
            for j, (i, _) in enumerate(extra):
                row[i] = base + j
            choice.row = row
        meta = describe(choice, times, detected, step)
        meta["subject_recovered_frames"] = recovered + len(extra)
    keep = row >= 0
    world[keep], image[keep], visibility[keep] = lm.world[row[keep]], lm.image[row[keep]], lm.visibility[row[keep]]
    return world, image, visibility, meta


def estimate_pose(
    path: str | os.PathLike[str],
    options: AnalysisOptions = AnalysisOptions(),
    progress: Progress | None = None,
    anchor: bool = True,
    flip: bool | None = None,
    follow_subject: bool = True,
) -> PoseSequence:
    """Landmarks of the person being assessed in every analysis frame (NaN rows where they are not found).

    The subject is the person present longest and most central, followed by identity from frame to
    frame; frames where MediaPipe found someone else instead are left empty (``processor.subject``).
    ``follow_subject=False`` keeps whoever MediaPipe found (the behaviour before, for comparisons).
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
    segments = plan_segments(info, fps, p.max_side, processes, flip, follow_subject)
    expected = max(1, int(info.duration_s * fps))
    started = time.monotonic()

    pool: ProcessPoolExecutor | None = None  # kept for the re-reading of short trunks (processor.reread)
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
        pool = ProcessPoolExecutor(
            max_workers=min(processes, len(segments)), mp_context=ctx, initializer=_init_worker, initargs=(counter,)
        )
        try:
            futures = {pool.submit(_run_segment, s): i for i, s in enumerate(segments)}
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for f in finished:
                    results_by_index[futures[f]] = f.result()
                if progress is not None:
                    progress(min(0.99, counter.value / expected))  # may raise: the worker cancels a stall
        except BaseException:
            _abandon(pool)
            raise
        results = [results_by_index[i] for i in range(len(segments))]

    times = np.concatenate([r.time_s for r in results])
    # A file cut short after its index (e.g. a partial upload of a "fast start" mp4) decodes until the
    # cut: say so, so the report can tell a damaged file from a person walking out of the picture.
    last = float(times[-1]) if len(times) else 0.0
    truncated = info.duration_s - last > max(1.0, 3.0 / fps)
    reread_meta: dict = {}
    try:
        world, image, visibility, subject_meta = _the_subject(results, segments, times, fps, follow_subject)
        if anchor:
            # frames whose tracked trunk is impossibly short are read again afresh (processor.reread)
            world, reread_meta = _reread_short_trunks(path, info, fps, p.max_side, flip, times, world, image,
                                                      visibility, progress, pool, min(processes, len(segments)))
    except BaseException:
        if pool is not None:
            _abandon(pool)
        raise
    if pool is not None:
        pool.shutdown(wait=True)
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
            **subject_meta,
            **reread_meta,
        },
    )
    if progress is not None:
        progress(1.0)
    return seq
