from __future__ import annotations

import numpy as np
import pytest

from invcodec.restore.hole_fill import COARSEST, harmonic, prefilled, push_pull


def _direct_solution(image: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """The discrete Laplace equation on the missing pixels, solved densely: the reference."""
    h, w = missing.shape
    rows = {p: i for i, p in enumerate(zip(*np.nonzero(missing)))}
    a = np.zeros((len(rows), len(rows)))
    b = np.zeros((len(rows), image.shape[2]))
    for (y, x), i in rows.items():
        for ny, nx in ((y, x + 1), (y, x - 1), (y + 1, x), (y - 1, x)):
            if 0 <= ny < h and 0 <= nx < w:
                a[i, i] += 1
                if missing[ny, nx]:
                    a[i, rows[ny, nx]] -= 1
                else:
                    b[i] += image[ny, nx]
    out = image.astype(np.float64)
    out[missing] = np.linalg.solve(a, b)
    return out


def test_known_pixels_are_untouched_and_a_flat_image_is_filled_flat() -> None:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (37, 50, 3)).astype(np.uint8)
    missing = rng.random((37, 50)) < 0.3
    out = prefilled(image, missing)
    np.testing.assert_array_equal(out[~missing], image[~missing])
    flat = np.full((37, 50, 3), 77, np.uint8)
    np.testing.assert_array_equal(prefilled(flat, missing), flat)


def test_a_ramp_is_filled_with_the_ramp() -> None:
    """A linear ramp is harmonic, so the fill must continue it (push-pull only comes close)."""
    ramp = np.tile(np.linspace(0, 200, 64, dtype=np.float32)[None, :, None], (64, 1, 3))
    missing = np.zeros((64, 64), bool)
    missing[20:40, 20:40] = True
    assert np.abs(harmonic(ramp, missing) - ramp).max() < 0.05
    assert np.abs(push_pull(ramp, missing) - ramp)[missing].mean() > 1


@pytest.mark.parametrize("side", [24, 2 * COARSEST + 6])  # one level, and the cascade from half resolution
def test_the_fill_solves_laplaces_equation(side: int) -> None:
    rng = np.random.default_rng(side)
    image = rng.integers(0, 256, (side, side + 5, 3)).astype(np.float32)
    missing = np.zeros((side, side + 5), bool)
    missing[3 : side // 2, 2 : side // 2] = True  # a box, a stroke, the image's edge and scattered pixels
    missing[side // 2 :, side // 2] = True
    missing[-4:, -6:] = True
    missing |= rng.random(missing.shape) < 0.05
    exact = _direct_solution(image, missing)
    np.testing.assert_allclose(harmonic(image, missing), exact, atol=0.25)  # CG's tolerance: < 1/4 grey level
    assert np.abs(push_pull(image, missing) - exact).max() > 5  # the first guess alone would fail


def test_nothing_known_and_nothing_missing() -> None:
    image = np.full((4, 4, 3), 0.2, np.float32)
    np.testing.assert_array_equal(push_pull(image, np.ones((4, 4), bool)), np.full((4, 4, 3), 0.5, np.float32))
    np.testing.assert_array_equal(push_pull(image, np.zeros((4, 4), bool)), image)
    np.testing.assert_array_equal(harmonic(image, np.ones((4, 4), bool)), np.full((4, 4, 3), 0.5))
    np.testing.assert_array_equal(harmonic(image, np.zeros((4, 4), bool)), image)


def test_the_cascade_works_on_the_holes_pixels_only() -> None:
    """The coarse solution is doubled at the hole's pixels alone (no full-size copies for
    big images): the same numbers as doubling the whole image; and the uint8 fill equals
    the float fill rounded, on odd sizes that exercise the halving's edges."""
    from invcodec.restore.hole_fill import _doubled, _doubled_at, _halved

    rng = np.random.default_rng(5)
    coarse = rng.random((9, 14, 3))
    h, w = 17, 27
    ys, xs = np.nonzero(rng.random((h, w)) < 0.4)
    np.testing.assert_array_equal(_doubled_at(coarse, ys, xs), _doubled(coarse, h, w)[ys, xs])
    image = rng.integers(0, 256, (2 * COARSEST + 3, 2 * COARSEST + 5, 3)).astype(np.uint8)
    missing = rng.random(image.shape[:2]) < 0.2
    values, unknown = _halved(image, missing)
    assert values.shape == (COARSEST + 2, COARSEST + 3, 3) and unknown.shape == values.shape[:2]
    y, x = COARSEST + 1, COARSEST + 2  # the odd last row and column: a 1x1 block
    assert unknown[y, x] == missing[2 * y, 2 * x] and (unknown[y, x] or values[y, x, 0] == image[2 * y, 2 * x, 0])
    expected = np.clip(np.rint(harmonic(image.astype(np.float32), missing)), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(prefilled(image, missing), expected)
