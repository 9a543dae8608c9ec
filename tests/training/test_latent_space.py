from __future__ import annotations

import numpy as np
import pytest

from invcodec import latent_space
from invcodec.registry import default_model

from .conftest import make_tiny_model, smooth_image


def test_sampling_is_reproducible_and_seed_dependent() -> None:
    model = make_tiny_model(noise=0.01)
    a = latent_space.sample(model, 3, 16, temperature=0.8, seed=5)
    b = latent_space.sample(model, 3, 16, temperature=0.8, seed=5)
    c = latent_space.sample(model, 3, 16, temperature=0.8, seed=6)
    assert a.shape == (3, 16, 16, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_temperature_zero_gives_the_prior_mode() -> None:
    model = make_tiny_model(noise=0.01)
    first = latent_space.sample(model, 2, 16, temperature=0.0, seed=1)
    assert np.array_equal(first[0], first[1])  # no randomness left
    with pytest.raises(ValueError, match="multiple"):
        latent_space.sample(model, 1, 10)


def test_interpolation_ends_are_the_inputs() -> None:
    model = default_model()
    a, b = smooth_image(32, 32, 3, seed=1), smooth_image(32, 32, 3, seed=2)[::-1].copy()
    frames = latent_space.interpolate(model, a, b, 5)
    assert frames.shape == (5, 32, 32, 3)
    assert np.array_equal(frames[0], a) and np.array_equal(frames[-1], b)  # the flow is a bijection
    assert not np.array_equal(frames[2], a) and not np.array_equal(frames[2], b)


def test_bits_per_dim_ranks_noise_above_smooth() -> None:
    model = default_model()
    smooth = latent_space.bits_per_dim(model, smooth_image(32, 32, 3))
    noise = latent_space.bits_per_dim(model, np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8))
    assert 0 < smooth < noise


def test_grid_layout() -> None:
    images = np.zeros((5, 4, 6, 3), np.uint8)
    g = latent_space.grid(images, gap=2)
    assert g.size == (3 * 6 + 2 * 2, 2 * 4 + 2)  # 3 columns, 2 rows
