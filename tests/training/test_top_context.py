"""Training a lifting model's autoregressive top band: data, noise, export, validation, resume."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from invcodec import quantizer
from invcodec.codec import compress_samples, decompress_samples
from invcodec import model_file
from invcodec.runtime.lifting import TOP_PREFIX
from invcodec.training import top_context

from ..conftest import smooth_image
from ..fixtures.make_models import TINY_CHECKERBOARD_CONFIG, coding_model, make_tiny_model

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture
def base(tmp_path):
    """The tiny checkerboard model with lossy band offsets, as a model file."""
    from invcodec.training.rate_distortion import initial_offsets

    model = make_tiny_model(config=TINY_CHECKERBOARD_CONFIG)
    model.lossy_band_offsets = [round(16 * o) for o in initial_offsets(len(model.levels))]
    coding_model(model, tmp_path, "base")
    return tmp_path / "base.safetensors"


def _train(base, folder, out, steps: int, capsys) -> dict:
    top_context.main(["--base", str(base), "--data", str(folder), "--val", str(folder), "--out", str(out),
                      "--export", str(out / "m.safetensors"), "--hidden", "8", "--steps", str(steps), "--tiles", "2",
                      "--val-images", "2", "--ckpt-every", "10"])
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_the_export_codes_and_validation_compares_it_with_the_base(base, folder, tmp_path, capsys) -> None:
    report = _train(base, folder, tmp_path / "run", 30, capsys)
    rows = report["validation"]
    assert [r["quality"] for r in rows] == list(top_context.VAL_QUALITIES)
    assert all(set(r) == {"quality", "m", "base"} for r in rows)
    assert all(r[name]["bpp"] > 0 and r[name]["psnr"] > 10 for r in rows for name in ("m", "base"))
    model = model_file.load(tmp_path / "run" / "m.safetensors")
    base_model = model_file.load(base)
    assert model.spec.top_autoregressive and model.model_id != base_model.model_id
    assert model.lossy_band_offsets == base_model.lossy_band_offsets
    meta, tensors = model_file.read(tmp_path / "run" / "m.safetensors")
    assert not any(k.startswith(("top.", "train.top.")) for k in tensors)  # the old top prior is gone
    assert {f"{TOP_PREFIX}plane{p}.w_rate" for p in range(3)} <= set(tensors)
    image = smooth_image(40, 36, seed=11)
    for quality in (None, 30):
        data, _ = compress_samples(image, model, quality=quality, classic=False)
        out = decompress_samples(data, model)
        assert np.array_equal(out, image) if quality is None else out.shape == image.shape


def test_validation_keys_models_of_one_name_by_their_paths(base, folder, tmp_path) -> None:
    """A base trained under the name its extension ships as: both rows kept, not one overwritten."""
    images = top_context.validation_images(folder, 1, top_context.TILE)
    rows = top_context.validate([base, base], images)
    assert all(set(r) == {"quality", str(base)} for r in rows)  # the same file twice: one key, by path
    other = tmp_path / "copy" / "base.safetensors"
    other.parent.mkdir()
    other.write_bytes(base.read_bytes())
    rows = top_context.validate([base, other], images)
    assert all(set(r) == {"quality", str(base), str(other)} for r in rows)
    assert all(r[str(base)] == r[str(other)] for r in rows)


def test_a_rerun_resumes_instead_of_starting_again(base, folder, tmp_path, capsys) -> None:
    out = tmp_path / "run"
    _train(base, folder, out, 10, capsys)
    assert (out / "top-bands.npz").exists() and all((out / f"plane{p}.pt").exists() for p in range(3))
    first = model_file.read(out / "m.safetensors")[1]
    _train(base, folder, out, 10, capsys)  # finished planes are loaded, not retrained
    again = model_file.read(out / "m.safetensors")[1]
    assert all(np.array_equal(first[k], again[k]) for k in first)


def test_a_batch_sees_its_neighbours_off_by_at_most_half_a_step(base) -> None:
    """Lossless-top rates leave the values exact; others round them off by <= half the
    top band's step; targets are always the exact values, bin widths the step."""
    offsets = model_file.load(base).lossy_band_offsets
    planes = np.stack([smooth_image(8, 8, 1, seed=s)[..., 0] for s in range(3)]).astype(np.float64)
    for rate in (0, 60, quantizer.global_step_index(1)):
        steps = top_context.top_steps(offsets, rate)
        assert (steps > 0.99).all()  # step 1 is 2**0 on the scale table, 1 - 6e-15
        assert np.array_equal(steps, [quantizer.step_value(max(0, rate + o)) for o in offsets[:3]])
    f, rate, ref, target, width = top_context.batcher([planes], offsets, 1, 64)(torch.Generator().manual_seed(0))
    assert np.array_equal(target.numpy().reshape(64, -1), np.tile(planes[1].reshape(-1), (64, 1)))
    rates = rate.numpy().reshape(64, -1)[:, 0]
    assert len(set(rates)) > 10
    for k, r in enumerate(rates):
        step = top_context.top_steps(offsets, int(r))
        assert np.all(width.numpy().reshape(64, -1)[k] == np.float32(step[1]))
        west = f.numpy().reshape(64, 8, 8, -1)[k, :, 1:, 0] + ref.numpy().reshape(64, 8, 8)[k, :, 1:]  # CAUSAL[0] = (0, 1)
        error = west - planes[1][:, :-1]
        bound = 0.0 if step[1] <= 1 else step[1] / 2 + 0.5
        assert np.abs(error).max() <= bound
