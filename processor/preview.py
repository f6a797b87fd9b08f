"""Optional annotated preview MP4: skeleton, live angles and the frame's worst zone colour.

Faces are blurred from the pose landmarks (``processor.face_blur``) unless the setting
``analysis.blur_faces`` is false. Frames are streamed from the video (OpenCV, which applies rotation
metadata) and written one at a time with cv2.VideoWriter, so memory does not grow with the video's
length. Each video frame shows the nearest analysed pose in time (analysis may run at a lower frame rate than the video).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from processor.model import LANDMARKS, PoseSequence
from processor.standards import LEVEL_RANK, LEVELS, Standard

EDGES = [
    ("left_shoulder", "right_shoulder"), ("left_hip", "right_hip"),
    ("left_shoulder", "left_hip"), ("right_shoulder", "right_hip"),
    ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
    ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
    ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
    ("left_ear", "left_shoulder"), ("right_ear", "right_shoulder"),
]  # fmt: skip
BGR = {"acceptable": (80, 175, 76), "conditional": (0, 190, 255), "unacceptable": (60, 60, 230), None: (160, 160, 160)}
SHOWN = [("trunk_flexion_deg", "trunk"), ("neck_flexion_deg", "neck"),
         ("upper_arm_elevation_left_deg", "arm L"), ("upper_arm_elevation_right_deg", "arm R")]
MAX_HEIGHT = 720


def frame_levels(angles: pd.DataFrame, standard: Standard) -> list[str | None]:
    """Worst table level over the standard's body parts per analysed frame (None: nothing measured)."""
    worst = np.full(len(angles), -1)
    for part in standard.parts:
        for i, v in enumerate(angles[part.column].to_numpy(dtype=float)):
            z = part.zone_of(v)
            if z is not None:
                worst[i] = max(worst[i], LEVEL_RANK[part.zones[z].level])
    return [LEVELS[w] if w >= 0 else None for w in worst]


def write_preview(video: Path, pose: PoseSequence, angles: pd.DataFrame, standard: Standard | None,
                  path: Path, levels: list[str | None] | None = None, blur_faces: bool = True) -> Path:
    """The annotated preview; ``levels`` (per analysed frame) instead of a zone profile's levels
    for the NV 361 catalogue (``processor.nv361.evaluate.frame_levels``). Faces are blurred
    (``processor.face_blur``) unless ``blur_faces`` is False."""
    import cv2  # heavy: only when a preview is asked for

    from processor.face_blur import blur_face

    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise OSError(f"cannot reopen {video.name} for the preview")
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    if not math.isfinite(fps) or fps <= 0 or fps > 240:
        fps = 25.0
    if levels is None:
        levels = frame_levels(angles, standard)
    times = np.asarray(pose.time_s, dtype=float)
    values = {col: angles[col].to_numpy(dtype=float) for col, _ in SHOWN}
    index = {name: LANDMARKS[name] for edge in EDGES for name in edge}
    path = Path(path)
    tmp = path.with_name(path.stem + ".part.mp4")
    writer = None
    try:
        frame_no = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            ts = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            if ts <= 0 and frame_no > 0:
                ts = frame_no / fps
            frame_no += 1
            h, w = frame.shape[:2]
            if h > MAX_HEIGHT:
                frame = cv2.resize(frame, (round(w * MAX_HEIGHT / h), MAX_HEIGHT))
                h, w = frame.shape[:2]
            if writer is None:
                writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
            if len(times):
                i = int(np.clip(np.searchsorted(times, ts), 0, len(times) - 1))
                if i > 0 and abs(times[i - 1] - ts) < abs(times[i] - ts):
                    i -= 1
                if blur_faces:
                    blur_face(frame, pose.image[i])
                _draw(cv2, frame, pose.image[i], levels[i], {k: v[i] for k, v in values.items()}, index)
            writer.write(frame)
    finally:
        cap.release()
        if writer is not None:
            writer.release()
    if writer is None:
        raise OSError(f"{video.name}: no frames to preview")
    tmp.replace(path)
    return path


def _draw(cv2, frame, image_xy, level, vals, index) -> None:
    h, w = frame.shape[:2]
    colour = BGR[level]
    pts = {}
    for name, k in index.items():
        x, y = image_xy[k]
        if np.isfinite(x) and np.isfinite(y):
            pts[name] = (int(round(x * w)), int(round(y * h)))
    for a, b in EDGES:
        if a in pts and b in pts:
            cv2.line(frame, pts[a], pts[b], colour, 3, cv2.LINE_AA)
    for p in pts.values():
        cv2.circle(frame, p, 4, (255, 255, 255), -1, cv2.LINE_AA)
    cv2.rectangle(frame, (0, 0), (w, 8), colour, -1)
    y = 32
    for col, name in SHOWN:
        v = vals[col]
        text = f"{name}: {v:5.0f} deg" if np.isfinite(v) else f"{name}:   --"
        cv2.putText(frame, text, (10, y), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 4, cv2.LINE_AA)
        cv2.putText(frame, text, (10, y), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 1, cv2.LINE_AA)
        y += 28
