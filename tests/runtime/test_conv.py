"""The exact convolution (im2col + BLAS) against a plain int64 reference."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from invcodec.runtime import conv

from ..conftest import conv2d_int64

# (dtype, |input| bound, |weight| bound, |bias| bound): every partial sum of a conv with
# fan-in up to 5 * 5 * 8 = 200 stays an exactly representable integer (float32:
# 200 * 255 * 127 + 2**20 < 2**24; float64: 200 * 2**25 * 2**15 + 2**40 < 2**53).
FORMATS = {"float32": (np.float32, 255, 127, 2**20), "float64": (np.float64, 2**25, 2**15, 2**40)}


def _case(fmt: str, h: int, w: int, c_in: int, c_out: int, k: int, seed: int):
    dtype, a_max, w_max, b_max = FORMATS[fmt]
    rng = np.random.default_rng(seed)
    x = rng.integers(-a_max, a_max + 1, (h, w, c_in)).astype(dtype)
    weight = rng.integers(-w_max, w_max + 1, (c_out, c_in, k, k))
    bias = rng.integers(-b_max, b_max + 1, c_out)
    return x, weight, bias


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("k", [1, 3, 5])
@pytest.mark.parametrize("shape", [(1, 1), (7, 5), (13, 9), (2, 17)])
def test_conv2d_equals_the_int64_reference(fmt: str, k: int, shape: tuple[int, int]) -> None:
    x, weight, bias = _case(fmt, *shape, 8, 5, k, seed=k * 100 + shape[0])
    matrix = conv.weight_matrix(weight, FORMATS[fmt][0])
    got = conv.conv2d(x, matrix, k) + bias.astype(matrix.dtype)
    assert got.dtype == FORMATS[fmt][0] and got.shape == shape + (5,)
    assert np.array_equal(got.astype(np.int64), conv2d_int64(x, weight, bias))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("rows_per_strip", [1, 2, 3, 4, 100])
def test_strips_of_rows_give_the_same_result(monkeypatch, fmt: str, rows_per_strip: int) -> None:
    """The im2col buffer is filled a strip of rows at a time; strips that do not divide the
    height (the last one is short) and one-row strips must give the reference too."""
    h, w, c, k = 11, 7, 6, 3
    x, weight, bias = _case(fmt, h, w, c, 4, k, seed=rows_per_strip)
    monkeypatch.setattr(conv, "STRIP_ELEMENTS", rows_per_strip * w * k * k * c)
    got = conv.conv2d(x, conv.weight_matrix(weight, FORMATS[fmt][0]), k)
    assert np.array_equal(got.astype(np.int64), conv2d_int64(x, weight))


def test_strip_size_never_drops_below_one_row(monkeypatch) -> None:
    x, weight, _ = _case("float32", 5, 6, 3, 2, 3, seed=1)
    monkeypatch.setattr(conv, "STRIP_ELEMENTS", 1)  # less than one row of im2col
    assert np.array_equal(conv.conv2d(x, conv.weight_matrix(weight, np.float32), 3).astype(np.int64), conv2d_int64(x, weight))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("threads", [1, 2])
def test_exact_whatever_the_blas_thread_count(fmt: str, threads: int) -> None:
    """A GEMM big enough for BLAS to split it: the sum order changes, the result must not."""
    x, weight, bias = _case(fmt, 48, 40, 8, 32, 3, seed=threads)
    with threadpool_limits(limits=threads):
        got = conv.conv2d(x, conv.weight_matrix(weight, FORMATS[fmt][0]), 3)
    assert np.array_equal(got.astype(np.int64), conv2d_int64(x, weight))


def test_weight_matrix_layout() -> None:
    """Row (dy * k + dx) * I + i, column o holds weight[o, i, dy, dx]: the im2col order."""
    weight = np.arange(2 * 3 * 3 * 3).reshape(2, 3, 3, 3)
    m = conv.weight_matrix(weight, np.float64)
    assert m.shape == (27, 2) and m.flags.c_contiguous
    for o, i, dy, dx in [(0, 0, 0, 0), (1, 2, 1, 0), (0, 1, 2, 2), (1, 0, 0, 2)]:
        assert m[(dy * 3 + dx) * 3 + i, o] == weight[o, i, dy, dx]
