"""The one contract every invertible block follows."""

from __future__ import annotations

import torch
from torch import nn


class InvertibleBlock(nn.Module):
    """A bijection on integer-valued tensors, with its inverse beside it.

    ``forward(x)`` maps x to y and ``inverse(y)`` maps y back to x exactly; rounding has a
    straight-through gradient. Every block here is volume preserving on the integer
    lattice (log|det J| = 0), so the flow's likelihood is the prior's likelihood of the
    latents alone. (The coding runtime evaluates the same blocks exactly with numpy.)"""

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - interface
        raise NotImplementedError

    def inverse(self, y: torch.Tensor) -> torch.Tensor:  # pragma: no cover - interface
        raise NotImplementedError
