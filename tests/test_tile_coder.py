"""One 3-plane tile <-> one ANS stream, lossless and lossy, on the tiny models."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from invcodec import quantizer, tile_coder
from invcodec.container import Quantizer
from invcodec.entropy import ans, grid
from invcodec.model_file import CodingModel
from invcodec.quantizer import EncoderChoices
from invcodec.tile_coder import LosslessTileCoder, LossyParams, LossyTileCoder, coder_for, pad_to_block
from invcodec.walk import bands_in_order, chunk_values, walk

from .conftest import load_tiny_model, smooth_image

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture(params=["fixed64", "int8", "checkerboard", "lossy", "top-autoregressive"])
def model(request, tiny_coding_models) -> CodingModel:
    """Each tiny model: fixed64, int8, int8 with checkerboard context, the
    rate-conditioned fixed64 one lossy models use, and checkerboard with an
    autoregressive top band."""
    return tiny_coding_models[request.param]


@pytest.fixture
def fixed64_model(tiny_coding_models) -> CodingModel:
    return tiny_coding_models["fixed64"]


@pytest.fixture
def lossy_model(tiny_coding_models) -> CodingModel:
    return tiny_coding_models["lossy"]


def _settings(model: CodingModel, quality: int, recon_offset: int = 0, deadzone: float = 0.0) -> LossyParams:
    levels = model.evaluator.level_count
    offsets = [-16 * levels] * 3 + [0] * (quantizer.band_count(levels) - 3)
    steps = tuple(quantizer.step_indices(quality, offsets))
    return LossyParams(Quantizer(quality, recon_offset, steps), EncoderChoices(deadzone))


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return 10 * np.log10(255**2 / max(1e-9, np.mean((a.astype(float) - b.astype(float)) ** 2)))


AWKWARD = {
    "1x1": np.array([[[12, 200, 99]]], np.uint8),
    "odd": smooth_image(21, 13, seed=1),
    "wide": smooth_image(5, 70, seed=2),
    "noise": np.random.default_rng(3).integers(0, 256, (12, 16, 3), dtype=np.uint8),
    "flat": np.full((8, 12, 3), 255, np.uint8),
    "grey": np.repeat(smooth_image(16, 16, 1, seed=4), 3, axis=2),
}


@pytest.mark.parametrize("name", sorted(AWKWARD))
def test_lossless_round_trip(model: CodingModel, name: str) -> None:
    pixels = AWKWARD[name]
    coder = LosslessTileCoder(model)
    tile = coder.encode(pixels)
    assert tile is not None and np.array_equal(tile.decoded, pixels)
    out = coder.decode(tile.payload, *pixels.shape[:2])
    assert out.dtype == np.uint8 and np.array_equal(out, pixels)


def _model_bits(model: CodingModel, pixels: np.ndarray) -> float:
    """The model's own code length for the tile: sum of -log2 p of every latent under the prior."""
    padded = pad_to_block(pixels, model.evaluator.block_size).astype(np.float64)
    per_level, top = model.evaluator.analyze(padded)
    bands = bands_in_order(per_level, top, lambda t, i: t[..., i : i + 1], model.evaluator)
    total = 0.0

    def band(i: int, p) -> np.ndarray:
        nonlocal total
        values = chunk_values(bands[i], p)
        total += float(grid.laplace_bits(values, p.mean, grid.SCALES[p.scale_index]).sum())
        return values

    walk(model.evaluator, 1, *padded.shape[:2], band, known_inputs=[padded] + [a for a, _ in per_level[:-1]])
    return total


def test_lossless_size_is_the_models_code_length(model: CodingModel) -> None:
    """The plain stream is the model's code length (ANS overhead under 1 %); the adapted one
    (what files hold) costs at most a few bytes more than that, and is usually smaller."""
    pixels = smooth_image(48, 64, seed=5)
    bits = _model_bits(model, pixels)
    plain, adapted = LosslessTileCoder(model, adaptive=False).encode(pixels), LosslessTileCoder(model).encode(pixels)
    assert abs(8 * len(plain.payload) - bits) <= 0.01 * bits + 64
    assert 8 * len(adapted.payload) <= 1.01 * bits + 64


def test_lossless_encoder_gives_up_on_latents_outside_the_coders_range(fixed64_model, monkeypatch) -> None:
    pixels = smooth_image(16, 16, seed=6)
    assert LosslessTileCoder(fixed64_model).encode(pixels) is not None
    monkeypatch.setattr(ans, "SYMBOL_MAX", 100)  # the top anchors are ~ 100..255
    assert LosslessTileCoder(fixed64_model).encode(pixels) is None  # the codec then stores the tile raw


