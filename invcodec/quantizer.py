"""Lossy mode's quantizer: the latents, as residuals about the prior's mean, on per-band steps.

A *band* is one chunk of the decoding order (``walk``): a colour of the coarsest anchors,
or one of a level's 9 detail channels. Band b has the step ``2**(index_b / 16)`` with an
integer ``index_b >= 0`` (step 1 = lossless for that band, since latents are integers).
Steps sit on the same 1/16-octave grid as the prior's scales, so the scale of a quantized
residual, ``scale / step``, is an exact index shift: no arithmetic that could differ
between machines.

The file stores the step indices (like a JPEG quantization table), so the decoder needs no
flags; the encoder derives them from the quality and the model's per-band offsets:
``index_b = max(0, global(quality) + offset_b)``."""

from __future__ import annotations

import numpy as np

from .entropy import grid
from .walk import band_count  # noqa: F401  (re-exported: the quantizer has a step per band)

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
    """Quality 100 -> step 1 (index 0), quality 1 -> step 2**8.5, log-linear in between."""
    if not 1 <= quality <= 100:
        raise ValueError(f"quality must be in 1..100, got {quality}")
    return (round(MAX_LOG2_STEP * STEPS_PER_OCTAVE) * (100 - quality) + 49) // 99


def step_indices(quality: int, offsets: list[int]) -> list[int]:
    g = global_step_index(quality)
    return [min(MAX_STEP_INDEX, max(0, g + o)) for o in offsets]


def residual_scale_index(scale_index: np.ndarray, step_index: int) -> np.ndarray:
    """Scale index of (latent - mean) / step, given the latent's scale index."""
    return np.clip(scale_index - step_index, 0, grid.N_SCALES - 1)


def quantize(residual: np.ndarray, step_index: int, deadzone: float = 0.0) -> np.ndarray:
    """Residual -> integer symbol. ``deadzone`` (in steps) widens the zero bin, the usual
    encoder-only rate-distortion trade (the decoder does not need to know it)."""
    step = step_value(step_index)
    return np.sign(residual) * np.maximum(np.floor(np.abs(residual) / step + (0.5 - deadzone)), 0)


def dequantize(mean: np.ndarray, symbols: np.ndarray, step_index: int, recon_offset: int) -> np.ndarray:
    """Symbols -> integer latents: ``round(mean + (q - sign(q) * offset) * step)``.

    Only IEEE multiply/add/floor on exactly representable values: identical everywhere.
    The offset pulls reconstructions towards the mean, where a Laplace bin's mass sits."""
    step = step_value(step_index)
    pulled = symbols - np.sign(symbols) * (recon_offset / RECON_OFFSET_DENOM)
    return np.floor(mean + pulled * step + 0.5)
