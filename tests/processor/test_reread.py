"""Which frames are read again for an impossibly short trunk, and what a fresh reading must meet
(processor.reread), on exact skeletons."""

from __future__ import annotations

import math

import numpy as np
import pytest

from processor.model import LANDMARKS as L
from processor.reread import SHORTEST_SHARE, picture_torso, possible, same_place, seen_by_both, short_trunks

TRUNK = 0.5  # m, mid-hip -> mid-shoulder


def skeleton(flexion_deg: float = 0.0, trunk: float = TRUNK, behind: bool = True) -> np.ndarray:
    """(33, 3) anchored skeleton in camera axes (x right, y down, z away), hip-centred: a person seen from
    behind (or facing the camera), straight legs, the trunk bent ``flexion_deg`` forward with chord
    length ``trunk``."""
    p = np.zeros((33, 3))
    a = math.radians(flexion_deg)
    away = 1.0 if behind else -1.0  # forward is away from the camera when it films the back
    shoulder = np.array([0.0, -trunk * math.cos(a), away * trunk * math.sin(a)])
    for side, x in (("left", -0.1 * away), ("right", 0.1 * away)):
        p[L[f"{side}_hip"]] = (x, 0.0, 0.0)
        p[L[f"{side}_knee"]] = (x, 0.45, 0.0)
        p[L[f"{side}_ankle"]] = (x, 0.9, 0.0)
        p[L[f"{side}_shoulder"]] = shoulder + (1.8 * x, 0.0, 0.0)
    for name in ("nose", "left_ear", "right_ear"):
        p[L[name]] = shoulder + (0.0, -0.2, 0.0)
    return p


