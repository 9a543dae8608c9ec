"""The checkerboard split of a band (invcodec.runtime.checkerboard)."""

from __future__ import annotations

import numpy as np
import pytest

from invcodec.runtime import checkerboard


@pytest.mark.parametrize("shape", [(6, 8, 1), (5, 8, 3), (6, 7, 1), (5, 7, 2), (1, 1, 2), (1, 2, 1), (4, 6), (0, 4, 1)])
def test_halves_are_the_masks_and_put_back_give_the_band(shape: tuple[int, ...]) -> None:
    """A half is what the mask takes, in raster order, a copy (odd widths too); putting
    both halves back gives the band."""
    t = np.random.default_rng(sum(shape)).integers(-99, 99, shape).astype(np.float64)
    white = checkerboard.white_positions(*shape[:2])
    halves = [checkerboard.take_half(t, 0), checkerboard.take_half(t, 1)]
    assert np.array_equal(halves[0], t[white]) and np.array_equal(halves[1], t[~white])
    assert not any(np.shares_memory(h, t) for h in halves)
    out = np.zeros_like(t)
    checkerboard.put_half(out, halves[0], 0)
    assert np.array_equal(out, np.where(white.reshape(shape[:2] + (1,) * (len(shape) - 2)), t, 0.0))
    checkerboard.put_half(out, halves[1], 1)
    assert np.array_equal(out, t)


def test_white_positions_are_row_plus_column_even_and_read_only() -> None:
    white = checkerboard.white_positions(3, 4)
    assert white.tolist() == [[True, False, True, False], [False, True, False, True], [True, False, True, False]]
    with pytest.raises(ValueError):
        white[0, 0] = False
