"""The entropy model's fixed grids (part of the file format) and its code-length estimate."""

from __future__ import annotations

import math

import numpy as np
import pytest

from invcodec.entropy import grid


def test_scale_table_is_a_fixed_log_grid() -> None:
    assert grid.N_SCALES == len(grid.SCALES) == 16 * (grid.LOG2_SCALE_MAX - grid.LOG2_SCALE_MIN) + 1
    assert grid.SCALES[0] == 2.0**grid.LOG2_SCALE_MIN
    ratios = grid.SCALES[1:] / grid.SCALES[:-1]
    assert np.allclose(ratios, 2 ** (1 / 16), rtol=1e-12, atol=0)
    assert abs(grid.SCALES[-1] - 2.0**grid.LOG2_SCALE_MAX) / 2.0**grid.LOG2_SCALE_MAX < 1e-12
    # Golden values: the table is part of the format; a change here breaks old files.
    assert grid.SCALES[16].hex() == "0x1.ffffffffffff4p-4"
    assert grid.SCALES[100].hex() == "0x1.306fe0a31b6eap+2"


@pytest.mark.parametrize("mean, log2_scale", [(0.0, 0.0), (3.3, 2.5), (-0.5, -4.0), (10.0, 5.0)])
def test_laplace_bits_is_a_distribution(mean: float, log2_scale: float) -> None:
    x = np.arange(-400, 401, dtype=np.float64)
    bits = grid.laplace_bits(x, mean, 2.0**log2_scale)
    assert abs(np.exp2(-bits).sum() - 1) < 1e-3
    assert np.argmin(bits) == np.argmin(np.abs(x - mean))  # the most likely integer is the nearest to the mean


def test_laplace_bits_matches_closed_form_cdf() -> None:
    mean, b = 1.25, 3.0

    def cdf(t: float) -> float:
        return 0.5 * math.exp((t - mean) / b) if t < mean else 1 - 0.5 * math.exp(-(t - mean) / b)

    ks = np.array([-7.0, 0.0, 1.0, 2.0, 9.0])
    expected = [-math.log2(cdf(k + 0.5) - cdf(k - 0.5)) for k in ks]
    got = grid.laplace_bits(ks, np.full(5, mean), np.full(5, b))
    assert np.abs(got - expected).max() < 1e-9


def test_laplace_bits_is_floored_like_the_coder() -> None:
    """Far in the tail the coder still gives every symbol at least 2**-24."""
    bits = grid.laplace_bits(np.array([4000.0]), np.array([0.0]), np.array(grid.SCALES[0]))
    assert bits.tolist() == [-grid.MIN_LOG2_PROBABILITY]
