"""The SMPL-X model file: where it comes from, whether it is valid, and a lean forward pass.

The model file is licensed and supplied by the user (`analysis.smplx_model`): a local path or
``drive:<file id>``. A Drive file is fetched once into a cache folder through a callable the
worker passes in (this package knows nothing of Drive). The file is data: an .npz whose arrays are
read without pickle (a .pkl is refused), optionally pinned by its SHA-256, and built into an
``smplx.SMPLX``; anything wrong raises `BodyModelError` with one readable sentence.

`BodyKinematics` computes exactly what the fit needs from the loaded model — the 55 joints and a
few dozen skin vertices — with the same linear blend skinning as ``smplx`` (shape blend shapes,
pose correctives, forward kinematics), but without skinning all 10,475 vertices per frame. That
is what makes fitting thousands of frames per second possible; a test checks it against
``smplx``'s own forward pass.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from processor.model import LANDMARKS, N_LANDMARKS

Fetch = Callable[[str, Path], Path]  # (drive file id, destination path) -> path written

NUM_BETAS = 10
N_BODY_JOINTS = 21  # SMPL-X body pose: joints 1..21 (global orientation is joint 0)
N_JOINTS = 55

# SMPL-X joint indices (smplx.joint_names.JOINT_NAMES).
J = {
    "pelvis": 0, "left_hip": 1, "right_hip": 2, "spine1": 3, "left_knee": 4, "right_knee": 5,
    "spine2": 6, "left_ankle": 7, "right_ankle": 8, "spine3": 9, "left_foot": 10,
    "right_foot": 11, "neck": 12, "left_collar": 13, "right_collar": 14, "head": 15,
    "left_shoulder": 16, "right_shoulder": 17, "left_elbow": 18, "right_elbow": 19,
    "left_wrist": 20, "right_wrist": 21, "left_index1": 25, "left_pinky1": 31,
    "left_thumb2": 38, "right_index1": 40, "right_pinky1": 46, "right_thumb2": 53,
}  # fmt: skip

# SMPL-X vertex ids (smplx.vertex_ids["smplx"], and the original tool's skin points).
V = {
    "nose": 9120, "left_eye": 9448, "right_eye": 9929, "left_ear": 6, "right_ear": 616,
    "left_big_toe": 5770, "right_big_toe": 8463, "left_heel": 8846, "right_heel": 8635,
    "lumbar_skin": 5614, "cervical_skin": 2151, "head_skin": 9002,
}  # fmt: skip

# MediaPipe landmark -> (kind, SMPL-X index, weight in the fit). "joint": a model joint;
# "vertex": a skin vertex; landmarks not listed (inner/outer eye corners, mouth) have no
# counterpart on the body model: the fit ignores them and the output carries them rigidly with
# the fitted head (their mean offset in the head's frame over the video).
LANDMARK_MAP: dict[str, tuple[str, int, float]] = {
    "nose": ("vertex", V["nose"], 0.5),
    "left_eye": ("vertex", V["left_eye"], 0.3),
    "right_eye": ("vertex", V["right_eye"], 0.3),
    "left_ear": ("vertex", V["left_ear"], 0.5),
    "right_ear": ("vertex", V["right_ear"], 0.5),
    "left_shoulder": ("joint", J["left_shoulder"], 1.0),
    "right_shoulder": ("joint", J["right_shoulder"], 1.0),
    "left_elbow": ("joint", J["left_elbow"], 1.0),
    "right_elbow": ("joint", J["right_elbow"], 1.0),
    "left_wrist": ("joint", J["left_wrist"], 1.0),
    "right_wrist": ("joint", J["right_wrist"], 1.0),
    "left_pinky": ("joint", J["left_pinky1"], 0.2),
    "right_pinky": ("joint", J["right_pinky1"], 0.2),
    "left_index": ("joint", J["left_index1"], 0.2),
    "right_index": ("joint", J["right_index1"], 0.2),
    "left_thumb": ("joint", J["left_thumb2"], 0.2),
    "right_thumb": ("joint", J["right_thumb2"], 0.2),
    "left_hip": ("joint", J["left_hip"], 1.0),
    "right_hip": ("joint", J["right_hip"], 1.0),
    "left_knee": ("joint", J["left_knee"], 1.0),
    "right_knee": ("joint", J["right_knee"], 1.0),
    "left_ankle": ("joint", J["left_ankle"], 1.0),
    "right_ankle": ("joint", J["right_ankle"], 1.0),
    "left_heel": ("vertex", V["left_heel"], 0.5),
    "right_heel": ("vertex", V["right_heel"], 0.5),
    "left_foot_index": ("vertex", V["left_big_toe"], 0.5),
    "right_foot_index": ("vertex", V["right_big_toe"], 0.5),
}

# MediaPipe's full 33-landmark names (model.LANDMARKS lists only the ones the angles use).
MP_NAMES = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
)  # fmt: skip
assert len(MP_NAMES) == N_LANDMARKS and all(MP_NAMES[i] == n for n, i in LANDMARKS.items())

# Derived points the body gives beyond MediaPipe's layout (PoseSequence.points of a fit).
DERIVED_JOINTS = ("pelvis", "spine1", "spine2", "spine3", "neck", "head")
DERIVED_VERTICES = ("lumbar_skin", "cervical_skin", "head_skin")


class BodyModelError(Exception):
    """The SMPL-X model file is missing, unreadable or not an SMPL-X model; one sentence."""


# -- where the file comes from ------------------------------------------------------------

_DRIVE = re.compile(r"^drive:([A-Za-z0-9_-]+)$")


def resolve_body_model(spec: str | Path | None, cache_dir: Path, fetch: Fetch | None = None,
                       sha256: str = "") -> Path | None:  # fmt: skip
    """`analysis.smplx_model` -> a validated local model file, or None for skeleton mode.
    With ``sha256`` (`analysis.smplx_sha256`) the file must have that digest before it is loaded.

    ``drive:<id>`` is downloaded once into ``cache_dir/smplx-<id>`` (through ``fetch``, written
    to a temporary name first so an interrupted download is never taken for the model) and
    reused afterwards.
    """
    if spec is None or str(spec).strip() == "":
        return None
    text = str(spec).strip()
    m = _DRIVE.match(text)
    if not m:
        if text.startswith("drive:"):
            raise BodyModelError(f"The SMPL-X model setting {text!r} is not a valid 'drive:<file id>'.")
        path = Path(text).expanduser()
        validate_body_model(path, sha256)
        return path
    file_id = m.group(1)
    if fetch is None:
        raise BodyModelError(f"The SMPL-X model {text!r} is on Drive, but no Drive access was given to fetch it.")
    cache_dir = Path(cache_dir)
    target = cache_dir / f"smplx-{file_id}"
    if target.is_file():
        with contextlib.suppress(BodyModelError):
            validate_body_model(target, sha256)
            return target
        target.unlink()  # a corrupt cached copy: fetch again
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache_dir / f".smplx-{file_id}.{os.getpid()}.part"
    try:
        written = Path(fetch(file_id, tmp))
        validate_body_model(written, sha256)
        os.replace(written, target)
    except BodyModelError:
        raise
    except Exception as exc:  # the fetch callable's own errors (network, permissions)
        raise BodyModelError(f"Could not download the SMPL-X model {text!r}: {exc}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return target


def resolve_configured_model(settings, fetch: Fetch | None = None) -> Path | None:
    """``settings.analysis.smplx_model`` -> a local file (Drive copies cached under
    ``<worker.scratch_dir>/models``), or None for skeleton mode; ``analysis.smplx_sha256`` pins it."""
    cache = Path(settings.worker.scratch_dir) / "models"
    return resolve_body_model(settings.analysis.smplx_model, cache, fetch, settings.analysis.smplx_sha256)


def model_format(path: Path) -> str:
    """'npz' or 'pkl', from the file's first bytes (a Drive download has no useful name)."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith(b"PK"):
        return "npz"
    if head[:1] == b"\x80":
        return "pkl"
    raise BodyModelError(f"{path.name} is neither an .npz nor a .pkl SMPL-X model file.")


