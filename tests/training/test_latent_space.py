from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from invcodec.training import latent_space
from invcodec.registry import model_path
from invcodec.training.weights import load_model
from invcodec.walk import walk

from ..conftest import smooth_image
from ..fixtures.make_models import TINY_INT8_CONFIG, make_tiny_model

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture(scope="module")
def photo():
    """The shipped photo model as a torch model (a trained prior: the tiny models' are random)."""
    return load_model(model_path("photo-v1"))


def test_sampling_is_reproducible_and_seed_dependent() -> None:
    model = make_tiny_model(noise=0.01)
    a = latent_space.sample(model, 3, 16, temperature=0.8, seed=5)
    b = latent_space.sample(model, 3, 16, temperature=0.8, seed=5)
    c = latent_space.sample(model, 3, 16, temperature=0.8, seed=6)
    assert a.shape == (3, 16, 16, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert not np.array_equal(a[0], a[1])  # each image its own draw


def test_temperature_zero_gives_the_prior_mode() -> None:
    model = make_tiny_model(noise=0.01)
    first = latent_space.sample(model, 2, 16, temperature=0.0, seed=1)
    assert np.array_equal(first[0], first[1])  # no randomness left
    assert np.array_equal(first, latent_space.sample(model, 2, 16, temperature=0.0, seed=2))
    with pytest.raises(ValueError, match="multiple"):
        latent_space.sample(model, 1, 10)


def test_int8_models_sample_too() -> None:
    out = latent_space.sample(make_tiny_model(config=TINY_INT8_CONFIG), 1, 8, seed=3)
    assert out.shape == (1, 8, 8, 3) and out.dtype == np.uint8


@pytest.mark.parametrize("space", latent_space.INTERPOLATION_SPACES)
def test_interpolation_ends_are_the_inputs(photo, space: str) -> None:
    a, b = smooth_image(32, 32, 3, seed=1), smooth_image(32, 32, 3, seed=2)[::-1].copy()
    frames = latent_space.interpolate(photo, a, b, 5, space)
    assert frames.shape == (5, 32, 32, 3)
    assert np.array_equal(frames[0], a) and np.array_equal(frames[-1], b)  # the flow is a bijection
    assert not np.array_equal(frames[2], a) and not np.array_equal(frames[2], b)
    with pytest.raises(ValueError, match="same size"):
        latent_space.interpolate(photo, a, b[:16], 3, space)


def test_prior_space_interpolation_is_not_a_cross_fade(photo) -> None:
    """Mixing the standardised residuals re-predicts the finer levels from the mixed
    coarser ones: the middle frame is further from the pixel cross-fade than the
    latent-space one, which is nearly that cross-fade."""
    a, b = smooth_image(32, 32, 3, seed=1), smooth_image(32, 32, 3, seed=2)[::-1].copy()
    cross_fade = (a.astype(float) + b) / 2
    distance = {space: np.abs(latent_space.interpolate(photo, a, b, 3, space)[1] - cross_fade).mean()
                for space in latent_space.INTERPOLATION_SPACES}
    assert distance["latents"] < 5 < 3 * distance["latents"] < distance["prior"]  # measured: 3.7 and 12.1
    with pytest.raises(ValueError, match="space"):
        latent_space.interpolate(photo, a, b, 3, "pixels")


def test_standardised_residuals_decode_back_to_the_image() -> None:
    """The residuals are the image's coordinates in the base space: decoding them (mean +
    scale x residual, band by band) gives the image back, checkerboard chunks included."""
    model = make_tiny_model(config=dataclasses.replace(TINY_INT8_CONFIG, checkerboard=True), noise=0.05)
    x = torch.from_numpy(smooth_image(16, 16, 3, seed=3).transpose(2, 0, 1)[None].astype(np.float32))
    residuals = latent_space.standardised_residuals(model, x)
    assert len(residuals) == 3 + 2 * 9 * model.level_count
    decoded = walk(model, 1, 16, 16, lambda i, p: torch.floor(p.mean + torch.exp2(p.log2_scale) * residuals[i] + 0.5))
    assert torch.equal(decoded, x)


def test_bits_per_dim_ranks_noise_above_smooth(photo) -> None:
    smooth = latent_space.bits_per_dim(photo, smooth_image(16, 16, 3))
    noise = latent_space.bits_per_dim(photo, np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8))
    assert 0 < smooth < 6 < noise
    # odd sizes are padded to the block size; the score is the padded image's bits per sub-pixel of the image
    x = smooth_image(15, 13, 3, seed=4)
    assert latent_space.bits_per_dim(photo, x) == pytest.approx(_bits(photo, x) / x.size, rel=1e-12)


def _bits(model, image: np.ndarray) -> float:
    h, w = image.shape[:2]
    padded = np.pad(image, ((0, -h % model.block_size), (0, -w % model.block_size), (0, 0)), mode="edge")
    with torch.no_grad():
        return float(model.bits(torch.from_numpy(padded.transpose(2, 0, 1)).float()[None])[0])


def test_bits_per_dim_works_tile_by_tile(photo, monkeypatch) -> None:
    # a large image is scored in tiles (bounded memory): the sum of its tiles' bits
    x = smooth_image(40, 35, 3, seed=5)
    tiles = [x[y : y + 16, c : c + 16] for y in range(0, 40, 16) for c in range(0, 35, 16)]
    expected = sum(_bits(photo, t) for t in tiles) / x.size
    shapes = []
    bits = photo.bits
    monkeypatch.setattr(photo, "bits", lambda t: shapes.append(tuple(t.shape[2:])) or bits(t))
    assert latent_space.bits_per_dim(photo, x, tile=16) == pytest.approx(expected, rel=1e-12)
    assert len(shapes) == 9 and max(max(s) for s in shapes) == 16


def test_bit_map_gives_each_tile_its_own_bits_padding_folded_onto_its_edges(photo) -> None:
    x = smooth_image(40, 35, 3, seed=6)  # tiles of 16: the last row and column of tiles are padded
    bits = latent_space.bit_map(photo, x, tile=16)
    assert bits.shape == (40, 35) and (bits > 0).all()
    for y in range(0, 40, 16):
        for c in range(0, 35, 16):
            assert bits[y : y + 16, c : c + 16].sum() == pytest.approx(_bits(photo, x[y : y + 16, c : c + 16]), rel=1e-5)
    assert bits.sum() == pytest.approx(latent_space.bits_per_dim(photo, x, tile=16) * x.size, rel=1e-5)
