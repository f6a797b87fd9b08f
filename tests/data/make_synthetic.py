"""Render synthetic people with known postures for the accuracy tests (a developer tool, not a test step).

Bodies come from the ``anny`` package (a MakeHuman-based parametric body for PyTorch, CC0 assets).
It must NOT go into the project's venv (it pulls torch/warp); use a separate one:

    python3 -m venv /work/anny-venv
    /work/anny-venv/bin/pip install torch==2.13.0 anny==0.6.2 opencv-contrib-python==4.11.0.86 'numpy<2'
    PYTHONPATH=. /work/anny-venv/bin/python tests/data/make_synthetic.py [--out tests/data/synthetic]

anny builds its model cache on first use (``anny.Anny()`` assembles the model from the packaged
MakeHuman data and stores it under ``~/.cache/anny``, about a minute on one core; warp compiles its
skinning kernel once under ``~/.cache/warp``). Nothing is downloaded.

Each clip is a routine of held postures with smooth transitions (spine bends of 28/70/108°, i.e. a
trunk line of about 21/50/74°, mid-zone in every standard, with the arms hanging plumb; left arm
raised forward to 60 and 150°, right arm to 90°, neck flexion, trunk side bend), rendered from one
camera azimuth (side = the subject's left side, 45° front-left, front) for one body shape. A small
numpy/OpenCV painter's-algorithm rasterizer with Lambert shading draws the mesh (skin, shirt, trousers,
shoes) over a floor and a plain wall; it needs no GPU or OpenGL. Per-frame truth is measured from the
posed skeleton (joint centres; ears from head-surface vertices) with ``processor.angles.compute_angles``,
the same definitions the analysis uses, and written to ``<clip>.csv`` beside ``<clip>.mp4``.
Those six are the base clips (``--bodies`` x ``--views``; ``--views`` with no names skips them).

Scenes: the hard cases, one ``scene_*`` function each (``--scenes``; with no names, none):
- ``bodyA_rear`` (camera at 150°, behind-left), ``bodyB_rear`` (180°): the routine from behind.
- ``bodyA_front_cycle`` (0°), ``bodyA_rear_cycle`` (180°): a 25 s work cycle, ``CYCLE_KEYS``: forward
  bends to a trunk line of ~45° and ~70° held 2.5 s, arms reaching forward 60–100° with nearly straight
  elbows held 2.5–3 s, some while bent.
- ``bodyA_tilt_down`` (side, camera 2.4 m high pitched 25° down), ``bodyA_tilt_up`` (side, camera
  0.25 m above the floor pitched 15° up).
- ``bodyA_passerby`` (45°): bodyB walks across behind the subject (during the bends), later slowly in
  front of them, hiding them for about a second.
- ``bodyA_bench`` (45°): the subject behind a 0.95 m bench (above the hips) that hides the legs.
- ``bodyB_bench_front`` (0°): bodyB behind the same bench, seen from the front (in the deepest bend only
  the top of the back shows); ``bodyC_machine_side`` (side): bodyC behind a 1.0 m machine between him
  and the camera.
- ``bodyC_side``, ``bodyC_45``, ``bodyC_front``, ``bodyC_rear`` (180°): a third body (a tall, slim,
  young man); scenes rather than base clips, so the focal length keeps his head in the picture.
Scenes of one fixed camera and nothing else are rows of ``VIEW_SCENES``; the others are functions.
- ``bodyA_turning`` (camera in front): the subject turns once around (0 -> 360°) during the routine.
- ``bodyA_abduct_side`` (side), ``bodyA_abduct_45`` (45°): ``ABDUCTION_KEYS``, arms raised sideways
  (left 30/60/90/150°, right 90°), one raised halfway between forward and sideways, and a sideways raise
  with the trunk bent 40°: arms out of the body's sagittal plane, which every other routine keeps them in.
- ``bodyA_pan`` (side): handheld-like camera, slow pan ±15° (0.12 Hz), pitch and roll shake ±3°
  (0.35–0.95 Hz).
- ``bodyA_front_near``, ``bodyB_front_near`` (0°): the routine from the front with the camera 1.8 m away
  (``NEAR_DIST``, a cramped workplace) instead of 3.4 m, through the wider lens that keeps them whole:
  the nearer parts of the body look larger (perspective), which the 3.4-m clips hardly show.
The painter sorts the faces of all meshes (subject, passer-by, the bench as 10 cm tiles) together by depth.
The focal length is the base clips' unless the subject would leave the picture (``fit_focal``).
A scene's truth is taken in a level frame at the camera facing the subject: against gravity whatever
the camera's tilt, roll or pan, and ``camera_azimuth_deg`` is where the camera stands (the base clips'
truth reads 0 there: it was taken as if from the front). Truth columns beyond the angles and targets:
``camera_pitch_deg`` (+ down), ``camera_roll_deg`` (+ = the camera's right side down), ``camera_yaw_deg``
(pan off the subject, + to the camera's left), every frame; ``bodyA_passerby``: ``subject_occluded``
(1 where the passer-by hides at least ``OCCLUDED_MIN_FRAC`` of the subject's silhouette) with
``subject_occluded_frac``, ``passerby_visible`` (1 where at least ``PASSERBY_MIN_PX`` pixels of the
passer-by are in the picture), ``subject_visible_frac``; ``bodyA_bench``, ``bodyB_bench_front``, ``bodyC_machine_side``: ``subject_visible_frac``;
``bodyA_turning``: ``subject_yaw_deg`` (+ = turned toward their left).
"""

from __future__ import annotations

import argparse
import math
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

