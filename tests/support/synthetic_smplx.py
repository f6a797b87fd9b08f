"""A synthetic stand-in for the licensed SMPL-X model file, for tests and benchmarks.

It has SMPL-X's keys, shapes and 55-joint kinematic tree (10,475 vertices, 20 shape+expression
directions, 486 pose-corrective columns), so ``smplx.SMPLX`` loads it like the real file. The
geometry is a crude standing human in SMPL-X's rest frame (y up, facing +z, subject's left = +x,
arms out in a T): joints sit where a person's joints are, vertices are sampled on cylinders
around the bones and rigidly skinned to the bone's joint, and the vertex ids that SMPL-X tools
look up by number (nose 9120, ears 6/616, heels, toes, finger tips, the lumbar 5614 / cervical
2151 / head 9002 skin points) are placed where those parts are. It is NOT a body model anyone
should use for anything but tests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

N_VERTS = 10475
N_JOINTS = 55

# SMPL-X's kinematic tree (parents of joints 0..54; smplx.joint_names.JOINT_NAMES order).
PARENTS = np.array(
    [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 15, 15, 15,
     20, 25, 26, 20, 28, 29, 20, 31, 32, 20, 34, 35, 20, 37, 38,
     21, 40, 41, 21, 43, 44, 21, 46, 47, 21, 49, 50, 21, 52, 53],
    dtype=np.int64,
)  # fmt: skip


def _rest_joints() -> np.ndarray:
    """Joint centres of a 1.75 m person in a T pose, metres, pelvis at the origin."""
    j = np.zeros((N_JOINTS, 3))
    left = {  # name index: (x, y, z) for the left side; the right side mirrors x
        1: (0.090, -0.085, 0.000),  # hip
        4: (0.105, -0.480, 0.010),  # knee
        7: (0.110, -0.880, -0.030),  # ankle
        10: (0.115, -0.940, 0.090),  # foot
        13: (0.070, 0.440, 0.000),  # collar
        16: (0.180, 0.460, -0.010),  # shoulder
        18: (0.450, 0.460, -0.020),  # elbow
        20: (0.700, 0.460, -0.010),  # wrist
        23: (0.032, 0.680, 0.080),  # eye
    }
    for i, (x, y, z) in left.items():
        j[i] = (x, y, z)
        j[i + 1] = (-x, y, z)
    j[3] = (0.0, 0.100, -0.015)  # spine1
    j[6] = (0.0, 0.230, -0.005)  # spine2
    j[9] = (0.0, 0.300, 0.010)  # spine3
    j[12] = (0.0, 0.520, -0.010)  # neck
    j[15] = (0.0, 0.610, 0.020)  # head
    j[22] = (0.0, 0.600, 0.050)  # jaw
    # Fingers: index, middle, pinky, ring, thumb; three joints each, along the arm's axis.
    for side, wrist, first in ((1.0, 20, 25), (-1.0, 21, 40)):
        for f, (dz, length) in enumerate(((0.030, 0.085), (0.010, 0.090), (-0.035, 0.065),
                                          (-0.012, 0.080), (0.045, 0.060))):
            base = j[wrist] + (side * (0.090 if f < 4 else 0.030), 0.0, dz + (0.02 if f == 4 else 0))
            for k in range(3):
                j[first + 3 * f + k] = base + (side * length * k / 3, 0.0, 0.0)
    return j


# Vertex ids looked up by number (smplx.vertex_ids["smplx"] and the original tool's skin points):
# id -> (position, joint it moves with).
def _named_vertices(j: np.ndarray) -> dict[int, tuple[tuple[float, float, float], int]]:
    named = {
        9120: ((0.0, 0.660, 0.110), 15),  # nose
        9448: ((0.032, 0.685, 0.095), 15),  # left eye
        9929: ((-0.032, 0.685, 0.095), 15),  # right eye
        6: ((0.078, 0.665, 0.010), 15),  # left ear
        616: ((-0.078, 0.665, 0.010), 15),  # right ear
        5770: ((0.100, -0.960, 0.150), 10),  # left big toe
        5780: ((0.150, -0.960, 0.130), 10),  # left small toe
        8846: ((0.110, -0.955, -0.070), 7),  # left heel
        8463: ((-0.100, -0.960, 0.150), 11),  # right big toe
        8474: ((-0.150, -0.960, 0.130), 11),  # right small toe
        8635: ((-0.110, -0.955, -0.070), 8),  # right heel
        5614: ((0.0, 0.080, -0.120), 3),  # lumbar skin (original tool)
        2151: ((0.0, 0.500, -0.070), 12),  # cervical skin (original tool)
        9002: ((0.0, 0.780, 0.000), 15),  # top of the head (original tool)
    }
    tips = {"thumb": (5361, 8079, 39), "index": (4933, 7669, 27), "middle": (5058, 7794, 30),
            "ring": (5169, 7905, 36), "pinky": (5286, 8022, 33)}  # fmt: skip
    for lid, rid, last in tips.values():
        tip = j[last] + (0.025, 0.0, 0.0)
        named[lid] = (tuple(tip), last)
        named[rid] = ((-tip[0], tip[1], tip[2]), last + 15)
    return named


# Bones sampled with skin: (joint the segment moves with, start joint, end point/joint, radius).
def _segments(j: np.ndarray) -> list[tuple[int, np.ndarray, np.ndarray, float]]:
    seg = [
        (0, j[0] + (0, -0.08, 0), j[3], 0.15),  # pelvis
        (3, j[3], j[6], 0.14),  # lower back
        (6, j[6], j[9], 0.15),
        (9, j[9], j[12], 0.16),  # chest
        (12, j[12], j[15], 0.06),  # neck
        (15, j[15], j[15] + (0, 0.17, 0), 0.09),  # head
    ]
    for s in (0, 1):  # left, right
        seg += [
            (1 + s, j[1 + s], j[4 + s], 0.075),  # thigh
            (4 + s, j[4 + s], j[7 + s], 0.055),  # shin
            (7 + s, j[7 + s], j[10 + s] + (0, -0.02, 0.05), 0.04),  # foot
            (13 + s, j[13 + s], j[16 + s], 0.05),  # collar
            (16 + s, j[16 + s], j[18 + s], 0.05),  # upper arm
            (18 + s, j[18 + s], j[20 + s], 0.04),  # forearm
            (20 + s, j[20 + s], j[20 + s] + ((0.08, 0, 0) if s == 0 else (-0.08, 0, 0)), 0.035),
        ]
    return seg


def make_model_arrays(seed: int = 0) -> dict[str, np.ndarray]:
    """The arrays of a synthetic SMPL-X .npz (see the module docstring)."""
    rng = np.random.default_rng(seed)
    j = _rest_joints()
    v = np.zeros((N_VERTS, 3))
    weights = np.zeros((N_VERTS, N_JOINTS))
    named = _named_vertices(j)
    free = np.setdiff1d(np.arange(N_VERTS), np.fromiter(named, int))

    # Joint rings: eight vertices around every joint; the regressor averages them, so shape
    # directions that move the skin move the joints too (as in the real model).
    ring_ids = free[: N_JOINTS * 8].reshape(N_JOINTS, 8)
    surface_ids = free[N_JOINTS * 8 :]
    regressor = np.zeros((N_JOINTS, N_VERTS))
    ang = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    ring = 0.02 * np.stack([np.cos(ang), np.sin(ang), np.zeros(8)], 1)
    for k in range(N_JOINTS):
        v[ring_ids[k]] = j[k] + ring
        weights[ring_ids[k], k] = 1.0
        regressor[k, ring_ids[k]] = 1.0 / 8

    segs = _segments(j)
    which = np.arange(len(surface_ids)) % len(segs)
    t = rng.uniform(0, 1, len(surface_ids))
    phi = rng.uniform(0, 2 * np.pi, len(surface_ids))
    for s, (joint, a, b, r) in enumerate(segs):
        m = which == s
        axis = (b - a) / np.linalg.norm(b - a)
        u = np.cross(axis, (0, 0, 1) if abs(axis[2]) < 0.9 else (1, 0, 0))
        u /= np.linalg.norm(u)
        w = np.cross(axis, u)
        v[surface_ids[m]] = (a + t[m, None] * (b - a)
                             + r * (np.cos(phi[m])[:, None] * u + np.sin(phi[m])[:, None] * w))
        weights[surface_ids[m], joint] = 1.0
    for vid, (pos, joint) in named.items():
        v[vid] = pos
        weights[vid, joint] = 1.0
    # A few blended weights, as on a real skin (also across the fixed jaw and finger joints).
    for vid, blend in {9120: {15: 0.7, 22: 0.3}, 8846: {7: 0.8, 10: 0.2}, 5614: {3: 0.5, 0: 0.5},
                       2151: {12: 0.6, 9: 0.4}, 4933: {27: 0.6, 26: 0.4}}.items():  # fmt: skip
        weights[vid] = 0.0
        for joint, w in blend.items():
            weights[vid, joint] = w

    # 10 shape + 10 expression directions (smplx reads columns 10..19 as expression here).
    shapedirs = np.zeros((N_VERTS, 3, 20))
    shapedirs[:, :, 0] = 0.05 * v  # stature: uniform scale about the pelvis
    shapedirs[:, 0, 1] = 0.05 * v[:, 0] * (np.abs(v[:, 0]) < 0.2)  # breadth of the torso
    shapedirs[:, 1, 2] = 0.05 * np.minimum(v[:, 1], 0)  # leg length
    arm = np.abs(v[:, 0]) > 0.18
    shapedirs[arm, 0, 3] = 0.05 * (v[arm, 0] - np.sign(v[arm, 0]) * 0.18)  # arm length
    for c in range(4, 10):  # small smooth deformations
        k = rng.normal(size=3) * 4
        shapedirs[:, :, c] = 0.004 * np.sin(v @ k)[:, None] * rng.normal(size=3)
    head = weights[:, 15] > 0
    shapedirs[head, :, 10:] = 0.002 * rng.normal(size=(head.sum(), 3, 10))

    # Pose correctives: small and smooth, so code that reimplements skinning is tested with them.
    # Only on the named vertices: elsewhere zeros keep the compressed file small (~1 MB).
    posedirs = np.zeros((N_VERTS, 3, 486), np.float32)
    ids = np.fromiter(named, int)
    posedirs[ids] = 0.002 * np.sin(v[ids] @ rng.normal(size=(3, 486)) * 3)[:, None, :] * rng.normal(size=(1, 3, 1))

    f = np.stack([np.arange(N_VERTS - 2), np.arange(1, N_VERTS - 1), np.arange(2, N_VERTS)], 1)
    kintree = np.stack([np.where(PARENTS < 0, 4294967295, PARENTS), np.arange(N_JOINTS)])
    return {
        "v_template": v.astype(np.float32),
        "f": f.astype(np.uint32),
        "shapedirs": shapedirs,
        "posedirs": posedirs,
        "J_regressor": regressor,
        "weights": weights,
        "kintree_table": kintree.astype(np.int64),
        "hands_componentsl": np.eye(45),
        "hands_componentsr": np.eye(45),
        "hands_meanl": 0.15 * rng.normal(size=45),  # a relaxed hand, like the real mean pose
        "hands_meanr": 0.15 * rng.normal(size=45),
        "lmk_faces_idx": np.arange(9000, 9051, dtype=np.int64),
        "lmk_bary_coords": np.full((51, 3), 1 / 3),
    }


def write_synthetic_smplx(path: Path, seed: int = 0) -> Path:
    """Write the synthetic model as an .npz (the name decides nothing; smplx is told the format)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        np.savez_compressed(fh, **make_model_arrays(seed))
    return path


