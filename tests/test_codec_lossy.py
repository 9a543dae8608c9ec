"""Lossy mode through the codec: quality, alpha, grey, tiles, the file and its checks."""

import dataclasses

import numpy as np
import pytest

from invcodec import codec, container, quantizer
from invcodec.codec import DEADZONE, RDO_WEIGHT, RECON_OFFSET, compress_samples, decompress_samples, lossy_settings
from invcodec.container import Mode, StreamKind
from invcodec.errors import InvalidFileError
from invcodec.metrics import psnr
from invcodec.registry import get_model
from invcodec import model_file
from invcodec.tile_coder import LossyTileCoder

from .conftest import smooth_image, tiny_model_file

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture
def lossy_model(tiny_coding_models):
    return tiny_coding_models["lossy"]


def test_quality_is_recorded_and_decode_needs_no_flags(lossy_model) -> None:
    samples = smooth_image(40, 56, seed=5)
    data, stats = compress_samples(samples, lossy_model, quality=50)
    header, _ = container.unpack(data)
    assert header.mode == Mode.LOSSY and header.quantizer.quality == 50
    assert header.quantizer.steps == tuple(quantizer.step_indices(50, lossy_model.lossy_band_offsets))
    assert len(header.quantizer.steps) == 3 + 9 * lossy_model.evaluator.level_count
    out = decompress_samples(data, lossy_model)
    assert out.shape == samples.shape and stats.psnr == psnr(samples, out)
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
    data = compress_samples(rgba, lossy_model, quality=40)[0]
    assert container.unpack(data)[1][0].kind == StreamKind.FLOW
    out = decompress_samples(data, lossy_model)
    assert np.array_equal(out[:, :, 3], rgba[:, :, 3])
    assert 20 < psnr(rgba[:, :, :3], out[:, :, :3]) < 60
    grey = smooth_image(30, 30, 1, seed=9)
    data, stats = compress_samples(grey, lossy_model, quality=20)  # (the tiny model stores it raw above ~25)
    assert container.unpack(data)[1][0].kind == StreamKind.FLOW
    out = decompress_samples(data, lossy_model)
    assert out.shape == grey.shape and stats.psnr == psnr(grey, out) < 60


def test_tiles_are_coded_independently(lossy_model) -> None:
    """Each tile of the file decodes to what the tile coder alone makes of that tile."""
    samples = smooth_image(70, 90, seed=10)
    data, stats = compress_samples(samples, lossy_model, tile_size=32, quality=40)
    header, streams = container.unpack(data)
    assert len(header.tiles()) == 9 and all(s.kind == StreamKind.FLOW for s in streams)
    out = decompress_samples(data, lossy_model, threads=1)
    assert np.array_equal(decompress_samples(data, lossy_model, threads=3), out)
    assert stats.psnr == psnr(samples, out) and stats.psnr < 60  # lossy, and the encoder knew by how much
    coder = LossyTileCoder(lossy_model, lossy_settings(lossy_model, 40))
    for top, left, th, tw in header.tiles():
        tile = coder.encode(samples[top : top + th, left : left + tw])
        assert np.array_equal(out[top : top + th, left : left + tw], tile.decoded)


def test_settings_come_from_the_quality_and_the_models_offsets(lossy_model) -> None:
    s = lossy_settings(lossy_model, 30)
    assert s.quantizer == container.Quantizer(30, RECON_OFFSET, tuple(quantizer.step_indices(30, lossy_model.lossy_band_offsets)))
    assert (s.quantizer.global_step, s.choices) == (quantizer.global_step_index(30), quantizer.EncoderChoices(DEADZONE, RDO_WEIGHT))
    broken = dataclasses.replace(lossy_model, lossy_band_offsets=lossy_model.lossy_band_offsets[:-9])  # a level short
    with pytest.raises(ValueError, match="do not fit"):
        lossy_settings(broken, 30)


def test_rdoq_is_the_default_and_decodes_to_what_the_encoder_said(lossy_model, monkeypatch) -> None:
    """RDOQ (the default) and dead-zone rounding write different streams of one format:
    the decoder needs neither, and each file decodes to the pixels its encoder reported."""
    model = lossy_model
    samples = smooth_image(48, 40, seed=13)
    files = {}
    for weight in (RDO_WEIGHT, 0.0):
        monkeypatch.setattr(codec, "RDO_WEIGHT", weight)
        data, stats = compress_samples(samples, model, quality=35)
        assert stats.psnr == psnr(samples, decompress_samples(data, model))
        files[weight] = data
    assert files[RDO_WEIGHT] != files[0.0]


