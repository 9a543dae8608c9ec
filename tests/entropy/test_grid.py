from __future__ import annotations

import math

import numpy as np
import torch

from invcodec import fixedpoint as fp
from invcodec.entropy import grid


def test_scale_table_is_a_fixed_log_grid() -> None:
    assert grid.SCALES[0] == 2.0**grid.LOG2_SCALE_MIN
    ratios = grid.SCALES[1:] / grid.SCALES[:-1]
    assert np.allclose(ratios, 2 ** (1 / 16), rtol=1e-12)
    assert abs(grid.SCALES[-1] - 2.0**grid.LOG2_SCALE_MAX) / 2.0**grid.LOG2_SCALE_MAX < 1e-12
    # Golden values: the table is part of the format; a change here breaks old files.
    assert grid.SCALES[16].hex() == "0x1.ffffffffffff4p-4"
    assert grid.SCALES[100].hex() == "0x1.306fe0a31b6eap+2"


def test_snapping_from_accumulators() -> None:
    one = 2.0**fp.ACC_FRAC_BITS
    # net output 0.5 -> mean 0.5 * 64 = 32 (+ base), on the 1/16 grid
    assert grid.mean_from_acc(torch.tensor([0.5 * one]), 3.0).item() == 35.0
    assert grid.mean_from_acc(torch.tensor([1 / 64 / 16 * one * 1.4]), 0.0).item() == 1 / 16
    # log2 scale 1.0 -> index 16 * (1 - LOG2_MIN); clamped at both ends
    idx = grid.scale_index_from_acc(torch.tensor([1.0 * one, -100 * one, 100 * one]))
    assert idx.tolist() == [16 * (1 - grid.LOG2_SCALE_MIN), 0, grid.N_SCALES - 1]


def test_laplace_bits_is_a_distribution() -> None:
    x = torch.arange(-400, 401, dtype=torch.float64)
    for mean, log2_scale in [(0.0, 0.0), (3.3, 2.5), (-0.5, -4.0), (10.0, 5.0)]:
        bits = grid.laplace_bits(x, torch.tensor(mean), torch.tensor(log2_scale))
        total = torch.exp2(-bits).sum().item()
        assert abs(total - 1) < 1e-3, (mean, log2_scale, total)


def test_laplace_bits_matches_closed_form_cdf() -> None:
    mean, b = 1.25, 3.0

    def cdf(t: float) -> float:
        return 0.5 * math.exp((t - mean) / b) if t < mean else 1 - 0.5 * math.exp(-(t - mean) / b)

    for k in [-7, 0, 1, 2, 9]:
        expected = -math.log2(cdf(k + 0.5) - cdf(k - 0.5))
        d = torch.float64
        got = grid.laplace_bits(torch.tensor(float(k), dtype=d), torch.tensor(mean, dtype=d), torch.tensor(math.log2(b), dtype=d)).item()
        assert abs(got - expected) < 1e-9
