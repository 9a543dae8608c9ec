"""The fixed grids every entropy-model parameter is snapped to before it reaches the coder.

The coder's probability tables are a function of (mean, scale). If encoder and decoder
disagree on them by a single ulp, ANS decoding desynchronises. So both sides derive the
parameters from exact fixed-point accumulators with integer arithmetic only:
* mean: a multiple of 1/MEAN_STEPS (``base + k / 16``);
* scale: ``SCALES[i]``, a log-grid built by repeated IEEE multiplication (no libm call,
  so the table is bit-identical everywhere).
The training loss uses the continuous counterparts (``log2 scale`` clamped to the grid's
range), so the snapping costs a negligible fraction of a bit.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .. import fixedpoint as fp

MEAN_FRAC_BITS = 4  # mean grid 1/16
SCALE_FRAC_BITS = 4  # scale grid: 16 steps per octave
SCALE_STEPS_PER_OCTAVE = 2**SCALE_FRAC_BITS
LOG2_SCALE_MIN = -4  # scale 1/16: "certain" (P(mode) > 0.9996)
LOG2_SCALE_MAX = 10  # scale 1024: wider than any latent range
N_SCALES = (LOG2_SCALE_MAX - LOG2_SCALE_MIN) * SCALE_STEPS_PER_OCTAVE + 1

# 2**(1/16) as a literal: the table below is built without any transcendental function.
_STEP_RATIO = 1.0442737824274138


def _scale_table() -> np.ndarray:
    table = np.empty(N_SCALES, dtype=np.float64)
    value = 2.0**LOG2_SCALE_MIN
    for i in range(N_SCALES):
        table[i] = value
        value = value * _STEP_RATIO
    return table


SCALES = _scale_table()


def mean_from_acc(acc: torch.Tensor, base: torch.Tensor | float = 0.0) -> torch.Tensor:
    """Exact mean on the 1/16 grid from a prior head's accumulator (net output x 64)."""
    steps = fp.round_acc(acc, MEAN_FRAC_BITS + fp.LATENT_INPUT_SHIFT)
    return base + steps * 2.0**-MEAN_FRAC_BITS


def scale_index_from_acc(acc: torch.Tensor) -> torch.Tensor:
    """Index into SCALES from a prior head's accumulator (net output = log2 scale)."""
    idx = fp.round_acc(acc, SCALE_FRAC_BITS) - LOG2_SCALE_MIN * SCALE_STEPS_PER_OCTAVE
    return idx.clamp_(0, N_SCALES - 1)


def mean_from_output(out: torch.Tensor, base: torch.Tensor | float = 0.0) -> torch.Tensor:
    """Training counterpart of ``mean_from_acc`` (continuous)."""
    return base + out * 2.0**fp.LATENT_INPUT_SHIFT


def log2_scale_from_output(out: torch.Tensor) -> torch.Tensor:
    """Training counterpart of ``scale_index_from_acc`` (continuous, same range)."""
    return out.clamp(LOG2_SCALE_MIN, LOG2_SCALE_MAX)


def laplace_bits(x: torch.Tensor, mean: torch.Tensor, log2_scale: torch.Tensor) -> torch.Tensor:
    """-log2 P(x) for integer x under a Laplace(mean, 2**log2_scale) quantized to bins of 1.

    Computed from the distance to the mean by symmetry, in the log domain, so it is
    stable far in the tails (where the coder's 2**-24 floor takes over anyway)."""
    scale = torch.exp2(log2_scale)
    d = (x - mean).abs()
    # Centre bin (d < 1/2): 1 - e^{-(1/2-d)/b}/2 - e^{-(1/2+d)/b}/2.
    inner = 1 - 0.5 * torch.exp(-(0.5 - d).clamp(min=0) / scale) - 0.5 * torch.exp(-(0.5 + d) / scale)
    # Outer bins (d >= 1/2): e^{-(d-1/2)/b} (1 - e^{-1/b}) / 2.
    log_outer = -(d - 0.5).clamp(min=0) / scale + torch.log(-torch.expm1(-1 / scale)) - math.log(2)
    log_p = torch.where(d < 0.5, torch.log(inner.clamp(min=1e-12)), log_outer)
    log_p = log_p.clamp(min=-24 * math.log(2))  # the coder never goes below 2**-24
    return -log_p / math.log(2)
