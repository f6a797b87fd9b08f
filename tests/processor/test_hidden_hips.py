"""Hips hidden behind a bench: their guessed picture position is steadied over time (processor.hidden_hips)."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from processor.angles import compute_angles
from processor.hidden_hips import legs_guessed, running_median, steady_hidden_hips
from processor.model import LANDMARKS, VideoInfo
from tests.processor.skeleton import sequence, skeleton

W, H, PX_PER_M = 640, 480, 200.0
HIPS = [LANDMARKS["left_hip"], LANDMARKS["right_hip"]]
GLITCH = slice(30, 35)  # 0.5 s at 10 frames/s


def _worker_at_a_bench(legs_vis: float, glitch_m=(0.15, -0.1), n: int = 60, glitch: slice = GLITCH, azimuth=90):
    """An upright worker seen from ``azimuth`` (side) for ``n`` frames at 10/s; in ``glitch`` the network
    puts the hips ``glitch_m`` (picture x, y in metres: back and up) off, as the rendered bench clip's
    guesses jumped. The image landmarks are the picture; the anchored skeleton is the picture scaled,
    hip-centred."""
    seq = sequence([skeleton(azimuth=azimuth)] * n)
    world = seq.world.copy()
    image = (world[..., :2] * PX_PER_M + np.array([W / 2, H / 2])) / np.array([W, H])
    off = np.array(glitch_m)
    image[glitch][:, HIPS] += off * PX_PER_M / np.array([W, H])
    others = np.setdiff1d(np.arange(world.shape[1]), HIPS)
    world[np.ix_(np.arange(n)[glitch], others, [0, 1])] -= off  # hip-centred: the rest moves the other way
    vis = seq.visibility.copy()
    for name in ("left_knee", "right_knee", "left_ankle", "right_ankle"):
        vis[:, LANDMARKS[name]] = legs_vis
    video = VideoInfo(path=Path("bench.mp4"), width=W, height=H, fps=10.0, duration_s=n / 10.0, frame_count=n,
                      rotation_deg=0)
    return replace(seq, world=world, image=image, visibility=vis, video=video)


def test_guessed_hips_that_jump_do_not_bend_the_trunk():
    pose = _worker_at_a_bench(legs_vis=0.1)
    assert legs_guessed(pose.visibility).all()
    before = compute_angles(pose, hidden_hips=False)["trunk_flexion_deg"].to_numpy()
    assert np.abs(before[GLITCH]).min() > 15  # the jump reads as a 17-21° bend
    after = compute_angles(pose)
    assert after["trunk_flexion_deg"].to_numpy() == pytest.approx(np.zeros(60), abs=0.5)
    info = after.attrs["hidden_hips"]
    assert info["frames_dip_kept"] == 0  # a guess that moves the hips against the shoulders is no dip
    assert info["frames"] == 60 and info["largest_shift_px"] == pytest.approx(np.hypot(0.15, 0.1) * PX_PER_M, abs=0.5)


def test_seen_legs_keep_their_hips():
    pose = _worker_at_a_bench(legs_vis=0.95)
    assert not legs_guessed(pose.visibility).any()
    got = compute_angles(pose)
    assert got["trunk_flexion_deg"].to_numpy() == pytest.approx(compute_angles(pose, hidden_hips=False)["trunk_flexion_deg"].to_numpy())
    assert got.attrs["hidden_hips"]["frames"] == 0


def test_an_excursion_through_a_static_hold_is_removed():
    """The guessed hips 0.1 m high for a whole 4-s hold (a static posture: processor.episodes) in a 20-s
    video: the trunk stays upright."""
    pose = _worker_at_a_bench(legs_vis=0.1, n=200, glitch=slice(80, 120))
    assert np.abs(compute_angles(pose, hidden_hips=False)["trunk_flexion_deg"].to_numpy()[80:120]).min() > 15
    assert compute_angles(pose)["trunk_flexion_deg"].to_numpy() == pytest.approx(np.zeros(200), abs=0.5)


def test_a_steady_walk_along_the_bench_is_followed():
    """The centred median of a straight path at constant speed is the middle position: a worker walking
    0.5 m/s along the bench keeps their hips where they are, to the video's first and last frame (there
    the window shrinks to stay centred; a window cut off at the ends would put the hips of the start
    where they are 2 s later)."""
    pose = _worker_at_a_bench(legs_vis=0.1, glitch_m=(0.0, 0.0), n=200)
    walk = (np.arange(200) / 10.0 * 0.5 * PX_PER_M / W)[:, None]
    image = pose.image.copy()
    image[..., 0] += walk
    world, info = steady_hidden_hips(pose.world, image, pose.visibility, pose.time_s, W, H)
    assert world == pytest.approx(pose.world, abs=1e-9)
    assert info["frames"] == 200 and info["largest_shift_px"] == pytest.approx(0.0, abs=1e-6)


def test_the_running_median_stays_centred_at_the_ends():
    """Exact series: within half a window of either end the window is as long on both sides (the first
    and last frames keep their own value), and NaN frames are left out as pandas' median leaves them."""
    t = np.arange(100) / 10.0
    x = np.where(t < 1.0, 0.0, 1.0)[:, None]  # a step 1 s into the video
    got = running_median(x, t)[:, 0]
    assert got[:10] == pytest.approx(np.zeros(10))  # 0.0-0.9 s: no window reaches past 1.9 s
    assert got[0] == 0.0 and got[-1] == 1.0
    assert np.all(got[10:] == 1.0)  # from 1.0 s the later frames outnumber the earlier ones
    y = t[:, None].copy()
    y[50] = np.nan
    assert running_median(y, t)[:, 0] == pytest.approx(np.where(np.arange(100) == 50, 5.0, t), abs=0.051)


