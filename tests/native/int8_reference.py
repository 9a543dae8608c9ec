"""The int8 format's layers as numpy evaluated them before the native kernel: float32 GEMM
on exact integers (runtime.conv), weights rescaled by powers of two onto the next grid,
floor, clip. The tests' reference for ``invcodec.native.Int8Conv``; ``ReferenceConv`` is a
drop-in for ``runtime.int8.Conv`` so whole nets can be built on it."""

from __future__ import annotations

import numpy as np

from invcodec.runtime import int8
from invcodec.runtime.conv import conv2d, weight_matrix
from invcodec.runtime.nets import NetOutput


def reference_sums(conv: int8.Conv, x: np.ndarray) -> np.ndarray:
    """bias + convolution, float32 (every partial sum an integer below 2**24)."""
    acc = conv2d(x.astype(np.float32), weight_matrix(conv.weights, np.float32), conv.k)
    acc += conv.bias.astype(np.float32)
    return acc


def reference_activation(conv: int8.Conv, x: np.ndarray, exp, lo: int = 0, hi: int = int8.ACT_LIMIT,
                         residual: np.ndarray | None = None, sum_limit: int = int8.ACT_LIMIT) -> np.ndarray:
    """The conv with weights and bias times 2**(grid - exp) (exact: powers of two), floored,
    clipped; then residual + that, clipped (the numpy runtime's ``rescaled`` + ``activation``)."""
    scale = np.exp2(conv.grid - exp).astype(np.float32)
    acc = conv2d(x.astype(np.float32), weight_matrix(conv.weights, np.float32) * scale, conv.k)
    acc += conv.bias.astype(np.float32) * scale
    a = np.clip(np.floor(acc), lo, hi)
    if residual is not None:
        a = np.clip(residual.astype(np.float32) + a, -sum_limit, sum_limit)
    return a


class ReferenceConv(int8.Conv):
    """``int8.Conv`` evaluated by the reference (same weights, same checks)."""

    def __call__(self, x: np.ndarray) -> NetOutput:
        return NetOutput(reference_sums(self, x), self.grid)

    def activation(self, x, exp, lo=0, hi=int8.ACT_LIMIT, residual=None, sum_limit=int8.ACT_LIMIT, residual_offset=0):
        if residual is not None:
            residual = residual[..., residual_offset : residual_offset + self.out_channels]
        return reference_activation(self, x, exp, lo, hi, residual, sum_limit).astype(np.int16)
