"""Faces blurred from the pose landmarks, on rendered synthetic people whose head is found in the picture
itself (skin-coloured pixels above the blue shirt): the head changes strongly, nothing else changes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from processor.face_blur import blur_face, face_ellipse
from processor.keyframes import Moment, render
from processor.model import N_LANDMARKS, PoseSequence

DATA = Path(__file__).resolve().parents[1] / "data" / "synthetic"


def frame_at(clip: str, t: float) -> np.ndarray:
    import cv2

    cap = cv2.VideoCapture(str(DATA / f"{clip}.mp4"))
    cap.set(cv2.CAP_PROP_POS_MSEC, t * 1000.0)
    ok, frame = cap.read()
    cap.release()
    assert ok
    return frame


def landmarks(frame: np.ndarray) -> np.ndarray:
    """MediaPipe's image landmarks (33 × 2, normalised) of one picture."""
    import cv2
    import mediapipe as mp

    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1) as pose:
        res = pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    assert res.pose_landmarks is not None
    return np.array([(p.x, p.y) for p in res.pose_landmarks.landmark], dtype=float)


def head_box(frame: np.ndarray) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the head: the skin-coloured region that holds the topmost skin pixel (the arms
    are separate regions, cut off by the sleeves)."""
    import cv2

    b, g, r = (frame[..., i].astype(int) for i in range(3))
    skin = ((r > 140) & (g > 90) & (r - g > 15) & (r - g < 110) & (g > b + 5)).astype(np.uint8)
    n, lab, stats, _ = cv2.connectedComponentsWithStats(skin)
    big = [i for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] > 150]
    top = min(big, key=lambda i: stats[i, cv2.CC_STAT_TOP])
    x, y, w, h = (int(stats[top, k]) for k in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT))
    return x, y, x + w, y + min(h, round(1.4 * w))  # the head, without a long neck


def head_mask(frame: np.ndarray, box) -> np.ndarray:
    b, g, r = (frame[..., i].astype(int) for i in range(3))
    skin = (r > 140) & (g > 90) & (r - g > 15) & (r - g < 110) & (g > b + 5)
    out = np.zeros_like(skin)
    x0, y0, x1, y1 = box
    out[y0:y1, x0:x1] = skin[y0:y1, x0:x1]
    return out


def detail(img: np.ndarray) -> float:
    import cv2

    return float(cv2.Laplacian(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


@pytest.mark.parametrize("clip", ["bodyA_front", "bodyA_side", "bodyB_45"])
def test_the_face_is_blurred_and_nothing_else(clip):
    frame = frame_at(clip, 3.0)
    xy = landmarks(frame)
    x0, y0, x1, y1 = head_box(frame)
    assert 10 < x1 - x0 < 120 and 10 < y1 - y0 < 120  # a head, not the whole person
    blurred = frame.copy()
    assert blur_face(blurred, xy)
    head = (slice(y0, y1), slice(x0, x1))
    # the face (the head's inner part): its detail is gone and most of the head's pixels changed
    mx, my = (x1 - x0) // 5, (y1 - y0) // 5
    face = (slice(y0 + my, y1 - my), slice(x0 + mx, x1 - mx))
    assert detail(blurred[face]) < 0.35 * detail(frame[face])
    assert np.abs(blurred[head].astype(int) - frame[head].astype(int)).mean() > 2  # smooth synthetic skin: detail is the measure
    # the whole head (its skin pixels) lies inside the blurred ellipse
    (cx, cy), (ax, ay) = face_ellipse(xy, frame.shape[1], frame.shape[0])
    ys, xs = np.nonzero(head_mask(frame, (x0, y0, x1, y1)))
    assert np.mean(((xs - cx) / ax) ** 2 + ((ys - cy) / ay) ** 2 <= 1.0) > 0.97
    # the rest: unchanged outside a head's size around the head
    hh = y1 - y0
    outside = np.ones(frame.shape[:2], dtype=bool)
    outside[max(0, y0 - hh):y1 + hh, max(0, x0 - hh):x1 + hh] = False
    assert np.array_equal(blurred[outside], frame[outside])


def test_keyframe_blurs_the_face_and_keeps_the_rest():
    frame = frame_at("bodyA_front", 3.0)
    xy = landmarks(frame)
    pose = PoseSequence(time_s=np.array([3.0]), world=np.zeros((1, N_LANDMARKS, 3)), image=xy[None],
                        visibility=np.ones((1, N_LANDMARKS)))
    m = Moment("trunk.flex_gt60.static", "trunk_flexion", 3.0, 0, 72.0)
    (_, shown), = render(DATA / "bodyA_front.mp4", pose, [m], blur=True)
    (_, plain), = render(DATA / "bodyA_front.mp4", pose, [m], blur=False)
    assert shown.shape == plain.shape and shown.shape[1] <= 480
    x0, y0, x1, y1 = head_box(frame)  # the clip is 640 wide, the keyframe 480: scale the box
    s = shown.shape[1] / frame.shape[1]
    x0, y0, x1, y1 = (round(v * s) for v in (x0, y0, x1, y1))
    head = (slice(y0, y1), slice(x0, x1))
    assert np.abs(shown[head].astype(int) - plain[head].astype(int)).mean() > 8
    hh = y1 - y0
    outside = np.ones(shown.shape[:2], dtype=bool)
    outside[max(0, y0 - hh):y1 + hh, max(0, x0 - hh):x1 + hh] = False
    assert np.array_equal(shown[outside], plain[outside])