@pytest.mark.parametrize("azimuth", [90, 0])
def test_sitting_down_and_standing_up_behind_the_bench_are_followed(azimuth):
    """The whole body 0.45 m lower within 1 s, held 6 s, then up again within 1 s (the network's hips go
    with it): monotone moves, which the running median follows however fast, to within half a frame's
    step (9 px here: a window with an even count of frames takes the mean of its two middle ones), so the
    upright trunk never reads bent."""
    pose = _worker_at_a_bench(legs_vis=0.1, glitch_m=(0.0, 0.0), n=200, azimuth=azimuth)
    t = pose.time_s
    drop = (np.clip(t - 8.0, 0, 1) - np.clip(t - 15.0, 0, 1)) * 0.45
    image = pose.image.copy()
    image[..., 1] += (drop * PX_PER_M / H)[:, None]
    pose = replace(pose, image=image)
    world, info = steady_hidden_hips(pose.world, pose.image, pose.visibility, t, W, H)
    assert info["largest_shift_px"] <= 0.5 * 0.045 * PX_PER_M + 1e-9
    assert compute_angles(pose)["trunk_flexion_deg"].to_numpy() == pytest.approx(np.zeros(200), abs=0.5)


def test_frames_out_of_time_order_give_the_same_result():
    """The running median is over time, whatever order the frames come in (no ValueError from pandas)."""
    pose = _worker_at_a_bench(legs_vis=0.1)
    args = (pose.world, pose.image, pose.visibility, pose.time_s)
    want, _ = steady_hidden_hips(*args, W, H)
    p = np.random.default_rng(0).permutation(len(pose.time_s))
    got, _ = steady_hidden_hips(*(a[p] for a in args), W, H)
    assert got == pytest.approx(want[p])


@pytest.mark.parametrize("azimuth", [90, 0])
@pytest.mark.parametrize("squat_s", [2.0, 3.0])
def test_a_brief_squat_behind_the_bench_is_not_removed(azimuth, squat_s, monkeypatch):
    """The whole body 0.4 m lower for 2-3 s (a squat behind the bench; the network's hips go with it): a dip
    shorter than half the window, which the running median alone removes, holding the hips at standing
    height under shoulders 0.4 m lower (the trunk then read 75° bent in front, 75° bent sideways from the
    side). The guess keeps the trunk's picture length and the steadied hips do not, so the guess stands."""
    pose = _worker_at_a_bench(legs_vis=0.1, glitch_m=(0.0, 0.0), n=200, azimuth=azimuth)
    t = pose.time_s
    dip = (np.clip((t - 8.0) / 0.5, 0, 1) - np.clip((t - 8.0 - squat_s) / 0.5, 0, 1)) * 0.4
    image = pose.image.copy()
    image[..., 1] += (dip * PX_PER_M / H)[:, None]
    pose = replace(pose, image=image)
    got = compute_angles(pose)
    assert got["trunk_flexion_deg"].to_numpy() == pytest.approx(np.zeros(200), abs=0.5)
    assert got["trunk_side_bend_deg"].to_numpy() == pytest.approx(np.zeros(200), abs=0.5)
    assert got.attrs["hidden_hips"]["frames_dip_kept"] > 0
    monkeypatch.setattr("processor.hidden_hips.DIP_STEADIED_OFF", np.inf)  # the median alone
    # with MediaPipe's depth of the trunk (from the side, processor.sagittal reads the flexion from the
    # picture's horizontal, which a vertical dip leaves alone)
    alone = compute_angles(pose, sagittal=False)
    assert max(np.abs(alone["trunk_flexion_deg"]).max(), np.abs(alone["trunk_side_bend_deg"]).max()) > 60
