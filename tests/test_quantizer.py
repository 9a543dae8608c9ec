"""Lossy mode's quantizer: step tables, exact index shifts, quantize / dequantize."""

import numpy as np
import pytest

from invcodec import quantizer
from invcodec.entropy import grid


def test_quality_maps_log_linearly_onto_step_indices() -> None:
    assert quantizer.global_step_index(100) == 0  # step 1: integer latents are kept
    assert quantizer.global_step_index(1) == round(quantizer.MAX_LOG2_STEP * 16)
    indices = [quantizer.global_step_index(q) for q in range(1, 101)]
    assert indices == sorted(indices, reverse=True) and len(set(indices)) == 100  # every quality its own step


def test_step_indices_are_clamped_to_the_table() -> None:
    steps = quantizer.step_indices(50, [-1000, 0, 1000])
    assert steps == [0, quantizer.global_step_index(50), quantizer.MAX_STEP_INDEX]
    assert quantizer.step_value(0) == pytest.approx(1.0, rel=1e-12) and quantizer.step_value(16) == pytest.approx(2.0, rel=1e-12)
    assert quantizer.step_value(quantizer.MAX_STEP_INDEX) == grid.SCALES[-1]  # 1024, the table's end


def test_level_shifts_move_each_levels_bands_only() -> None:
    """Bands come in decoding order (the coarsest anchors, then levels coarse to fine):
    a shift for level l reaches exactly that level's 9 detail bands."""
    levels = 3
    assert quantizer.band_levels(levels) == [3] * 3 + [2] * 9 + [1] * 9 + [0] * 9
    offsets = list(range(-15, 15))  # 3 + 9 * 3 bands
    plain = quantizer.step_indices(40, offsets)
    shifted = quantizer.step_indices(40, offsets, (32, 8))
    assert [a - b for a, b in zip(shifted, plain)] == [0] * 12 + [8] * 9 + [32] * 9
    assert quantizer.step_indices(40, offsets, ()) == plain
    assert quantizer.step_indices(1, offsets, (400,))[-1] == quantizer.MAX_STEP_INDEX  # still clamped
    with pytest.raises(ValueError, match="levels"):
        quantizer.step_indices(40, offsets[:-1])
    assert quantizer.TUNINGS["psnr"] == ()  # PSNR: the model's own offsets, as files before tunings


def test_residual_scale_is_an_exact_index_shift() -> None:
    idx = np.array([100, 10, 224])
    shifted = quantizer.residual_scale_index(idx, 32)
    assert shifted.tolist() == [68, 0, 192]  # clamped at the table's smallest scale
    assert grid.SCALES[100] / quantizer.step_value(32) == pytest.approx(grid.SCALES[68], rel=1e-12)


def test_quantize_dequantize_error_is_within_half_a_step() -> None:
    rng = np.random.default_rng(0)
    latents = rng.integers(-500, 500, 1000).astype(np.float64)
    mean = rng.integers(-80, 80, 1000) / 16
    for step_index in (0, 20, 48, 80):
        q = quantizer.quantize(latents - mean, step_index)
        assert np.array_equal(q, np.round(q))  # integer symbols for the coder
        back = quantizer.dequantize(mean, q, step_index, recon_offset=0)
        assert np.array_equal(back, np.round(back))  # integer latents for the exact inverse flow
        assert np.abs(back - latents).max() <= quantizer.step_value(step_index) / 2 + 0.5
        if step_index >= 48:
            assert np.abs(q).max() < np.abs(latents - mean).max() / 4  # coarse steps: small symbols


def test_deadzone_and_offset_pull_towards_the_mean() -> None:
    r = np.linspace(-40, 40, 801)
    plain = quantizer.quantize(r, 48)
    wide = quantizer.quantize(r, 48, deadzone=0.2)
    assert (wide == 0).sum() > (plain == 0).sum() and (np.abs(wide) <= np.abs(plain)).all()
    zero = np.zeros_like(r)
    pulled = quantizer.dequantize(zero, plain, 48, recon_offset=64)
    unpulled = quantizer.dequantize(zero, plain, 48, 0)
    assert (np.abs(pulled) <= np.abs(unpulled)).all() and (np.abs(pulled) < np.abs(unpulled)).any()


