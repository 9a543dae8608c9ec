"""Lossy mode through the codec: quality, alpha, grey, tiles, the file and its checks."""

import numpy as np
import pytest

from invcodec import container
from invcodec.codec import compress_samples, decompress_samples, psnr
from invcodec.container import Mode
from invcodec.errors import InvalidFileError

from .conftest import make_tiny_lossy_model, make_tiny_model, smooth_image


@pytest.fixture(scope="module")
def lossy_model():
    return make_tiny_lossy_model()


def test_quality_is_recorded_and_decode_needs_no_flags(lossy_model) -> None:
    samples = smooth_image(40, 56, seed=5)
    data, stats = compress_samples(samples, lossy_model, quality=50)
    header, _ = container.unpack(data)
    assert header.mode == Mode.LOSSY and header.quantizer.quality == 50
    assert len(header.quantizer.steps) == 3 + 9 * len(lossy_model.levels)
    out = decompress_samples(data, lossy_model)
    assert out.shape == samples.shape and stats.psnr == pytest.approx(psnr(samples, out))
    assert 20 < stats.psnr < 60


def test_rate_and_quality_follow_the_quality_knob(lossy_model) -> None:
    samples = smooth_image(64, 64, seed=6)
    sizes, psnrs = [], []
    for q in (5, 30, 60, 90):
        data, stats = compress_samples(samples, lossy_model, quality=q)
        sizes.append(len(data))
        psnrs.append(stats.psnr)
    assert sizes == sorted(sizes) and psnrs == sorted(psnrs)
    assert sizes[0] * 2 < sizes[-1] and psnrs[0] + 6 < psnrs[-1]


def test_alpha_stays_exact_and_grey_stays_grey(lossy_model) -> None:
    rgba = np.concatenate([smooth_image(33, 47, seed=7), smooth_image(33, 47, 1, seed=8)], axis=2)
    out = decompress_samples(compress_samples(rgba, lossy_model, quality=40)[0], lossy_model)
    assert np.array_equal(out[:, :, 3], rgba[:, :, 3]) and psnr(rgba[:, :, :3], out[:, :, :3]) > 20
    grey = smooth_image(30, 30, 1, seed=9)
    out = decompress_samples(compress_samples(grey, lossy_model, quality=40)[0], lossy_model)
    assert out.shape == grey.shape and psnr(grey, out) > 20


def test_many_tiles(lossy_model) -> None:
    samples = smooth_image(70, 90, seed=10)
    data, stats = compress_samples(samples, lossy_model, tile_size=32, quality=70)
    assert np.array_equal(decompress_samples(data, lossy_model), decompress_samples(data, lossy_model))
    assert psnr(samples, decompress_samples(data, lossy_model)) == pytest.approx(stats.psnr)


def test_bad_quality_or_a_model_without_lossy_training_are_clear_errors(lossy_model) -> None:
    samples = smooth_image(16, 16, seed=11)
    for q in (0, 101):
        with pytest.raises(ValueError, match="quality"):
            compress_samples(samples, lossy_model, quality=q)
    with pytest.raises(ValueError, match="lossy"):
        compress_samples(samples, make_tiny_model(), quality=50)


def test_corruption_is_an_error_never_wrong_pixels(lossy_model) -> None:
    samples = smooth_image(48, 48, seed=12)
    data = bytearray(compress_samples(samples, lossy_model, quality=60)[0])
    header, table, offset = container.unpack_header(bytes(data))
    for position in range(offset, len(data), 7):
        bad = bytearray(data)
        bad[position] ^= 0x10
        try:
            out = decompress_samples(bytes(bad), lossy_model)
        except InvalidFileError:
            continue
        assert np.array_equal(out, decompress_samples(bytes(data), lossy_model))  # a flip that changed nothing
