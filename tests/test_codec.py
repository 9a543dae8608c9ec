"""Exact round trips on awkward inputs, integrity checks, and the size vs the estimate."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import invcodec
from invcodec import container
from invcodec.codec import compress_samples, decompress_samples
from invcodec.container import StreamKind
from invcodec.errors import InvalidFileError

from .conftest import make_tiny_model, smooth_image


def _round_trip(samples: np.ndarray, **kwargs) -> bytes:
    data, _ = compress_samples(samples, **kwargs)
    assert np.array_equal(decompress_samples(data, kwargs.get("model")), samples)
    return data


@pytest.mark.parametrize("shape", [(1, 1, 3), (1, 37, 3), (29, 1, 3), (17, 33, 3), (16, 16, 3), (35, 21, 1), (9, 11, 2), (23, 19, 4)])
def test_round_trip_awkward_shapes_shipped_model(shape) -> None:
    h, w, c = shape
    _round_trip(smooth_image(h, w, c, seed=h * w))


def test_round_trip_many_tiles_tiny_model() -> None:
    model = make_tiny_model(noise=0.01)
    data = _round_trip(smooth_image(40, 50, 4), model=model, tile_size=16)
    header, streams = container.unpack(data)
    assert len(header.tiles()) == 12 and len(streams) == 24
    assert sum(s.kind == StreamKind.FLOW for s in streams) >= 6


def test_flat_noise_and_gray() -> None:
    _round_trip(np.full((20, 30, 3), 77, np.uint8))
    _round_trip(np.random.default_rng(0).integers(0, 256, (24, 40, 3), dtype=np.uint8))
    grey = smooth_image(32, 48, 1)
    _round_trip(np.repeat(grey, 3, axis=2))
    _round_trip(grey)
    _round_trip(np.stack([grey[..., 0]] * 3 + [np.full((32, 48), 255, np.uint8)], axis=2))


def test_noise_is_stored_raw_and_never_grows() -> None:
    noise = np.random.default_rng(1).integers(0, 256, (48, 48, 3), dtype=np.uint8)
    data, stats = compress_samples(noise)
    _, streams = container.unpack(data)
    assert streams[0].kind == StreamKind.RAW
    assert len(data) < noise.size + 100


def test_photo_like_image_beats_raw_and_matches_the_estimate() -> None:
    samples = smooth_image(128, 128, 3)
    data, stats = compress_samples(samples)
    _, streams = container.unpack(data)
    assert all(s.kind == StreamKind.FLOW for s in streams)
    assert stats.bits_per_sub_pixel < 6.0
    # the flow streams sit within 1% of the model's own estimate of their bits
    assert abs(8 * stats.flow_bytes - stats.flow_estimated_bits) < 0.01 * stats.flow_estimated_bits


def test_constant_alpha_costs_one_byte() -> None:
    rgba = np.concatenate([smooth_image(32, 32, 3), np.full((32, 32, 1), 200, np.uint8)], axis=2)
    data = _round_trip(rgba)
    _, streams = container.unpack(data)
    assert streams[1].kind == StreamKind.CONSTANT and streams[1].payload == b"\xc8"


def test_corrupted_payload_is_detected_never_wrong_pixels() -> None:
    samples = smooth_image(64, 64, 3)
    data = bytearray(compress_samples(samples)[0])
    _, table, offset = container.unpack_header(bytes(data))
    detected = 0
    for k in range(40):
        corrupted = bytearray(data)
        corrupted[offset + (k * 97) % table[0][1]] ^= 1 << (k % 8)
        try:
            out = decompress_samples(bytes(corrupted))
        except InvalidFileError:
            detected += 1
            continue
        assert np.array_equal(out, samples)  # never silently different pixels
    assert detected > 30


def test_wrong_or_missing_model_is_a_clear_error() -> None:
    samples = smooth_image(32, 32, 3)
    data = compress_samples(samples, model=make_tiny_model(0, noise=0.01))[0]
    assert container.unpack(data)[1][0].kind == StreamKind.FLOW
    with pytest.raises(InvalidFileError, match="not installed"):
        decompress_samples(data)
    with pytest.raises(InvalidFileError, match="different model"):
        decompress_samples(data, make_tiny_model(1, noise=0.01))


def test_public_api_with_pil_images() -> None:
    for mode, arr in [("RGB", smooth_image(20, 24, 3)), ("L", smooth_image(20, 24, 1)[..., 0]),
                      ("RGBA", smooth_image(20, 24, 4)), ("LA", smooth_image(20, 24, 2))]:
        image = Image.fromarray(arr, mode)
        back = invcodec.decompress(invcodec.compress(image))
        assert back.mode == mode and np.array_equal(np.asarray(back), np.asarray(image))


def test_palette_and_bilevel_are_converted_exactly() -> None:
    rgb = Image.fromarray(smooth_image(20, 24, 3))
    pal = rgb.quantize(16)
    assert np.array_equal(np.asarray(invcodec.decompress(invcodec.compress(pal))), np.asarray(pal.convert("RGB")))
    bilevel = Image.fromarray(smooth_image(20, 24, 1)[..., 0]).convert("1")
    assert np.array_equal(np.asarray(invcodec.decompress(invcodec.compress(bilevel))), np.asarray(bilevel.convert("L")))


def test_decompress_rejects_garbage() -> None:
    with pytest.raises(InvalidFileError):
        invcodec.decompress(b"")
    with pytest.raises(InvalidFileError):
        invcodec.decompress(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
