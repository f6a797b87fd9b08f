"""Typed data passed between the analysis stages and to the worker.

decode+pose -> PoseSequence -> (optional SMPL-X fit -> PoseSequence of body joints)
-> angles table (pandas, columns = ANGLE_COLUMNS) -> standards/time analysis -> report files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

Quality = Literal["fast", "balanced", "accurate"]
Lang = Literal["en", "cs"]

# MediaPipe Pose landmark indices (the 33-point layout; body fits emit the same layout).
LANDMARKS = {
    "nose": 0, "left_eye": 2, "right_eye": 5, "left_ear": 7, "right_ear": 8,
    "left_shoulder": 11, "right_shoulder": 12, "left_elbow": 13, "right_elbow": 14,
    "left_wrist": 15, "right_wrist": 16, "left_hip": 23, "right_hip": 24,
    "left_knee": 25, "right_knee": 26, "left_ankle": 27, "right_ankle": 28,
    "left_heel": 29, "right_heel": 30, "left_foot_index": 31, "right_foot_index": 32,
}  # fmt: skip
N_LANDMARKS = 33

# The per-frame angle contract (also the CSV's columns), degrees unless the name says otherwise (the two
# *_ratio columns are unitless, the confidence_* ones 0..1); NaN = not measured.
ANGLE_COLUMNS = (
    "time_s",
    "trunk_flexion_deg",
    "trunk_side_bend_deg",
    "trunk_twist_deg",
    "neck_flexion_deg",
    "head_inclination_deg",
    "upper_arm_elevation_left_deg",
    "upper_arm_elevation_right_deg",
    "upper_arm_to_trunk_left_deg",
    "upper_arm_to_trunk_right_deg",
    "elbow_flexion_left_deg",
    "elbow_flexion_right_deg",
    "knee_flexion_left_deg",
    "knee_flexion_right_deg",
    "head_side_bend_deg",
    "head_rotation_deg",
    "upper_arm_extension_left_deg",
    "upper_arm_extension_right_deg",
    "hip_height_ratio",  # not degrees: heights over the leg length (processor.angles)
    "knee_height_ratio",
    "camera_azimuth_deg",
    "confidence_trunk",
    "confidence_neck",
    "confidence_arm_left",
    "confidence_arm_right",
    "confidence_legs",
)


class VideoError(Exception):
    """The input cannot be analysed and retrying cannot help (not a video, empty, truncated...).

    ``str(exc)`` is one sentence for people; the worker marks such a video failed at once.
    """


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    width: int  # after applying rotation metadata
    height: int
    fps: float  # nominal; frames carry their own timestamps
    duration_s: float
    frame_count: int | None
    rotation_deg: int  # from metadata, 0/90/180/270
    codec: str | None = None


@dataclass
class PoseSequence:
    """Landmarks of one person over the analysed frames; arrays share the first axis (frames).

    ``world`` is metric, hip-centred, in MediaPipe's camera-aligned axes (x right, y down,
    z away from camera); NaN rows mark frames where no person was found. For MediaPipe it is the
    image-anchored skeleton (x, y from the 2D keypoints, depth from the world landmarks: see
    ``processor.anchoring``).
    """

    time_s: np.ndarray  # (N,) presentation timestamps
    world: np.ndarray  # (N, 33, 3) metres
    image: np.ndarray  # (N, 33, 2) normalised image x, y (for previews)
    visibility: np.ndarray  # (N, 33) 0..1
    video: VideoInfo | None = None
    source: str = "mediapipe"  # or "smplx"
    meta: dict = field(default_factory=dict)  # e.g. fit residuals
    # Named (N, 3) points beyond the 33 landmarks, same frame as ``world`` (a body fit's pelvis,
    # spine, neck, head joints and lumbar/cervical/head skin points); empty for MediaPipe.
    points: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.time_s)

    @property
    def detected(self) -> np.ndarray:
        """(N,) bool: a person was found in the frame."""
        return ~np.isnan(self.world[:, 0, 0])


@dataclass(frozen=True)
class OutputPaths:
    """Where one analysis writes its files. The pipeline does not name outputs for people: its callers
    pass the names (``drive.model.OutputNames``); without them it writes plain names in ``out_dir``."""

    report: Path
    angles: Path
    preview: Path
    summary: Path

    @classmethod
    def plain(cls, out_dir: Path) -> "OutputPaths":
        return cls(out_dir / "report.xlsx", out_dir / "angles.csv", out_dir / "preview.mp4", out_dir / "summary.json")


@dataclass(frozen=True)
class ProtocolFields:
    """The protocol's metadata block (company, IČO, position, workplace, worker initials, date, who
    measured): from the time study that names the video when there is one, then the ``[protocol]``
    settings for what it leaves empty, else empty labelled fields for the lab to fill in. The camera
    position comes from the video itself (the report adds it)."""

    company: str = ""
    ico: str = ""
    position: str = ""
    workplace: str = ""
    workers: str = ""
    date: str = ""
    measured_by: str = ""
    time_study: str = ""  # the file the fields came from; empty: none

    def filled_from(self, defaults: "ProtocolFields") -> "ProtocolFields":
        """These fields, each empty one taken from ``defaults``."""
        return ProtocolFields(**{k: v or getattr(defaults, k) for k, v in self.__dict__.items()})


DEFAULT_WORK_MINUTES = 480.0  # the reference work time of NV 361/2007 (table 8 coefficient 1.000)


@dataclass(frozen=True)
class AnalysisOptions:
    standard: str = "nv361"
    quality: Quality = "balanced"
    lang: Lang = "en"
    preview: bool = False
    shift_hours: float = 8.0
    body_model: Path | None = None  # SMPL-X model file; None: skeleton mode on the landmarks
    camera_pitch_deg: float | None = None  # None: estimate the vertical from the video
    processes: int = 0  # 0: the CPUs the container may use, capped by memory (processor.resources)
    # NV 361 catalogue: the work time a single video is extrapolated to (None: the 480-min default,
    # stated in the report), and body parts marked as supported ("trunk", "head", "arm").
    work_minutes: float | None = None
    supported: frozenset[str] = frozenset()
    # The report's metadata block; None: from a time study beside the video (``hotfolder analyze``).
    protocol: ProtocolFields | None = None
    blur_faces: bool = True  # keyframes and the preview blur faces (personal data); False: leave them


@dataclass(frozen=True)
class AnalysisResult:
    video: Path
    report_xlsx: Path
    angles_csv: Path
    preview_mp4: Path | None
    duration_s: float
    analysed_share: float  # 0..1 of the video's time with a usable measurement
    person_found: bool
    standard: str
    verdicts: dict[str, str]  # body part -> verdict key (e.g. "acceptable", "conditionally_acceptable", "unacceptable", "not_assessed")
    overall_verdict: str
    angle_source: str = "mediapipe"
    summary_json: Path | None = None
