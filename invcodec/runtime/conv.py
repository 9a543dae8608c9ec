"""Exact 2-D convolution of integer-valued arrays with BLAS (numpy matmul).

Images are channels-last, (H, W, C): a k x k convolution is one GEMM of the im2col rows
(H*W, k*k*C) with the weights (k*k*C, O), done in strips of rows so the im2col buffer
stays in the cache. One kernel row of a pixel's window is k*C consecutive floats of the
padded image, so im2col copies runs of k*C, not of C (faster than gathering (k, k, C)
windows: results/implementation-choices.md).

Exactness is not this module's business but its callers': they only pass
integers whose every partial sum is exactly representable in the dtype (below 2**24 in
float32, 2**53 in float64), so any summation order BLAS picks gives the same result.
Its speed: ``invcodec bench conv-speed`` (results/conv-speed.json)."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

STRIP_ELEMENTS = 1 << 19  # im2col buffer per strip: 2 MB in float32


def weight_matrix(weight: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """(O, I, k, k) conv weights -> the (k*k*I, O) matrix that multiplies im2col rows."""
    o, i, kh, kw = weight.shape
    return np.ascontiguousarray(weight.transpose(2, 3, 1, 0).reshape(kh * kw * i, o), dtype=dtype)


def conv2d(x: np.ndarray, matrix: np.ndarray, k: int) -> np.ndarray:
    """'Same' convolution with zero padding: x (H, W, I) and a ``weight_matrix`` -> (H, W, O)."""
    h, w, c = x.shape
    out_channels = matrix.shape[1]
    if k == 1:
        return (x.reshape(h * w, c) @ matrix).reshape(h, w, out_channels)
    pad = k // 2
    padded = np.zeros((h + 2 * pad, w + 2 * pad, c), dtype=matrix.dtype)
    padded[pad : pad + h, pad : pad + w] = x
    out = np.empty((h, w, out_channels), dtype=matrix.dtype)
    row_stride, pixel_stride, channel_stride = padded.strides
    rows = max(1, STRIP_ELEMENTS // max(1, w * k * k * c))
    for top in range(0, h, rows):
        n = min(rows, h - top)
        # (n, w, ky, kx * c): window row ky of pixel (y, x) starts at padded[y + ky, x], k*c floats on
        window = as_strided(padded[top:], shape=(n, w, k, k * c),
                            strides=(row_stride, pixel_stride, row_stride, channel_stride), writeable=False)
        np.matmul(window.reshape(n * w, k * k * c), matrix, out=out[top : top + n].reshape(n * w, out_channels))
    return out
