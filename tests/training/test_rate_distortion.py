import numpy as np
import pytest
import torch

from invcodec import quantizer
from invcodec.training.rate_distortion import RateDistortion, initial_offsets
from invcodec.training.train import _initialised_from, start_from_file_offsets
from invcodec.training.weights import save_model

from ..conftest import smooth_image
from ..fixtures.make_models import make_tiny_lossy_model, make_tiny_model

pytestmark = pytest.mark.usefixtures("single_thread")


def _batch(n: int = 2, size: int = 32) -> torch.Tensor:
    return torch.from_numpy(np.stack([smooth_image(size, size, seed=s).transpose(2, 0, 1) for s in range(n)]))


def test_one_band_offset_per_band_in_decoding_order() -> None:
    offsets = initial_offsets(3)
    assert len(offsets) == quantizer.band_count(3) == 3 + 9 * 3
    assert offsets[:3] == [-3.0] * 3 and offsets[-1] > offsets[3]  # coarse bands get finer steps
    assert offsets[3:12] == [-2 + 0.2] * 9 and offsets[-9:] == [0.2] * 9  # level 2 first, level 0 last


def test_loss_trains_model_and_band_offsets() -> None:
    objective = RateDistortion(make_tiny_lossy_model().train())
    loss, bpp, psnr = objective(_batch())
    assert torch.isfinite(loss) and (bpp > 0).all() and (psnr > 0).all()
    loss.backward()
    assert objective.band_offsets.grad is not None and objective.band_offsets.grad.abs().sum() > 0
    prior_grads = [p.grad for p in objective.model.levels[0].prior.parameters() if p.grad is not None]
    coupling_grads = [p.grad for p in objective.model.levels[0].flow.parameters() if p.grad is not None]
    assert prior_grads and coupling_grads
    assert any(g.abs().sum() > 0 for g in prior_grads) and any(g.abs().sum() > 0 for g in coupling_grads)


def test_coarser_steps_trade_rate_for_distortion() -> None:
    objective = RateDistortion(make_tiny_model())
    x = _batch()
    with torch.no_grad():
        fine = objective(x, torch.full((2,), 1.0), noise=False)
        coarse = objective(x, torch.full((2,), 6.0), noise=False)
    assert (coarse[1] < fine[1]).all() and (coarse[2] < fine[2]).all()
    assert objective.offsets_for_file()[:3] == [-32, -32, -32]


def test_rounding_without_noise_is_deterministic_and_step_zero_is_nearly_lossless() -> None:
    objective = RateDistortion(make_tiny_model())
    x = _batch(1)
    low = torch.full((1,), -20.0)  # every band's step clamps to 1
    with torch.no_grad():
        a, b = objective(x, low, noise=False), objective(x, low, noise=False)
    assert torch.equal(a[0], b[0])
    assert a[2].item() > 45  # step 1 keeps (almost) every latent


def test_lambda_follows_one_over_the_step_squared() -> None:
    """High-rate theory: the distortion weight scales as 1 / step**2 (read back from the
    loss: (loss - bpp) / MSE at two steps 3 octaves apart)."""
    objective = RateDistortion(make_tiny_model())
    x = _batch(1)
    lam = []
    for log2_step in (2.0, 5.0):
        with torch.no_grad():
            loss, bpp, psnr = objective(x, torch.full((1,), log2_step), noise=False)
        mse = 255.0**2 / 10 ** (psnr / 10)
        lam.append(((loss - bpp) / mse).item())
    assert lam[0] / lam[1] == pytest.approx(4.0**3, rel=1e-3)


def test_rate_conditioned_prior_starts_as_its_source(tmp_path) -> None:
    source = make_tiny_model(seed=3)
    save_model(source, tmp_path / "src.safetensors")
    widened = _initialised_from(str(tmp_path / "src.safetensors"), {"rate_conditioned": True}).eval()
    assert widened.cfg.rate_conditioned and not source.cfg.rate_conditioned
    x = _batch(1).float()
    with torch.no_grad():
        assert torch.equal(source.bits(x), widened.bits(x))


def test_lossy_fine_tune_starts_from_the_file_offsets(tmp_path) -> None:
    source = make_tiny_model(seed=4)
    objective = RateDistortion(source)
    source.lossy_band_offsets = [o - 3 for o in objective.offsets_for_file()]  # not the defaults
    save_model(source, tmp_path / "lossy.safetensors")
    fresh = RateDistortion(make_tiny_model(seed=5))
    start_from_file_offsets(fresh, str(tmp_path / "lossy.safetensors"))
    assert fresh.offsets_for_file() == source.lossy_band_offsets

    source.lossy_band_offsets = None  # a lossless source keeps the Haar-gain defaults
    save_model(source, tmp_path / "lossless.safetensors")
    fresh = RateDistortion(make_tiny_model(seed=5))
    start_from_file_offsets(fresh, str(tmp_path / "lossless.safetensors"))
    assert fresh.offsets_for_file() == objective.offsets_for_file()