def landmarks_from_model(model_path: Path, body_pose, betas=None, global_orient=None, transl=None,
                         time_s=None, visibility: float = 1.0):  # fmt: skip
    """MediaPipe-layout world landmarks of the model in known poses, posed by ``smplx`` itself.

    body_pose (N, 21, 3) axis-angle; global_orient defaults to MediaPipe's camera frame for a
    person facing the camera (rotation π about x: y down, facing −z). Landmarks without a model
    counterpart (eye corners, mouth) ride on the head. Returns a ``PoseSequence``.
    """
    import torch

    from processor.body_model import LANDMARK_MAP, MP_NAMES, load_smplx
    from processor.model import PoseSequence

    body_pose = np.asarray(body_pose, dtype=np.float32)
    n = len(body_pose)
    model = load_smplx(Path(model_path))
    go = np.tile([np.pi, 0.0, 0.0], (n, 1)) if global_orient is None else np.asarray(global_orient)
    tr = np.zeros((n, 3)) if transl is None else np.asarray(transl)
    b = np.zeros(10) if betas is None else np.asarray(betas)
    f = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float32)  # noqa: E731
    with torch.no_grad():
        out = model(betas=f(b)[None].expand(n, -1), global_orient=f(go), body_pose=f(body_pose).reshape(n, -1),
                    transl=f(tr), left_hand_pose=torch.zeros(n, 45), right_hand_pose=torch.zeros(n, 45),
                    jaw_pose=torch.zeros(n, 3), leye_pose=torch.zeros(n, 3), reye_pose=torch.zeros(n, 3),
                    expression=torch.zeros(n, 10))  # fmt: skip
    joints, verts = out.joints.numpy().astype(np.float64), out.vertices.numpy().astype(np.float64)
    world = np.zeros((n, 33, 3))
    for i, name in enumerate(MP_NAMES):
        if name in LANDMARK_MAP:
            kind, idx, _ = LANDMARK_MAP[name]
            world[:, i] = joints[:, idx] if kind == "joint" else verts[:, idx]
    head = joints[:, 15]
    for i, name in enumerate(MP_NAMES):  # eye corners and mouth: between the eyes/nose and the head joint
        if name not in LANDMARK_MAP:
            anchor = world[:, MP_NAMES.index("nose" if "mouth" in name else ("left_eye" if "left" in name else "right_eye"))]
            world[:, i] = anchor + 0.2 * (anchor - head)
    t = np.arange(n) / 30.0 if time_s is None else np.asarray(time_s, dtype=np.float64)
    return PoseSequence(time_s=t, world=world, image=np.zeros((n, 33, 2)), visibility=np.full((n, 33), visibility))
