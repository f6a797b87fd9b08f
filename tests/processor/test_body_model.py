"""The SMPL-X model file: validation, drive:<id> caching, and the lean kinematics vs smplx."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from processor.body_fit import fit_body  # noqa: E402
from processor.body_model import (  # noqa: E402
    V,
    BodyKinematics,
    BodyModelError,
    load_smplx,
    resolve_body_model,
    validate_body_model,
)
from tests.support.synthetic_smplx import landmarks_from_model, make_model_arrays, write_synthetic_smplx  # noqa: E402


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return write_synthetic_smplx(tmp_path_factory.mktemp("smplx") / "SMPLX_NEUTRAL.npz")


def test_synthetic_model_loads_with_smplx_shapes(model_path):
    model = load_smplx(model_path)
    assert model.v_template.shape == (10475, 3)
    assert model.J_regressor.shape == (55, 10475)
    assert model.posedirs.shape == (486, 10475 * 3)
    assert model.parents.tolist()[:22] == [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19]


def test_kinematics_match_smplx_forward(model_path):
    """The fit's lean forward pass equals smplx's own for every joint and the skin points it uses."""
    model = load_smplx(model_path)
    vertex_ids = sorted(set(V.values()) | {4933, 8079})  # incl. blended weights across fixed hand joints
    kin = BodyKinematics(model, list(range(55)), vertex_ids)
    g = torch.Generator().manual_seed(0)
    n = 5
    betas = torch.randn(10, generator=g) * 0.7
    go, bp = torch.randn(n, 3, generator=g), torch.randn(n, 21, 3, generator=g) * 0.4
    tr = torch.randn(n, 3, generator=g)
    joints, verts, _, _ = kin.forward(betas, go, bp, tr)
    z = lambda k: torch.zeros(n, k)  # noqa: E731
    ref = model(betas=betas[None].expand(n, -1), global_orient=go, body_pose=bp.reshape(n, -1), transl=tr,
                left_hand_pose=z(45), right_hand_pose=z(45), jaw_pose=z(3), leye_pose=z(3), reye_pose=z(3),
                expression=z(10))  # fmt: skip
    assert torch.allclose(joints, ref.joints[:, :55], atol=1e-5)
    assert torch.allclose(verts, ref.vertices[:, vertex_ids], atol=1e-5)


def test_missing_model_file_says_so(tmp_path):
    with pytest.raises(BodyModelError, match="does not exist"):
        validate_body_model(tmp_path / "SMPLX_NEUTRAL.npz")
    pose = landmarks_from_model(write_synthetic_smplx(tmp_path / "ok.npz"), np.zeros((3, 21, 3)))
    with pytest.raises(BodyModelError, match="does not exist"):
        fit_body(pose, tmp_path / "nope.npz", device="cpu")


@pytest.mark.parametrize(
    "kind, message",
    [
        ("empty", "is empty"),
        ("text", "neither an .npz nor a .pkl"),
        ("truncated", "not a valid SMPL-X model file"),
        ("missing_key", "not a valid SMPL-X model file"),
        ("wrong_tree", "not a valid SMPL-X model file"),
        ("pickle", "not a valid SMPL-X model file"),
    ],
)
def test_corrupt_model_file_gives_a_clear_message(tmp_path, model_path, kind, message):
    bad = tmp_path / "SMPLX_NEUTRAL.npz"
    if kind == "empty":
        bad.write_bytes(b"")
    elif kind == "text":
        bad.write_text("this is not a model\n")
    elif kind == "truncated":
        bad.write_bytes(model_path.read_bytes()[:50_000])
    elif kind == "missing_key":
        arrays = make_model_arrays()
        del arrays["J_regressor"]
        np.savez(bad, **arrays)
    elif kind == "wrong_tree":  # an SMPL-like file with 24 joints
        arrays = make_model_arrays()
        arrays["J_regressor"] = arrays["J_regressor"][:24]
        arrays["weights"] = arrays["weights"][:, :24]
        arrays["kintree_table"] = arrays["kintree_table"][:, :24]
        np.savez(bad, **arrays)
    elif kind == "pickle":
        bad = tmp_path / "SMPLX_NEUTRAL.pkl"
        import pickle

        bad.write_bytes(pickle.dumps({"nothing": 1}))
    with pytest.raises(BodyModelError, match=message) as info:
        validate_body_model(bad)
    assert "\n" not in str(info.value) and bad.name in str(info.value)


def test_valid_zip_that_is_not_a_model(tmp_path):
    bad = tmp_path / "model.npz"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(BodyModelError, match="not a valid SMPL-X model file"):
        validate_body_model(bad)


def test_resolve_path_and_empty(model_path, tmp_path):
    assert resolve_body_model("", tmp_path) is None
    assert resolve_body_model(None, tmp_path) is None
    assert resolve_body_model(str(model_path), tmp_path) == model_path
    with pytest.raises(BodyModelError, match="does not exist"):
        resolve_body_model(str(tmp_path / "absent.npz"), tmp_path)


def test_drive_model_is_fetched_once_and_cached(model_path, tmp_path):
    calls = []

    def fetch(file_id: str, dest: Path) -> Path:
        calls.append(file_id)
        dest.write_bytes(model_path.read_bytes())
        return dest

    cache = tmp_path / "cache"
    first = resolve_body_model("drive:1AbC-d_9", cache, fetch)
    second = resolve_body_model("drive:1AbC-d_9", cache, fetch)
    assert first == second == cache / "smplx-1AbC-d_9" and first.is_file()
    assert calls == ["1AbC-d_9"]
    assert sorted(p.name for p in cache.iterdir()) == ["smplx-1AbC-d_9"]  # no partial files left


def test_drive_model_corrupt_download_is_not_cached(tmp_path):
    def fetch(file_id: str, dest: Path) -> Path:
        dest.write_text("<html>quota exceeded</html>")
        return dest

    cache = tmp_path / "cache"
    with pytest.raises(BodyModelError, match="neither an .npz nor a .pkl"):
        resolve_body_model("drive:abc", cache, fetch)
    assert list(cache.iterdir()) == []


def test_drive_model_errors(tmp_path):
    with pytest.raises(BodyModelError, match="no Drive access"):
        resolve_body_model("drive:abc", tmp_path)
    with pytest.raises(BodyModelError, match="not a valid 'drive:<file id>'"):
        resolve_body_model("drive:", tmp_path)

    def failing(file_id, dest):
        raise ConnectionError("network down")

    with pytest.raises(BodyModelError, match="Could not download the SMPL-X model 'drive:abc': network down"):
        resolve_body_model("drive:abc", tmp_path, failing)


def test_configured_model_uses_the_worker_scratch_cache(model_path, tmp_path):
    from config.settings import load_settings

    settings = load_settings(analysis={"smplx_model": "drive:XYZ"}, worker={"scratch_dir": tmp_path / "scratch"})
    from processor.body_model import resolve_configured_model

    def fetch(file_id, dest):
        dest.write_bytes(model_path.read_bytes())
        return dest

    assert resolve_configured_model(settings, fetch) == tmp_path / "scratch" / "models" / "smplx-XYZ"
    assert resolve_configured_model(load_settings(worker={"scratch_dir": tmp_path})) is None