FPS = 10
W, H = 640, 480
CAM_DIST = 3.4
VIEWS = {"side": 90.0, "45": 45.0, "front": 0.0}  # azimuth of the camera, degrees from the front toward the subject's left
BODIES = {
    "bodyA": {"gender": 1.0, "age": 0.5, "muscle": 0.5, "weight": 0.5, "height": 0.55, "proportions": 0.5},
    "bodyB": {"gender": 0.0, "age": 0.6, "muscle": 0.3, "weight": 0.75, "height": 0.4, "proportions": 0.5},
    "bodyC": {"gender": 0.1, "age": 0.3, "muscle": 0.7, "weight": 0.3, "height": 0.85, "proportions": 0.7},
}
SHIRT = {"bodyA": (60, 90, 170), "bodyB": (150, 60, 60), "bodyC": (70, 125, 80)}  # RGB
TROUSERS = {"bodyA": (50, 50, 60), "bodyB": (40, 60, 90), "bodyC": (85, 70, 55)}
SKIN = (224, 172, 140)
SHOES = (30, 25, 25)

# Keyframes: (time s, pose). Pose keys: trunk (flexion, deg), side (side bend toward the subject's
# right, deg), neck (flexion, deg), arm_l / arm_r (forward elevation of the upper arm, deg from hanging).
N = dict(trunk=0, side=0, neck=0, arm_l=0, arm_r=0)
KEYS = [
    (0.0, N), (1.0, N),
    (1.6, {**N, "trunk": 28}), (3.0, {**N, "trunk": 28}),
    (3.6, {**N, "trunk": 70}), (5.0, {**N, "trunk": 70}),
    (5.6, {**N, "trunk": 108}), (7.0, {**N, "trunk": 108}),
    (7.7, N), (8.0, N),
    (8.5, {**N, "arm_l": 60}), (9.5, {**N, "arm_l": 60}),
    (10.1, {**N, "arm_l": 150}), (11.1, {**N, "arm_l": 150}),
    (11.7, {**N, "arm_r": 90}), (12.7, {**N, "arm_r": 90}),
    (13.3, {**N, "neck": 35}), (14.5, {**N, "neck": 35}),
    (15.1, {**N, "side": 20}), (16.3, {**N, "side": 20}),
    (16.8, N), (17.0, N),
]  # fmt: skip
HANG_DEG = 42.0  # anny's rest pose is an A-pose; this adducts the arms to hang by the body
# Sideways raises (abduction: abd_l / abd_r, deg from hanging) and raises between forward and sideways,
# which leave the body's sagittal plane: the arm turns toward or away from a camera at the side.
NA = {**N, "abd_l": 0, "abd_r": 0}
ABDUCTION_KEYS = [
    (0.0, NA), (1.0, NA),
    (1.6, {**NA, "abd_l": 30}), (2.6, {**NA, "abd_l": 30}),
    (3.2, {**NA, "abd_l": 60}), (4.2, {**NA, "abd_l": 60}),
    (4.8, {**NA, "abd_l": 90}), (5.8, {**NA, "abd_l": 90}),
    (6.6, {**NA, "abd_l": 150}), (7.6, {**NA, "abd_l": 150}),
    (8.4, NA), (8.7, NA),
    (9.3, {**NA, "abd_r": 90}), (10.3, {**NA, "abd_r": 90}),
    (10.9, {**NA, "arm_l": 45, "abd_l": 45}), (11.9, {**NA, "arm_l": 45, "abd_l": 45}),
    (12.5, {**NA, "trunk": 40, "abd_l": 60}), (13.7, {**NA, "trunk": 40, "abd_l": 60}),
    (14.4, NA), (14.6, NA),
]  # fmt: skip


def pose_at(t: float, keys: list = KEYS) -> dict[str, float]:
    for (t0, p0), (t1, p1) in zip(keys, keys[1:]):
        if t0 <= t <= t1:
            a = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
            a = 0.5 - 0.5 * math.cos(math.pi * a)  # ease in/out
            return {k: p0[k] + a * (p1[k] - p0[k]) for k in p0}
    return dict(keys[-1][1])


