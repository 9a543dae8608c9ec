from __future__ import annotations

import numpy as np
import pytest

from invcodec.restore import degrade

from ..conftest import smooth_image


def test_noise_is_gaussian_of_the_given_sigma_and_clipped_to_8_bits() -> None:
    clean = np.full((200, 200, 3), 128, np.uint8)
    noisy = degrade.add_noise(clean, 20, np.random.default_rng(0))
    assert noisy.dtype == np.uint8 and np.std(noisy.astype(float)) == pytest.approx(20, rel=0.03)
    assert degrade.add_noise(np.full((8, 8, 3), 250, np.uint8), 50, np.random.default_rng(1)).max() <= 255


def test_jpeg_keeps_the_shape_and_loses_more_at_lower_quality() -> None:
    clean = smooth_image(64, 96, seed=4)
    errors = [np.abs(degrade.jpeg(clean, q).astype(float) - clean).mean() for q in (10, 50, 95)]
    assert degrade.jpeg(clean, 10).shape == clean.shape
    assert errors[0] > errors[1] > errors[2]


@pytest.mark.parametrize("size", [(64, 64), (512, 768)])
def test_masks_cover_about_the_asked_fraction(size) -> None:
    for seed in range(5):
        mask = degrade.hole_mask(*size, np.random.default_rng(seed), coverage=0.1)
        assert mask.shape == size and 0.1 <= mask.mean() < 0.2
    assert not np.array_equal(degrade.hole_mask(*size, np.random.default_rng(0)), degrade.hole_mask(*size, np.random.default_rng(1)))