def sequence(*frames: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    world = np.stack(frames)
    return world, np.ones(world.shape[:2]), np.arange(len(world)) / 10.0


def test_a_collapsed_trunk_is_read_again_and_nothing_else():
    upright = [skeleton() for _ in range(30)]
    # MediaPipe's collapse: the shoulders on the hips in the picture and no depth
    collapsed = [skeleton(trunk=0.05) for _ in range(5)]
    bent = [skeleton(70.0) for _ in range(5)]  # a real 70° bend away from the camera: full length in 3D
    short = short_trunks(*sequence(*upright, *collapsed, *bent))
    assert short.trunk_length_m == pytest.approx(TRUNK, rel=1e-6)
    assert short.shortest_m == pytest.approx(SHORTEST_SHARE * TRUNK)
    assert short.frames.tolist() == list(range(30, 35))


def test_a_curled_spine_within_its_bound_is_not_read_again():
    # the chord hip -> shoulder shortens by up to 25 % as the spine curls: 80 % of it is possible
    seq = sequence(*[skeleton() for _ in range(30)], skeleton(80.0, trunk=0.8 * TRUNK), skeleton(80.0, trunk=0.7 * TRUNK))
    assert short_trunks(*seq).frames.tolist() == [31]


def test_only_frames_seen_from_behind_are_read_again():
    # in front the shoulders show, and a fresh reading of a deep bend was worse, not better (module docstring)
    front = sequence(*[skeleton(behind=False) for _ in range(30)], skeleton(trunk=0.05, behind=False))
    assert short_trunks(*front).frames.size == 0
    rear = sequence(*[skeleton() for _ in range(30)], skeleton(trunk=0.05))
    assert short_trunks(*rear).frames.tolist() == [30]


def test_without_a_reference_length_nothing_is_read_again():
    world = np.full((10, 33, 3), np.nan)
    short = short_trunks(world, np.ones((10, 33)), np.arange(10) / 10.0)
    assert short.frames.size == 0 and math.isnan(short.trunk_length_m)


def test_a_fresh_reading_must_have_a_possible_trunk():
    world = np.stack([skeleton(70.0), skeleton(70.0, trunk=0.7 * TRUNK), skeleton(70.0, trunk=0.76 * TRUNK)])
    assert possible(world, SHORTEST_SHARE * TRUNK).tolist() == [True, False, True]


def _picture(hip_x: float, hip_y: float, shoulder_y: float) -> np.ndarray:
    """(33, 2) normalised picture landmarks of a 1000 x 1000 picture: hips and shoulders only matter."""
    img = np.full((33, 2), 0.5)
    for side, dx in (("left", 0.03), ("right", -0.03)):
        img[L[f"{side}_hip"]] = (hip_x + dx, hip_y)
        img[L[f"{side}_shoulder"]] = (hip_x + 2 * dx, shoulder_y)
    return img


def test_same_place_by_the_hips_against_the_persons_own_torso():
    # the person's picture torso over the frames whose trunk is possible: 100 px
    upright = np.stack([_picture(0.5, 0.6, 0.5)] * 5)
    torso = picture_torso(upright, np.arange(5), 1000, 1000)
    assert torso == pytest.approx(100.0)
    fresh = _picture(0.50, 0.60, 0.565)  # a deep bend read afresh: shoulders 35 px above the hips
    collapsed = _picture(0.50, 0.58, 0.59)  # the tracked reading: shoulders fallen onto hips 20 px higher
    beside = _picture(0.62, 0.60, 0.5)  # someone else, 120 px away
    near = _picture(0.555, 0.60, 0.5)  # 55 px away: more than half a torso
    got = same_place(np.stack([fresh] * 3), np.stack([collapsed, beside, near]), torso, 1000, 1000)
    assert got.tolist() == [True, False, False]


def test_a_part_counts_as_seen_only_where_both_readings_saw_it():
    tracked = np.array([[0.9, 0.2, 0.8]])
    fresh = np.array([[0.95, 0.9, 0.4]])
    assert seen_by_both(tracked, fresh).tolist() == [[0.9, 0.2, 0.4]]


# -- the pose step's use of it (processor.pose), with the fresh readings given -----------------------------

W, H = 1000, 1000
PX_PER_M = 200.0


def _reading(world: np.ndarray, at: tuple[float, float] = (500.0, 500.0), vis: float = 0.9):
    """A MediaPipe-like reading of a skeleton: world (33, 3), normalised picture (33, 2), visibility (33,)."""
    image = (world[:, :2] * PX_PER_M + np.array(at)) / np.array([W, H])
    return world.astype(np.float32), image.astype(np.float32), np.full(33, vis, np.float32)


def _tracked(n_upright: int = 30):
    frames = [_reading(skeleton()) for _ in range(n_upright)] + [_reading(skeleton(trunk=0.05))]
    world, image, vis = (np.stack([f[k] for f in frames]) for k in range(3))
    return world, image, vis, np.arange(len(frames)) / 10.0


def _reread(monkeypatch, fresh):
    from processor import pose
    from processor.model import VideoInfo

    def read_again(path, fps, max_side, flip, times, frames, progress=None):
        if isinstance(fresh, Exception):
            raise fresh
        return {int(i): fresh for i in frames}

    monkeypatch.setattr(pose, "_read_again", read_again)
    world, image, vis, times = _tracked()
    info = VideoInfo(path="clip.mp4", width=W, height=H, fps=10.0, duration_s=len(times) / 10.0, frame_count=len(times),
                     rotation_deg=0)
    before = image.copy(), vis.copy()
    out, meta = pose._reread_short_trunks("clip.mp4", info, 10.0, 640, True, times, world, image, vis)
    return out, meta, image, vis, before


def test_a_fresh_reading_of_the_same_place_replaces_the_upper_body_and_hips(monkeypatch):
    bent = skeleton(70.0)
    bent[L["left_knee"]] += (0.0, -0.3, 0.2)  # the fresh reading crouched the legs: they are not taken
    out, meta, image, vis, (image0, vis0) = _reread(monkeypatch, _reading(bent, at=(505.0, 500.0), vis=0.5))
    assert meta == {"short_trunk_frames": 1, "short_trunk_frames_read_again": 1}
    trunk = out[30, L["left_shoulder"]] - out[30, L["left_hip"]]
    assert np.linalg.norm(trunk) == pytest.approx(np.linalg.norm(bent[L["left_shoulder"]] - bent[L["left_hip"]]), rel=1e-3)
    assert out[30, L["left_knee"]] == pytest.approx(skeleton()[L["left_knee"]], abs=1e-3)  # the tracked leg
    assert vis[30, L["left_shoulder"]] == pytest.approx(0.5) and vis[30, L["left_knee"]] == pytest.approx(0.9)
    assert np.array_equal(image[:30], image0[:30]) and np.array_equal(vis[:30], vis0[:30])


def test_someone_else_or_an_impossible_fresh_reading_changes_nothing(monkeypatch):
    elsewhere = _reading(skeleton(70.0), at=(700.0, 500.0))  # 200 px away: the torso is 100 px
    curled = _reading(skeleton(70.0, trunk=0.6 * TRUNK))  # the fresh trunk is too short as well
    for fresh in (elsewhere, curled):
        out, meta, image, vis, (image0, vis0) = _reread(monkeypatch, fresh)
        assert meta == {"short_trunk_frames": 1, "short_trunk_frames_read_again": 0}
        assert np.array_equal(image, image0) and np.array_equal(vis, vis0)
        assert np.linalg.norm(out[30, L["left_shoulder"]] - out[30, L["left_hip"]]) < 0.1  # still the tracked one


def test_a_video_that_will_not_decode_again_keeps_its_tracked_readings(monkeypatch):
    from processor.model import VideoError

    out, meta, image, vis, (image0, vis0) = _reread(monkeypatch, VideoError("clip.mp4 is not a video file"))
    assert meta == {"short_trunk_frames": 1, "short_trunk_frames_read_again": 0}
    assert np.array_equal(image, image0)


def test_many_short_frames_are_shared_among_the_pool_in_jobs(monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from processor import pose

    jobs: list[list[int]] = []

    def read_again(path, fps, max_side, flip, times, frames, progress=None):
        jobs.append(frames.tolist())
        return {int(i): ("reading", int(i)) for i in frames}

    monkeypatch.setattr(pose, "_read_again", read_again)
    frames = np.arange(0, 2 * pose.REREAD_JOB_FRAMES + 5)
    seen: list[float] = []
    with ThreadPoolExecutor(2) as pool:
        out = pose._read_again_shared(pool, 2, "clip.mp4", 10.0, 640, True, frames / 10.0, frames, seen.append)
    assert sorted(out) == frames.tolist()
    assert sorted(len(j) for j in jobs) == [21, 21, 21, 22]  # 85 frames: two rounds of one job per process
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)
    jobs.clear()
    assert pose._read_again_shared(None, 2, "clip.mp4", 10.0, 640, True, frames / 10.0, frames, None).keys() == out.keys()
    assert len(jobs) == 1  # without a pool: one pass in this process


@pytest.mark.parametrize("n, workers, sizes", [
    (52, 2, [26, 26]),  # fixed jobs of 40 left one process 40 frames and the other 12
    (81, 2, [20, 20, 20, 21]),
    (30, 2, [15, 15]),  # under one job's worth: still shared
    (9, 2, [9]),  # too few for two jobs of REREAD_MIN_JOB_FRAMES: read in this process
    (12, 4, [6, 6]),
    (100, 1, [33, 33, 34]),  # one process: jobs of at most REREAD_JOB_FRAMES, for progress
    (0, 2, []),
])
def test_reread_jobs_are_contiguous_near_equal_and_a_multiple_of_the_processes(n, workers, sizes):
    from processor.pose import reread_jobs

    frames = np.arange(100, 100 + n)
    jobs = reread_jobs(frames, workers)
    assert sorted(len(j) for j in jobs) == sizes
    assert np.array_equal(np.concatenate(jobs) if jobs else np.zeros(0, int), frames)  # contiguous, in order
