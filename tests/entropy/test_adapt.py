"""Adaptation: which bands and bins get offsets, how they apply, and that the encoder's
choice finds a miscalibrated prior's errors (scales and means) and pays for itself."""

from __future__ import annotations

import numpy as np

from invcodec.entropy import adapt, ans, grid

OCTAVE = grid.SCALE_STEPS_PER_OCTAVE


def _band(n: int, prior_index: np.ndarray, true_shift: int, seed: int = 0, bias: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Latents drawn with scales ``true_shift`` grid steps wider than the prior says and
    means ``bias`` above its means; and the prior's means."""
    rng = np.random.default_rng(seed)
    mean = rng.integers(-400, 400, n) / grid.MEAN_STEPS
    scale = grid.SCALES[np.clip(prior_index + true_shift, 0, grid.N_SCALES - 1)]
    return np.clip(np.round(rng.laplace(mean + bias, scale)), ans.SYMBOL_MIN, ans.SYMBOL_MAX), mean


def test_small_bands_and_sparse_bins_get_no_offset() -> None:
    assert not adapt.adapted(np.full(adapt.MIN_BAND - 1, 80)) and adapt.adapted(np.full((64, 64, 1), 80))
    index = np.concatenate([np.full(adapt.MIN_BAND, 80), np.full(adapt.MIN_BIN - 1, 120), np.full(adapt.MIN_BIN, 10)])
    coded = adapt.coded_bins(index)
    bins = adapt.bin_of(np.array([80, 120, 10]))
    assert coded.sum() == 2 and coded[bins[0]] and not coded[bins[1]] and coded[bins[2]]


def test_offsets_move_the_mean_and_each_bin_and_stay_on_the_grids() -> None:
    index = np.array([0, 5, 80, 81, grid.N_SCALES - 1])
    correction = np.zeros(1 + adapt.BINS, dtype=np.int64)
    correction[0] = -5
    correction[1 + adapt.bin_of(np.array([0]))] = -3
    correction[1 + adapt.bin_of(np.array([80]))] = 7
    correction[1 + adapt.bin_of(np.array([grid.N_SCALES - 1]))] = 9
    mean, moved = adapt.apply(np.arange(5) / 16, index, correction)
    assert moved.tolist() == [0, 2, 87, 88, grid.N_SCALES - 1]
    assert np.array_equal(mean * 16, np.arange(5) - 5)
    mean, moved = adapt.apply(0.0, index.reshape(5, 1), correction)  # lossy: one mean for all
    assert moved.shape == (5, 1) and float(mean) == -5 / 16


def test_the_encoder_finds_a_miscalibration_per_bin() -> None:
    """Bins whose latents are one octave wider / half an octave narrower than the prior
    says get offsets near +16 / -8 grid steps; a calibrated bin stays near 0."""
    n = 4000
    parts = [(40, OCTAVE), (90, -OCTAVE // 2), (140, 0)]
    index = np.concatenate([np.full(n, i) for i, _ in parts])
    drawn = [_band(n, np.full(n, i), shift, seed=k) for k, (i, shift) in enumerate(parts)]
    symbols, mean = np.concatenate([s for s, _ in drawn]), np.concatenate([m for _, m in drawn])
    coded = adapt.coded_bins(index)
    correction = adapt.choose(symbols, mean, index, coded)
    offsets = correction[1:]
    for i, shift in parts:
        assert abs(offsets[adapt.bin_of(np.array([i]))[0]] - shift) <= 2, (i, shift, offsets)
    assert (offsets[~coded] == 0).all() and abs(correction[0]) <= 1


def test_scale_offsets_of_every_bin_keep_the_mean_and_move_indices_on_the_grid() -> None:
    """For coders that send every bin's offset (the autoregressive one): the same choice
    as ``choose`` without the mean offset, and the index table it gives."""
    n = 4000
    parts = [(40, OCTAVE), (90, -OCTAVE // 2)]
    index = np.concatenate([np.full(n, i) for i, _ in parts])
    drawn = [_band(n, np.full(n, i), shift, seed=k) for k, (i, shift) in enumerate(parts)]
    symbols, mean = np.concatenate([s for s, _ in drawn]), np.concatenate([m for _, m in drawn])
    offsets = adapt.scale_offsets(symbols.reshape(2, -1), mean, index)  # any shape, flattened alike
    assert offsets.shape == (adapt.BINS,)
    for i, shift in parts:
        assert abs(offsets[adapt.bin_of(np.array([i]))[0]] - shift) <= 2
    table = adapt.moved_indices(offsets)
    assert table.shape == (grid.N_SCALES,) and table.min() >= 0 and table.max() <= grid.N_SCALES - 1
    assert np.array_equal(table[index], adapt.apply(mean, index, np.concatenate([[0], offsets]))[1])


def test_the_encoder_finds_a_biased_mean() -> None:
    """Latents 0.4 above the prior's means, with scales it predicts well: a mean offset
    near +6/16 and scale offsets near 0 (a wrong mean would have widened the scales)."""
    index = np.random.default_rng(4).integers(40, 70, 20000)
    symbols, mean = _band(index.size, index, 0, seed=6, bias=0.4)
    correction = adapt.choose(symbols, mean, index, adapt.coded_bins(index))
    assert abs(correction[0] - 6) <= 1, correction
    assert (np.abs(correction[1:]) <= 3).all(), correction


def test_adaptive_streams_round_trip_and_are_smaller_on_a_miscalibrated_prior() -> None:
    rng = np.random.default_rng(5)
    chunks = []
    for n in (1, 300, 5000):  # below and above MIN_BAND
        index = rng.integers(30, 160, n)
        symbols, mean = _band(n, index, OCTAVE, seed=n, bias=-0.3)
        chunks.append((symbols, mean, index))
    sizes = {}
    for adaptive in (False, True):
        enc = ans.LatentEncoder(adaptive)
        for chunk in chunks:
            enc.push(*chunk)
        payload = enc.finish()
        dec = ans.LatentDecoder(payload, adaptive)
        for symbols, mean, index in chunks:
            assert np.array_equal(dec.pull(mean, index), symbols)
        assert dec.exhausted()
        sizes[adaptive] = len(payload)
    assert sizes[True] < 0.95 * sizes[False], sizes


def test_calibrated_prior_costs_almost_nothing() -> None:
    """On latents that follow the prior, the offsets cost at most a few bytes per band."""
    index = np.random.default_rng(2).integers(30, 160, 5000)
    symbols, mean = _band(index.size, index, 0, seed=9)
    sizes = []
    for adaptive in (False, True):
        enc = ans.LatentEncoder(adaptive)
        enc.push(symbols, mean, index)
        sizes.append(len(enc.finish()))
    assert sizes[1] <= sizes[0] + 8, sizes
