"""Fit SMPL-X to MediaPipe world landmarks: a whole video, in bounded memory, deterministically.

What is fitted (all frames of a chunk at once, Adam, no per-frame Python loop):
- one body shape (10 betas) for the person: fitted first on up to ``shape_frames`` frames spread
  over the video, then frozen;
- per frame: global orientation, translation and the 21 body joints' rotations (hands, jaw, eyes
  and face stay at the model's mean pose).

The loss, in centimetres² so the weights read naturally:
- data: Σ visibility × landmark weight × ‖model point − landmark‖² (`body_model.LANDMARK_MAP`);
- temporal: Σ ‖acceleration of the model's landmark points‖² between frames less than
  ``max_gap_s`` apart, scaled to a 30 fps frame step (so the term means the same at any rate);
  the last two fitted frames of a chunk are fixed context for the next chunk;
- pose prior: L2 on the joints the landmarks barely constrain (spine split, neck, head,
  collars, wrists, feet) — never on shoulders, elbows, hips, knees, which would bias the angles;
- joint limits: knees and elbows bend one way only and barely twist sideways (squared hinge);
- shape prior: L2 on the betas.

Orientation: the model's vertical (+y) starts aligned with gravity (``up``, by default
MediaPipe's −y; the pipeline can pass its estimate) and its left-right axis with the hip line,
per frame; the fit refines it. The output stays in the input's coordinate frame, so the angle
code measures the fitted body exactly as it measures landmarks.

Chunks: frames are fitted ``chunk_size`` at a time; each chunk starts from the previous chunk's
last body pose (warm start), so memory is bounded by the chunk, not the video.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from processor.body_model import (
    DERIVED_JOINTS,
    DERIVED_VERTICES,
    J,
    MP_NAMES,
    N_BODY_JOINTS,
    NUM_BETAS,
    V,
    BodyKinematics,
    landmark_points,
    load_smplx,
)
from processor.model import PoseSequence

# Pose-prior weight per body joint (index = SMPL-X joint - 1). Zero where the landmarks pin the
# joint down (hips, knees, shoulders, elbows): a prior there would pull angles toward the T pose.
_PRIOR = np.zeros(N_BODY_JOINTS, np.float32)
for _name, _w in {"spine1": 1.0, "spine2": 1.0, "spine3": 1.0, "neck": 1.0, "head": 1.0,
                  "left_collar": 3.0, "right_collar": 3.0, "left_wrist": 0.5, "right_wrist": 0.5,
                  "left_ankle": 0.3, "right_ankle": 0.3, "left_foot": 2.0, "right_foot": 2.0}.items():  # fmt: skip
    _PRIOR[J[_name] - 1] = _w

# Hinge joints: (joint, hinge axis, flexion sign about it, largest rotation about other axes, rad).
# SMPL-X rest pose: knees flex about +x; the left elbow flexes about -y, the right about +y.
_HINGES = [
    (J["left_knee"], 0, 1.0, 0.3), (J["right_knee"], 0, 1.0, 0.3),
    (J["left_elbow"], 1, -1.0, 0.8), (J["right_elbow"], 1, 1.0, 0.8),
]  # fmt: skip

# Body pose a fit starts from when there is no previous chunk: standing, arms hanging.
_REST_START = {(J["left_shoulder"], 2): -1.2, (J["right_shoulder"], 2): 1.2}

_CM = 100.0  # the loss works in centimetres


@dataclass(frozen=True)
class FitSettings:
    chunk_size: int = 2048  # frames per batch; bounds memory
    iterations: int = 60  # Adam steps per chunk
    shape_frames: int = 256  # frames the body shape is fitted on
    shape_iterations: int = 150
    lr: float = 0.05  # rotations (rad) and translation (dm) step size
    temporal_weight: float = 0.3  # acceleration term; 0 switches temporal smoothing off
    pose_prior_weight: float = 1.0
    limit_weight: float = 100.0
    shape_prior_weight: float = 0.05
    max_gap_s: float = 0.5  # frames further apart are not linked by the temporal term
    seed: int = 0


def fit_body(
    pose: PoseSequence,
    model_path: Path,
    *,
    device: str = "auto",
    chunk_size: int = FitSettings.chunk_size,
    iterations: int = FitSettings.iterations,
    seed: int = 0,
    up: Sequence[float] | None = None,
    settings: FitSettings | None = None,
    progress: Callable[[float], None] | None = None,
) -> PoseSequence:
    """Fit SMPL-X to ``pose`` and return the body's landmarks in the same 33-point layout.

    ``source`` is "smplx"; frames without a person stay NaN; ``meta`` keeps the input's entries
    and gains ``landmark_source``, the fit's residuals (``residual_mean_mm``, ``residual_p95_mm``:
    per-landmark distance to the visible input landmarks; ``residual_by_landmark_mm``),
    ``frames_fitted``, ``betas``, ``device``, ``seconds``, ``model_file`` and ``settings``; ``points`` holds derived
    points the landmarks lack (pelvis, spine joints, neck, head, lumbar/cervical/head skin).
    Raises `BodyModelError` for a missing or invalid model file.
    """
    import torch

    cfg = replace(settings or FitSettings(), chunk_size=int(chunk_size), iterations=int(iterations), seed=seed)
    if cfg.chunk_size < 3 or cfg.iterations < 1:
        raise ValueError("chunk_size must be >= 3 and iterations >= 1")
    dev = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
    started = time.perf_counter()
    model = load_smplx(Path(model_path))
    spec = landmark_points()
    kin = _kinematics(model, spec, dev)
    n = len(pose)
    world = np.full_like(pose.world, np.nan, dtype=np.float64)
    points = {name: np.full((n, 3), np.nan) for name in DERIVED_JOINTS + DERIVED_VERTICES}
    detected = np.flatnonzero(pose.detected)
    meta = {**pose.meta, "landmark_source": pose.source}
    if len(detected) == 0:
        meta.update(frames_fitted=0, residual_mean_mm=None, residual_p95_mm=None, settings=asdict(cfg))
        return replace(pose, world=world, source="smplx", meta=meta, points=points)

    with _deterministic(seed, dev):
        fitter = _ChunkFitter(kin, spec, cfg, dev, _up_vector(up))
        x = pose.world[detected]
        vis = np.nan_to_num(pose.visibility[detected], nan=0.0)
        t = pose.time_s[detected].astype(np.float64)
        betas = fitter.fit_shape(x, vis)
        head_rot, head_pos = [], []
        context = None
        chunks = range(0, len(detected), cfg.chunk_size)
        for k, lo in enumerate(chunks):
            hi = min(lo + cfg.chunk_size, len(detected))
            out, context = fitter.fit_chunk(x[lo:hi], vis[lo:hi], t[lo:hi], betas, context)
            rows = detected[lo:hi]
            world[rows[:, None], spec.mp_index[None, :]] = out["landmarks"]
            for name in DERIVED_JOINTS:
                points[name][rows] = out["joints"][:, J[name]]
            for i, name in enumerate(DERIVED_VERTICES):
                points[name][rows] = out["extra_vertices"][:, i]
            head_rot.append(out["head_rot"])
            head_pos.append(out["head_pos"])
            if progress:
                progress((k + 1) / len(chunks))

    _attach_to_head(world, pose, detected, np.concatenate(head_rot), np.concatenate(head_pos), spec)
    # Flat scalars (plus two small dicts) so the report's Method sheet can list them as they are.
    meta.update(
        **_residuals(world, pose, detected, spec),
        frames_fitted=int(len(detected)),
        betas=[round(float(b), 4) for b in betas],
        device=dev,
        seconds=round(time.perf_counter() - started, 3),
        settings=asdict(cfg),
        model_file=Path(model_path).name,
    )
    return replace(pose, world=world, source="smplx", meta=meta, points=points)


def _kinematics(model, spec, device: str) -> BodyKinematics:
    """Joints first, then vertices: the landmark points, then the derived skin points."""
    joint_ids = sorted({int(i) for i, k in zip(spec.model_index, spec.kinds) if k == "joint"})
    vertex_ids = sorted({int(i) for i, k in zip(spec.model_index, spec.kinds) if k == "vertex"})
    vertex_ids += [V[name] for name in DERIVED_VERTICES]
    return BodyKinematics(model, joint_ids, vertex_ids, device)


@contextlib.contextmanager
def _deterministic(seed: int, device: str):
    import torch

    if device.startswith("cuda"):
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    before = torch.are_deterministic_algorithms_enabled()
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before)


def _up_vector(up: Sequence[float] | None) -> np.ndarray:
    u = np.array([0.0, -1.0, 0.0] if up is None else up, dtype=np.float64)
    norm = np.linalg.norm(u)
    if not np.isfinite(norm) or norm < 1e-9:
        raise ValueError("up must be a non-zero 3-vector")
    return u / norm


class _ChunkFitter:
    """Holds the model on the device and fits batches of frames.

    Parameters per frame are the *global* rotations of the 22 body joints (6-D representation,
    Zhou et al. 2019) and the translation: with global rotations each bone's direction is its
    own parameter, which first-order optimisers handle far better than a chain of local
    rotations. Local rotations (for pose correctives, prior and limits) are G_parent^T G_k.
    """

    def __init__(self, kin: BodyKinematics, spec, cfg: FitSettings, device: str, up: np.ndarray):
        import torch

        self.kin, self.spec, self.cfg, self.up = kin, spec, cfg, up
        self.dev = torch.device(device)
        f32 = dict(dtype=torch.float32, device=self.dev)
        # Column of each landmark point in cat([selected joints, selected vertices]).
        gather = [kin.joint_ids.index(int(i)) if k == "joint" else len(kin.joint_ids) + kin.vertex_ids.index(int(i))
                  for i, k in zip(spec.model_index, spec.kinds)]  # fmt: skip
        self.gather = torch.as_tensor(gather, device=self.dev)
        self.derived_vertex_cols = [len(kin.joint_ids) + kin.vertex_ids.index(V[n]) for n in DERIVED_VERTICES]
        self.weight = torch.as_tensor(spec.weight, **f32)
        self.smooth_mask = self.weight >= 0.5  # points the temporal term follows (not the hands)
        self.prior = torch.as_tensor(_PRIOR, **f32)
        self.rest_start = np.tile(np.eye(3), (1 + N_BODY_JOINTS, 1, 1))
        from scipy.spatial.transform import Rotation

        for (j, a), val in _REST_START.items():
            self.rest_start[j] = Rotation.from_rotvec(np.eye(3)[a] * val).as_matrix()
        parents = kin.parents[: 1 + N_BODY_JOINTS]
        self.subtree = {k: [c for c in range(1 + N_BODY_JOINTS) if _descends(c, k, parents)] for k in range(1 + N_BODY_JOINTS)}
        self.mp = {name: i for i, name in enumerate(MP_NAMES)}

    # -- model points -----------------------------------------------------------------
    def points(self, betas, g, tr):
        """Landmark points (N, K, 3), all selected points (N, J+S, 3), body joint positions (N, 22, 3)."""
        import torch

        joints, verts, _, pos = self.kin.forward_global(betas, g, tr)
        allp = torch.cat([joints, verts], 1)
        return allp[:, self.gather], allp, pos

    # -- initialisation ---------------------------------------------------------------
    def initial_pose(self, x: np.ndarray, betas: np.ndarray, start_local: np.ndarray):
        """Global rotations (N, 22, 3, 3) and translations (N, 3) to start from.

        The root is gravity-aligned (model up -> ``up``) and turned so the model's left-right
        axis follows the landmark hip line; the body starts in ``start_local`` (a standing pose,
        or the previous chunk's last pose); then the trunk and each limb bone are swung onto the
        landmarks' directions (shortest rotation), which leaves the optimiser a small correction.
        """
        import torch
        from scipy.spatial.transform import Rotation

        n, mp, u = len(x), self.mp, self.up
        side = x[:, mp["right_hip"]] - x[:, mp["left_hip"]]
        shoulders = x[:, mp["right_shoulder"]] - x[:, mp["left_shoulder"]]
        side = np.where(np.isfinite(side).all(1, keepdims=True), side, shoulders)
        side = np.nan_to_num(side - (side @ u)[:, None] * u)
        norm = np.linalg.norm(side, axis=1, keepdims=True)
        fallback = np.cross(u, [0.0, 0.0, 1.0]) if abs(u[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
        side = np.where(norm > 1e-6, side / np.maximum(norm, 1e-9), fallback / np.linalg.norm(fallback))
        left = -side
        root = np.stack([left, np.broadcast_to(u, left.shape), np.cross(left, u)], axis=2)  # columns: model x, y, z

        local = np.repeat(start_local[None], n, 0).copy()
        local[:, 0] = root
        with torch.no_grad():
            g = self.kin.global_rotations(_t(local, self.dev)).cpu().numpy().astype(np.float64)
        jr = self.kin.rest_joints(_t(betas, self.dev)).detach().cpu().numpy().astype(np.float64)

        def swing(joint, current, observed):
            """Rotate ``joint``'s subtree so a direction now along ``current`` points along ``observed``."""
            ok = np.isfinite(observed).all(1) & (np.linalg.norm(np.nan_to_num(observed), axis=1) > 1e-6)
            b = np.where(ok[:, None], np.nan_to_num(observed), current)
            a = current / np.linalg.norm(current, axis=1, keepdims=True)
            b = b / np.linalg.norm(b, axis=1, keepdims=True)
            axis = np.cross(a, b)
            s, c = np.linalg.norm(axis, axis=1), (a * b).sum(1)
            rv = np.where(s[:, None] > 1e-8, axis / np.maximum(s, 1e-12)[:, None] * np.arctan2(s, c)[:, None], 0.0)
            rot = Rotation.from_rotvec(rv).as_matrix()
            for k in self.subtree[joint]:
                g[:, k] = rot @ g[:, k]

        def obs(name):
            return x[:, mp[name]]

        def model_joints():
            with torch.no_grad():
                _, _, pos = self.points(_t(betas, self.dev), _t(g, self.dev), torch.zeros(n, 3, device=self.dev))
            return pos.cpu().numpy().astype(np.float64)

        mid_hip = (obs("left_hip") + obs("right_hip")) / 2
        mid_sh = (obs("left_shoulder") + obs("right_shoulder")) / 2
        pos = model_joints()
        trunk_now = (pos[:, J["left_shoulder"]] + pos[:, J["right_shoulder"]] - pos[:, J["left_hip"]] - pos[:, J["right_hip"]]) / 2
        swing(J["spine1"], trunk_now, mid_sh - mid_hip)  # spine1 carries the whole upper body
        for side_name in ("left", "right"):
            for j0, j1, l0, l1 in (("shoulder", "elbow", "shoulder", "elbow"), ("elbow", "wrist", "elbow", "wrist"),
                                   ("hip", "knee", "hip", "knee"), ("knee", "ankle", "knee", "ankle")):  # fmt: skip
                a, b = J[f"{side_name}_{j0}"], J[f"{side_name}_{j1}"]
                swing(a, np.einsum("nxy,y->nx", g[:, a], jr[b] - jr[a]), obs(f"{side_name}_{l1}") - obs(f"{side_name}_{l0}"))
        pos = model_joints()
        mid_model = (pos[:, J["left_hip"]] + pos[:, J["right_hip"]]) / 2
        tr = np.nan_to_num(mid_hip - mid_model)
        return g, tr

    # -- optimisation -----------------------------------------------------------------
    def _optimise(self, x, vis, betas, g0, tr, iterations, fit_shape, links=None, context=None):
        import torch

        cfg = self.cfg
        x, vis = x[:, self.spec.mp_index], vis[:, self.spec.mp_index]  # landmarks with a model point
        target = _t(np.nan_to_num(x), self.dev) * _CM
        conf = _t(vis, self.dev) * self.weight[None] * _t(np.isfinite(x).all(-1), self.dev)
        r6 = torch.cat([g0[..., :, 0], g0[..., :, 1]], -1).clone().requires_grad_(True)  # (N, 22, 6)
        tr_dm = (tr * 10).clone().requires_grad_(True)  # decimetres: one lr suits rotations and position
        params = [r6, tr_dm]
        if fit_shape:
            betas = betas.clone().requires_grad_(True)
            params.append(betas)
        opt = torch.optim.Adam(params, lr=cfg.lr)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * i / iterations)))
        n = x.shape[0]
        par = self.kin.body_parents
        for _ in range(iterations):
            opt.zero_grad(set_to_none=True)
            g = _rot6d(r6)
            pts, _, _ = self.points(betas, g, tr_dm / 10)
            pts = pts * _CM
            loss = (conf * ((pts - target) ** 2).sum(-1)).sum()
            local = g[:, par].transpose(-1, -2) @ g[:, 1:]  # (N, 21, 3, 3)
            loss = loss + cfg.pose_prior_weight * (self.prior[None, :, None, None] * (local - self.kin.eye) ** 2).sum() / 2
            loss = loss + cfg.limit_weight * _limit_penalty(local)
            if fit_shape:
                loss = loss + cfg.shape_prior_weight * n * (betas**2).sum()
            if links is not None and cfg.temporal_weight > 0:
                loss = loss + cfg.temporal_weight * self._temporal(pts, links, context)
            (loss / n).backward()
            opt.step()
            sched.step()
        with torch.no_grad():
            g = _rot6d(r6)
        return betas.detach(), g, (tr_dm / 10).detach()

    def _temporal(self, pts, links, context):
        """Σ ‖acceleration‖² of the smoothed points over linked frame triples (cm, 30 fps step)."""
        import torch

        sel = pts[:, self.smooth_mask]
        if context is not None:
            sel = torch.cat([context, sel], 0)
        a, b, c = sel[:-2], sel[1:-1], sel[2:]
        dt1, dt2, valid = links  # per triple (len = frames - 2): step before, step after, linked
        acc = ((c - b) / dt2[:, None, None] - (b - a) / dt1[:, None, None]) / ((dt1 + dt2)[:, None, None] / 2)
        return (valid[:, None, None] * (acc * (1 / 30) ** 2) ** 2).sum()

    def _links(self, t: np.ndarray, context_t: np.ndarray | None):
        tt = t if context_t is None else np.concatenate([context_t, t])
        dt = np.diff(tt)
        ok = (dt > 0) & (dt <= self.cfg.max_gap_s)
        dt = np.where(dt > 0, dt, 1 / 30)
        valid = ok[:-1] & ok[1:]
        return _t(dt[:-1], self.dev), _t(dt[1:], self.dev), _t(valid, self.dev)

    def fit_shape(self, x: np.ndarray, vis: np.ndarray) -> np.ndarray:
        """Betas from up to ``shape_frames`` frames spread over the video (no temporal term)."""
        import torch

        m = min(len(x), self.cfg.shape_frames)
        pick = np.unique(np.linspace(0, len(x) - 1, m).round().astype(int))
        zero = np.zeros(NUM_BETAS)
        g, tr = self.initial_pose(x[pick], zero, self.rest_start)
        betas, *_ = self._optimise(x[pick], vis[pick], torch.zeros(NUM_BETAS, device=self.dev), _t(g, self.dev),
                                   _t(tr, self.dev), self.cfg.shape_iterations, fit_shape=True)  # fmt: skip
        return betas.cpu().numpy().astype(np.float64)

    def fit_chunk(self, x, vis, t, betas_np, context):
        """Fit one chunk; ``context`` = (last two fitted points, their times, last local pose)."""
        import torch

        betas = _t(betas_np, self.dev)
        start = self.rest_start if context is None else context[2]
        g, tr = self.initial_pose(x, betas_np, start)
        links = self._links(t, None if context is None else context[1])
        ctx_pts = None if context is None else context[0]
        betas, g, tr = self._optimise(x, vis, betas, _t(g, self.dev), _t(tr, self.dev), self.cfg.iterations,
                                      fit_shape=False, links=links, context=ctx_pts)  # fmt: skip
        with torch.no_grad():
            pts, allp, pos = self.points(betas, g, tr)
            local = (g[-1:, self.kin.body_parents].transpose(-1, -2) @ g[-1:, 1:])[0]
        sel = (pts * _CM)[:, self.smooth_mask]
        both = sel if ctx_pts is None else torch.cat([ctx_pts, sel], 0)
        both_t = t if context is None else np.concatenate([context[1], t])
        last_local = self.rest_start.copy()
        last_local[1:] = local.cpu().numpy().astype(np.float64)
        new_context = (both[-2:], both_t[-2:], last_local)
        out = {
            "landmarks": pts.cpu().numpy().astype(np.float64),
            "joints": pos.cpu().numpy().astype(np.float64),
            "extra_vertices": allp[:, self.derived_vertex_cols].cpu().numpy().astype(np.float64),
            "head_rot": g[:, J["head"]].cpu().numpy().astype(np.float64),
            "head_pos": pos[:, J["head"]].cpu().numpy().astype(np.float64),
        }
        return out, new_context


