"""Keyframes: for the catalogue rows that set the category, a still of the worst moment of each, with the
skeleton, the measured segment and its angle drawn, the timestamp, and the face blurred.

The worst moment of a row is the frame, inside the row's own episodes, where its measured quantity is
furthest into the zone (the highest value; the lowest for extension/behind-the-trunk zones). When the
category is 1 (no row sets it), the rows that occurred longest are shown instead, at most ``MAX_ROWS``.
Frames are read again from the video by timestamp (one seek per keyframe), reduced to ``WIDTH`` pixels
and stored as JPEG of a few tens of kB, embedded in the workbook's "Keyframes" sheet.
"""

from __future__ import annotations

import io
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from processor.model import LANDMARKS

log = logging.getLogger("hotfolder.processor")

MAX_ROWS = 6
WIDTH = 480
JPEG_QUALITY = 72
SHOWN_WIDTH_PX = 330  # on the sheet

# The segment each quantity is measured on, as (from, to) landmark pairs (mid-points of pairs).
_MID = {
    "hips": ("left_hip", "right_hip"), "shoulders": ("left_shoulder", "right_shoulder"),
    "ears": ("left_ear", "right_ear"),
}  # fmt: skip
SEGMENTS = {
    "trunk_flexion": [("hips", "shoulders")], "trunk_bend_twist": [("hips", "shoulders")],
    "head_flexion": [("shoulders", "ears")], "head_bend_rot": [("shoulders", "ears")],
    "arm_R": [("right_shoulder", "right_elbow")], "arm_L": [("left_shoulder", "left_elbow")],
    "knee_flexion": [("left_hip", "left_knee"), ("left_knee", "left_ankle"), ("right_hip", "right_knee"),
                     ("right_knee", "right_ankle")],
    "low_posture": [("hips", "left_ankle"), ("hips", "right_ankle")],
}  # fmt: skip
VERTICAL_FROM = {"trunk_flexion", "head_flexion", "arm_R", "arm_L"}  # angles against the vertical
EDGES = [
    ("left_shoulder", "right_shoulder"), ("left_hip", "right_hip"), ("left_shoulder", "left_hip"),
    ("right_shoulder", "right_hip"), ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"), ("left_hip", "left_knee"),
    ("left_knee", "left_ankle"), ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
]  # fmt: skip


@dataclass(frozen=True)
class Moment:
    row_id: str
    signal: str
    time_s: float
    index: int  # row of the angle table / pose sequence
    value: float  # the quantity at that moment (degrees; NaN for kneeling/squatting/lying)


@dataclass(frozen=True)
class Keyframe:
    row_id: str
    text_cs: str  # the row's legal text
    text_en: str
    signal: str
    time_s: float
    value: float
    jpeg: bytes
    width: int
    height: int
    blurred: bool


def mmss(seconds: float) -> str:
    m, s = divmod(max(0.0, float(seconds)), 60.0)
    return f"{int(m):02d}:{s:04.1f}"


