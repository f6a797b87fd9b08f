"""Small test videos made on the fly: no person, one frame, truncated, text renamed .mp4, empty."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _write(path: Path, frames, fps: float = 10.0) -> Path:
    import cv2

    frames = list(frames)
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for f in frames:
        writer.write(f)
    writer.release()
    return path


def no_person_video(path: Path, seconds: float = 2.0) -> Path:
    """A plain room: a gradient wall and a moving box, nobody in it (OpenCV writes the index last)."""
    return _room(path, seconds)


def _room(path: Path, seconds: float) -> Path:
    frames = []
    for i in range(int(seconds * 10)):
        img = np.tile(np.linspace(60, 200, 320, dtype=np.uint8), (240, 1))
        img = np.dstack([img, img, img]).copy()
        img[100:140, 20 + 5 * i:60 + 5 * i] = (30, 90, 160)
        frames.append(img)
    return _write(path, frames)


def one_frame_video(path: Path, source: Path, at_s: float = 4.5) -> Path:
    """One frame cut from ``source`` (a person bending forward in the synthetic clips)."""
    import cv2

    cap = cv2.VideoCapture(str(source))
    cap.set(cv2.CAP_PROP_POS_MSEC, at_s * 1000)
    ok, frame = cap.read()
    cap.release()
    assert ok, f"cannot read {source} at {at_s} s"
    return _write(path, [frame])


def truncated_copy(path: Path, source: Path, keep: float = 0.3) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def text_as_mp4(path: Path) -> Path:
    path.write_text("These are meeting notes, not a video.\n" * 20, encoding="utf-8")
    return path


def empty_file(path: Path) -> Path:
    path.write_bytes(b"")
    return path