def test_rdoq_zeroes_where_the_prior_is_sharp_and_rounds_where_it_is_flat() -> None:
    step_index = 32  # step 4
    r = np.full(3, 0.65 * quantizer.step_value(step_index))  # 0.65 steps: rounds to 1
    sharp, flat = 0, grid.N_SCALES - 1  # the residual's scale: 1/16 step, 1024 steps
    scales = np.array([sharp, flat, flat])
    q = quantizer.rdo_quantize(r, step_index, scales, weight=10.0)
    assert q.tolist() == [0.0, 1.0, 1.0]  # a 1 under the sharp prior costs ~20 bits more than a 0
    assert quantizer.rdo_quantize(-r, step_index, scales, weight=10.0).tolist() == [0.0, -1.0, -1.0]


def test_rdoq_never_rounds_away_and_is_plain_rounding_when_distortion_dominates() -> None:
    rng = np.random.default_rng(7)
    r = rng.laplace(0, 30, (64, 48, 1))
    scales = rng.integers(0, grid.N_SCALES, r.shape)
    q = quantizer.rdo_quantize(r, 40, scales, weight=10.0)
    nearest = quantizer.quantize(r, 40)
    assert np.array_equal(q, np.round(q)) and q.shape == r.shape
    assert ((q == nearest) | (q == nearest - np.sign(nearest))).all()  # the nearest level, or one towards zero
    assert (q != nearest).any()
    assert np.array_equal(quantizer.rdo_quantize(r, 40, scales, weight=1e12), nearest)


def _rdo_reference(residual: np.ndarray, step_index: int, scale_index, weight: float) -> np.ndarray:
    """RDOQ with every code length from ``grid.laplace_bits`` itself, over the whole array."""
    magnitude = np.abs(residual) / quantizer.step_value(step_index)
    hi = np.floor(magnitude + 0.5)
    scale = grid.SCALES[np.broadcast_to(scale_index, residual.shape)]
    cost_hi = grid.laplace_bits(hi, 0.0, scale) + weight * (magnitude - hi) ** 2
    cost_lo = grid.laplace_bits(np.maximum(hi - 1, 0), 0.0, scale) + weight * (magnitude - hi + 1) ** 2
    return np.sign(residual) * np.where((hi > 0) & (cost_lo < cost_hi), hi - 1, hi)


@pytest.mark.parametrize("spread", [3.0, 300.0, 30000.0])
def test_rdoq_weighs_the_code_lengths_of_laplace_bits(spread: float) -> None:
    """The code lengths RDOQ looks up are laplace_bits' own, for levels within its table
    and beyond it, one scale index per residual or one for all."""
    rng = np.random.default_rng(int(spread))
    r = rng.laplace(0, spread, 20000)
    index = rng.integers(0, grid.N_SCALES, r.size)
    for step_index in (0, 16, 40):
        for scale_index in (index, np.int64(index[0])):
            got = quantizer.rdo_quantize(r, step_index, scale_index, 10.0)
            assert np.array_equal(got, _rdo_reference(r, step_index, scale_index, 10.0))


def test_band_count_is_the_walks() -> None:
    assert quantizer.band_count(4) == 3 + 9 * 4


def test_encoder_choices_round_by_rdoq_or_with_a_dead_zone() -> None:
    """RDOQ when its weight is positive, else rounding with the dead zone; plain rounding by default."""
    residual = np.array([-2.6, -0.7, 0.0, 0.55, 0.7, 1.4, 3.3])
    scale_index = np.full(residual.shape, 64)
    assert np.array_equal(quantizer.EncoderChoices().quantize(residual, 0, scale_index), np.round(residual))
    assert np.array_equal(quantizer.EncoderChoices(deadzone=0.3).quantize(residual, 0, scale_index),
                          quantizer.quantize(residual, 0, 0.3))
    assert quantizer.EncoderChoices(deadzone=0.3).quantize(residual, 0, scale_index)[3] == 0  # 0.55 falls in the dead zone
    rdoq = quantizer.EncoderChoices(deadzone=0.3, rdo_weight=10.0).quantize(residual, 0, scale_index)
    assert np.array_equal(rdoq, quantizer.rdo_quantize(residual, 0, scale_index, 10.0))
