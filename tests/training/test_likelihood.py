"""The training objective's likelihood is the coder's: same code lengths, same grid range."""

from __future__ import annotations

import numpy as np
import torch

from invcodec.entropy import grid
from invcodec.training.likelihood import PriorParams, laplace_bits


def test_training_bits_equal_the_coders_estimate() -> None:
    rng = np.random.default_rng(0)
    mean = rng.integers(-3000, 3000, 2000) / 16.0
    log2_scale = rng.uniform(grid.LOG2_SCALE_MIN, grid.LOG2_SCALE_MAX, 2000)
    # half drawn from the Laplace itself, half anywhere (deep in the tails)
    x = np.concatenate([np.round(rng.laplace(mean[:1000], np.exp2(log2_scale[:1000]))), rng.integers(-300, 300, 1000)])
    ours = laplace_bits(torch.from_numpy(x), torch.from_numpy(mean), torch.from_numpy(log2_scale)).numpy()
    coder = grid.laplace_bits(x, mean, np.exp2(log2_scale))
    assert np.abs(ours - coder).max() < 1e-9
    assert ours.min() < 1 and ours.max() == -grid.MIN_LOG2_PROBABILITY  # both the centre and the floor are covered


def test_laplace_bits_has_gradients_for_mean_and_scale() -> None:
    mean = torch.tensor([0.3, -2.0], dtype=torch.float64, requires_grad=True)
    log2_scale = torch.tensor([1.0, 0.5], dtype=torch.float64, requires_grad=True)
    laplace_bits(torch.tensor([2.0, -2.0], dtype=torch.float64), mean, log2_scale).sum().backward()
    assert mean.grad[0] < 0  # moving the mean towards x = 2 costs fewer bits
    assert log2_scale.grad[1] > 0  # x sits on the mean: a narrower Laplace costs fewer bits


def test_prior_params_from_a_heads_output() -> None:
    out = torch.tensor([[0.5, 20.0], [-0.25, -9.0], [0.0, 1.5]]).reshape(3, 2, 1, 1)
    p = PriorParams.from_output(out, 3.0)
    assert p.mean.flatten().tolist() == [35.0, -13.0, 3.0]  # base + 64 * output
    assert p.log2_scale.flatten().tolist() == [grid.LOG2_SCALE_MAX, grid.LOG2_SCALE_MIN, 1.5]  # clamped to the grid
