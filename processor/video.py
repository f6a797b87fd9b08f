"""Video decoding: probe a file, then stream sampled, rotated, downscaled frames with their timestamps.

OpenCV's FFmpeg backend does the decoding (no ffmpeg binary is needed at run time):
- rotation metadata of phone videos is applied (``CAP_PROP_ORIENTATION_AUTO``), so frames come upright
  and ``VideoInfo.width/height`` are the displayed size;
- every frame carries its presentation timestamp (``CAP_PROP_POS_MSEC`` after a grab is the frame's
  PTS, so variable-frame-rate phone videos keep their real timing);
- frames are sampled onto a fixed analysis rate: time is cut into buckets of ``1/fps`` seconds and the
  first frame in each bucket is kept. Buckets are absolute (bucket k = [k/fps, (k+1)/fps)), so a
  segment of the video decoded by another process picks exactly the frames a single pass would;
- only kept frames are converted and downscaled (grab/retrieve), one at a time: memory does not grow
  with the video's length.

Quality presets (``AnalysisOptions.quality``):

| preset   | analysis rate | longest side | flip test | use |
|----------|---------------|--------------|-----------|-----|
| fast     | 5 frames/s    | 480 px       | no        | long recordings, quick look; holds of 1 s and more |
| balanced | 10 frames/s   | 640 px       | yes       | default: 4-s holds and arm movements well resolved |
| accurate | 30 frames/s   | 1280 px      | yes       | every frame of a 30-fps video, small subjects far from the camera |

The flip test (``processor.flip_average``) analyses each frame a second time, mirrored: about twice
the pose step's CPU time for 1–1.5° less arm error, so the quick preset leaves it out.

MediaPipe Pose crops the person and resizes the crop to 256×256 itself, so resolution matters only when
the person is small in the picture; the analysis rate is what costs time.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from processor.model import VideoError, VideoInfo


@dataclass(frozen=True)
class Preset:
    fps: float  # analysis frames per second (a video with fewer keeps all its frames)
    max_side: int  # the longest side of an analysed frame, pixels (smaller videos are not upscaled)
    flip: bool  # also analyse each frame mirrored and average the two (processor.flip_average)


PRESETS: dict[str, Preset] = {
    "fast": Preset(fps=5.0, max_side=480, flip=False),
    "balanced": Preset(fps=10.0, max_side=640, flip=True),
    "accurate": Preset(fps=30.0, max_side=1280, flip=True),
}


def preset(quality: str) -> Preset:
    try:
        return PRESETS[quality]
    except KeyError:
        raise ValueError(f"unknown quality {quality!r}; use one of {', '.join(PRESETS)}") from None


@dataclass(frozen=True)
class Frame:
    time_s: float  # presentation timestamp
    index: int  # the analysis bucket (frame number on the analysis grid)
    image: np.ndarray  # RGB, uint8, upright, downscaled


def _open(path: Path):
    import cv2

    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if not cap.isOpened():
        cap.release()
        return None
    # Ask FFmpeg to apply the display matrix (phone videos store portrait frames sideways).
    cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    return cap


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """Describe a video, or raise ``VideoError`` with one sentence saying why it cannot be analysed."""
    import cv2

    path = Path(path)
    name = path.name
    if not path.exists():
        raise VideoError(f"The file {name} does not exist.")
    if not path.is_file():
        raise VideoError(f"{name} is not a file.")
    if path.stat().st_size == 0:
        raise VideoError(f"The file {name} is empty (0 bytes).")
    cap = _open(path)
    if cap is None:
        raise VideoError(f"{name} is not a video file that can be read (unknown format, or damaged or truncated).")
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        rotation = int(round(cap.get(cv2.CAP_PROP_ORIENTATION_META) or 0)) % 360
        fourcc = int(cap.get(cv2.CAP_PROP_FOURCC) or 0)
        ok = cap.grab()
        if not ok:
            if count <= 0:
                raise VideoError(f"{name} contains no video frames.")
            raise VideoError(f"No frame of {name} could be decoded (the file is damaged or truncated).")
        ok, image = cap.retrieve()
        if not ok or image is None:
            raise VideoError(f"No frame of {name} could be decoded (the file is damaged or truncated).")
        height, width = image.shape[:2]  # after rotation
    finally:
        cap.release()
    if not (fps > 0 and math.isfinite(fps)):
        fps = 30.0  # unknown nominal rate: timestamps still come from the frames
    codec = fourcc.to_bytes(4, "little").decode("ascii", "replace").strip("\x00 ") if fourcc else None
    duration = count / fps if count > 0 else 0.0
    return VideoInfo(
        path=path,
        width=width,
        height=height,
        fps=fps,
        duration_s=max(duration, 1.0 / fps),
        frame_count=count if count > 0 else None,
        rotation_deg=rotation,
        codec=codec or None,
    )


def _scale(image: np.ndarray, max_side: int) -> np.ndarray:
    import cv2

    h, w = image.shape[:2]
    longest = max(h, w)
    if longest <= max_side:
        return image
    # INTER_AREA (no aliasing) is fast only for whole-number factors: shrink by the largest whole factor
    # with it, then finish with a bilinear step of less than 2x (3-6x faster than INTER_AREA alone).
    k = longest // max_side
    if k >= 2:
        image = cv2.resize(image, (w // k, h // k), interpolation=cv2.INTER_AREA)
        h, w = image.shape[:2]
        longest = max(h, w)
    f = max_side / longest
    size = (max(1, round(w * f)), max(1, round(h * f)))
    return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR) if f < 1 else image


def iter_frames(
    path: str | os.PathLike[str],
    fps: float,
    max_side: int,
    start_s: float = 0.0,
    end_s: float | None = None,
) -> Iterator[Frame]:
    """Yield the analysis frames with ``start_s <= time < end_s``, in order, one at a time.

    Seeks near ``start_s`` first (OpenCV lands on a keyframe at or before it and decodes forward).
    Raises ``VideoError`` if the file cannot be opened.
    """
    import cv2

    cap = _open(Path(path))
    if cap is None:
        raise VideoError(f"{Path(path).name} is not a video file that can be read.")
    step = 1.0 / fps
    last_bucket = None
    try:
        if start_s > 0:
            cap.set(cv2.CAP_PROP_POS_MSEC, max(0.0, start_s - 1.0) * 1000.0)
        frame_no = 0
        prev_t = -math.inf
        while cap.grab():
            t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            if not math.isfinite(t) or t <= prev_t and frame_no > 0:
                # Some containers report no PTS: fall back to a strictly increasing nominal time.
                t = prev_t + 1.0 / (cap.get(cv2.CAP_PROP_FPS) or 30.0)
            prev_t = t
            frame_no += 1
            if t < start_s - 1e-6:
                continue
            if end_s is not None and t >= end_s - 1e-6:
                break
            bucket = int(math.floor(t / step + 1e-6))
            if bucket == last_bucket:
                continue
            ok, image = cap.retrieve()
            if not ok or image is None:
                continue  # a damaged frame: skip it, the gap shows as a missing measurement
            last_bucket = bucket
            image = cv2.cvtColor(_scale(image, max_side), cv2.COLOR_BGR2RGB)
            yield Frame(time_s=t, index=bucket, image=image)
    finally:
        cap.release()
