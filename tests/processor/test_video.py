"""probe() and iter_frames() on good, odd and bad files (clips made with OpenCV or ffmpeg in tmp_path)."""

from __future__ import annotations

import shutil
import subprocess

import cv2
import numpy as np
import pytest

from processor.model import VideoError
from processor.video import PRESETS, iter_frames, preset, probe

ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is needed to make the test clip")


def write_clip(path, frames=20, fps=10.0, size=(320, 240)):
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for i in range(frames):
        img = np.zeros((size[1], size[0], 3), np.uint8)
        img[:, : size[0] // 2] = (0, 0, 255)  # left half red (BGR), to check rotation
        cv2.putText(img, str(i), (10, 40), cv2.FONT_HERSHEY_SIMPLEX, 1, (255, 255, 255), 2)
        out.write(img)
    out.release()
    return path


def test_probe_good_clip(tmp_path):
    info = probe(write_clip(tmp_path / "ok.mp4"))
    assert (info.width, info.height, info.fps, info.frame_count) == (320, 240, 10.0, 20)
    assert info.duration_s == pytest.approx(2.0)
    assert info.rotation_deg == 0


def test_missing_file(tmp_path):
    with pytest.raises(VideoError, match="does not exist"):
        probe(tmp_path / "nope.mp4")


def test_zero_bytes(tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(VideoError, match=r"empty \(0 bytes\)"):
        probe(tmp_path / "empty.mp4")


def test_text_renamed_mp4(tmp_path):
    (tmp_path / "notes.mp4").write_text("this is a shopping list, not a video\n" * 50)
    with pytest.raises(VideoError, match="not a video file"):
        probe(tmp_path / "notes.mp4")


def test_truncated_mp4(tmp_path):
    good = write_clip(tmp_path / "good.mp4", frames=50)
    data = good.read_bytes()
    bad = tmp_path / "cut.mp4"
    bad.write_bytes(data[: len(data) // 3])  # the index (moov) written at the end is lost
    with pytest.raises(VideoError) as exc:
        probe(bad)
    assert "cut.mp4" in str(exc.value) and str(exc.value).endswith(".")


def test_one_frame_video(tmp_path):
    info = probe(write_clip(tmp_path / "one.mp4", frames=1))
    assert info.frame_count == 1 and info.duration_s > 0
    frames = list(iter_frames(info.path, 10, 640))
    assert len(frames) == 1 and frames[0].time_s == 0.0


@ffmpeg
def test_rotated_portrait_phone_video(tmp_path):
    src = write_clip(tmp_path / "landscape.mp4")
    rotated = tmp_path / "phone.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(src), "-c", "copy",
                    "-metadata:s:v", "rotate=90", str(rotated)], check=True)  # fmt: skip
    info = probe(rotated)
    assert (info.width, info.height) == (240, 320)  # displayed upright: portrait
    assert info.rotation_deg in (90, 270)
    frame = next(iter_frames(rotated, 10, 1000))
    assert frame.image.shape == (320, 240, 3)
    # the same picture ffmpeg shows: decode the first frame with ffmpeg's own rotation
    ref = subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(rotated), "-frames:v", "1", "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout  # fmt: skip
    ref = np.frombuffer(ref, np.uint8).reshape(320, 240, 3)
    assert np.abs(frame.image.astype(int) - ref.astype(int)).mean() < 8


@ffmpeg
def test_variable_frame_rate_timestamps_and_sampling(tmp_path):
    clip = tmp_path / "vfr.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10",
                    "-t", "3", "-vf", "setpts='if(lt(N,10),N*0.1,1+(N-10)*0.3)/TB'", "-fps_mode", "vfr",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(clip)], check=True)  # fmt: skip
    times = [round(f.time_s, 3) for f in iter_frames(clip, 30, 640)]
    assert times[:12] == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.3]
    sampled = [round(f.time_s, 3) for f in iter_frames(clip, 2, 640)]  # one frame per 0.5 s bucket
    assert sampled[:4] == [0.0, 0.5, 1.0, 1.6]


def test_segments_pick_the_same_frames_as_one_pass(tmp_path):
    clip = write_clip(tmp_path / "long.mp4", frames=90, fps=30.0)
    whole = [(f.time_s, f.index) for f in iter_frames(clip, 10, 640)]
    parts = [(f.time_s, f.index) for f in iter_frames(clip, 10, 640, 0.0, 1.3)]
    parts += [(f.time_s, f.index) for f in iter_frames(clip, 10, 640, 1.3, None)]
    assert whole == parts and len(whole) == 30


def test_downscale_to_preset(tmp_path):
    clip = write_clip(tmp_path / "big.mp4", frames=3, size=(1280, 720))
    fast = preset("fast")
    frame = next(iter_frames(clip, fast.fps, fast.max_side))
    assert max(frame.image.shape[:2]) == fast.max_side and frame.image.shape[2] == 3
    assert set(PRESETS) == {"fast", "balanced", "accurate"}
    with pytest.raises(ValueError):
        preset("turbo")
