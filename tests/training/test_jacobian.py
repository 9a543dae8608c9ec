"""The decoder-Jacobian regulariser: its forward-mode products equal the dense relaxed
Jacobian's, Hutchinson's estimate finds the Frobenius norm, and descending the penalty
lowers the decoder's gain."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from invcodec.training.jacobian import decoder_gain, decoder_jvp, latents
from invcodec.training.model import IntegerFlowModel
from invcodec.training.train import _Objective, main as train_main
from invcodec.training.weights import load_model, save_model

from ..conftest import TINY_CONFIG, make_tiny_model, smooth_image
from .test_train import _args, folder  # noqa: F401 (the fixture)

pytestmark = pytest.mark.usefixtures("single_thread")


def _image(size: int = 8) -> torch.Tensor:
    return torch.from_numpy(smooth_image(size, size, seed=3).transpose(2, 0, 1)[None].astype(np.float64))


def _dense_jacobian(model, x) -> torch.Tensor:
    """(pixels, latents) by reverse mode over the flat latents, independent of forward mode."""
    at = latents(model.analyze(x))
    sizes = [z.numel() for z in at]

    def decode(flat):
        parts = [p.reshape(z.shape) for p, z in zip(flat.split(sizes), at)]
        return model.synthesize(parts[:-1], parts[-1]).flatten()

    return torch.autograd.functional.jacobian(decode, torch.cat([z.flatten() for z in at]))


def test_forward_mode_products_equal_the_dense_jacobian() -> None:
    model, x = make_tiny_model(noise=0.3).double(), _image()
    dense = _dense_jacobian(model, x)
    at = latents(model.analyze(x))
    shapes = [z.shape for z in at]
    g = torch.Generator().manual_seed(0)
    tangents = [torch.randn(s, generator=g, dtype=torch.float64) for s in shapes]
    assert len(shapes) == model.level_count + 1
    expected = dense @ torch.cat([u.flatten() for u in tangents])
    assert torch.allclose(decoder_jvp(model, at, tangents).flatten(), expected, rtol=1e-9, atol=1e-9)
    with pytest.raises(ValueError, match="tangents"):
        decoder_jvp(model, at, tangents[:-1])


def test_hutchinson_estimate_finds_the_frobenius_norm() -> None:
    model, x = make_tiny_model(noise=0.3).double(), _image()
    exact = _dense_jacobian(model, x).pow(2).sum().item() / x.numel()
    fixed = _dense_jacobian(IntegerFlowModel(TINY_CONFIG).double(), x).pow(2).sum().item() / x.numel()
    assert exact > 1.5 * fixed  # the random couplings amplify: the check below is not about the lifting alone
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        at = latents(model.analyze(x))
        estimates = [decoder_gain(model, at, g).item() for _ in range(2000)]
    assert np.mean(estimates) == pytest.approx(exact, rel=0.05)


def _gain(model, x: torch.Tensor) -> float:
    """The decoder's mean squared gain at ``x``, with fixed probes (comparable across models)."""
    with torch.no_grad():
        g = torch.Generator().manual_seed(2)
        at = latents(model.analyze(x))
        return float(np.mean([decoder_gain(model, at, g).item() for _ in range(50)]))


def test_descending_the_penalty_lowers_the_decoder_gain() -> None:
    """The penalty's gradient reaches the couplings and descends the gain: ten Adam steps on
    an objective the penalty dominates cut it to under a quarter, well below what the same
    steps on the bits alone do (they lower it too: the random couplings amplify). How much
    the penalty does inside real training, and what it costs in bits/dim, is the
    continuity-regulariser benchmark's question (benchmarks/continuity_regulariser.sh)."""
    x = _image(32).float()
    ratios = {}
    for lam in (0.0, 1e6):
        model = make_tiny_model(noise=0.3).train()
        objective = _Objective(model, jacobian_penalty=lam)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        before = _gain(model, x)
        torch.manual_seed(0)  # the penalty's own probes
        for _ in range(10):
            opt.zero_grad()
            objective(x).backward()
            opt.step()
        ratios[lam] = _gain(model, x) / before
    assert ratios[1e6] < 0.25 and ratios[1e6] < 0.7 * ratios[0.0]


def test_training_with_the_penalty_runs_from_the_command_line(folder, tmp_path) -> None:  # noqa: F811
    out = tmp_path / "run"
    save_model(make_tiny_model(noise=0.3), tmp_path / "init.safetensors")
    train_main(_args(folder, out, 4) + ["--init", str(tmp_path / "init.safetensors"), "--jacobian-penalty", "0.5"])
    card = load_model(out / "model.safetensors")
    assert card.cfg == make_tiny_model().cfg
    assert json.loads((out / "log.jsonl").read_text().splitlines()[-1])["step"] == 4


def test_the_penalty_is_refused_for_the_lossy_objective(folder, tmp_path) -> None:  # noqa: F811
    with pytest.raises(SystemExit):
        train_main(_args(folder, tmp_path / "rd", 1) + ["--objective", "rd", "--jacobian-penalty", "0.1"])
