import numpy as np
import torch

from invcodec.rate_distortion import RateDistortion, initial_offsets

from .conftest import make_tiny_lossy_model, make_tiny_model, smooth_image


def _batch(n: int = 2, size: int = 32) -> torch.Tensor:
    return torch.from_numpy(np.stack([smooth_image(size, size, seed=s).transpose(2, 0, 1) for s in range(n)]))


def test_one_band_offset_per_band_in_decoding_order() -> None:
    offsets = initial_offsets(3)
    assert len(offsets) == 3 + 9 * 3
    assert offsets[:3] == [-3.0] * 3 and offsets[-1] > offsets[3]  # coarse bands get finer steps


def test_loss_trains_model_and_band_offsets() -> None:
    objective = RateDistortion(make_tiny_lossy_model().train())
    loss, bpp, psnr = objective(_batch())
    assert torch.isfinite(loss) and (bpp > 0).all() and (psnr > 0).all()
    loss.backward()
    assert objective.band_offsets.grad is not None and objective.band_offsets.grad.abs().sum() > 0
    prior_grads = [p.grad for p in objective.model.levels[0].prior.parameters() if p.grad is not None]
    coupling_grads = [p.grad for p in objective.model.levels[0].flow.parameters() if p.grad is not None]
    assert prior_grads and coupling_grads


def test_coarser_steps_trade_rate_for_distortion() -> None:
    objective = RateDistortion(make_tiny_model())
    x = _batch()
    with torch.no_grad():
        fine = objective(x, torch.full((2,), 1.0), noise=False)
        coarse = objective(x, torch.full((2,), 6.0), noise=False)
    assert (coarse[1] < fine[1]).all() and (coarse[2] < fine[2]).all()
    assert objective.offsets_for_file()[:3] == [-32, -32, -32]


def test_rate_conditioned_prior_starts_as_its_source(tmp_path) -> None:
    from invcodec.train import _initialised_from
    from invcodec.weights import save_model

    source = make_tiny_model(seed=3)
    save_model(source, tmp_path / "src.safetensors")
    widened = _initialised_from(str(tmp_path / "src.safetensors"), {"rate_conditioned": True}).eval()
    assert widened.cfg.rate_conditioned and not source.cfg.rate_conditioned
    x = _batch(1).float()
    with torch.no_grad():
        assert torch.equal(source.bits(x), widened.bits(x))
