"""The one contract every invertible block follows."""

from __future__ import annotations

import torch
from torch import nn


class InvertibleBlock(nn.Module):
    """A bijection on integer-valued tensors, with its inverse beside it.

    ``forward(x, exact)`` maps x to y and ``inverse(y, exact)`` maps y back to x exactly.
    ``exact=False`` is the differentiable training path (rounding with a straight-through
    gradient); ``exact=True`` is the coding path, bit-identical on every machine.
    Every block here is volume preserving on the integer lattice (log|det J| = 0), so the
    flow's likelihood is the prior's likelihood of the latents alone."""

    def forward(self, x: torch.Tensor, exact: bool = False) -> torch.Tensor:  # pragma: no cover - interface
        raise NotImplementedError

    def inverse(self, y: torch.Tensor, exact: bool = False) -> torch.Tensor:  # pragma: no cover - interface
        raise NotImplementedError
