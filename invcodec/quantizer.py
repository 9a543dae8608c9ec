"""Lossy mode's quantizer: the latents, as residuals about the prior's mean, on per-band steps.

A *band* is one chunk of the decoding order (``walk``): a colour of the coarsest anchors,
or one of a level's 9 detail channels. Band b has the step ``2**(index_b / 16)`` with an
integer ``index_b >= 0`` (step 1 = lossless for that band, since latents are integers).
Steps sit on the same 1/16-octave grid as the prior's scales, so the scale of a quantized
residual, ``scale / step``, is an exact index shift: no arithmetic that could differ
between machines.

The file stores the step indices (like a JPEG quantization table), so the decoder needs no
flags; the encoder derives them from the quality and the model's per-band offsets:
``index_b = max(0, global(quality) + offset_b)``, plus the tuning's shift for the band's
level (``TUNINGS``: encoder only, since the file holds the steps it chose)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from .entropy import grid
from .walk import COLOURS, DETAILS, band_count

STEPS_PER_OCTAVE = grid.SCALE_STEPS_PER_OCTAVE  # 16
MAX_LOG2_STEP = 8.5  # quality 1
RECON_OFFSET_DENOM = 256  # the dequantization offset is stored in 1/256 steps

# step[i] = 2**(i/16), read from the prior's scale table (SCALES[k] = 2**(k/16 - 4)), which
# is built without libm; the largest step is the table's largest scale, 1024.
_STEP_BASE = -grid.LOG2_SCALE_MIN * STEPS_PER_OCTAVE
MAX_STEP_INDEX = grid.N_SCALES - 1 - _STEP_BASE


def step_value(index: int) -> float:
    return float(grid.SCALES[_STEP_BASE + index])


def global_step_index(quality: int) -> int:
    """Quality 100 -> step 1 (index 0), quality 1 -> step 2**8.5, log-linear in between.
    ``quality`` is one checked already (``options.check_quality``, or the file's header)."""
    return (round(MAX_LOG2_STEP * STEPS_PER_OCTAVE) * (100 - quality) + 49) // 99


# What the encoder's steps are tuned for: step-index shifts (1/16 octaves) per level,
# finest level first, added to the model's band offsets (which training fitted to bits +
# MSE). MS-SSIM weighs the finest details far less than MSE does, so its steps are coarser
# there (tuned by benchmarks/lossy_tuning.py --level-shifts; record: results/encoder-choices.md).
TUNINGS: dict[str, tuple[int, ...]] = {"psnr": (), "ms-ssim": (32, 8)}


def band_levels(levels: int) -> list[int]:
    """Each band's level in decoding order (0 finest; the coarsest anchors count as ``levels``)."""
    return [levels] * COLOURS + [level for level in reversed(range(levels)) for _ in range(DETAILS)]


def step_indices(quality: int, offsets: list[int], level_shifts: tuple[int, ...] = ()) -> list[int]:
    """Each band's step index at ``quality``: ``level_shifts[l]`` is added to the bands of
    level l (finest first; levels beyond the tuple get none)."""
    g = global_step_index(quality)
    levels = (len(offsets) - COLOURS) // DETAILS
    if len(offsets) != band_count(levels):
        raise ValueError(f"{len(offsets)} band offsets is no whole number of levels")
    shifts = [level_shifts[l] if l < len(level_shifts) else 0 for l in band_levels(levels)]
    return [min(MAX_STEP_INDEX, max(0, g + o + s)) for o, s in zip(offsets, shifts)]


def residual_scale_index(scale_index: np.ndarray, step_index: int) -> np.ndarray:
    """Scale index of (latent - mean) / step, given the latent's scale index."""
    return np.clip(scale_index - step_index, 0, grid.N_SCALES - 1)


def quantize(residual: np.ndarray, step_index: int, deadzone: float = 0.0) -> np.ndarray:
    """Residual -> integer symbol. ``deadzone`` (in steps) widens the zero bin, the usual
    encoder-only rate-distortion trade (the decoder does not need to know it)."""
    step = step_value(step_index)
    return np.sign(residual) * np.maximum(np.floor(np.abs(residual) / step + (0.5 - deadzone)), 0)


def rdo_quantize(residual: np.ndarray, step_index: int, scale_index: np.ndarray, weight: float) -> np.ndarray:
    """Residual -> integer symbol by rate-distortion optimised quantization (RDOQ): of the
    nearest level and the next one towards zero, the one with the smaller
    ``bits + weight * (error in steps)**2``, the bits being the symbol's code length under
    the Laplace it is coded with (``scale_index``: the residual's, ``residual_scale_index``).
    Encoder only, like the dead zone it replaces, but it zeroes more where the prior is
    sharp (a 1 costs many bits there) and less where it is flat. High-rate theory puts
    ``weight`` at 6 / ln 2 = 8.7 bits per squared step (benchmarks/lossy_tuning.py tunes it)."""
    step = step_value(step_index)
    magnitude = np.abs(residual) / step
    nearest = np.floor(magnitude + 0.5)
    symbols = np.sign(residual) * nearest
    choice = nearest > 0  # only a nonzero level has a level towards zero to compare with
    if choice.any():
        m, hi = magnitude[choice], nearest[choice]
        index = np.broadcast_to(scale_index, residual.shape)[choice]
        cost_hi = _level_bits(hi, index) + weight * (m - hi) ** 2
        cost_lo = _level_bits(hi - 1, index) + weight * (m - hi + 1) ** 2
        symbols[choice] = np.sign(residual[choice]) * np.where(cost_lo < cost_hi, hi - 1, hi)
    return symbols


HIGH_RATE_WEIGHT = 6 / math.log(2)  # bits per squared step where rounding is the optimal choice


def distortion_weight(global_step: int, bits_per_squared_step: float) -> float:
    """Lambda of bits + lambda * (squared pixel error), for an encoder that trades
    ``bits_per_squared_step`` (RDOQ's weight) at the quality's global step index: the flow
    keeps the pixels' scale, so an error of one global step costs about one step there."""
    return bits_per_squared_step / step_value(global_step) ** 2


_TABLE_LEVELS = 256


@cache
def _level_bits_table() -> np.ndarray:
    """(N_SCALES, _TABLE_LEVELS): ``laplace_bits(level, 0, SCALES[index])``, computed once by
    that function (numpy's elementwise results do not depend on the array they are in)."""
    levels = np.tile(np.arange(_TABLE_LEVELS, dtype=np.float64), grid.N_SCALES)
    return grid.laplace_bits(levels, 0.0, np.repeat(grid.SCALES, _TABLE_LEVELS)).reshape(grid.N_SCALES, _TABLE_LEVELS)


def _level_bits(level: np.ndarray, scale_index: np.ndarray) -> np.ndarray:
    """The code length of integer levels >= 0 about a mean of 0: looked up (RDOQ asks for
    it per chunk, an autoregressive top band's steps being many small ones)."""
    if level.max() < _TABLE_LEVELS:
        return _level_bits_table()[scale_index, level.astype(np.int64)]
    return grid.laplace_bits(level, 0.0, grid.SCALES[scale_index])


@dataclass(frozen=True)
class EncoderChoices:
    """How the lossy encoder rounds, which the file does not record (any decoder reads
    the result): RDOQ when ``rdo_weight`` > 0, else rounding with the zero bin widened by
    ``deadzone`` steps. The defaults are plain rounding."""

    deadzone: float = 0.0
    rdo_weight: float = 0.0

    def quantize(self, residual: np.ndarray, step_index: int, scale_index: np.ndarray) -> np.ndarray:
        """Residual -> integer symbol, ``scale_index`` being the one it is coded with."""
        if self.rdo_weight > 0:
            return rdo_quantize(residual, step_index, scale_index, self.rdo_weight)
        return quantize(residual, step_index, self.deadzone)


def dequantize(mean: np.ndarray, symbols: np.ndarray, step_index: int, recon_offset: int) -> np.ndarray:
    """Symbols -> integer latents: ``round(mean + (q - sign(q) * offset) * step)``.

    Only IEEE multiply/add/floor on exactly representable values: identical everywhere.
    The offset pulls reconstructions towards the mean, where a Laplace bin's mass sits."""
    step = step_value(step_index)
    pulled = symbols - np.sign(symbols) * (recon_offset / RECON_OFFSET_DENOM)
    return np.floor(mean + pulled * step + 0.5)