@pytest.mark.parametrize("shape", [(20, 13), (64, 48), (5, 70)])
def test_lossy_encoder_knows_exactly_what_the_decoder_produces(model: CodingModel, shape) -> None:
    pixels = smooth_image(*shape, seed=1)
    decoded = []
    for quality in (20, 60, 100):
        settings = _settings(model, quality, recon_offset=40, deadzone=0.15)
        coder = LossyTileCoder(model, settings)
        tile = coder.encode(pixels)
        out = coder.decode(tile.payload, *shape)
        assert out.dtype == np.uint8 and out.shape == pixels.shape
        assert np.array_equal(out, tile.decoded)
        decoded.append(out)
    assert not np.array_equal(decoded[0], pixels)  # quality 20 is really lossy
    assert not np.array_equal(decoded[0], decoded[1])


def test_lower_quality_fewer_bits_more_error(model: CodingModel) -> None:
    pixels = smooth_image(64, 64, seed=2)
    sizes, psnrs = [], []
    for quality in (100, 70, 40, 10):
        tile = LossyTileCoder(model, _settings(model, quality)).encode(pixels)
        sizes.append(len(tile.payload))
        psnrs.append(_psnr(pixels, tile.decoded))
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > 2 * sizes[-1]
    assert psnrs == sorted(psnrs, reverse=True)
    assert psnrs[0] > 45 and psnrs[-1] < psnrs[0] - 10


def test_the_rate_reaches_a_rate_conditioned_prior(lossy_model) -> None:
    """The global step is coded in the file (as the quality) and the prior sees it: the
    same steps with another quality give another stream."""
    pixels = smooth_image(32, 32, seed=7)
    settings = _settings(lossy_model, 50)
    other = LossyParams(dataclasses.replace(settings.quantizer, quality=20))
    assert other.quantizer.global_step > settings.quantizer.global_step
    a, b = LossyTileCoder(lossy_model, settings).encode(pixels), LossyTileCoder(lossy_model, other).encode(pixels)
    assert a.payload != b.payload
    assert np.array_equal(LossyTileCoder(lossy_model, other).decode(b.payload, 32, 32), b.decoded)


def test_lossy_band_count_is_a_step_per_band_or_none_for_lossless_only_models(fixed64_model, tiny_coding_models) -> None:
    assert fixed64_model.lossy_band_count == quantizer.band_count(fixed64_model.evaluator.level_count)
    assert len(_settings(fixed64_model, 50).quantizer.steps) == fixed64_model.lossy_band_count
    assert tiny_coding_models["autoregressive"].lossy_band_count is None


