"""Adaptation: the encoder corrects the prior's means and scales per band of each tile.

A prior trained on one set of photos is miscalibrated on another image (over-confident
in most bands, its finest means off with a sign per colour: results/implementation-choices.md).
The encoder measures that on the band it is about to code and sends a
correction: one mean offset for the band (in 1/16, the mean grid), and, with the band's
latents split into half-octave bins by their snapped scale index, an offset (in
1/16-octave grid steps) for every bin with enough latents. The decoder knows the scale
indices before it decodes the band, so it knows which offsets follow; they travel in
the ANS stream just before the band's latents, under a fixed Laplace of their own.
Integer arithmetic only: a desync is impossible. The choice itself (``choose``) is the
encoder's business, estimated from the quantized Laplace's code length; any choice
decodes.
"""

from __future__ import annotations

import numpy as np

from . import grid

# Bins: half octaves of the prior's scale, edges at 2**-1, 2**-0.5, ..., 2**4 (as scale
# indices): a little finer than octaves pays, finer still costs more offsets than it saves.
BIN_EDGES = (np.arange(-2, 9) * grid.SCALE_STEPS_PER_OCTAVE // 2) - grid.LOG2_SCALE_MIN * grid.SCALE_STEPS_PER_OCTAVE
BINS = len(BIN_EDGES) + 1
# Smaller bands are coded as the prior says: their correction costs about what it saves.
MIN_BAND = 4096
MIN_BIN = 16  # so are bins with fewer latents
OFFSET_LIMIT = 32  # the encoder's scale offsets stay within +-2 octaves
MEAN_LIMIT = 16  # and its mean offsets within +-1
OFFSET_SCALE_INDEX = 6 * grid.SCALE_STEPS_PER_OCTAVE  # every offset's own Laplace: mean 0, scale 4


def adapted(scale_index: np.ndarray) -> bool:
    """Whether the band carries a correction (smaller bands are coded as the prior says)."""
    return np.size(scale_index) >= MIN_BAND


def coded_bins(scale_index: np.ndarray) -> np.ndarray:
    """Which bins of an adapted band carry a scale offset (a function of the scale indices only)."""
    per_index = np.bincount(np.asarray(scale_index).reshape(-1), minlength=grid.N_SCALES)
    return np.bincount(_BIN_OF_INDEX, weights=per_index, minlength=BINS) >= MIN_BIN


def apply(mean: np.ndarray | float, scale_index: np.ndarray, correction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The band's means and scale indices corrected (``correction``: the mean offset in
    1/16, then one scale offset per bin), means on their grid, indices on the scale grid."""
    correction = np.asarray(correction, dtype=np.int64)
    if correction[0]:
        mean = np.asarray(mean, dtype=np.float64) + correction[0] / grid.MEAN_STEPS
    return mean, moved_indices(correction[1:])[scale_index]


def moved_indices(scale_offsets: np.ndarray) -> np.ndarray:
    """(N_SCALES,): where each scale index goes under one offset per bin."""
    return np.clip(np.arange(grid.N_SCALES) + np.asarray(scale_offsets, dtype=np.int64)[_BIN_OF_INDEX], 0,
                   grid.N_SCALES - 1)


def scale_offsets(symbols: np.ndarray, mean: np.ndarray, scale_index: np.ndarray) -> np.ndarray:
    """The best scale offset of every bin (BINS,) for the symbols under their means: for a
    coder that sends them all (one whose decoder cannot count the bins' latents first)."""
    return _scale_offsets(_residual16(symbols, mean), np.asarray(scale_index, dtype=np.int64).reshape(-1),
                          np.ones(BINS, dtype=bool))


def choose(symbols: np.ndarray, mean: np.ndarray | float, scale_index: np.ndarray, coded: np.ndarray) -> np.ndarray:
    """The correction (mean offset, then a scale offset per bin, 0 where not ``coded``) that
    minimises the band's estimated code length, its own cost included. The mean offset is
    the one a Laplace fit gives (the scale-weighted median of the residuals); the scale
    offsets are then chosen for it."""
    index = np.asarray(scale_index, dtype=np.int64).reshape(-1)
    residual = _residual16(symbols, mean)
    shift = _median_shift(residual, index)
    return np.concatenate([[shift], _scale_offsets(residual - shift if shift else residual, index, coded)])


def _residual16(symbols: np.ndarray, mean: np.ndarray | float) -> np.ndarray:
    """(N,) residuals in 1/16, flattened: means are multiples of 1/16, so mean * 16 is an
    exact integer (one mean for all, or one per symbol)."""
    mean16 = (np.asarray(mean, dtype=np.float64) * grid.MEAN_STEPS).astype(np.int64).reshape(-1)
    return np.asarray(symbols).astype(np.int64).reshape(-1) * grid.MEAN_STEPS - mean16


def _median_shift(residual: np.ndarray, index: np.ndarray) -> int:
    """argmin over shifts s in +-MEAN_LIMIT of sum |residual - s| / scale (the Laplace fit's
    mean, in 1/16). Residuals beyond +-(MEAN_LIMIT + 1) are clipped: that moves the sum by
    a constant only, so the minimiser stays."""
    span = MEAN_LIMIT + 1
    width = 2 * span + 1
    per_index = np.bincount(index * width + np.clip(residual, -span, span) + span, minlength=grid.N_SCALES * width)
    hist = _INVERSE_SCALES @ per_index.reshape(grid.N_SCALES, width)  # (integer bincounts are faster than weighted ones)
    shifts = np.arange(-MEAN_LIMIT, MEAN_LIMIT + 1)
    cost = (hist[None, :] * np.abs(np.arange(-span, span + 1)[None, :] - shifts[:, None])).sum(axis=1)
    return int(shifts[np.argmin(cost)])


def _scale_offsets(residual: np.ndarray, index: np.ndarray, coded: np.ndarray) -> np.ndarray:
    """The best scale offset per coded bin for latents at ``residual`` / 16 from their means."""
    offsets = np.zeros(BINS, dtype=np.int64)
    d16 = np.abs(residual)
    inner = np.minimum(d16, _HALF)  # 0..7: the centre bin at that distance; 8: an outer bin
    counts = np.bincount(index * (_HALF + 1) + inner, minlength=grid.N_SCALES * (_HALF + 1)).reshape(grid.N_SCALES, -1)
    outer_sum = np.bincount(index, weights=np.maximum(d16 - _HALF, 0), minlength=grid.N_SCALES) / grid.MEAN_STEPS
    present = np.flatnonzero(counts.any(axis=1))
    shifted = np.clip(present[None, :] + _CANDIDATES[:, None], 0, grid.N_SCALES - 1)  # (candidates, indices)
    bits = (np.einsum("id,cid->ci", counts[present, :_HALF].astype(np.float64), _INNER_BITS[shifted])
            + counts[present, _HALF][None] * _OUTER_BITS[shifted] + outer_sum[present][None] * _SLOPE_BITS[shifted])
    bins = _BIN_OF_INDEX[present]
    for b in np.flatnonzero(coded):
        offsets[b] = _CANDIDATES[int(np.argmin(bits[:, bins == b].sum(axis=1) + _OFFSET_BITS))]
    return offsets


def bin_of(scale_index: np.ndarray) -> np.ndarray:
    """The bin of each scale index."""
    return _BIN_OF_INDEX[scale_index]


def _code_length_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per scale index: bits of a latent at distance d16/16 < 1/2 from the mean (d16 = 0..7),
    and the outer bins' code length as a constant plus a slope per unit of (distance - 1/2)."""
    b = grid.SCALES[:, None]
    d = np.arange(_HALF)[None, :] / grid.MEAN_STEPS
    inner = -np.log2(np.maximum(1 - 0.5 * np.exp(-(0.5 - d) / b) - 0.5 * np.exp(-(0.5 + d) / b), 2.0**grid.MIN_LOG2_PROBABILITY))
    outer = -np.log2(-np.expm1(-1 / grid.SCALES) / 2)
    return np.minimum(inner, -grid.MIN_LOG2_PROBABILITY), outer, np.log2(np.e) / grid.SCALES


_HALF = grid.MEAN_STEPS // 2  # distance 1/2 in 1/16 units
_BIN_OF_INDEX = np.searchsorted(BIN_EDGES, np.arange(grid.N_SCALES), side="right")
_INVERSE_SCALES = 1 / grid.SCALES
_CANDIDATES = np.arange(-OFFSET_LIMIT, OFFSET_LIMIT + 1)
_INNER_BITS, _OUTER_BITS, _SLOPE_BITS = _code_length_tables()
_OFFSET_BITS = grid.laplace_bits(_CANDIDATES, 0.0, grid.SCALES[OFFSET_SCALE_INDEX])
