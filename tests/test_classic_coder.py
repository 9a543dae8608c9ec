"""The classic path (row prediction + LZMA/deflate) for synthetic content."""

from __future__ import annotations

import io
import lzma
import zlib

import numpy as np
import pytest
from PIL import Image, ImageDraw

from invcodec import classic_coder, container
from invcodec.codec import compress_samples, decompress_samples
from invcodec.container import StreamKind
from invcodec.errors import InvalidFileError

from .conftest import load_tiny_model, smooth_image


def _screenshot(h: int = 60, w: int = 90) -> np.ndarray:
    image = Image.new("RGB", (w, h), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, w, 12), fill=(40, 60, 120))
    for i in range(4):
        draw.text((4, 16 + 10 * i), f"line {i}: invcodec", fill=(20, 20, 20))
    return np.asarray(image)


@pytest.mark.parametrize("shape", [(1, 1, 1), (5, 7, 3), (33, 2, 1), (17, 40, 3)])
def test_every_filter_round_trips(shape) -> None:
    rng = np.random.default_rng(sum(shape))
    planes = rng.integers(0, 256, shape, dtype=np.uint8)
    planes[: shape[0] // 2] = planes[0]  # rows equal to the one above: the up filter wins there
    planes[:, : shape[1] // 2] = 9  # flat runs
    data = classic_coder.filter_rows(planes)
    assert set(data[: shape[0]]) <= {0, 1, 2, 3}
    assert np.array_equal(classic_coder.unfilter_rows(data, *shape), planes)
    payload = classic_coder.encode(planes, budget=1 << 30)
    assert payload[0] & ~classic_coder.SUBTRACT_GREEN in (classic_coder.ZLIB, classic_coder.LZMA)  # no palette
    assert np.array_equal(classic_coder.decode(payload, *shape), planes)


def test_each_filter_decodes_as_specified() -> None:
    planes = smooth_image(6, 9, 3, seed=2)
    residual_of = {0: planes, 1: planes - np.pad(planes, ((0, 0), (1, 0), (0, 0)))[:, :-1]}
    for kind, residual in residual_of.items():
        data = bytes([kind] * 6) + residual.tobytes()
        assert np.array_equal(classic_coder.unfilter_rows(data, 6, 9, 3), planes)


def test_photos_and_noise_are_left_to_the_other_paths() -> None:
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    assert classic_coder.encode(noise, budget=noise.size) is None  # not smaller than raw


def test_rendered_gradients_are_tried_though_the_deflate_probe_says_no() -> None:
    """A radial gradient's residuals are all -1, 0 or 1, and LZMA codes it in a fraction of
    what the deflate probe estimates: the encoder must not stop at the probe there."""
    yy, xx = np.mgrid[0:200, 0:300].astype(np.float64)
    t = np.hypot(xx - 150, yy - 100) / np.hypot(150, 100)
    planes = np.clip(np.stack([255 * t, 80 + 100 * (1 - t), 200 - 150 * t], 2), 0, 255).astype(np.uint8)
    h = planes.shape[0]
    bands = (np.arange(h) // classic_coder.PROBE_BAND) % classic_coder.PROBE_EVERY == 0
    probe = len(zlib.compress(classic_coder.filter_rows(planes[bands]), 1)) * h / bands.sum()
    budget = int(probe / 2)  # what a good model might spend: the probe alone would give up
    payload = classic_coder.encode(planes, budget)
    assert payload is not None and len(payload) < budget
    assert np.array_equal(classic_coder.decode(payload, *planes.shape), planes)


@pytest.mark.parametrize("payload, message", [
    (b"", "unknown method"),
    (b"\x07abc", "unknown method"),
    (b"\x01" + b"not zlib", "corrupted"),
    (b"\x01" + zlib.compress(b"\x00" * 10), "wrong length"),
    (b"\x01" + zlib.compress(b"\x00" * 4 + b"\x00" * 48) + b"junk", "wrong length"),
    (b"\x01" + zlib.compress(b"\x09" * 4 + b"\x00" * 48), "unknown row filter"),
    (b"\x02" + lzma.compress(b"\x00" * 10_000, format=lzma.FORMAT_RAW, filters=classic_coder._LZMA_FILTERS),
     "wrong length"),  # inflates far beyond the tile: stopped at the tile's size
])
def test_bad_payloads_are_invalid_files(payload: bytes, message: str) -> None:
    with pytest.raises(InvalidFileError, match=message):
        classic_coder.decode(payload, 4, 4, 3)


def test_the_codec_codes_a_screenshot_the_classic_way_smaller_than_png(tiny_model) -> None:
    model = tiny_model
    shot = _screenshot()
    data, _ = compress_samples(shot, model, threads=1)
    assert [s.kind for s in container.unpack(data)[1]] == [StreamKind.CLASSIC]
    assert np.array_equal(decompress_samples(data, model, threads=1), shot)
    png = io.BytesIO()
    Image.fromarray(shot).save(png, "PNG", optimize=True)
    assert len(data) < len(png.getvalue())


def test_lossy_colour_never_goes_classic_but_alpha_may() -> None:
    model = load_tiny_model("tiny-lossy")
    rgba = np.concatenate([_screenshot(32, 32), np.where(_screenshot(32, 32)[:, :, :1] > 128, 255, 0).astype(np.uint8)], 2)
    data, _ = compress_samples(rgba, model, quality=50, threads=1)
    colour, alpha = container.unpack(data)[1]
    assert colour.kind != StreamKind.CLASSIC and alpha.kind == StreamKind.CLASSIC
    assert np.array_equal(decompress_samples(data, model, threads=1)[:, :, 3], rgba[:, :, 3])


def test_few_colours_go_through_a_palette() -> None:
    rng = np.random.default_rng(3)
    table = rng.integers(0, 256, (5, 3), dtype=np.uint8)
    planes = table[np.kron(rng.integers(0, 5, (8, 8)), np.ones((6, 6), int))]
    payload = classic_coder.encode(planes, budget=1 << 30)
    assert payload[0] & classic_coder.PALETTE
    assert np.array_equal(classic_coder.decode(payload, 48, 48, 3), planes)
    # an index beyond the table is a bad file
    bad = bytes([0, 1, 2, 3]) + bytes(2) + bytes([1] * 4)  # 1 colour; rows of "none" with index 1
    with pytest.raises(InvalidFileError, match="palette index"):
        classic_coder.decode(bytes([classic_coder.ZLIB | classic_coder.PALETTE]) + zlib.compress(bad), 2, 2, 3)


@pytest.mark.parametrize("bits", [1, 2, 4])
def test_bundling_packs_indices_into_bytes_and_back(bits: int) -> None:
    rng = np.random.default_rng(bits)
    for w in (1, 7, 8, 9, 33):
        indices = rng.integers(0, 1 << bits, (5, w)).astype(np.uint8)
        packed = classic_coder.bundle(indices, bits)
        assert packed.shape == (5, -(-w * bits // 8))
        assert np.array_equal(classic_coder.unbundle(packed, bits, w), indices)
    assert classic_coder.bundle(np.array([[1, 0, 1, 1]], np.uint8), 1).tolist() == [[0b1101]]  # first pixel: low bit


@pytest.mark.parametrize("planes_count, colours", [(1, 2), (3, 5), (4, 3), (3, 16)])
def test_few_colours_are_bundled_several_to_a_byte(planes_count: int, colours: int) -> None:
    """1-bit scans, icons, pixel art: at most 16 colours go 2-8 indices to a byte, on any
    number of planes (grey, RGB, RGBA)."""
    rng = np.random.default_rng(colours)
    table = rng.integers(0, 256, (colours, planes_count), dtype=np.uint8)
    table[:, 0] = np.arange(colours) * 7  # distinct colours
    planes = table[rng.integers(0, colours, (50, 63))]  # dithering-like detail: bundling pays most
    payload = classic_coder.encode(planes, budget=1 << 30, synthetic=True)
    assert payload[0] & classic_coder.PALETTE and payload[0] & classic_coder.BUNDLED
    assert np.array_equal(classic_coder.decode(payload, 50, 63, planes_count), planes)


def test_bad_bundled_streams_are_refused() -> None:
    table = bytes([2, 0, 9, 200])  # 3 grey levels -> 2 bits per index, 4 to a byte
    rows = bytes([0, 0, 0b10_01_00_00, 0b00_00_00_11])  # 2 filter bytes, 2 rows of 4 pixels; index 3 > 2
    packed = zlib.compress(table + rows)
    with pytest.raises(InvalidFileError, match="palette index"):
        classic_coder.decode(bytes([classic_coder.ZLIB | classic_coder.PALETTE | classic_coder.BUNDLED]) + packed, 2, 4, 1)
    with pytest.raises(InvalidFileError, match="unknown method"):  # bundled needs a palette
        classic_coder.decode(bytes([classic_coder.ZLIB | classic_coder.BUNDLED]) + packed, 2, 4, 1)
    with pytest.raises(InvalidFileError, match="wrong length"):  # 2 rows of 5 pixels need 2 bytes each
        classic_coder.decode(bytes([classic_coder.ZLIB | classic_coder.PALETTE | classic_coder.BUNDLED]) + packed, 2, 5, 1)
    seventeen = zlib.compress(bytes([16]) + bytes(range(17)) + bytes(2) + bytes(2))
    with pytest.raises(InvalidFileError, match="wrong length"):  # more than 16 colours cannot be bundled
        classic_coder.decode(bytes([classic_coder.ZLIB | classic_coder.PALETTE | classic_coder.BUNDLED]) + seventeen, 2, 2, 1)


@pytest.mark.parametrize("settings", [{"preset": 6}, {"preset": 0, "lc": 4, "lp": 0, "pb": 2},
                                      {"preset": 9 | lzma.PRESET_EXTREME, "lc": 0, "pb": 0}])
def test_the_decoder_reads_any_lzma2_settings_from_the_stream(settings) -> None:
    """Streams written with other literal-context / position settings (earlier encoders
    used preset 6's) decode alike: LZMA2 carries them, the decoder knows the dictionary only."""
    planes = _screenshot()
    data = classic_coder.filter_rows(planes)
    raw = lzma.compress(data, format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA2, "dict_size": 1 << 20, **settings}])
    assert np.array_equal(classic_coder.decode(bytes([classic_coder.LZMA]) + raw, *planes.shape), planes)


def test_synthetic_tiles_take_the_smallest_candidate_packed_for_real() -> None:
    """A screenshot's payload is no larger than any candidate packed with the encoder's own
    settings: the choice is made on real sizes, not on a deflate estimate."""
    planes = _screenshot(120, 160)
    payload = classic_coder.encode(planes, budget=1 << 30)
    table, indices = classic_coder._palette(planes)
    head = bytes([len(table) - 1]) + table.tobytes()
    for data in (classic_coder.filter_rows(planes), classic_coder._unfiltered(planes),
                 head + classic_coder.filter_rows(indices), head + classic_coder._unfiltered(indices)):
        assert len(payload) <= len(classic_coder._pack(data, classic_coder._LZMA_SYNTHETIC))
    assert np.array_equal(classic_coder.decode(payload, *planes.shape), planes)


def test_green_is_subtracted_where_that_pays_and_added_back() -> None:
    """Grey-ish UI: R - G and B - G are mostly 0, so the transform wins; decoding adds
    green back, mod 256."""
    rng = np.random.default_rng(5)
    grey = np.kron(rng.integers(0, 256, (12, 12)), np.ones((4, 4), int))
    tint = rng.integers(0, 3, (48, 48, 3))
    planes = np.clip(grey[:, :, None] + tint * (rng.random((48, 48, 1)) < 0.5), 0, 255).astype(np.uint8)
    payload = classic_coder.encode(planes, budget=1 << 30, synthetic=True)
    assert payload[0] & classic_coder.SUBTRACT_GREEN
    assert np.array_equal(classic_coder.decode(payload, 48, 48, 3), planes)
    assert np.array_equal(classic_coder.add_green(classic_coder.subtract_green(planes)), planes)
    wrapped = np.array([[[3, 250, 1]]], np.uint8)  # R - G and B - G wrap around
    assert np.array_equal(classic_coder.add_green(classic_coder.subtract_green(wrapped)), wrapped)


@pytest.mark.parametrize("flags, n", [(classic_coder.SUBTRACT_GREEN | classic_coder.PALETTE, 3),
                                      (classic_coder.SUBTRACT_GREEN, 1), (classic_coder.SUBTRACT_GREEN, 2), (0x80, 3)])
def test_green_subtraction_only_on_three_or_four_planes_without_a_palette(flags: int, n: int) -> None:
    with pytest.raises(InvalidFileError, match="unknown method"):
        classic_coder.decode(bytes([classic_coder.ZLIB | flags]) + zlib.compress(bytes(2 + 2 * 2 * n)), 2, 2, n)