def test_a_model_file_may_name_its_own_dead_zone(tmp_path, monkeypatch) -> None:
    """Without RDOQ (as files were written before it), the encoder's dead zone comes from
    the model file when it names one (tuned per model); the decoder does not need it.
    Nonsense there is a clear error at load time."""
    monkeypatch.setattr(codec, "RDO_WEIGHT", 0.0)
    own = model_file.load(tiny_model_file("tiny-lossy", tmp_path, "own", lossy_deadzone="0.4"))
    assert own.lossy_deadzone == 0.4 and lossy_settings(own, 30).choices.deadzone == 0.4
    samples = smooth_image(32, 32, seed=12)
    data, stats = compress_samples(samples, own, quality=30)
    plain, _ = compress_samples(samples, dataclasses.replace(own, lossy_deadzone=None), quality=30)
    assert data != plain and stats.psnr == psnr(samples, decompress_samples(data, own))
    for bad in ("1.5", "-0.1", "wide"):
        with pytest.raises(ValueError, match="lossy_deadzone"):
            model_file.load(tiny_model_file("tiny-lossy", tmp_path, "bad", lossy_deadzone=bad))


def test_ms_ssim_tuning_coarsens_the_finest_levels_and_any_decoder_reads_it(lossy_model) -> None:
    """The tuning is the encoder's choice of steps; the file holds them, so decoding needs
    nothing new (the same decoder, no flag) and gets the pixels the encoder reported."""
    samples = smooth_image(64, 48, seed=14)
    tuned, stats = compress_samples(samples, lossy_model, quality=40, tune="ms-ssim")
    plain, plain_stats = compress_samples(samples, lossy_model, quality=40)
    steps = container.unpack(tuned)[0].quantizer.steps
    assert steps == tuple(quantizer.step_indices(40, lossy_model.lossy_band_offsets, quantizer.TUNINGS["ms-ssim"]))
    assert steps != container.unpack(plain)[0].quantizer.steps
    assert stats.psnr == psnr(samples, decompress_samples(tuned, lossy_model))
    assert len(tuned) < len(plain) and stats.psnr < plain_stats.psnr  # coarser finest details: fewer bits, less PSNR
    with pytest.raises(ValueError, match="tune"):
        compress_samples(samples, lossy_model, quality=40, tune="ssim")
    with pytest.raises(ValueError, match="lossy"):
        compress_samples(samples, lossy_model, tune="ms-ssim")  # lossless files have no steps


def test_bad_quality_or_a_model_without_lossy_training_are_clear_errors(lossy_model, tiny_coding_models) -> None:
    samples = smooth_image(16, 16, seed=11)
    for q in (0, 101):
        with pytest.raises(ValueError, match="quality"):
            compress_samples(samples, lossy_model, quality=q)
    with pytest.raises(ValueError, match="lossy"):
        compress_samples(samples, tiny_coding_models["fixed64"], quality=50)


def test_corruption_is_an_error_never_wrong_pixels(lossy_model) -> None:
    samples = smooth_image(48, 48, seed=12)
    data = bytearray(compress_samples(samples, lossy_model, quality=30)[0])
    reference = decompress_samples(bytes(data), lossy_model)
    header, table, offset = container.unpack_header(bytes(data))
    assert [kind for kind, _ in table] == [StreamKind.FLOW]
    detected = tried = 0
    for position in range(offset, len(data), (len(data) - offset) // 60):  # 60 flips spread over the stream
        bad = bytearray(data)
        bad[position] ^= 0x10
        tried += 1
        try:
            out = decompress_samples(bytes(bad), lossy_model)
        except InvalidFileError:
            detected += 1
            continue
        assert np.array_equal(out, reference)  # a flip that changed nothing
    assert tried >= 60 and detected > 0.9 * tried


def test_the_shipped_lossy_model_codes_and_is_found_by_id() -> None:
    model = get_model("photo-lossy-v1")
    samples = smooth_image(40, 56, seed=13)
    data, stats = compress_samples(samples, model, quality=40)
    out = decompress_samples(data)  # the model is found by the file's id
    assert stats.psnr == psnr(samples, out) and 30 < stats.psnr < 50
    assert len(data) < samples.size / 8  # under one bit per sub-pixel
