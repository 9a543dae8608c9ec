from __future__ import annotations

import numpy as np

from invcodec.restore.hole_fill import prefilled, push_pull


def test_known_pixels_are_untouched_and_a_flat_image_is_filled_flat() -> None:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (37, 50, 3)).astype(np.uint8)
    missing = rng.random((37, 50)) < 0.3
    out = prefilled(image, missing)
    np.testing.assert_array_equal(out[~missing], image[~missing])
    flat = np.full((37, 50, 3), 77, np.uint8)
    np.testing.assert_array_equal(prefilled(flat, missing), flat)


def test_a_ramp_is_filled_close_to_the_ramp() -> None:
    ramp = np.tile(np.linspace(0, 200, 64, dtype=np.float32)[None, :, None], (64, 1, 3))
    missing = np.zeros((64, 64), bool)
    missing[20:40, 20:40] = True
    out = push_pull(ramp, missing)
    assert np.abs(out - ramp)[missing].mean() < 12  # a flat grey would be ~50 off
    assert np.abs(out - ramp)[missing].mean() < 0.25 * np.abs(ramp[missing] - 100).mean()


def test_nothing_known_and_nothing_missing() -> None:
    image = np.full((4, 4, 3), 0.2, np.float32)
    np.testing.assert_array_equal(push_pull(image, np.ones((4, 4), bool)), np.full((4, 4, 3), 0.5, np.float32))
    np.testing.assert_array_equal(push_pull(image, np.zeros((4, 4), bool)), image)