def select_moments(result, assessment, angles, max_rows: int = MAX_ROWS) -> list[Moment]:
    """The worst moment of each deciding row (or of the longest rows when none decides)."""
    from processor.nv361 import signals as sig

    rows = list(assessment.deciding)
    if not rows:
        occurred = sorted((r for r in result.rows if r.seconds > 0), key=lambda r: -r.seconds)
        rows = [r.row.id for r in occurred]
    times = angles["time_s"].to_numpy(dtype=float)
    values_of: dict[str, np.ndarray] = {}
    out = []
    for rid in rows[:max_rows]:
        row = result.row(rid).row
        if not row.signal or row.signal not in sig.SIGNALS:
            continue
        if row.signal not in values_of:
            values_of[row.signal] = np.asarray(sig.SIGNALS[row.signal].evaluate(angles)[0], dtype=float)
        values = values_of[row.signal]
        best: tuple[float, int] | None = None
        low = row.zone == "ext"
        for ep in result.episodes:
            if ep.row_id != rid:
                continue
            idx = np.flatnonzero((times >= ep.start_s - 1e-6) & (times < ep.start_s + ep.duration_s - 1e-6))
            if len(idx) == 0:
                continue
            v = values[idx]
            if np.all(np.isnan(v)):
                score, i = ep.duration_s, int(idx[len(idx) // 2])  # not an angle: the middle of the longest
            else:
                j = int(np.nanargmin(v) if low else np.nanargmax(v))
                score, i = (-v[j] if low else v[j]), int(idx[j])
            if best is None or score > best[0]:
                best = (score, i)
        if best is not None:
            i = best[1]
            out.append(Moment(rid, row.signal, float(times[i]), i, float(values[i])))
    return out


def render(video: Path, pose, moments: list[Moment], blur: bool = True) -> list[tuple[Moment, np.ndarray]]:
    """The frames of ``moments`` from ``video`` (BGR, ``WIDTH`` wide), face blurred, annotated."""
    import cv2

    from processor.face_blur import blur_face

    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise OSError(f"cannot reopen {video.name} for keyframes")
    out = []
    try:
        for m in moments:
            cap.set(cv2.CAP_PROP_POS_MSEC, max(0.0, m.time_s * 1000.0))
            ok, frame = cap.read()
            if not ok:
                continue
            h, w = frame.shape[:2]
            if w > WIDTH:
                frame = cv2.resize(frame, (WIDTH, round(h * WIDTH / w)), interpolation=cv2.INTER_AREA)
            xy = np.asarray(pose.image[m.index], dtype=float)
            if blur:
                blur_face(frame, xy)
            annotate(frame, xy, m)
            out.append((m, frame))
    finally:
        cap.release()
    return out


def _point(xy: np.ndarray, name: str, w: int, h: int) -> tuple[int, int] | None:
    if name in _MID:
        a, b = (xy[LANDMARKS[n]] for n in _MID[name])
        p = (a + b) / 2.0
    else:
        p = xy[LANDMARKS[name]]
    if not np.all(np.isfinite(p)):
        return None
    return int(round(p[0] * w)), int(round(p[1] * h))


def annotate(frame: np.ndarray, xy: np.ndarray, m: Moment) -> None:
    """The skeleton (grey), the measured segment (red) with a dashed vertical from its base for angles
    against the vertical, the value at the segment's end and the timestamp in the corner."""
    import cv2

    h, w = frame.shape[:2]
    for a, b in EDGES:
        pa, pb = _point(xy, a, w, h), _point(xy, b, w, h)
        if pa and pb:
            cv2.line(frame, pa, pb, (200, 200, 200), 2, cv2.LINE_AA)
    tip = None
    for a, b in SEGMENTS.get(m.signal, []):
        pa, pb = _point(xy, a, w, h), _point(xy, b, w, h)
        if not (pa and pb):
            continue
        cv2.line(frame, pa, pb, (40, 40, 220), 4, cv2.LINE_AA)
        tip = tip or pb
        if m.signal in VERTICAL_FROM:
            length = math.dist(pa, pb)
            direction = -1 if pb[1] < pa[1] else 1  # up for the trunk and head, down for a hanging arm
            for k in range(0, int(length), 10):  # dashed vertical
                y0, y1 = pa[1] + direction * k, pa[1] + direction * min(k + 5, int(length))
                cv2.line(frame, (pa[0], y0), (pa[0], y1), (255, 255, 255), 2, cv2.LINE_AA)
    if tip and math.isfinite(m.value):
        _text(frame, f"{m.value:.0f} deg", (min(tip[0] + 8, w - 90), max(tip[1], 20)), 0.7)
    _text(frame, mmss(m.time_s), (8, h - 10), 0.6)


def _text(frame, text: str, at: tuple[int, int], scale: float) -> None:
    import cv2

    cv2.putText(frame, text, at, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 4, cv2.LINE_AA)
    cv2.putText(frame, text, at, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)


def encode(frame: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".jpg", frame, [int(cv2.IMWRITE_JPEG_QUALITY), int(quality)])
    if not ok:
        raise OSError("JPEG encoding failed")
    return buf.tobytes()


def keyframes_for(video: Path, pose, angles, result, assessment, options) -> tuple[Keyframe, ...]:
    """The report's keyframes; empty (and a warning in the log) when they cannot be made: the report
    stands without them."""
    if pose is None or len(pose) == 0 or not bool(np.any(pose.detected)):
        return ()
    try:
        moments = select_moments(result, assessment, angles)
        blur = bool(getattr(options, "blur_faces", True))
        out = []
        for m, frame in render(Path(video), pose, moments, blur=blur):
            row = result.row(m.row_id).row
            h, w = frame.shape[:2]
            out.append(Keyframe(m.row_id, row.text_cs, row.text_en, m.signal, m.time_s, m.value, encode(frame),
                                w, h, blur))
        return tuple(out)
    except Exception as exc:  # noqa: BLE001 - a keyframe is a courtesy
        log.warning("keyframes of %s failed: %s", Path(video).name, exc)
        return ()


def write_keyframes_sheet(ws, keyframes: tuple[Keyframe, ...], lang: str, blurred: bool = True,
                          deciding: bool = True) -> None:
    """Two keyframes per row of the sheet, each under its caption (legal text, time, value)."""
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Alignment, Font

    from processor.report_labels import label

    key = "keyframes_title" if deciding else "keyframes_title_1"
    if not blurred:
        key = "keyframes_title_noblur"
    ws["A1"] = label(lang, key)
    ws["A1"].font = Font(bold=True, size=12)
    r = 2
    if not blurred:
        ws.cell(row=2, column=1, value=label(lang, "no_blur_note"))
        r = 3
    if not keyframes:
        ws.cell(row=r + 1, column=1, value=label(lang, "keyframes_none"))
    for c in range(1, 13):
        ws.column_dimensions[chr(64 + c)].width = 8.43
    shown_h = 0
    for i, k in enumerate(keyframes):
        col = 1 if i % 2 == 0 else 7
        if i % 2 == 0:
            r += 1 if i == 0 else shown_h + 2
        row_text = k.text_cs if lang == "cs" else k.text_en
        value = f"{k.value:.0f}°" if math.isfinite(k.value) else ""
        caption = label(lang, "keyframe_caption", row=row_text, time=mmss(k.time_s),
                        quantity=label(lang, f"sig_{k.signal}").lower(), value=value).rstrip(", ")
        cell = ws.cell(row=r, column=col, value=caption)
        cell.alignment = Alignment(wrap_text=True, vertical="bottom")
        ws.merge_cells(start_row=r, start_column=col, end_row=r, end_column=col + 5)
        ws.row_dimensions[r].height = 30
        img = Image(io.BytesIO(k.jpeg))
        img.width = SHOWN_WIDTH_PX
        img.height = round(SHOWN_WIDTH_PX * k.height / k.width)
        ws.add_image(img, f"{chr(64 + col)}{r + 1}")
        shown_h = math.ceil(img.height / 20) + 1  # rows of 15 pt = 20 px
