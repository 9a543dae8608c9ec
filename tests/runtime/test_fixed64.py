"""Release 0.1.0's fixed64 numeric format, evaluated with numpy."""

from __future__ import annotations

import numpy as np
import pytest

from invcodec.runtime import fixed64
from invcodec.runtime.nets import NetOutput, check_exponents

from ..conftest import conv2d_int64

W_ONE = 2.0**fixed64.WEIGHT_FRAC_BITS  # a weight of 1.0 in grid units
ACC_ONE = 2.0**fixed64.ACC_FRAC_BITS
ACT_ONE = 2.0**fixed64.ACT_FRAC_BITS


def test_float64_conv_on_integers_is_exact() -> None:
    """Activations up to 2**25, weights up to 2**15 grid units, fan-in 144: the float64 GEMM
    equals the int64 convolution bit for bit."""
    rng = np.random.default_rng(0)
    a = rng.integers(-(2**25), 2**25, (9, 7, 16)).astype(np.float64)
    w = rng.integers(-(2**15), 2**15, (5, 16, 3, 3))
    b = rng.integers(-(2**40), 2**40, 5)
    got = fixed64.Conv(w / W_ONE, b / ACC_ONE, "conv")(a)
    assert np.array_equal(got.astype(np.int64), conv2d_int64(a, w, b))


def test_quantized_conv_tracks_the_float_conv() -> None:
    """Weights snapped to 2**-12 and activations to 2**-8: the accumulator, read as a real
    number, is the float convolution up to the rounding of its inputs: the worst case of
    that rounding, derived from the inputs (under 2% of the output range here), bounds it."""
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, (8, 8, 4))
    weight, bias = rng.normal(0, 0.2, (6, 4, 3, 3)), rng.normal(0, 0.2, 6)
    a = np.round(x * ACT_ONE)
    acc = fixed64.Conv(weight, bias, "conv")(a)
    float_ref = sum(  # the same 'same' convolution in float64, written out
        np.pad(x, ((1, 1), (1, 1), (0, 0)))[dy : dy + 8, dx : dx + 8] @ weight[:, :, dy, dx].T
        for dy in range(3) for dx in range(3)
    ) + bias
    fan_in = 4 * 9
    bound = fan_in * (np.abs(weight).max() * 0.5 / ACT_ONE + np.abs(x).max() * 0.5 / W_ONE + 0.25 / (ACT_ONE * W_ONE)) + 0.5 / ACC_ONE
    error = np.abs(acc / ACC_ONE - float_ref).max()
    assert error <= bound < 0.02 * np.abs(float_ref).max()
    assert error > 0  # the snapping really happened (the reference is not the same computation)


def test_requantize_floors_and_clamps() -> None:
    acc = np.array([W_ONE * 3 + 1, W_ONE * 3 - 1, -1.0, 2.0**60, -(2.0**60)])
    assert fixed64.requantize(acc).tolist() == [3.0, 2.0, -1.0, fixed64.ACT_LIMIT, -fixed64.ACT_LIMIT]


def test_latents_enter_the_nets_divided_by_64() -> None:
    assert fixed64.latent_input(np.array([64.0, -3.0])).tolist() == [ACT_ONE, -3 * ACT_ONE / 64]


def test_conv_rejects_weights_outside_the_exact_range() -> None:
    zeros = np.zeros(1)
    limit = fixed64.MAX_WEIGHT / W_ONE  # 16.0
    fixed64.Conv(np.full((1, 1, 3, 3), limit - 1 / W_ONE), zeros, "ok")  # the largest weight accepted
    with pytest.raises(ValueError, match="big"):
        fixed64.Conv(np.full((1, 1, 3, 3), limit), zeros, "big")
    with pytest.raises(ValueError, match="huge"):
        fixed64.Conv(np.full((1, 1, 3, 3), 100.0), zeros, "huge")
    with pytest.raises(ValueError, match="wide"):  # fan-in beyond 2048
        fixed64.Conv(np.zeros((1, fixed64.MAX_FAN_IN + 1, 1, 1)), zeros, "wide")
    with pytest.raises(ValueError, match="nan"):
        fixed64.Conv(np.zeros((1, 1, 1, 1)), np.array([np.nan]), "nan")


def test_net_output_rounds_half_up_per_channel_grid() -> None:
    one = 2.0**20
    out = NetOutput(np.array([[[0.5 * one, -0.5 * one, 1.49 * one, -1.5 * one, 2.5 * one]]]), np.full(5, -20))
    assert out.rounded(0).tolist() == [[[1.0, 0.0, 1.0, -1.0, 3.0]]]
    # channel 0 on 2**-20, channel 1 on 2**-4; rounded onto 2**-2 (frac_bits 2)
    two = NetOutput(np.array([[[3 * 2.0**17, 7.0]]]), np.array([-20, -4]))
    assert two.rounded(2).tolist() == [[[2.0, 2.0]]]  # 0.375 * 4 = 1.5 -> 2; 7/16 * 4 = 1.75 -> 2
    assert two.rounded(2, slice(1, 2)).tolist() == [[[2.0]]]


def test_accumulator_exponents_outside_the_exact_range_are_refused() -> None:
    check_exponents(np.array([-48, 0, 8]), "ok")
    for bad in ([-49], [9]):
        with pytest.raises(ValueError, match="exponent"):
            check_exponents(np.array(bad), "bad")
