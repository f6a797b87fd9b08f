"""Blur the face of the person assessed, from the pose landmarks alone (no face detector, no extra model).

A worker's face in a keyframe or the preview video is personal data. MediaPipe's 33-point pose already
places the nose (0), the eyes (2, 5), the ears (7, 8) and the shoulders (11, 12): the head is an ellipse
around the face points, sized from the larger of the ear-to-ear distance and a fraction of the shoulder
width (the ears come close together in a side view, the shoulders in a front view: the larger one holds
in both). The ellipse is generous on purpose (2.4 ear widths wide, 3.5 tall, centred above the eyes), so hair,
chin and a mislocated landmark or two are still covered. Points are used whatever their visibility: a
face turned away is still a head worth covering. Inside the ellipse the picture is pixelated and then
blurred; everything else is left as it was.
"""

from __future__ import annotations

import numpy as np

FACE_POINTS = (0, 2, 5, 7, 8)  # nose, eyes, ears
EARS = (7, 8)
SHOULDERS = (11, 12)
WIDTH_PER_EAR = 2.4  # the ellipse's full width over the ear-to-ear distance
WIDTH_PER_SHOULDER = 0.8  # ... over the shoulder width, when the ears are close (side view)
WIDTH_PER_NECK = 1.3  # ... over the face-to-shoulders distance (a side view narrows the rest)
HEIGHT_PER_WIDTH = 1.45
MIN_WIDTH_PX = 24


def face_ellipse(image_xy: np.ndarray, width: int, height: int) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """((cx, cy), (half width, half height)) in pixels of the head of one frame's normalised image
    landmarks (33, 2); None when no face point is known."""
    pts = np.asarray(image_xy, dtype=float)[:, :2] * np.array([width, height], dtype=float)
    face = pts[list(FACE_POINTS)]
    face = face[np.all(np.isfinite(face), axis=1)]
    shoulders = pts[list(SHOULDERS)]
    shoulders = shoulders[np.all(np.isfinite(shoulders), axis=1)]
    if len(face) == 0:
        if len(shoulders) < 2:
            return None
        # no face point: the head sits above the shoulders' middle
        span = float(np.linalg.norm(shoulders[0] - shoulders[1]))
        centre = shoulders.mean(axis=0) - np.array([0.0, 0.75 * span])
        w = max(WIDTH_PER_SHOULDER * span, MIN_WIDTH_PX)
    else:
        centre = face.mean(axis=0)
        ears = pts[list(EARS)]
        ear_span = float(np.linalg.norm(ears[0] - ears[1])) if np.all(np.isfinite(ears)) else 0.0
        face_span = float(np.max(np.ptp(face, axis=0))) if len(face) > 1 else 0.0
        shoulder_span = float(np.linalg.norm(shoulders[0] - shoulders[1])) if len(shoulders) == 2 else 0.0
        neck = float(np.linalg.norm(face.mean(axis=0) - shoulders.mean(axis=0))) if len(shoulders) else 0.0
        w = max(WIDTH_PER_EAR * max(ear_span, face_span), WIDTH_PER_SHOULDER * shoulder_span, WIDTH_PER_NECK * neck,
                MIN_WIDTH_PX)
        centre = centre - np.array([0.0, 0.2 * w])  # the face points sit below the middle of the head
    h = HEIGHT_PER_WIDTH * w
    return (int(round(centre[0])), int(round(centre[1]))), (int(round(w / 2)), int(round(h / 2)))


def blur_face(frame: np.ndarray, image_xy: np.ndarray) -> bool:
    """Blur the head of ``image_xy`` (normalised landmarks, 33 × 2) in ``frame`` (BGR, changed in place).
    Returns whether something was blurred."""
    import cv2

    h, w = frame.shape[:2]
    ellipse = face_ellipse(image_xy, w, h)
    if ellipse is None:
        return False
    (cx, cy), (ax, ay) = ellipse
    x0, x1 = max(0, cx - ax), min(w, cx + ax + 1)
    y0, y1 = max(0, cy - ay), min(h, cy + ay + 1)
    if x1 <= x0 or y1 <= y0:
        return False
    roi = frame[y0:y1, x0:x1]
    rh, rw = roi.shape[:2]
    # pixelate to blocks of about a sixth of the head, then smooth the blocks' edges
    small = cv2.resize(roi, (max(1, rw // max(4, ax // 3)), max(1, rh // max(4, ay // 3))), interpolation=cv2.INTER_AREA)
    coarse = cv2.resize(small, (rw, rh), interpolation=cv2.INTER_NEAREST)
    k = max(3, (min(rw, rh) // 4) | 1)
    coarse = cv2.GaussianBlur(coarse, (k, k), 0)
    mask = np.zeros((rh, rw), dtype=np.uint8)
    cv2.ellipse(mask, (cx - x0, cy - y0), (ax, ay), 0, 0, 360, 255, -1)
    roi[mask > 0] = coarse[mask > 0]
    return True
