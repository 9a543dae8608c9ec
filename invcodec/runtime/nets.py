"""What the exact nets give back, and how their outputs are rounded, in any numeric format.

A net's output is an integer accumulator ``acc`` (H, W, O) with a binary exponent per
output channel (``grid``): the real value is ``acc * 2**grid``. Rounding it onto a coarser
grid 2**-frac_bits is done in float64, where acc < 2**53 and the power-of-two scaling are
exact."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass
class NetOutput:
    acc: np.ndarray  # (H, W, O) integer-valued
    grid: np.ndarray  # (O,) integer exponents

    def rounded(self, frac_bits: int, channels: slice = slice(None)) -> np.ndarray:
        """floor(value * 2**frac_bits + 1/2), the grid units of 2**-frac_bits (float64)."""
        scale = np.exp2(self.grid[channels] + frac_bits)  # exact: integer exponents
        return np.floor(self.acc[..., channels].astype(np.float64) * scale + 0.5)


def check_exponents(grid: np.ndarray, name: str) -> None:
    """Exponents far outside this range would make the float64 rounding inexact."""
    if grid.size and (grid.min() < -48 or grid.max() > 8):
        raise ValueError(f"{name}: accumulator exponent outside the exact range")


@dataclass
class LevelPrior:
    """A level's prior as the flow asks for it: ``features(anchors[, global step])`` once per
    level, then ``head(features, g, latents)`` per detail channel (-> NetOutput)."""

    features: Callable
    head: Callable
