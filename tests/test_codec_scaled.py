"""Reduced-resolution decoding through the codec (``decode_scaled``, ``scale=``): sizes,
pixels against references computed another way, which files decode in full, refusals."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import invcodec
from invcodec import codec, container
from invcodec.codec import compress_samples, decode_scaled, decompress_samples
from invcodec.entropy import ans
from invcodec.metrics import psnr
from invcodec.reduce import box_reduce, reduced_side
from invcodec.registry import get_model
from invcodec.tile_coder import REDUCED_DECODE_LEVELS
from invcodec.walk import DETAILS

from .conftest import smooth_image

pytestmark = pytest.mark.usefixtures("single_thread")

SCALES = {"1/2": 1, "1/4": 2, "1/8": 3}
TILE = 16


def _reference(full: np.ndarray, flow_tiles: list[bool], model, tile: int, levels: int) -> np.ndarray:
    """What a lossy file's reduced decode must give, computed from its full decode: each
    flow tile analysed forward (the lifting is exact, so its anchors at the decoder's
    stopping level are the decoder's own), the skipped levels inverted with zero details,
    the result box-reduced; other tiles box-reduced. Valid for tiles without padding and a
    decode that needed no clip."""
    flow = model.evaluator
    skipped = min(levels, REDUCED_DECODE_LEVELS, flow.level_count)
    h, w, _ = full.shape
    out = np.empty((reduced_side(h, levels), reduced_side(w, levels), 3), np.uint8)
    tiles = [(top, left) for top in range(0, h, tile) for left in range(0, w, tile)]
    for (top, left), is_flow in zip(tiles, flow_tiles):
        x = full[top : top + tile, left : left + tile]
        if is_flow:
            per_level, _ = flow.analyze(x.astype(np.float64))
            x = per_level[skipped - 1][0]
            for level in reversed(range(skipped)):
                x = flow.level_inverse(level, x, np.zeros(x.shape[:2] + (DETAILS,)))
        small = box_reduce(np.clip(x, 0, 255).astype(np.uint8), levels)
        out[top >> levels : (top >> levels) + small.shape[0], left >> levels : (left >> levels) + small.shape[1]] = small
    return out


@pytest.mark.parametrize("kind", ["lossy", "top-autoregressive"])
@pytest.mark.parametrize("scale", SCALES)
def test_a_lossy_file_decodes_from_its_coarse_levels_as_the_reference_says(tiny_coding_models, kind, scale) -> None:
    model = tiny_coding_models[kind]
    samples = smooth_image(40, 56, seed=3)  # tiles of 16 and 8: no padding at block 4
    data = compress_samples(samples, model, quality=70, tile_size=TILE)[0]
    full = decompress_samples(data, model)
    assert 0 < full.min() and full.max() < 255  # (no clip: the reference holds)
    scaled = decode_scaled(data, scale, model)
    levels = SCALES[scale]
    assert scaled.in_full is None and scaled.header.width == 56
    assert scaled.samples.shape == (reduced_side(40, levels), reduced_side(56, levels), 3)
    flow_tiles = [s.kind == container.StreamKind.FLOW for s in container.unpack(data)[1]]
    assert any(flow_tiles)
    assert np.array_equal(scaled.samples, _reference(full, flow_tiles, model, TILE, levels))


def test_a_reduced_decode_never_decodes_the_finer_bands(tiny_coding_models, monkeypatch) -> None:
    """The latents pulled at 1/2 are the top and the coarse level's: a quarter of the
    full decode's (the finest level's details are 3/4 of the latents)."""
    model = tiny_coding_models["lossy"]
    data = compress_samples(smooth_image(64, 64, seed=4), model, quality=60)[0]
    pulled = []
    real_pull = ans.LatentDecoder._pull
    monkeypatch.setattr(ans.LatentDecoder, "_pull", lambda self, m, s: pulled.append(np.size(s)) or real_pull(self, m, s))
    decompress_samples(data, model)
    full = sum(pulled)
    pulled.clear()
    decode_scaled(data, "1/2", model)
    assert full == 3 * 64 * 64  # every latent (a tile of 64 coded by the flow)
    assert sum(pulled) == 3 * 16 * 16 + 9 * 16 * 16  # the top and level 1's details, nothing of level 0


@pytest.mark.parametrize("scale", SCALES)
def test_alpha_and_the_tiles_without_the_flow_are_the_full_decode_box_reduced(tiny_coding_models, scale) -> None:
    model = tiny_coding_models["lossy"]
    samples = np.concatenate([smooth_image(37, 50, 3, seed=5), smooth_image(37, 50, 1, seed=6)], axis=2)
    samples[:16, :16, :3] = 90  # a constant tile among flow tiles
    data = compress_samples(samples, model, quality=50, tile_size=TILE)[0]
    kinds = [s.kind for s in container.unpack(data)[1]]
    assert container.StreamKind.CONSTANT in kinds and container.StreamKind.FLOW in kinds
    full = decompress_samples(data, model)
    scaled = decode_scaled(data, scale, model).samples
    levels = SCALES[scale]
    assert scaled.shape == (reduced_side(37, levels), reduced_side(50, levels), 4)
    assert np.array_equal(scaled[..., 3], box_reduce(full, levels)[..., 3])
    assert np.array_equal(scaled[: 16 >> levels, : 16 >> levels, :3], box_reduce(full[:16, :16, :3], levels))


@pytest.mark.parametrize("kind, why", [("autoregressive", "raster-order"), ("int8", "lossless lifting")])
@pytest.mark.parametrize("scale", SCALES)
def test_lossless_files_decode_in_full_then_box_reduce_and_say_why(tiny_coding_models, kind, why, scale) -> None:
    model = tiny_coding_models[kind]
    samples = smooth_image(21, 34, seed=7)
    data = compress_samples(samples, model)[0]
    scaled = decode_scaled(data, scale, model)
    assert why in scaled.in_full
    assert np.array_equal(scaled.samples, box_reduce(samples, SCALES[scale]))


def test_a_file_without_flow_tiles_says_so() -> None:
    samples = np.zeros((20, 30, 3), np.uint8)
    scaled = decode_scaled(compress_samples(samples)[0], Fraction(1, 4))
    assert "without the model" in scaled.in_full or "classic, raw or constant" in scaled.in_full
    assert np.array_equal(scaled.samples, np.zeros((5, 8, 3), np.uint8))


def test_a_scaled_decode_of_a_corrupted_file_that_decodes_in_full_is_refused(tiny_coding_models) -> None:
    model = tiny_coding_models["autoregressive"]
    data = bytearray(compress_samples(smooth_image(24, 24, seed=8), model)[0])
    data[-5] ^= 0x40
    with pytest.raises(invcodec.InvalidFileError):
        decode_scaled(bytes(data), "1/2", model)


def test_the_shipped_lossy_model_gives_a_thumbnail_near_the_full_decode() -> None:
    """photo-lossy-v7 (checkerboard, autoregressive top band): the 1/4 image is within a
    few grey levels of the full decode box-reduced (benchmarks/reduced_decode.py measures it on Kodak)."""
    samples = smooth_image(64, 96, seed=9)
    data = compress_samples(samples, "photo-lossy-v7", quality=50)[0]
    small = decode_scaled(data, 0.25).samples
    assert small.shape == (16, 24, 3)
    assert psnr(small, box_reduce(decompress_samples(data), 2)) > 30


def test_the_api_takes_scale_in_decompress_and_decompress_samples(tiny_coding_models) -> None:
    model = tiny_coding_models["lossy"]
    data = compress_samples(smooth_image(40, 56, seed=10), model, quality=50)[0]
    image = invcodec.decompress(data, model, scale="1/4")
    assert image.size == (14, 10) and image.mode == "RGB"
    assert np.array_equal(np.asarray(image), decompress_samples(data, model, scale=0.25))
    assert np.array_equal(decompress_samples(data, model, scale=1), decompress_samples(data, model))


@pytest.mark.parametrize("scale", ["1/3", 2, None, "half"])
def test_a_scale_that_is_not_offered_is_one_value_error_before_decoding(scale) -> None:
    with pytest.raises(ValueError, match="^scale must be one of 1, 1/2, 1/4, 1/8"):
        codec.decode_scaled(b"not a file", scale)
    with pytest.raises(ValueError, match="^scale must be one of"):
        invcodec.decompress(b"not a file", scale=scale)


def test_the_reduced_decode_levels_fit_every_shipped_lossy_model() -> None:
    for name in ("photo-lossy-v7", "photo-lossy-v1"):
        assert get_model(name).evaluator.level_count >= REDUCED_DECODE_LEVELS


def test_a_16_bit_file_is_reduced_at_its_depth() -> None:
    """16-bit files decode in full and are box-reduced as 16-bit samples, never cut to 8 bits."""
    samples = (np.arange(40 * 48 * 3, dtype=np.int64).reshape(40, 48, 3) * 37 % 65536).astype(np.uint16)
    data = compress_samples(samples)[0]
    small = decompress_samples(data, scale="1/2")
    assert small.dtype == np.uint16 and np.array_equal(small, box_reduce(samples, 1)) and small.max() > 255
