"""Self-ensemble: orientations that undo exactly, and an average of the network's runs."""

from __future__ import annotations

import numpy as np
import pytest

from invcodec.restore.ensemble import ORDER, PASSES, _orient, _unorient, ensembled


def test_each_orientation_is_undone_exactly_and_all_eight_differ() -> None:
    a = np.arange(4 * 6 * 2, dtype=np.float32).reshape(4, 6, 2)
    seen = set()
    for k in range(8):
        o = _orient(a, k)
        assert o.flags.c_contiguous
        np.testing.assert_array_equal(_unorient(o, k), a)
        seen.add(o.tobytes() + bytes(o.shape))
    assert len(seen) == 8 and sorted(ORDER) == list(range(8))


def test_an_orientation_blind_function_is_unchanged() -> None:
    x = np.random.default_rng(0).random((8, 12, 3), dtype=np.float32)
    cond = np.full((8, 12, 1), 0.5, np.float32)
    square = ensembled(lambda a, c: a * a + c, 8)(x, cond)
    np.testing.assert_allclose(square, x * x + 0.5, rtol=1e-6)


def test_the_mean_of_the_runs_mapped_back() -> None:
    """A function that sees position (it adds its input's own column ramp) averages,
    over flips, to the mean of the ramps: the ensemble maps each result back."""
    x = np.zeros((4, 4, 1), np.float32)
    ramp = np.arange(4, dtype=np.float32)[None, :, None]
    out = ensembled(lambda a, c: a + ramp, 2)(x, x)  # identity and orientation 7 (transpose, both flips)
    expected = (ramp + _unorient(np.broadcast_to(ramp, (4, 4, 1)), 7)) / 2
    np.testing.assert_allclose(out, expected)
    assert not np.allclose(out, ramp)


def test_passes_are_checked() -> None:
    assert PASSES == (1, 2, 4, 8)
    f = lambda a, c: a  # noqa: E731
    assert ensembled(f, 1) is f
    with pytest.raises(ValueError, match="passes"):
        ensembled(f, 3)
