"""Self-ensemble: orientations and grid shifts that undo exactly, and an average of the network's runs."""

from __future__ import annotations

import numpy as np
import pytest

from invcodec.restore.ensemble import GRID, ORDER, PASSES, _orient, _unorient, copies, ensembled


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
    assert PASSES == (1, 2, 4, 8, 16, 32)
    f = lambda a, c: a  # noqa: E731
    assert ensembled(f, 1) is f
    with pytest.raises(ValueError, match="passes"):
        ensembled(f, 3)
    with pytest.raises(ValueError, match="JPEG block grid"):
        ensembled(f, 16, shifts=False)
    assert ensembled(f, 8, shifts=False) is not f


def test_beyond_eight_passes_every_orientation_is_shifted_on_the_grid() -> None:
    for passes in PASSES:
        c = copies(passes)
        assert len(c) == len(set(c)) == passes
    assert {d for _, d in copies(16)} == {0, 2} and {d for _, d in copies(32)} == set(range(GRID))
    assert {k for k, _ in copies(32)} == set(range(8))


def test_a_shift_is_mapped_back_and_sizes_stay_on_the_grid() -> None:
    """A function that sees where the grid starts (it adds its input's row index mod GRID)
    and checks that it always gets whole grid cells: over the 4 diagonal shifts of one
    orientation-blind function, each pixel sees every phase once, and the
    position-blind part comes back in place."""
    x = np.random.default_rng(1).random((16, 20, 3), dtype=np.float32)
    sizes = []

    def net(a, c):
        sizes.append(a.shape[:2])
        phase = (np.arange(a.shape[0], dtype=np.float32) % GRID)[:, None, None]
        return a + phase

    out = ensembled(net, 32)(x, np.zeros((16, 20, 1), np.float32))
    assert all(h % GRID == 0 and w % GRID == 0 for h, w in sizes) and len(sizes) == 32
    np.testing.assert_allclose(out, x + np.float32(np.mean(range(GRID))), rtol=1e-6)