# -- validation and loading ---------------------------------------------------------------
#
# A model file is data. Unpickling runs whatever code the file names, and ``smplx.SMPLX`` reads a
# .pkl with ``pickle.load`` and an .npz with ``np.load(allow_pickle=True)``: a crafted file (or
# anyone who can edit a ``drive:<id>`` model) would run code in a pod holding the Drive and RunPod
# credentials. So .pkl files are refused, the .npz arrays are read here with
# ``allow_pickle=False``, and smplx builds the model from those arrays without opening the file.

# The arrays ``smplx.SMPLX`` reads (face contour off). Nothing else in the file is read: the
# official .npz also carries pickled dicts (joint2num, part2num) that stay untouched.
SMPLX_ARRAYS = (
    "v_template", "f", "shapedirs", "posedirs", "J_regressor", "weights", "kintree_table",
    "hands_componentsl", "hands_componentsr", "hands_meanl", "hands_meanr", "lmk_faces_idx",
    "lmk_bary_coords",
)  # fmt: skip

# Turns an official SMPLX_*.pkl into an .npz, on the user's own machine (a file they trust).
PKL_TO_NPZ = (
    "python -c \"import pickle,sys,numpy as np; d=pickle.load(open(sys.argv[1],'rb'),encoding='latin1'); "
    "a={k: np.asarray(v.todense() if hasattr(v,'todense') else v) for k,v in d.items()}; "
    "np.savez(sys.argv[2], **{k: v for k,v in a.items() if v.dtype != object})\" "
    "SMPLX_NEUTRAL.pkl SMPLX_NEUTRAL.npz"
)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_loaded: dict[tuple[str, float, int, str], object] = {}
_build_lock = threading.Lock()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_sha256(path: Path, sha256: str) -> None:
    """Raise `BodyModelError` unless the file's SHA-256 is the pinned one (empty: no pin)."""
    expected = (sha256 or "").strip().lower()
    if not expected:
        return
    if not _SHA256.match(expected):
        raise BodyModelError(f"The pinned SHA-256 of the SMPL-X model {expected!r} is not 64 hexadecimal digits.")
    actual = file_sha256(path)
    if actual != expected:
        raise BodyModelError(
            f"{path.name} does not match the pinned SHA-256 (expected {expected}, got {actual}); it was not loaded."
        )


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    """The arrays in `SMPLX_ARRAYS` from an .npz, as plain numbers: an object array is refused
    by numpy before anything in it is unpickled."""
    arrays: dict[str, np.ndarray] = {}
    with np.load(path, allow_pickle=False) as npz:
        missing = [k for k in SMPLX_ARRAYS if k not in npz.files]
        if missing:
            more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            raise BodyModelError(
                f"{path.name} is not a valid SMPL-X model file (it has no {', '.join(missing[:3])}{more} array)."
            )
        for key in SMPLX_ARRAYS:
            try:
                value = npz[key]
            except ValueError as exc:
                if "allow_pickle" not in str(exc):
                    raise
                raise BodyModelError(
                    f"{path.name} holds Python objects in {key!r} instead of numbers; a model file is loaded "
                    "as data only and never unpickled."
                ) from None
            if not isinstance(value, np.ndarray):
                raise BodyModelError(f"{path.name} is not a valid SMPL-X model file ({key!r} is not an array).")
            arrays[key] = value
    return arrays