def rot(axis: int, deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    r = np.eye(3)
    r[i, i], r[i, j], r[j, i], r[j, j] = c, -s, s, c
    return r


def axis_rot(axis: np.ndarray, deg: float) -> np.ndarray:
    """Rotation by ``deg`` about the unit ``axis`` (right hand), Rodrigues' formula."""
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    a = math.radians(deg)
    return np.eye(3) + math.sin(a) * k + (1 - math.cos(a)) * (k @ k)


def bone_deltas(p: dict[str, float], elbow_axes: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """anny 'local-ref' deltas: rotations about the world axes (x = subject's left, y = back, z = up).

    Optional pose keys ``elbow_l`` / ``elbow_r`` (the scenes' work cycle) straighten the elbow by that
    many degrees from the rest pose's bend (about 42°), about ``Body.elbow_axes``.
    """
    d = {}
    # +x rotation bends forward (the front is -y); +y bends toward the subject's left.
    chain = np.eye(3)
    for b in ("spine05", "spine04", "spine03", "spine02", "spine01"):
        d[b] = rot(0, p["trunk"] / 5) @ rot(1, -p["side"] / 5)
        chain = chain @ d[b]
    d["neck01"] = rot(0, p["neck"] / 2)
    d["neck02"] = rot(0, p["neck"] / 2)
    # Deltas compose down the chain (world = parent @ delta): undo the spine's rotation so the arms
    # hang plumb while the trunk bends, as people's arms do, and are raised relative to gravity.
    undo = chain.T
    # optional keys abd_l / abd_r (the sideways-raise scenes): abduction, the arm raised toward its own side
    d["upperarm01.L"] = undo @ rot(0, -p["arm_l"]) @ rot(1, HANG_DEG - p.get("abd_l", 0.0))
    d["upperarm01.R"] = undo @ rot(0, -p["arm_r"]) @ rot(1, -HANG_DEG + p.get("abd_r", 0.0))
    for side in ("l", "r"):
        if p.get(f"elbow_{side}"):
            d[f"lowerarm01.{side.upper()}"] = axis_rot(elbow_axes[side], -p[f"elbow_{side}"])
    return d


class Body:
    def __init__(self, phenotype: dict[str, float]):
        import anny
        import torch

        self.torch = torch
        self.model = anny.Anny()
        self.labels = list(self.model.bone_labels)
        self.phenotype = {k: torch.tensor([v], dtype=torch.float64) for k, v in phenotype.items()}
        self.faces = np.asarray(self.model.get_triangular_faces().cpu().numpy())
        rest = self.forward({})
        v = rest["v"]
        self.floor_z = float(v[:, 2].min())
        self.colors = self._colors(v, rest["j"])
        self.ear_vertices = self._ears(v, rest["j"])
        # the elbows' flexion axes in the rest pose (upper arm x forearm): + about them bends the elbow
        self.elbow_axes = {}
        for side in ("L", "R"):
            sh, el, wr = (self.j(rest["j"], f"{b}.{side}") for b in ("upperarm01", "lowerarm01", "wrist"))
            n = np.cross(el - sh, wr - el)
            self.elbow_axes[side.lower()] = n / np.linalg.norm(n)

    def forward(self, deltas: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        torch = self.torch
        dtype = self.model.template_vertices.dtype
        params = {}
        for name, r in deltas.items():
            m = torch.eye(4, dtype=dtype)[None].clone()
            m[0, :3, :3] = torch.as_tensor(r, dtype=dtype)
            params[name] = m
        with torch.no_grad():
            out = self.model(pose_parameters=params or None, phenotype_kwargs=self.phenotype)
        return {
            "v": out["vertices"][0].double().numpy(),
            "j": out["bone_poses"][0, :, :3, 3].double().numpy(),
        }

    def j(self, joints: np.ndarray, name: str) -> np.ndarray:
        return joints[self.labels.index(name)]

    def _colors(self, v: np.ndarray, joints: np.ndarray) -> np.ndarray:
        neck_z = self.j(joints, "neck01")[2]
        hip_z = self.j(joints, "upperleg01.L")[2]
        ankle_z = self.j(joints, "foot.L")[2]
        sh_x = abs(self.j(joints, "upperarm01.L")[0])
        elbow_x = abs(self.j(joints, "lowerarm01.L")[0])
        c = np.empty((len(v), 3))
        c[:] = self._shirt
        arm = (np.abs(v[:, 0]) > sh_x + 0.02) & (v[:, 2] > hip_z - 0.15) & ~((np.abs(v[:, 0]) < 0.26) & (v[:, 2] < hip_z + 0.03))
        c[arm & (np.abs(v[:, 0]) > (sh_x + elbow_x) / 2 + 0.02)] = SKIN  # short sleeves
        c[v[:, 2] > neck_z - 0.01] = SKIN
        c[(v[:, 2] < hip_z + 0.03) & ~arm] = self._trousers
        c[(v[:, 2] < ankle_z + 0.02) & ~arm] = SHOES
        return c

    def _ears(self, v: np.ndarray, joints: np.ndarray) -> tuple[int, int]:
        eye_z = self.j(joints, "eye.L")[2]
        head = (v[:, 2] > eye_z - 0.05) & (v[:, 2] < eye_z)
        idx = np.flatnonzero(head)
        # the outermost head-surface points at ear height, behind the eyes: the ear canal area
        left = idx[np.argmax(v[idx, 0] - 0.3 * np.abs(v[idx, 1] - self.j(joints, "head")[1]))]
        right = idx[np.argmin(v[idx, 0] + 0.3 * np.abs(v[idx, 1] - self.j(joints, "head")[1]))]
        return int(left), int(right)

    _shirt = (0, 0, 0)
    _trousers = (0, 0, 0)

    def landmarks(self, posed: dict[str, np.ndarray]) -> np.ndarray:
        """33 MediaPipe-layout landmarks in MediaPipe-like axes (x subject's left... see below), metres."""
        pts = self.landmarks_world(posed)
        # anny (x = subject's left, y = back, z = up) -> camera-like axes of a camera in front of the
        # subject (x right in the picture = subject's left, y down, z away from the camera).
        return np.stack([pts[:, 0], -pts[:, 2], pts[:, 1]], axis=1)

    def landmarks_world(self, posed: dict[str, np.ndarray]) -> np.ndarray:
        """The 33 MediaPipe-layout landmarks in anny's (world) axes, metres; NaN where not modelled."""
        from processor.model import LANDMARKS, N_LANDMARKS

        jn = posed["j"]
        pts = np.full((N_LANDMARKS, 3), np.nan)
        spec = {
            "shoulder": "upperarm01", "elbow": "lowerarm01", "wrist": "wrist",
            "hip": "upperleg01", "knee": "lowerleg01", "ankle": "foot",
        }  # fmt: skip
        for side, s in (("left", "L"), ("right", "R")):
            for lm, bone in spec.items():
                pts[LANDMARKS[f"{side}_{lm}"]] = self.j(jn, f"{bone}.{s}")
            pts[LANDMARKS[f"{side}_eye"]] = self.j(jn, f"eye.{s}")
        pts[LANDMARKS["left_ear"]] = posed["v"][self.ear_vertices[0]]
        pts[LANDMARKS["right_ear"]] = posed["v"][self.ear_vertices[1]]
        pts[LANDMARKS["nose"]] = self.j(jn, "head")
        return pts


def camera(azimuth_deg: float, floor_z: float):
    a = math.radians(azimuth_deg)
    eye = np.array([CAM_DIST * math.sin(a), -CAM_DIST * math.cos(a), floor_z + 1.15])
    target = np.array([0.0, 0.0, floor_z + 0.85])
    fwd = target - eye
    fwd /= np.linalg.norm(fwd)
    right = np.cross(fwd, [0, 0, 1.0])
    right /= np.linalg.norm(right)
    down = np.cross(fwd, right)
    rmat = np.stack([right, down, fwd])  # world -> camera (x right, y down, z forward)
    return eye, rmat, 0.78 * H * CAM_DIST / 1.8  # the person fills ~3/4 of the height


def project(p: np.ndarray, eye, rmat, f) -> tuple[np.ndarray, np.ndarray]:
    c = (p - eye) @ rmat.T
    uv = np.stack([f * c[:, 0] / c[:, 2] + W / 2, f * c[:, 1] / c[:, 2] + H / 2], axis=1)
    return uv, c[:, 2]


def background(eye, rmat, f, floor_z, tiles_per_side: int = 6) -> np.ndarray:
    img = np.empty((H, W, 3), np.uint8)
    img[:] = (205, 200, 190)
    # floor: a large checkered quad, drawn tile by tile far to near
    tiles = []
    for i in range(-tiles_per_side, tiles_per_side):
        for j in range(-tiles_per_side, tiles_per_side):
            q = np.array([[i, j, 0], [i + 1, j, 0], [i + 1, j + 1, 0], [i, j + 1, 0]], float) * 0.5
            q[:, 2] = floor_z
            uv, z = project(q, eye, rmat, f)
            if np.all(z > 0.1):
                tiles.append((z.mean(), uv, (150, 140, 125) if (i + j) % 2 else (170, 160, 145)))
    for _, uv, col in sorted(tiles, key=lambda t: -t[0]):
        cv2.fillConvexPoly(img, np.round(uv * 16).astype(np.int32), col, cv2.LINE_AA, shift=4)
    return img


def render(body: Body, posed: dict[str, np.ndarray], bg: np.ndarray, eye, rmat, f) -> np.ndarray:
    mesh = Mesh(posed["v"], body.faces, body.colors[body.faces].mean(axis=1))
    return paint([mesh], bg, eye, rmat, f, stable=False)[0]


class Mesh:
    """Triangles or convex polygons to paint: vertices (V, 3), faces (F, k) of vertex indices, colours (F, 3)."""

    def __init__(self, v: np.ndarray, faces: np.ndarray, colors: np.ndarray, label: int = 1, aa: bool = True):
        self.v, self.faces, self.colors, self.label, self.aa = v, faces, colors, label, aa


def paint(meshes: list[Mesh], bg: np.ndarray, eye, rmat, f, labels: bool = False, stable: bool = True):
    """Painter's algorithm over all meshes' faces together (far to near, back faces culled), Lambert shading.

    Returns the picture and, with ``labels``, an image of the label of the mesh that owns each pixel
    (0 = background), painted in the same order without anti-aliasing.
    """
    light = np.array([0.4, -0.6, 0.7])
    light /= np.linalg.norm(light)
    pts_all, col_all, depth_all, lab_all, aa_all = [], [], [], [], []
    for m in meshes:
        poly = m.v[m.faces]  # (F, k, 3)
        n = np.cross(poly[:, 1] - poly[:, 0], poly[:, 2] - poly[:, 0])
        n /= np.linalg.norm(n, axis=1, keepdims=True) + 1e-12
        centre = poly.mean(axis=1)
        facing = np.einsum("ij,ij->i", n, eye - centre) > 0
        uv, z = project(m.v, eye, rmat, f)
        shade = 0.45 + 0.55 * np.clip(n @ light, 0, 1)
        col = m.colors * shade[:, None]
        order = np.flatnonzero(facing & np.all(z[m.faces] > 0.05, axis=1))
        pts_all.append(np.round(uv[m.faces[order]] * 16).astype(np.int32))
        col_all.append(col[order])
        depth_all.append(z[m.faces[order]].mean(axis=1))
        lab_all.append(np.full(len(order), m.label, np.uint8))
        aa_all.append(np.full(len(order), m.aa))
    pts = [q for a in pts_all for q in a]  # triangles and quads
    col, lab, aa = (np.concatenate(a) for a in (col_all, lab_all, aa_all))
    # a stable sort orders equal depths the same on every machine (numpy's default argsort may use SIMD
    # code whose order of ties differs between CPUs); the base clips keep the default they were made with
    order = np.argsort(-np.concatenate(depth_all), kind="stable" if stable else None)
    img = bg.copy()
    lab_img = np.zeros(img.shape[:2], np.uint8) if labels else None
    for k in order:
        cv2.fillConvexPoly(img, pts[k], col[k].tolist(), cv2.LINE_AA if aa[k] else cv2.LINE_8, shift=4)
        if labels:
            cv2.fillConvexPoly(lab_img, pts[k], int(lab[k]), cv2.LINE_8, shift=4)
    return img, lab_img


def skeleton_angles(times: np.ndarray, world: np.ndarray):
    """The truth table: ``compute_angles`` on exact landmarks (camera-like axes, y = down = gravity)."""
    from processor.angles import compute_angles
    from processor.model import N_LANDMARKS, PoseSequence

    n = len(times)
    pose = PoseSequence(times, world, np.zeros((n, N_LANDMARKS, 2)), np.ones((n, N_LANDMARKS)))
    # the exact skeleton needs no MediaPipe depth correction
    truth = compute_angles(pose, camera_pitch_deg=0.0, trunk_depth=False)
    return truth[[c for c in truth.columns if not c.startswith("confidence")]]


def write_clip(frames_path: Path, frames: list[np.ndarray]) -> None:
    if shutil.which("ffmpeg"):
        proc = subprocess.Popen(
            ["ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}",
             "-r", str(FPS), "-i", "-", "-c:v", "libx264", "-crf", "24", "-preset", "slow",
             "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(frames_path)],
            stdin=subprocess.PIPE,
        )  # fmt: skip
        for fr in frames:
            proc.stdin.write(np.ascontiguousarray(fr).tobytes())
        proc.stdin.close()
        if proc.wait() != 0:
            raise RuntimeError("ffmpeg failed")
        return
    out = cv2.VideoWriter(str(frames_path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (W, H))
    for fr in frames:
        out.write(cv2.cvtColor(fr, cv2.COLOR_RGB2BGR))
    out.release()


# ------------------------------------------------------------------------------------------------
# Scenes: the hard cases (other camera views, a tilted or handheld camera, a passer-by, a bench, a
# turning subject). The subject's truth is taken against gravity in a level frame at the camera,
# facing the subject (so ``camera_azimuth_deg`` is where the camera really stands), whatever the
# camera's own tilt, roll or pan.
# ------------------------------------------------------------------------------------------------

F0 = 0.78 * H * CAM_DIST / 1.8  # the base clips' focal length, pixels
BASE_PITCH_DEG = math.degrees(math.atan2(1.15 - 0.85, CAM_DIST))  # the base camera: eye 1.15 m, aimed at 0.85 m
FIT_MARGIN_PX = (18, 12)  # the subject stays this far inside the picture (x, y); the focal length shrinks if needed
OCCLUDED_MIN_FRAC = 0.2  # subject_occluded: the passer-by hides at least this share of the subject's silhouette
PASSERBY_MIN_PX = 400  # passerby_visible: at least this many pixels of the passer-by are in the picture

# A work cycle: forward bends (spine 65° / 103°: a trunk line of about 45° / 70°) held 2.5 s, and arms
# reaching forward 60–100° (from gravity) with the elbows nearly straight (bent ~12°), some while bent,
# held 2.5–3 s.
NC = {**N, "elbow_l": 0, "elbow_r": 0}
REACH = {"elbow_l": 30, "elbow_r": 30}
CYCLE_KEYS = [
    (0.0, NC), (1.5, NC),
    (2.2, {**NC, "trunk": 65}), (4.7, {**NC, "trunk": 65}),
    (5.4, NC), (6.0, NC),
    (6.8, {**NC, **REACH, "arm_l": 90, "arm_r": 90}), (9.8, {**NC, **REACH, "arm_l": 90, "arm_r": 90}),
    (10.5, NC), (11.0, NC),
    (11.9, {**NC, "trunk": 103}), (14.4, {**NC, "trunk": 103}),
    (15.2, NC), (15.7, NC),
    (16.5, {**NC, **REACH, "trunk": 65, "arm_l": 100, "arm_r": 60}),
    (19.2, {**NC, **REACH, "trunk": 65, "arm_l": 100, "arm_r": 60}),
    (19.9, NC), (20.4, NC),
    (21.3, {**NC, "trunk": 103, "arm_r": 75, "elbow_r": 30}), (23.8, {**NC, "trunk": 103, "arm_r": 75, "elbow_r": 30}),
    (24.5, NC), (24.9, NC),
]  # fmt: skip


@dataclass(frozen=True)
class View:
    """One frame's camera, around the subject's vertical axis (x = y = 0); angles in degrees."""

    azimuth: float  # where it stands: 0 in front of the (unturned) subject, 90 at their left, 180 behind
    dist: float = CAM_DIST  # horizontal distance from the subject's axis, m
    height: float = 1.15  # eye above the floor, m
    pitch: float = BASE_PITCH_DEG  # optical axis below the horizontal (+ down, as the analysis' camera_pitch_deg)
    yaw: float = 0.0  # pan away from the subject, + to the camera's left (counter-clockwise seen from above)
    roll: float = 0.0  # about the optical axis, + = the camera's right side down (the horizon turns counter-clockwise)

    def pose(self, floor_z: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """eye, world -> camera rotation (x right, y down, z forward), world -> level frame facing the subject."""
        a = math.radians(self.azimuth)
        eye = np.array([self.dist * math.sin(a), -self.dist * math.cos(a), floor_z + self.height])
        to_subject = np.array([-math.sin(a), math.cos(a), 0.0])
        heading = rot(2, self.yaw) @ to_subject
        p, r = math.radians(self.pitch), math.radians(self.roll)
        fwd = math.cos(p) * heading - math.sin(p) * np.array([0.0, 0.0, 1.0])
        right0 = np.cross(fwd, [0, 0, 1.0])
        right0 /= np.linalg.norm(right0)
        down0 = np.cross(fwd, right0)
        right = math.cos(r) * right0 + math.sin(r) * down0
        down = -math.sin(r) * right0 + math.cos(r) * down0
        level = np.stack([np.cross(to_subject, [0, 0, 1.0]), [0, 0, -1.0], to_subject])
        return eye, np.stack([right, down, fwd]), level


@dataclass(frozen=True)
class Box:
    """An axis-aligned box standing on the floor (x, y in world metres, z from the floor), painted as tiles."""

    lo: tuple[float, float, float]
    hi: tuple[float, float, float]
    color: tuple[int, int, int] = (150, 112, 72)
    tile: float = 0.1  # small tiles keep the painter's depth order right next to the body

    def mesh(self, floor_z: float, label: int) -> Mesh:
        lo, hi = np.array(self.lo, float), np.array(self.hi, float)
        lo[2] += floor_z
        hi[2] += floor_z
        quads = []
        e = np.eye(3)
        for k in range(3):
            u, w = (k + 1) % 3, (k + 2) % 3  # e_u x e_w = e_k: counter-clockwise seen from outside
            for sign, plane in ((1, hi[k]), (-1, lo[k])):
                a, b = (u, w) if sign > 0 else (w, u)
                na = max(1, round((hi[a] - lo[a]) / self.tile))
                nb = max(1, round((hi[b] - lo[b]) / self.tile))
                sa, sb = np.linspace(lo[a], hi[a], na + 1), np.linspace(lo[b], hi[b], nb + 1)
                for i in range(na):
                    for j in range(nb):
                        o = plane * e[k]
                        c = [o + sa[i] * e[a] + sb[j] * e[b], o + sa[i + 1] * e[a] + sb[j] * e[b],
                             o + sa[i + 1] * e[a] + sb[j + 1] * e[b], o + sa[i] * e[a] + sb[j + 1] * e[b]]  # fmt: skip
                        quads.append(c)
        v = np.asarray(quads, float).reshape(-1, 3)
        faces = np.arange(len(v)).reshape(-1, 4)
        return Mesh(v, faces, np.tile(np.asarray(self.color, float), (len(faces), 1)), label=label, aa=False)

    def contains(self, p: np.ndarray, floor_z: float) -> np.ndarray:
        lo, hi = np.array(self.lo, float), np.array(self.hi, float)
        lo[2] += floor_z
        hi[2] += floor_z
        return np.all((p > lo) & (p < hi), axis=1)


@dataclass(frozen=True)
class Walk:
    """A straight walk across the floor from ``start`` to ``end`` (world x, y, m) between t0 and t1 (s)."""

    t0: float
    t1: float
    start: tuple[float, float]
    end: tuple[float, float]
    stride: float = 1.3  # m per gait cycle (two steps)

    def at(self, t: float) -> tuple[np.ndarray, float, float] | None:
        """(position, heading yaw, gait phase) at t, or None when the walker is off stage."""
        if not self.t0 <= t <= self.t1:
            return None
        s, e = np.array(self.start), np.array(self.end)
        a = (t - self.t0) / (self.t1 - self.t0)
        d = e - s
        yaw = math.degrees(math.atan2(d[0], -d[1]))  # the body faces -y at yaw 0
        return s + a * d, yaw, 2 * math.pi * a * np.linalg.norm(d) / self.stride


def walk_deltas(phase: float) -> dict[str, np.ndarray]:
    """A simple gait: hips swing ±20°, the swinging knee bends up to 50°, arms swing ±14° against the legs."""
    d = {}
    for side, sign in (("L", 1.0), ("R", -1.0)):
        hip = 20.0 * sign * math.sin(phase)
        knee = 5.0 + 45.0 * max(0.0, sign * math.cos(phase)) ** 2
        d[f"upperleg01.{side}"] = rot(0, -hip)
        d[f"lowerleg01.{side}"] = rot(0, knee)
        d[f"upperarm01.{side}"] = rot(0, 14.0 * sign * math.sin(phase)) @ rot(1, sign * HANG_DEG)
    return d


def place(posed: dict[str, np.ndarray], yaw_deg: float, offset=(0.0, 0.0, 0.0)) -> dict[str, np.ndarray]:
    """Turn a posed body about the vertical through its root (+ = toward the subject's left) and move it."""
    r = rot(2, yaw_deg)
    off = np.asarray(offset, float)
    return {"v": posed["v"] @ r.T + off, "j": posed["j"] @ r.T + off}


@dataclass
class Scene:
    """One clip: the subject's routine and placement, the camera over time, props and a passer-by."""

    name: str
    subject: str  # key of BODIES
    keys: list  # the subject's posture keyframes (see KEYS)
    view: Callable[[float], View]
    subject_yaw: Callable[[float], float] = lambda t: 0.0  # + turns toward the subject's left
    props: tuple[Box, ...] = ()
    passerby: str | None = None  # key of BODIES
    walks: tuple[Walk, ...] = ()
    extra_columns: tuple[str, ...] = ()  # per-scene truth columns beyond the angles and the camera


# Scenes of one fixed camera and nothing else in the picture: name -> (subject, keyframes, camera azimuth, what)
VIEW_SCENES = {
    "bodyA_rear": ("bodyA", KEYS, 150.0, "the routine from behind-left (150°)"),
    "bodyB_rear": ("bodyB", KEYS, 180.0, "the routine from straight behind"),
    "bodyA_front_cycle": ("bodyA", CYCLE_KEYS, 0.0, "a work cycle (bends to ~45°/~70°, forward reaches) from the front"),
    "bodyA_rear_cycle": ("bodyA", CYCLE_KEYS, 180.0, "the work cycle from straight behind"),
    # a third body (a tall, slim, young man); scenes rather than base clips, so the focal length keeps
    # him in the picture
    "bodyC_side": ("bodyC", KEYS, 90.0, "bodyC from the side"),
    "bodyC_45": ("bodyC", KEYS, 45.0, "bodyC from 45° front-left"),
    "bodyC_front": ("bodyC", KEYS, 0.0, "bodyC from the front"),
    "bodyC_rear": ("bodyC", KEYS, 180.0, "bodyC from straight behind"),
    # arms raised sideways and obliquely (out of the sagittal plane), from the side and at 45°
    "bodyA_abduct_side": ("bodyA", ABDUCTION_KEYS, 90.0, "sideways arm raises from the side"),
    "bodyA_abduct_45": ("bodyA", ABDUCTION_KEYS, 45.0, "sideways arm raises from 45° front-left"),
}


def view_scene(name: str) -> Scene:
    subject, keys, azimuth, _ = VIEW_SCENES[name]
    return Scene(name, subject, keys, lambda t: View(azimuth))


def scene_bodyA_tilt_down() -> Scene:
    """The routine from the side, camera mounted high (2.4 m) and pitched 25° down at the subject's middle."""
    height = 0.85 + CAM_DIST * math.tan(math.radians(25.0))
    return Scene("bodyA_tilt_down", "bodyA", KEYS, lambda t: View(90.0, height=height, pitch=25.0))


def scene_bodyA_tilt_up() -> Scene:
    """The routine from the side, camera low (0.25 m above the floor, 2.8 m away) pitched 15° up."""
    return Scene("bodyA_tilt_up", "bodyA", KEYS, lambda t: View(90.0, dist=2.8, height=0.25, pitch=-15.0))


def scene_bodyA_passerby() -> Scene:
    """The routine at 45° while bodyB walks across: 1.6 m behind the subject at 1.2 m/s during the trunk
    bends, later slowly (0.5 m/s) 1 m in front of them, hiding them for about a second around 12.9 s."""
    a = math.radians(45.0)
    to_cam = np.array([math.sin(a), -math.cos(a)])  # from the subject toward the camera
    across = np.array([math.cos(a), math.sin(a)])  # the camera's right
    behind, front = -1.6 * to_cam, 1.0 * to_cam
    walks = (
        Walk(1.0, 6.3, tuple(behind - 3.2 * across), tuple(behind + 3.2 * across)),  # 1.2 m/s during the bends
        Walk(9.4, 16.4, tuple(front + 1.75 * across), tuple(front - 1.75 * across), stride=0.9),  # 0.5 m/s
    )
    return Scene(
        "bodyA_passerby", "bodyA", KEYS, lambda t: View(45.0), passerby="bodyB", walks=walks,
        extra_columns=("subject_occluded", "passerby_visible", "subject_occluded_frac", "subject_visible_frac"),
    )  # fmt: skip


def scene_bodyA_bench() -> Scene:
    """The routine at 45° behind a bench 0.95 m high (above the hips) that hides the legs."""
    bench = Box((-1.0, -1.25, 0.0), (1.0, -0.70, 0.95))  # its near edge 7 cm ahead of the hanging hands
    return Scene("bodyA_bench", "bodyA", KEYS, lambda t: View(45.0), props=(bench,), extra_columns=("subject_visible_frac",))


def scene_bodyB_bench_front() -> Scene:
    """The routine from the front, bodyB behind the same bench: the legs and hips hidden, the face toward the camera."""
    bench = Box((-1.0, -1.25, 0.0), (1.0, -0.70, 0.95))
    return Scene("bodyB_bench_front", "bodyB", KEYS, lambda t: View(0.0), props=(bench,), extra_columns=("subject_visible_frac",))


def scene_bodyC_machine_side() -> Scene:
    """The routine from the side (the subject's left), bodyC behind a machine 1.0 m high between them and
    the camera: the legs and hips hidden, the arm raised forward in the picture plane."""
    machine = Box((0.40, -0.60, 0.0), (1.00, 0.60, 1.00), color=(120, 125, 130))
    return Scene("bodyC_machine_side", "bodyC", KEYS, lambda t: View(90.0), props=(machine,), extra_columns=("subject_visible_frac",))


def scene_bodyA_turning() -> Scene:
    """The routine while the subject turns once around (yaw 0 -> 360° at a steady rate), camera in front."""
    end = KEYS[-1][0]
    return Scene(
        "bodyA_turning", "bodyA", KEYS, lambda t: View(0.0), subject_yaw=lambda t: 360.0 * t / end,
        extra_columns=("subject_yaw_deg",),
    )  # fmt: skip


def scene_bodyA_pan() -> Scene:
    """The routine from the side with a handheld-like camera: slow pan ±15°, pitch and roll shake ±3°."""

    def view(t: float) -> View:
        tau = 2 * math.pi * t
        return View(
            90.0,
            yaw=15.0 * math.sin(tau / 8.5),
            pitch=BASE_PITCH_DEG + 2.0 * math.sin(0.35 * tau + 0.5) + 1.0 * math.sin(0.8 * tau + 2.0),
            roll=2.0 * math.sin(0.45 * tau) + 1.0 * math.sin(0.95 * tau + 1.0),
        )

    return Scene("bodyA_pan", "bodyA", KEYS, view)


NEAR_DIST = 1.8  # a cramped workplace: about the nearest a phone shows a standing person whole


def _front_near(subject: str) -> Scene:
    """The routine from the front with the camera 1.8 m away, aimed at the subject's middle as the base
    clips' (eye 1.15 m); ``fit_focal`` widens the lens to keep them in the picture (f ≈ 290-350 px on 640 px)."""
    pitch = math.degrees(math.atan2(1.15 - 0.85, NEAR_DIST))
    return Scene(f"{subject}_front_near", subject, KEYS, lambda t: View(0.0, dist=NEAR_DIST, pitch=pitch))


def scene_bodyA_front_near() -> Scene:
    return _front_near("bodyA")


def scene_bodyB_front_near() -> Scene:
    return _front_near("bodyB")


SCENES = {
    **{name: (lambda name=name: view_scene(name)) for name in VIEW_SCENES},
    **{
        fn.__name__.removeprefix("scene_"): fn
        for fn in (
            scene_bodyA_tilt_down, scene_bodyA_tilt_up, scene_bodyA_passerby, scene_bodyA_bench,
            scene_bodyA_turning, scene_bodyA_pan, scene_bodyB_bench_front, scene_bodyC_machine_side,
            scene_bodyA_front_near, scene_bodyB_front_near,
        )
    },
}  # fmt: skip


def make_body(name: str) -> Body:
    Body._shirt, Body._trousers = SHIRT[name], TROUSERS[name]
    return Body(BODIES[name])


def fit_focal(vertices: list[np.ndarray], cams: list[tuple]) -> float:
    """The base focal length, or less if the subject would otherwise leave the picture in some frame."""
    need_x = need_y = 1e-9
    for v, (eye, rmat, _) in zip(vertices, cams):
        c = (v[::3] - eye) @ rmat.T
        need_x = max(need_x, float(np.max(np.abs(c[:, 0] / c[:, 2]))))
        need_y = max(need_y, float(np.max(np.abs(c[:, 1] / c[:, 2]))))
    return min(F0, (W / 2 - FIT_MARGIN_PX[0]) / need_x, (H / 2 - FIT_MARGIN_PX[1]) / need_y)


def paint_mask(mask: np.ndarray, mesh: Mesh, eye, rmat, f) -> None:
    """Fill the mesh's camera-facing faces into ``mask`` (1): its silhouette as if nothing were in front."""
    poly = mesh.v[mesh.faces]
    n = np.cross(poly[:, 1] - poly[:, 0], poly[:, 2] - poly[:, 0])
    facing = np.einsum("ij,ij->i", n, eye - poly.mean(axis=1)) > 0
    uv, _ = project(mesh.v, eye, rmat, f)
    for q in np.round(uv[mesh.faces[facing]] * 16).astype(np.int32):
        cv2.fillConvexPoly(mask, q, 1, cv2.LINE_8, shift=4)


def render_scene(scene: Scene, bodies: dict[str, Body], out: Path) -> None:
    subject = bodies[scene.subject]
    floor_z = subject.floor_z
    times = np.arange(0, scene.keys[-1][0] + 1e-9, 1.0 / FPS)
    views = [scene.view(t) for t in times]
    cams = [v.pose(floor_z) for v in views]
    posed = [
        place(subject.forward(bone_deltas(pose_at(t, scene.keys), subject.elbow_axes)), scene.subject_yaw(t))
        for t in times
    ]
    for box in scene.props:
        inside = max(int(box.contains(p["v"], floor_z).sum()) for p in posed)
        if inside:
            raise RuntimeError(f"{scene.name}: up to {inside} body vertices inside {box}")

    # truth: the subject's landmarks in a level frame at the camera, facing the subject
    world = np.stack([(subject.landmarks_world(p) - eye) @ level.T for p, (eye, _, level) in zip(posed, cams)])
    truth = skeleton_angles(times, world)
    for key in scene.keys[0][1]:
        truth[f"target_{key}_deg"] = [pose_at(t, scene.keys)[key] for t in times]
    truth["camera_pitch_deg"] = [v.pitch for v in views]
    truth["camera_roll_deg"] = [v.roll for v in views]
    truth["camera_yaw_deg"] = [v.yaw for v in views]

    f = fit_focal([p["v"] for p in posed], cams)
    walker = bodies[scene.passerby] if scene.passerby else None
    bgs: dict[View, np.ndarray] = {}
    frames, extra = [], {c: [] for c in ("subject_occluded_frac", "subject_visible_frac", "passerby_visible_px")}
    for t, view, (eye, rmat, _), p in zip(times, views, cams, posed):
        if view not in bgs:
            bgs = {view: background(eye, rmat, f, floor_z, tiles_per_side=12)}  # one cached: a moving camera redraws
        meshes = [Mesh(p["v"], subject.faces, subject.colors[subject.faces].mean(axis=1), label=1)]
        meshes += [box.mesh(floor_z, label=3) for box in scene.props]
        for walk in scene.walks:
            state = walk.at(t)
            if state is not None and walker is not None:
                xy, yaw, phase = state
                wp = walker.forward(walk_deltas(phase))
                wp = place(wp, yaw)
                wp = place(wp, 0.0, (xy[0], xy[1], floor_z - wp["v"][:, 2].min()))  # feet on the floor
                meshes.append(Mesh(wp["v"], walker.faces, walker.colors[walker.faces].mean(axis=1), label=2))
        img, lab = paint(meshes, bgs[view], eye, rmat, f, labels=len(meshes) > 1)
        frames.append(img)
        if lab is not None:  # occlusion: the subject's own silhouette against what the picture shows of it
            mask = np.zeros(img.shape[:2], np.uint8)
            paint_mask(mask, meshes[0], eye, rmat, f)
            alone_px = max(int(mask.sum()), 1)
            extra["subject_occluded_frac"].append(float(((lab == 2) & (mask > 0)).sum()) / alone_px)
            extra["subject_visible_frac"].append(float((lab == 1).sum()) / alone_px)
            extra["passerby_visible_px"].append(int((lab == 2).sum()))
        else:
            extra["subject_occluded_frac"].append(0.0)
            extra["subject_visible_frac"].append(1.0)
            extra["passerby_visible_px"].append(0)
    if "subject_occluded_frac" in scene.extra_columns:
        truth["subject_occluded_frac"] = extra["subject_occluded_frac"]
        truth["subject_occluded"] = (truth["subject_occluded_frac"] >= OCCLUDED_MIN_FRAC).astype(int)
    if "passerby_visible" in scene.extra_columns:
        truth["passerby_visible"] = (np.asarray(extra["passerby_visible_px"]) >= PASSERBY_MIN_PX).astype(int)
    if "subject_visible_frac" in scene.extra_columns:
        truth["subject_visible_frac"] = extra["subject_visible_frac"]
    if "subject_yaw_deg" in scene.extra_columns:
        truth["subject_yaw_deg"] = [scene.subject_yaw(t) for t in times]

    stem = out / scene.name
    write_clip(stem.with_suffix(".mp4"), frames)
    truth.round(3).to_csv(stem.with_suffix(".csv"), index=False)
    print(f"wrote {stem}.mp4 ({stem.with_suffix('.mp4').stat().st_size // 1024} KiB), {len(frames)} frames, f={f:.0f} px")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "synthetic")
    ap.add_argument("--bodies", nargs="*", default=list(BODIES))
    ap.add_argument("--views", nargs="*", default=list(VIEWS), help="base clips: views of each body (none: no base clips)")
    ap.add_argument("--scenes", nargs="*", default=list(SCENES), help=f"hard cases (none: no scenes): {' '.join(SCENES)}")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    import pandas as pd  # noqa: F401  (compute_angles returns a DataFrame)

    args.out.mkdir(parents=True, exist_ok=True)
    times = np.arange(0, KEYS[-1][0] + 1e-9, 1.0 / FPS)
    for bname in args.bodies if args.views else []:
        body = make_body(bname)
        posed = [body.forward(bone_deltas(pose_at(t))) for t in times]
        truth = skeleton_angles(times, np.stack([body.landmarks(p) for p in posed]))
        for key in ("trunk", "side", "neck", "arm_l", "arm_r"):
            truth[f"target_{key}_deg"] = [pose_at(t)[key] for t in times]
        for vname in args.views:
            eye, rmat, f = camera(VIEWS[vname], body.floor_z)
            bg = background(eye, rmat, f, body.floor_z)
            frames = [render(body, p, bg, eye, rmat, f) for p in posed]
            stem = args.out / f"{bname}_{vname}"
            write_clip(stem.with_suffix(".mp4"), frames)
            truth.round(3).to_csv(stem.with_suffix(".csv"), index=False)
            print(f"wrote {stem}.mp4 ({stem.with_suffix('.mp4').stat().st_size // 1024} KiB), {len(frames)} frames")
    bodies: dict[str, Body] = {}
    for name in args.scenes:
        scene = SCENES[name]()
        for bname in (scene.subject, scene.passerby):
            if bname and bname not in bodies:
                bodies[bname] = make_body(bname)
        render_scene(scene, bodies, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
