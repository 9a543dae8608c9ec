"""The training objective's likelihood: a Laplace quantized to integer bins, continuous
parameters (the runtime snaps them to ``entropy.grid`` when coding)."""

from __future__ import annotations

import math

import torch

from ..entropy import grid
from ..spec import LATENT_INPUT_SHIFT


class PriorParams:
    """Per-latent Laplace parameters: mean and log2 scale. ``hidden_sum``: a checkerboard
    head's hidden layer before the context part (the black half's parameters reuse it)."""

    where = None  # every value of its band (``walk.chunk_values``)

    def __init__(self, mean: torch.Tensor, log2_scale: torch.Tensor, hidden_sum: torch.Tensor | None = None):
        self.mean = mean
        self.log2_scale = log2_scale
        self.hidden_sum = hidden_sum

    @staticmethod
    def from_output(out: torch.Tensor, base: torch.Tensor | float) -> "PriorParams":
        """A head's 2 output channels: mean / 64 (relative to ``base``) and log2 scale."""
        mean = base + out[:, :1] * 2.0**LATENT_INPUT_SHIFT
        return PriorParams(mean, out[:, 1:].clamp(grid.LOG2_SCALE_MIN, grid.LOG2_SCALE_MAX))


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
    log_p = log_p.clamp(min=grid.MIN_LOG2_PROBABILITY * math.log(2))
    return -log_p / math.log(2)
