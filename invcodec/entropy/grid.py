"""The fixed grids every entropy-model parameter is snapped to before it reaches the coder.

The coder's probability tables are a function of (mean, scale). If encoder and decoder
disagree on them by a single ulp, ANS decoding desynchronises. So both sides derive the
parameters from exact integer accumulators (``runtime``) with integer arithmetic only:
* mean: a multiple of 1/MEAN_STEPS (``base + k / 16``);
* scale: ``SCALES[i]``, a log-grid built by repeated IEEE multiplication (no libm call,
  so the table is bit-identical everywhere).
The training loss uses the continuous counterparts (``log2 scale`` clamped to the grid's
range), so the snapping costs a negligible fraction of a bit.
"""

from __future__ import annotations

import numpy as np

MEAN_FRAC_BITS = 4  # mean grid 1/16
MEAN_STEPS = 2**MEAN_FRAC_BITS
SCALE_FRAC_BITS = 4  # scale grid: 16 steps per octave
SCALE_STEPS_PER_OCTAVE = 2**SCALE_FRAC_BITS
LOG2_SCALE_MIN = -4  # scale 1/16: "certain" (P(mode) > 0.9996)
LOG2_SCALE_MAX = 10  # scale 1024: wider than any latent range
N_SCALES = (LOG2_SCALE_MAX - LOG2_SCALE_MIN) * SCALE_STEPS_PER_OCTAVE + 1
MIN_LOG2_PROBABILITY = -24  # the coder never gives a symbol less than 2**-24

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


def laplace_bits(x: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """-log2 P(x) for integer x under a Laplace(mean, scale) quantized to bins of 1: the
    model's own code length, reported beside the real stream size and weighed by the lossy
    encoder's RDOQ (never by the coder, whose tables are constriction's).

    Computed from the distance to the mean by symmetry, in the log domain, so it is
    stable far in the tails (where the coder's 2**-24 floor takes over anyway)."""
    d = np.abs(np.asarray(x, dtype=np.float64) - mean)
    with np.errstate(divide="ignore"):
        inner = 1 - 0.5 * np.exp(-np.maximum(0.5 - d, 0) / scale) - 0.5 * np.exp(-(0.5 + d) / scale)
        log_outer = -np.maximum(d - 0.5, 0) / scale + np.log(-np.expm1(-1 / scale)) - np.log(2)
        log_p = np.where(d < 0.5, np.log(np.maximum(inner, 1e-12)), log_outer)
    return -np.maximum(log_p, MIN_LOG2_PROBABILITY * np.log(2)) / np.log(2)