class _ArraysNotFiles:
    """numpy as ``smplx.body_models`` sees it while it builds a model from arrays read here:
    its ``np.load`` hands over those arrays instead of opening the file."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.arrays = arrays
        self.loads = 0

    def __getattr__(self, name):
        return getattr(np, name)

    def load(self, *args, **kwargs):
        self.loads += 1
        return self.arrays


def _no_pickle(*args, **kwargs):
    raise BodyModelError("smplx tried to unpickle the model file.")


def _build_smplx(path: Path, arrays: dict[str, np.ndarray]):
    """``smplx.SMPLX`` from arrays: smplx (0.1.x) reads its file in its constructor with its
    module's ``np.load`` / ``pickle.load``; both are swapped for the constructor's duration, so it
    gets the arrays and cannot unpickle anything."""
    import smplx
    import smplx.body_models as smplx_models
    import torch

    shim = _ArraysNotFiles(arrays)
    with _build_lock:
        saved = smplx_models.np, smplx_models.pickle
        smplx_models.np, smplx_models.pickle = shim, SimpleNamespace(load=_no_pickle)
        try:
            # smplx prints shape-space warnings for 10-component files; they are not errors here.
            with contextlib.redirect_stdout(io.StringIO()):
                model = smplx.SMPLX(
                    str(path), ext="npz", num_betas=NUM_BETAS, use_pca=False, flat_hand_mean=False,
                    use_face_contour=False, batch_size=1, dtype=torch.float32,
                )  # fmt: skip
        finally:
            smplx_models.np, smplx_models.pickle = saved
    if shim.loads != 1:  # a future smplx that reads files differently: do not trust it blindly
        raise BodyModelError(f"The installed smplx did not build {path.name} from the arrays read here.")
    return model


def load_smplx(path: Path, device: str = "cpu", sha256: str = ""):
    """Load and validate the model as data (`SMPLX_ARRAYS`, no pickle), built as ``smplx.SMPLX``;
    with ``sha256`` the file must have that digest before anything reads it. Raises `BodyModelError`."""
    import torch

    path = Path(path)
    if not path.exists():
        raise BodyModelError(f"The SMPL-X model file {path} does not exist.")
    if not path.is_file():
        raise BodyModelError(f"The SMPL-X model path {path} is not a file.")
    if path.stat().st_size == 0:
        raise BodyModelError(f"The SMPL-X model file {path} is empty.")
    check_sha256(path, sha256)
    key = (str(path.resolve()), path.stat().st_mtime, path.stat().st_size, device)
    if key in _loaded:
        return _loaded[key]
    if model_format(path) == "pkl":
        raise BodyModelError(
            f"{path.name} is a .pkl (Python pickle) model file, refused because unpickling can run code: "
            f"convert it once on your own machine with {PKL_TO_NPZ} and use the .npz."
        )
    try:
        model = _build_smplx(path, _read_arrays(path))
    except BodyModelError:
        raise
    except Exception as exc:  # zip/key/shape errors from a corrupt or foreign file
        reason = f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:200]
        raise BodyModelError(f"{path.name} is not a valid SMPL-X model file ({reason}).") from exc
    problems = []
    n_verts = model.v_template.shape[0]
    if model.J_regressor.shape != (N_JOINTS, n_verts):
        problems.append(f"J_regressor is {tuple(model.J_regressor.shape)}, expected ({N_JOINTS}, {n_verts})")
    if model.parents.shape[0] != N_JOINTS:
        problems.append(f"{model.parents.shape[0]} joints instead of {N_JOINTS}")
    if model.posedirs.shape[0] != (N_JOINTS - 1) * 9:
        problems.append(f"{model.posedirs.shape[0]} pose-corrective columns instead of {(N_JOINTS - 1) * 9}")
    if model.lbs_weights.shape != (n_verts, N_JOINTS):
        problems.append("the skinning weights do not match the vertices and joints")
    if model.shapedirs.shape[-1] < NUM_BETAS:
        problems.append(f"only {model.shapedirs.shape[-1]} shape components")
    needed = max(V.values())
    if n_verts <= needed:
        problems.append(f"{n_verts} vertices, fewer than SMPL-X's")
    if not problems and not bool(torch.isfinite(model.v_template).all()):
        problems.append("the template has non-finite coordinates")
    if problems:
        raise BodyModelError(f"{path.name} is not a valid SMPL-X model file ({'; '.join(problems)}).")
    _loaded.clear()  # keep one model in memory
    _loaded[key] = model
    return model


def validate_body_model(path: Path, sha256: str = "") -> None:
    """Raise `BodyModelError` unless ``path`` is a loadable SMPL-X model file (with that SHA-256)."""
    load_smplx(Path(path), sha256=sha256)


# -- the lean forward pass ----------------------------------------------------------------


@dataclass(frozen=True)
class PointSpec:
    """Which model points stand for which MediaPipe landmarks."""

    mp_index: np.ndarray  # (K,) MediaPipe landmark indices that have a model counterpart
    kinds: tuple[str, ...]  # "joint" | "vertex" per point
    model_index: np.ndarray  # (K,) joint or vertex ids
    weight: np.ndarray  # (K,) data-term weights


def landmark_points() -> PointSpec:
    names = [n for n in MP_NAMES if n in LANDMARK_MAP]
    return PointSpec(
        mp_index=np.array([MP_NAMES.index(n) for n in names]),
        kinds=tuple(LANDMARK_MAP[n][0] for n in names),
        model_index=np.array([LANDMARK_MAP[n][1] for n in names]),
        weight=np.array([LANDMARK_MAP[n][2] for n in names], dtype=np.float32),
    )


def _depth_levels(parents: np.ndarray) -> list[np.ndarray]:
    depth = np.zeros(len(parents), int)
    for i in range(1, len(parents)):
        depth[i] = depth[parents[i]] + 1
    return [np.flatnonzero(depth == d) for d in range(depth.max() + 1)]


class BodyKinematics:
    """Selected joints and skin vertices of SMPL-X for a batch of poses, on one device.

    Equivalent to ``smplx.SMPLX.forward`` for those points (same shape blend shapes, pose
    correctives and linear blend skinning) with hands, jaw, eyes and expression held at the
    model's mean pose. Because those 33 joints never move relative to their nearest body joint,
    forward kinematics runs only over the 22 body joints, level by level down the tree (8
    levels), and everything else is a constant offset from a body joint. A test checks the
    result against ``smplx``'s own forward pass.
    """

    def __init__(self, model, joint_ids: list[int], vertex_ids: list[int], device: str = "cpu"):
        import torch
        from smplx.lbs import batch_rodrigues

        self.device = torch.device(device)
        f32 = dict(dtype=torch.float32, device=self.device)
        parents = model.parents.cpu().numpy().astype(int)
        parents[0] = -1
        nb = 1 + N_BODY_JOINTS  # body joints 0..21; 22..54 (jaw, eyes, hands) have fixed rotations
        self.nb = nb
        if any(parents[k] >= k for k in range(1, N_JOINTS)) or any(parents[k] >= nb for k in range(1, nb)):
            raise BodyModelError("The SMPL-X model's kinematic tree is not SMPL-X's.")
        # Body joints by depth; where each level's parents sit in the concatenation of the levels above.
        levels = _depth_levels(parents[:nb])
        order = np.concatenate(levels)
        unorder = np.empty(nb, int)
        unorder[order] = np.arange(nb)
        self.levels = [torch.as_tensor(lv, device=self.device) for lv in levels]
        self.level_parents = [torch.as_tensor(parents[lv], device=self.device) for lv in levels]
        self.parent_slots = [torch.as_tensor(unorder[parents[lv]], device=self.device) for lv in levels[1:]]
        self.unorder = torch.as_tensor(unorder, device=self.device)
        self.body_parents = torch.as_tensor(parents[1:nb], device=self.device)
        anc_mat = np.zeros((nb, nb - 1), np.float32)  # [k, b]: bone b (joint b+1) lies on root -> k
        for k in range(1, nb):
            q = k
            while q > 0:
                anc_mat[k, q - 1] = 1.0
                q = parents[q]
        self.ancestors = torch.as_tensor(anc_mat, device=self.device)

        jreg = model.J_regressor.detach().to(**f32)
        vt = model.v_template.detach().to(**f32)
        sd = model.shapedirs.detach().to(**f32)[:, :, :NUM_BETAS]
        self.j_template = jreg @ vt  # (55, 3)
        self.j_dirs = torch.einsum("jv,vcb->jcb", jreg, sd)  # (55, 3, B)

        # Fixed joints: rotation C_k relative to their body ancestor a(k) and the chain of rest offsets.
        mean = model.pose_mean.detach().to(**f32).reshape(-1, 3)
        fixed_rot = batch_rodrigues(mean).reshape(N_JOINTS, 3, 3)
        fixed_rot[:nb] = torch.eye(3, **f32)
        anc = np.arange(N_JOINTS)
        chain_rot = [torch.eye(3, **f32) for _ in range(N_JOINTS)]  # G_a^-1 G_k
        for k in range(nb, N_JOINTS):
            q = parents[k]
            anc[k] = anc[q]
            chain_rot[k] = chain_rot[q] @ fixed_rot[k]
        self.anc = anc
        self.parents = parents
        self.chain_rot = torch.stack(chain_rot)  # (55, 3, 3)
        # Pose-corrective features of the fixed joints are constant.
        self.fixed_feat = (fixed_rot[nb:] - torch.eye(3, **f32)).reshape(-1)  # (33*9,)

        self.joint_ids = list(joint_ids)
        self.joint_anc = torch.as_tensor(anc[self.joint_ids], device=self.device)
        self.vertex_ids = list(vertex_ids)
        vid = torch.as_tensor(self.vertex_ids, dtype=torch.long, device=self.device)
        self.v_template = vt[vid]  # (S, 3)
        self.v_dirs = sd[vid]  # (S, 3, B)
        n_pose = model.posedirs.shape[0]
        pd = model.posedirs.detach().to(**f32).reshape(n_pose, -1, 3)[:, vid].reshape(n_pose, -1)
        self.v_posedirs_body = pd[: (nb - 1) * 9]  # (189, S*3)
        self.v_pose_const = (self.fixed_feat @ pd[(nb - 1) * 9 :]).reshape(-1, 3)  # (S, 3)
        w = model.lbs_weights.detach().to(**f32)[vid]  # (S, 55)
        # Fold every joint's weight onto its body ancestor: x moves to
        # Σ_a G_a (Σ_{k: a(k)=a} w_k C_k (x - J_k) + c_k) + w_a p_a with c_k from the rest chain.
        fold = torch.zeros(N_JOINTS, nb, **f32)
        fold[torch.arange(N_JOINTS), torch.as_tensor(anc)] = 1.0
        self.v_weights = w  # (S, 55)
        self.fold = fold  # (55, 22)
        self.eye = torch.eye(3, **f32)
        self._cache: tuple | None = None

    def rest_joints(self, betas):
        """(55, 3) joints of the shaped body in the rest pose; betas (10,)."""
        return self.j_template + self.j_dirs @ betas

    def _shape_terms(self, betas):
        """Everything that depends on the shape only; cached while the betas are fixed."""
        key = (id(betas), betas._version, betas.requires_grad)
        if self._cache is not None and self._cache[0] == key and self._cache[1] is betas:
            return self._cache[2]
        jr = self.rest_joints(betas)
        c = self._fixed_offsets(jr)
        terms = (jr, c, self._skin_terms(jr, c))
        self._cache = None if betas.requires_grad else (key, betas, terms)
        return terms

    def _fixed_offsets(self, jr):
        """(55, 3): position of each joint relative to its body ancestor, in the ancestor's frame
        (0 for body joints)."""
        import torch

        rows = [torch.zeros(3, device=self.device)] * N_JOINTS
        for k in range(self.nb, N_JOINTS):
            q = self.parents[k]
            rows[k] = rows[q] + self.chain_rot[q] @ (jr[k] - jr[q])
        return torch.stack(rows)

    def global_rotations(self, local):
        """Local joint rotations (N, 22, 3, 3) -> global ones, down the tree level by level."""
        import torch

        g_levels = [local[:, :1]]
        for lv, slot in zip(self.levels[1:], self.parent_slots):
            g_levels.append(torch.cat(g_levels, 1)[:, slot] @ local[:, lv])
        return torch.cat(g_levels, 1)[:, self.unorder]

    def forward(self, betas, global_orient, body_pose, transl):
        """Axis-angle pose: betas (10,), global_orient (N, 3), body_pose (N, 21, 3), transl (N, 3);
        see `forward_global` for the outputs."""
        from smplx.lbs import batch_rodrigues

        n = global_orient.shape[0]
        import torch

        aa = torch.cat([global_orient[:, None], body_pose], 1).reshape(-1, 3)
        local = batch_rodrigues(aa).reshape(n, self.nb, 3, 3)
        return self.forward_global(betas, self.global_rotations(local), transl)

    def forward_global(self, betas, g, transl):
        """Global rotations of the body joints g (N, 22, 3, 3), transl (N, 3) -> joints (N, J, 3)
        for ``joint_ids``, vertices (N, S, 3) for ``vertex_ids``, g, and the body joints'
        positions (N, 22, 3).

        With global rotations every bone is one matrix product and joint positions are a sum
        along the tree (one matmul with the ancestor matrix): no sequential loop at all.
        """
        import torch

        n = g.shape[0]
        jr, c, (m, b, wa) = self._shape_terms(betas)
        par = self.body_parents
        bones = (g[:, par] @ (jr[1 : self.nb] - jr[par])[None, :, :, None])[..., 0]  # (N, 21, 3)
        p = (jr[0] + transl)[:, None] + torch.einsum("kb,nbx->nkx", self.ancestors, bones)  # (N, 22, 3)

        joints = p[:, self.joint_anc] + (g[:, self.joint_anc] @ c[self.joint_ids][None, :, :, None])[..., 0]

        # Skin vertices: shape + pose correctives in the rest frame, then the blended joint motions.
        local = g[:, par].transpose(-1, -2) @ g[:, 1:]  # (N, 21, 3, 3) local rotations
        feat = (local - self.eye).reshape(n, -1)
        v_rest = self.v_template + self.v_dirs @ betas + self.v_pose_const  # (S, 3)
        v_posed = v_rest + (feat @ self.v_posedirs_body).reshape(n, -1, 3)  # (N, S, 3)
        loc = torch.einsum("sjxy,nsy->nsjx", m, v_posed) + b[None]  # (N, S, 22, 3)
        verts = torch.einsum("njxy,nsjy->nsx", g, loc) + torch.einsum("sj,njx->nsx", wa, p)
        return joints, verts, g, p

    def _skin_terms(self, jr, c):
        """Joint k moves x to G_a C_k (x - J_k) + p_a + G_a c_k with a = a(k), its body ancestor:
        fold the skinning weights onto the 22 body joints."""
        import torch

        wc = self.v_weights[:, :, None, None] * self.chain_rot[None]  # (S, 55, 3, 3)
        m = torch.einsum("skxy,kj->sjxy", wc, self.fold)  # (S, 22, 3, 3)
        b = torch.einsum("sk,kj,kx->sjx", self.v_weights, self.fold, c) - torch.einsum(
            "skxy,kj,ky->sjx", wc, self.fold, jr)  # (S, 22, 3)
        return m, b, self.v_weights @ self.fold
