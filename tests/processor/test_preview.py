"""The annotated preview: streamed through OpenCV, one output frame per input frame, coloured by zone."""

from __future__ import annotations

import numpy as np

from processor.model import N_LANDMARKS, PoseSequence
from processor.preview import frame_levels, write_preview
from processor.standards import load_standard
from tests.processor import bad_inputs
from tests.processor.angle_tables import make_angles


def test_preview_writes_every_frame_with_the_zone_colour(tmp_path):
    import cv2

    video = bad_inputs.no_person_video(tmp_path / "clip.mp4", seconds=2.0)  # 20 frames at 10 fps
    n = 10  # the pose was analysed at 5 fps
    t = np.arange(n) * 0.2
    image = np.full((n, N_LANDMARKS, 2), 0.5)
    image[:, 11] = (0.4, 0.3)  # left shoulder
    image[:, 23] = (0.4, 0.7)  # left hip
    pose = PoseSequence(time_s=t, world=np.zeros((n, N_LANDMARKS, 3)), image=image,
                        visibility=np.ones((n, N_LANDMARKS)))
    angles = make_angles(2.0, fps=5, trunk_flexion_deg=lambda x: np.where(x < 1.0, 0.0, 75.0))
    std = load_standard("iso11226-shift")
    assert frame_levels(angles, std)[:2] == ["acceptable", "acceptable"]
    assert frame_levels(angles, std)[-1] == "unacceptable"
    out = write_preview(video, pose, angles, std, tmp_path / "clip - preview.mp4")
    cap = cv2.VideoCapture(str(out))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    assert len(frames) == 20
    first_bar, last_bar = frames[0][3, 5:50].mean(axis=0), frames[-1][3, 5:50].mean(axis=0)
    assert first_bar[1] > first_bar[2]  # green-ish (BGR) while upright
    assert last_bar[2] > last_bar[1]  # red-ish when bent over 60°
    assert not list(tmp_path.glob("*.part*"))
