from __future__ import annotations

import numpy as np
import pytest

from invcodec.restore.degrade import add_noise
from invcodec.restore.noise_level import estimate_sigma

from ..conftest import smooth_image


@pytest.mark.parametrize("sigma", [5, 15, 25, 40])
def test_noise_on_a_smooth_image_is_estimated_within_ten_percent(sigma: float) -> None:
    clean = (smooth_image(256, 256, seed=1) * 0.6 + 50).astype(np.uint8)  # away from 0 and 255: no clipping
    noisy = add_noise(clean, sigma, np.random.default_rng(sigma))
    assert estimate_sigma(noisy) == pytest.approx(sigma, rel=0.1)


def test_the_mild_noise_of_a_smooth_test_image_is_found() -> None:
    assert estimate_sigma(smooth_image(128, 128, seed=2)) == pytest.approx(2.0, abs=0.5)  # it adds N(0, 2^2)


def test_grey_and_tiny_images() -> None:
    grey = add_noise(np.full((64, 64, 1), 120, np.uint8), 10, np.random.default_rng(0))
    assert estimate_sigma(grey) == pytest.approx(10, rel=0.15)
    with pytest.raises(ValueError, match="too small"):
        estimate_sigma(np.zeros((1, 5, 3), np.uint8))
