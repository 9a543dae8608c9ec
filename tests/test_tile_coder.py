import numpy as np
import pytest

from invcodec import lossy_coder, quantizer
from invcodec.lossy_coder import LossySettings

from .conftest import smooth_image


def _settings(model, quality: int, recon_offset: int = 0) -> LossySettings:
    offsets = [-16 * len(model.levels)] * 3 + [0] * (quantizer.band_count(len(model.levels)) - 3)
    return LossySettings(tuple(quantizer.step_indices(quality, offsets)), recon_offset)


def _psnr(a, b) -> float:
    return 10 * np.log10(255**2 / max(1e-9, np.mean((a.astype(float) - b.astype(float)) ** 2)))


@pytest.mark.parametrize("shape", [(20, 13), (64, 48), (5, 70)])
def test_encoder_knows_exactly_what_the_decoder_produces(tiny_model, shape) -> None:
    pixels = smooth_image(*shape, seed=1)
    for quality in (20, 60, 100):
        settings = _settings(tiny_model, quality, recon_offset=40)
        tile = lossy_coder.encode_tile(tiny_model, pixels, settings)
        decoded = lossy_coder.decode_tile(tiny_model, tile.payload, *shape, settings)
        assert decoded.dtype == np.uint8 and decoded.shape == pixels.shape
        assert np.array_equal(decoded, tile.decoded)


def test_lower_quality_fewer_bits_more_error(tiny_model) -> None:
    pixels = smooth_image(64, 64, seed=2)
    sizes, psnrs = [], []
    for quality in (100, 70, 40, 10):
        tile = lossy_coder.encode_tile(tiny_model, pixels, _settings(tiny_model, quality))
        sizes.append(len(tile.payload))
        psnrs.append(_psnr(pixels, tile.decoded))
        assert 8 * len(tile.payload) == pytest.approx(tile.estimated_bits, rel=0.02, abs=64)
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > 2 * sizes[-1]
    assert psnrs == sorted(psnrs, reverse=True)
    assert psnrs[0] > 45 and psnrs[-1] < psnrs[0] - 10


def test_wrong_band_count_or_truncated_stream_raise(tiny_model) -> None:
    pixels = smooth_image(32, 32, seed=3)
    settings = _settings(tiny_model, 50)
    with pytest.raises(ValueError):
        lossy_coder.encode_tile(tiny_model, pixels, LossySettings(settings.steps[:-1], 0))
    payload = lossy_coder.encode_tile(tiny_model, pixels, settings).payload
    with pytest.raises(ValueError):
        lossy_coder.decode_tile(tiny_model, payload[: len(payload) // 2 // 4 * 4], 32, 32, settings)