def _descends(c: int, k: int, parents) -> bool:
    while c >= 0:
        if c == k:
            return True
        c = parents[c] if c > 0 else -1
    return False


def _rot6d(x):
    """6-D rotation representation -> rotation matrices (columns from Gram-Schmidt)."""
    import torch

    a1, a2 = x[..., :3], x[..., 3:]
    b1 = torch.nn.functional.normalize(a1, dim=-1)
    b2 = torch.nn.functional.normalize(a2 - (b1 * a2).sum(-1, keepdim=True) * b1, dim=-1)
    return torch.stack([b1, b2, torch.cross(b1, b2, dim=-1)], -1)


def _limit_penalty(local):
    """Squared hinge on impossible knee/elbow rotations (local: (N, 21, 3, 3), joint k at k-1).

    Knees bend about their x axis, elbows about y (left: negative, right: positive); sin-vector
    components (sin θ · axis) catch the wrong direction, the hinge axis' own diagonal entry
    catches rotations about other axes.
    """
    pen = 0.0
    for joint, axis, sign, side_limit in _HINGES:
        r = local[:, joint - 1]
        i, j = (axis + 1) % 3, (axis + 2) % 3
        sin_axis = 0.5 * (r[:, j, i] - r[:, i, j])
        pen = pen + ((-sign * sin_axis - math.sin(0.1)).clamp(min=0) ** 2).sum()
        pen = pen + ((math.cos(side_limit) - r[:, axis, axis]).clamp(min=0) ** 2).sum()
    return pen