def _corruptions(payload: bytes) -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    return {
        "half": payload[: len(payload) // 2 // 4 * 4],
        "one word short": payload[:-4],
        "one word more": payload + b"\x01\x00\x00\x00",
        "odd length": payload[:-1],
        "empty": b"",
        "garbage": rng.integers(1, 256, len(payload), dtype=np.uint8).tobytes(),
        "long garbage": rng.integers(1, 256, 8 * len(payload) // 4 * 4, dtype=np.uint8).tobytes(),
    }


@pytest.mark.parametrize("kind", sorted(_corruptions(b"\1\2\3\4" * 8)))
@pytest.mark.parametrize("lossy", [False, True], ids=["lossless", "lossy"])
@pytest.mark.parametrize("adaptive", [False, True], ids=["plain", "adaptive"])
@pytest.mark.parametrize("name", ["fixed64", "top-autoregressive"])
def test_truncated_or_garbage_streams_raise_value_error(tiny_coding_models, name: str, kind: str, lossy: bool,
                                                        adaptive: bool) -> None:
    model = tiny_coding_models[name]
    pixels = smooth_image(32, 32, seed=3)
    coder = coder_for(model, _settings(model, 50) if lossy else None, adaptive)
    payload = coder.encode(pixels).payload
    with pytest.raises(ValueError):
        coder.decode(_corruptions(payload)[kind], 32, 32)


def test_an_autoregressive_top_band_sees_the_rate_and_refuses_values_outside_its_range(tiny_coding_models) -> None:
    flow = tiny_coding_models["top-autoregressive"].evaluator
    seen = {}
    for rate in (None, 40, 120):
        scales = []
        flow.top_band(lambda c, p: scales.append(p.scale_index) or np.floor(p.mean + 0.5), 4, 5, rate)
        seen[rate] = np.concatenate(scales)
    assert not np.array_equal(seen[40], seen[120]) and not np.array_equal(seen[None], seen[120])
    assert flow.top_band(lambda c, p: np.full(p.mean.shape, 2303.0), 4, 5, 40).shape == (4, 5, 3)
    with pytest.raises(ValueError, match="range"):  # a forged stream's value, far outside any photo's
        flow.top_band(lambda c, p: np.full(p.mean.shape, 2304.0), 4, 5, 40)


def test_coder_for_picks_the_mode(fixed64_model) -> None:
    assert isinstance(coder_for(fixed64_model, None, True), LosslessTileCoder)
    assert isinstance(coder_for(fixed64_model, _settings(fixed64_model, 50), False), LossyTileCoder)
    assert not coder_for(fixed64_model, None, False).adaptive and coder_for(fixed64_model, None, True).adaptive


@pytest.mark.parametrize("lossy", [False, True], ids=["lossless", "lossy"])
def test_streams_without_scale_offsets_still_decode(model: CodingModel, lossy: bool) -> None:
    """Files from before the adaptive-prior flag: the plain stream decodes with the plain
    coder to the same pixels, and the two kinds of stream are not interchangeable."""
    # level 0's bands: 64 x 64 latents, enough for a correction (a checkerboard model codes halves: 92 x 92 / 2)
    side = 182 if model.evaluator.checkerboard else 128
    pixels = smooth_image(side, side, seed=8)
    settings = _settings(model, 60) if lossy else None
    plain, adaptive = coder_for(model, settings, False), coder_for(model, settings, True)
    a, b = plain.encode(pixels), adaptive.encode(pixels)
    assert np.array_equal(plain.decode(a.payload, side, side), a.decoded)
    assert np.array_equal(adaptive.decode(b.payload, side, side), b.decoded)
    assert np.array_equal(a.decoded, b.decoded)  # the offsets change the coding, never the latents
    assert a.payload != b.payload


def test_pad_to_block_replicates_the_edges() -> None:
    pixels = smooth_image(5, 7, seed=8)
    padded = pad_to_block(pixels, 4)
    assert padded.shape == (8, 8, 3)
    assert np.array_equal(padded[:5, :7], pixels)
    assert np.array_equal(padded[5:, :7], np.repeat(pixels[4:5], 3, axis=0))
    assert np.array_equal(padded[:5, 7], pixels[:, 6])
    assert pad_to_block(padded, 4) is not padded and np.array_equal(pad_to_block(padded, 4), padded)
    assert tile_coder.pad_to_block(np.zeros((16, 16, 3), np.uint8), 16).shape == (16, 16, 3)


@pytest.mark.parametrize("name", sorted(AWKWARD))
def test_autoregressive_round_trip(tiny_coding_models, name: str) -> None:
    model, pixels = tiny_coding_models["autoregressive"], AWKWARD[name]
    coder = coder_for(model, None, adaptive=True)
    assert isinstance(coder, tile_coder.AutoregressiveTileCoder)
    tile = coder.encode(pixels)
    out = coder.decode(tile.payload, *pixels.shape[:2])
    assert out.dtype == np.uint8 and np.array_equal(out, pixels)


def test_autoregressive_size_is_the_recalibrated_models_code_length() -> None:
    """The stream is the model's code length after the per-plane scale offsets (chosen by
    the encoder, sent first): less than the plain model's when its scales are off (here
    about 4x too wide)."""
    from invcodec.entropy import adapt
    from invcodec.runtime import autoregressive as ar

    model, pixels = load_tiny_model("tiny-ar-scale16"), smooth_image(48, 64, seed=5)
    planes = ar.forward_colour(pixels)
    plain = recalibrated = 0.0
    for p in range(ar.PLANES):
        mean, index = model.evaluator.encode_params(planes, p)
        plain += float(grid.laplace_bits(planes[p].reshape(-1), mean, grid.SCALES[index]).sum())
        offsets = adapt.scale_offsets(planes[p], mean, index)
        moved = adapt.moved_indices(offsets)[index]
        recalibrated += float(grid.laplace_bits(planes[p].reshape(-1), mean, grid.SCALES[moved]).sum())
        recalibrated += float(grid.laplace_bits(offsets, 0.0, grid.SCALES[adapt.OFFSET_SCALE_INDEX]).sum())
    size = 8 * len(coder_for(model, None, True).encode(pixels).payload)
    assert abs(size - recalibrated) <= 0.01 * recalibrated + 64
    assert recalibrated < 0.9 * plain


def test_autoregressive_models_refuse_lossy_coding(tiny_coding_models, lossy_model) -> None:
    with pytest.raises(ValueError, match="lossless only"):
        coder_for(tiny_coding_models["autoregressive"], _settings(lossy_model, 50), adaptive=True)


def test_autoregressive_corrupted_stream_is_an_error_or_other_pixels(tiny_coding_models) -> None:
    """A damaged stream never crashes or hangs: it raises ValueError or decodes to other
    pixels (the file's CRC turns those into an error)."""
    model, pixels = tiny_coding_models["autoregressive"], smooth_image(24, 20, seed=9)
    coder = coder_for(model, None, True)
    payload = coder.encode(pixels).payload
    rng = np.random.default_rng(0)
    outcomes = set()
    for _ in range(40):
        damaged = bytearray(payload)
        damaged[rng.integers(len(damaged))] ^= 1 << int(rng.integers(8))
        try:
            out = coder.decode(bytes(damaged), 24, 20)
            outcomes.add("pixels" if not np.array_equal(out, pixels) else "same")
        except ValueError:
            outcomes.add("error")
    assert "error" in outcomes
    with pytest.raises(ValueError):
        coder.decode(payload[:-4], 24, 20)
