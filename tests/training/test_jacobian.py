"""The decoder-Jacobian regulariser: its forward-mode products equal the dense relaxed
Jacobian's, Hutchinson's estimate finds the Frobenius norm, and the training penalty is
that gain, whose gradient descends it."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from invcodec.training.jacobian import decoder_gain, decoder_jvp, latents
from invcodec.training.model import IntegerFlowModel
from invcodec.training.train import _Objective, main as train_main
from invcodec.training.weights import load_model, save_model

from ..conftest import smooth_image
from ..fixtures.make_models import TINY_CONFIG, make_tiny_model
from .test_train import _args

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


def test_the_penalty_is_the_gain_and_its_gradient_descends_it() -> None:
    """The objective adds exactly lambda x the decoder gain, and the gain's gradient reaches
    the couplings: a small step against it lowers the gain (probes and latents held fixed)
    by what the gradient predicts to first order. (How much the penalty does inside real
    training, and what it costs in bits/dim, is benchmarks/continuity_regulariser.sh's
    question: a few steps of tiny training move the gain by less than run-to-run noise.)"""
    model, x = make_tiny_model(noise=0.3).train(), _image(32).float()
    losses = []
    for lam in (0.0, 2.0):
        torch.manual_seed(0)  # the penalty's probes
        losses.append(_Objective(model, jacobian_penalty=lam)(x))
    with torch.no_grad():
        at = [z.detach() for z in latents(model.analyze(x))]
    torch.manual_seed(0)
    assert (losses[1] - losses[0]).item() == pytest.approx(2.0 * decoder_gain(model, at).item(), rel=1e-4)
    coupling = next(p for n, p in model.named_parameters() if ".flow." in n)
    assert torch.autograd.grad(losses[1] - losses[0], coupling)[0].abs().sum() > 0  # trained through, not a detached number

    model, at = model.double(), [z.double() for z in at]  # float64: a step small enough to be linear

    def gain() -> torch.Tensor:
        return decoder_gain(model, at, torch.Generator().manual_seed(0))

    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    before = gain()
    reached = [(n, p, g) for (n, p), g in zip(named, torch.autograd.grad(before, [p for _, p in named], allow_unused=True))
               if g is not None]  # (the prior plays no part in decoding)
    params, grads = [p for _, p, _ in reached], [g for *_, g in reached]
    squared = sum(g.pow(2).sum() for g in grads).item()
    assert squared > 0 and any(".flow." in n for n, *_ in reached)  # the couplings get a gradient
    eta = 1e-4 * before.item() / squared  # a step predicted to lower the gain by 0.01 %
    with torch.no_grad():
        for p, g in zip(params, grads):
            p.sub_(eta * g)
    drop = before.item() - gain().item()
    assert 0.8 < drop / (eta * squared) < 1.25


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