def _t(a, device):
    import torch

    return torch.as_tensor(np.asarray(a), dtype=torch.float32, device=device)


def _attach_to_head(world, pose, detected, head_rot, head_pos, spec) -> None:
    """Landmarks without a model counterpart (eye corners, mouth) ride rigidly on the fitted head
    at their mean offset in the head's frame."""
    missing = np.setdiff1d(np.arange(world.shape[1]), spec.mp_index)
    for i in missing:
        obs = pose.world[detected, i]
        ok = np.isfinite(obs).all(1)
        if not ok.any():
            continue
        local = np.einsum("nba,nb->na", head_rot[ok], obs[ok] - head_pos[ok]).mean(0)
        world[detected, i] = head_pos + np.einsum("nab,b->na", head_rot, local)


def _residuals(world, pose, detected, spec) -> dict:
    """Per-landmark distance between fit and input (mm) where the input was visible (≥ 0.5),
    over the body landmarks (hands excluded: their weight is low by design)."""
    body = spec.mp_index[spec.weight >= 0.5]
    d = np.linalg.norm(world[detected][:, body] - pose.world[detected][:, body], axis=-1) * 1000
    vis = pose.visibility[detected][:, body]
    ok = np.isfinite(d) & (np.nan_to_num(vis) >= 0.5)
    if not ok.any():
        return {"residual_mean_mm": None, "residual_p95_mm": None, "residual_by_landmark_mm": {}}
    by = {MP_NAMES[j]: round(float(d[ok[:, k], k].mean()), 1) for k, j in enumerate(body) if ok[:, k].any()}
    return {
        "residual_mean_mm": round(float(d[ok].mean()), 1),
        "residual_p95_mm": round(float(np.percentile(d[ok], 95)), 1),
        "residual_by_landmark_mm": by,
    }
