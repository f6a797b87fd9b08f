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
"""

from __future__ import annotations

import argparse
import math
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

FPS = 10
W, H = 640, 480
CAM_DIST = 3.4
VIEWS = {"side": 90.0, "45": 45.0, "front": 0.0}  # azimuth of the camera, degrees from the front toward the subject's left
BODIES = {
    "bodyA": {"gender": 1.0, "age": 0.5, "muscle": 0.5, "weight": 0.5, "height": 0.55, "proportions": 0.5},
    "bodyB": {"gender": 0.0, "age": 0.6, "muscle": 0.3, "weight": 0.75, "height": 0.4, "proportions": 0.5},
}
SHIRT = {"bodyA": (60, 90, 170), "bodyB": (150, 60, 60)}  # RGB
TROUSERS = {"bodyA": (50, 50, 60), "bodyB": (40, 60, 90)}
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


def pose_at(t: float) -> dict[str, float]:
    for (t0, p0), (t1, p1) in zip(KEYS, KEYS[1:]):
        if t0 <= t <= t1:
            a = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
            a = 0.5 - 0.5 * math.cos(math.pi * a)  # ease in/out
            return {k: p0[k] + a * (p1[k] - p0[k]) for k in p0}
    return dict(KEYS[-1][1])


def rot(axis: int, deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    r = np.eye(3)
    r[i, i], r[i, j], r[j, i], r[j, j] = c, -s, s, c
    return r


def bone_deltas(p: dict[str, float]) -> dict[str, np.ndarray]:
    """anny 'local-ref' deltas: rotations about the world axes (x = subject's left, y = back, z = up)."""
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
    d["upperarm01.L"] = undo @ rot(0, -p["arm_l"]) @ rot(1, HANG_DEG)
    d["upperarm01.R"] = undo @ rot(0, -p["arm_r"]) @ rot(1, -HANG_DEG)
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
        # anny (x = subject's left, y = back, z = up) -> camera-like axes of a camera in front of the
        # subject (x right in the picture = subject's left, y down, z away from the camera).
        return np.stack([pts[:, 0], -pts[:, 2], pts[:, 1]], axis=1)


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


def background(eye, rmat, f, floor_z) -> np.ndarray:
    img = np.empty((H, W, 3), np.uint8)
    img[:] = (205, 200, 190)
    # floor: a large checkered quad, drawn tile by tile far to near
    tiles = []
    for i in range(-6, 6):
        for j in range(-6, 6):
            q = np.array([[i, j, 0], [i + 1, j, 0], [i + 1, j + 1, 0], [i, j + 1, 0]], float) * 0.5
            q[:, 2] = floor_z
            uv, z = project(q, eye, rmat, f)
            if np.all(z > 0.1):
                tiles.append((z.mean(), uv, (150, 140, 125) if (i + j) % 2 else (170, 160, 145)))
    for _, uv, col in sorted(tiles, key=lambda t: -t[0]):
        cv2.fillConvexPoly(img, np.round(uv * 16).astype(np.int32), col, cv2.LINE_AA, shift=4)
    return img


def render(body: Body, posed: dict[str, np.ndarray], bg: np.ndarray, eye, rmat, f) -> np.ndarray:
    v = posed["v"]
    tri = v[body.faces]  # (F, 3, 3)
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    n /= np.linalg.norm(n, axis=1, keepdims=True) + 1e-12
    centre = tri.mean(axis=1)
    facing = np.einsum("ij,ij->i", n, eye - centre) > 0
    uv, z = project(v, eye, rmat, f)
    light = np.array([0.4, -0.6, 0.7])
    light /= np.linalg.norm(light)
    shade = 0.45 + 0.55 * np.clip(n @ light, 0, 1)
    col = body.colors[body.faces].mean(axis=1) * shade[:, None]
    order = np.flatnonzero(facing)
    order = order[np.argsort(-z[body.faces[order]].mean(axis=1))]
    img = bg.copy()
    pts = np.round(uv[body.faces] * 16).astype(np.int32)
    for k in order:
        cv2.fillConvexPoly(img, pts[k], col[k].tolist(), cv2.LINE_AA, shift=4)
    return img


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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "synthetic")
    ap.add_argument("--bodies", nargs="*", default=list(BODIES))
    ap.add_argument("--views", nargs="*", default=list(VIEWS))
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    import pandas as pd  # noqa: F401  (compute_angles returns a DataFrame)

    from processor.angles import compute_angles
    from processor.model import N_LANDMARKS, PoseSequence

    args.out.mkdir(parents=True, exist_ok=True)
    times = np.arange(0, KEYS[-1][0] + 1e-9, 1.0 / FPS)
    for bname in args.bodies:
        Body._shirt, Body._trousers = SHIRT[bname], TROUSERS[bname]
        body = Body(BODIES[bname])
        posed = [body.forward(bone_deltas(pose_at(t))) for t in times]
        world = np.stack([body.landmarks(p) for p in posed])
        truth = compute_angles(
            PoseSequence(times, world, np.zeros((len(times), N_LANDMARKS, 2)), np.ones((len(times), N_LANDMARKS))),
            camera_pitch_deg=0.0,
        )
        truth = truth[[c for c in truth.columns if not c.startswith("confidence")]]
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
