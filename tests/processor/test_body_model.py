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
        ("pickle", "refused because unpickling can run code"),
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


# -- model files are data: nothing in them runs ---------------------------------------------


class _RunsCode:
    """Unpickling this touches ``marker``: proof that a file's pickle ran."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        import os

        return (os.system, (f"touch '{self.marker}'",))


def _crafted_npz(path: Path, marker: Path, key: str) -> Path:
    arrays = make_model_arrays()
    arrays[key] = np.array(_RunsCode(marker), dtype=object)
    np.savez(path, **arrays)
    return path


def test_an_object_array_in_a_model_array_is_refused_unread(tmp_path):
    marker = tmp_path / "ran"
    bad = _crafted_npz(tmp_path / "SMPLX_NEUTRAL.npz", marker, "J_regressor")
    with pytest.raises(BodyModelError, match="never unpickled") as info:
        validate_body_model(bad)
    assert not marker.exists()
    assert "\n" not in str(info.value) and bad.name in str(info.value) and "J_regressor" in str(info.value)


def test_an_object_array_beside_the_model_arrays_is_never_read(tmp_path):
    """The official .npz carries pickled dicts (joint2num, part2num) the model does not need."""
    marker = tmp_path / "ran"
    ok = _crafted_npz(tmp_path / "SMPLX_NEUTRAL.npz", marker, "joint2num")
    assert load_smplx(ok).v_template.shape == (10475, 3)
    assert not marker.exists()


def test_a_pkl_model_is_refused_with_a_conversion_hint(tmp_path):
    import pickle

    marker = tmp_path / "ran"
    bad = tmp_path / "SMPLX_NEUTRAL.pkl"
    bad.write_bytes(pickle.dumps({"v_template": _RunsCode(marker)}, protocol=2))
    with pytest.raises(BodyModelError, match=r"\.pkl.*refused.*np\.savez") as info:
        validate_body_model(bad)
    assert not marker.exists()
    assert "\n" not in str(info.value) and bad.name in str(info.value)


def test_the_pkl_conversion_hint_gives_a_loadable_npz(tmp_path):
    """The README's one-liner, run on a .pkl of the (synthetic) model, gives an .npz that loads."""
    import pickle
    import shlex
    import subprocess
    import sys

    from processor.body_model import PKL_TO_NPZ

    pkl = tmp_path / "SMPLX_NEUTRAL.pkl"
    arrays = make_model_arrays()
    arrays["joint2num"] = {"pelvis": 0}  # the official files carry a few dicts
    pkl.write_bytes(pickle.dumps(arrays, protocol=2))
    command = shlex.split(PKL_TO_NPZ)
    assert command[0] == "python"
    subprocess.run([sys.executable, *command[1:]], cwd=tmp_path, check=True)
    assert load_smplx(tmp_path / "SMPLX_NEUTRAL.npz").v_template.shape == (10475, 3)


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_pinned_sha256_that_matches_loads(model_path, tmp_path):
    digest = _sha256(model_path)
    assert resolve_body_model(str(model_path), tmp_path, sha256=digest) == model_path
    assert resolve_body_model(str(model_path), tmp_path, sha256=digest.upper()) == model_path


def test_a_pinned_sha256_mismatch_is_refused_before_loading(tmp_path, monkeypatch):
    marker = tmp_path / "ran"
    bad = _crafted_npz(tmp_path / "SMPLX_NEUTRAL.npz", marker, "J_regressor")
    expected = "ab" * 32

    def never(*args, **kwargs):
        raise AssertionError("the file was opened as a model before its digest was checked")

    monkeypatch.setattr(np, "load", never)
    with pytest.raises(BodyModelError) as info:
        resolve_body_model(str(bad), tmp_path, sha256=expected)
    text = str(info.value)
    assert bad.name in text and expected in text and _sha256(bad) in text and "\n" not in text
    assert not marker.exists()


def test_the_configured_pin_applies_to_a_drive_model(model_path, tmp_path):
    from config.settings import SettingsError, load_settings
    from processor.body_model import resolve_configured_model

    def fetch(file_id, dest):
        dest.write_bytes(model_path.read_bytes())
        return dest

    wrong = load_settings(analysis={"smplx_model": "drive:XYZ", "smplx_sha256": "0" * 64},
                          worker={"scratch_dir": tmp_path / "scratch"})  # fmt: skip
    with pytest.raises(BodyModelError, match="0" * 64):
        resolve_configured_model(wrong, fetch)
    assert list((tmp_path / "scratch" / "models").iterdir()) == []  # nothing cached
    right = load_settings(analysis={"smplx_model": "drive:XYZ", "smplx_sha256": _sha256(model_path)},
                          worker={"scratch_dir": tmp_path / "scratch"})  # fmt: skip
    assert resolve_configured_model(right, fetch) == tmp_path / "scratch" / "models" / "smplx-XYZ"
    for bad in ("abc", "g" * 64, "0" * 63):
        with pytest.raises(SettingsError, match="smplx_sha256"):
            load_settings(analysis={"smplx_sha256": bad})
