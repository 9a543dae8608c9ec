"""Exact round trips on awkward inputs, integrity checks, and the size vs the estimate."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

import invcodec
from invcodec import container
from invcodec.codec import compress_samples, decompress_samples
from invcodec.container import StreamKind
from invcodec.errors import InvalidFileError, UnsupportedImageError
from invcodec.registry import get_model
from invcodec.model_file import CodingModel

from .conftest import load_tiny_model, smooth_image, tiny_model_file

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture(scope="module")
def photo() -> CodingModel:
    """A shipped model, named explicitly (the default model is not shipped yet)."""
    return get_model("photo-v1")


@pytest.fixture(scope="module")
def near_haar() -> dict[str, CodingModel]:
    """Tiny models whose nets barely move the integer Haar lifting: unlike the noisier
    shared ones, they beat raw storage on smooth images, so their tiles are flow-coded."""
    return {"fixed64": load_tiny_model("tiny-noise0.01"), "int8": load_tiny_model("tiny-int8-noise0.01")}


def _round_trip(samples: np.ndarray, model: CodingModel, **kwargs) -> bytes:
    data, _ = compress_samples(samples, model, **kwargs)
    assert np.array_equal(decompress_samples(data, model), samples)
    return data


@pytest.mark.parametrize("shape", [(1, 1, 3), (1, 37, 3), (29, 1, 3), (17, 33, 3), (16, 16, 3), (35, 21, 1), (9, 11, 2), (23, 19, 4)])
def test_round_trip_awkward_shapes_shipped_model(photo, shape) -> None:
    h, w, c = shape
    _round_trip(smooth_image(h, w, c, seed=h * w), photo)


@pytest.mark.parametrize("numeric", ["fixed64", "int8"])
def test_round_trip_many_tiles_tiny_models(near_haar, numeric: str) -> None:
    model = near_haar[numeric]
    data = _round_trip(smooth_image(40, 50, 4), model, tile_size=16, classic=False)
    header, streams = container.unpack(data)
    assert header.model_id == model.model_id
    assert len(header.tiles()) == 12 and len(streams) == 24
    assert sum(s.kind == StreamKind.FLOW for s in streams) >= 6


def test_round_trip_autoregressive_model_many_tiles_and_channels(tiny_coding_models) -> None:
    model = tiny_coding_models["autoregressive"]
    for channels in (1, 2, 3, 4):
        data = _round_trip(smooth_image(40, 50, channels, seed=channels), model, tile_size=16, classic=False)
        header, streams = container.unpack(data)
        if channels >= 3:  # (the tiny model's chroma priors are too wide to beat raw on grey)
            assert header.model_id == model.model_id and any(s.kind == StreamKind.FLOW for s in streams)
    with pytest.raises(ValueError, match="lossy"):
        compress_samples(smooth_image(16, 16), model, quality=50)


def test_a_lossy_file_naming_a_lossless_only_model_is_invalid(tiny_coding_models) -> None:
    """A forged lossy header over an autoregressive model's id: one clear error, no crash."""
    model, lossy = tiny_coding_models["autoregressive"], get_model("photo-lossy-v1")
    data, _ = compress_samples(smooth_image(32, 32), lossy, quality=50, classic=False)
    header, streams = container.unpack(data)
    header.model_id = model.model_id
    with pytest.raises(InvalidFileError, match="quantizer does not fit"):
        decompress_samples(container.pack(header, streams), model)


def test_flat_noise_and_gray(photo) -> None:
    _round_trip(np.full((20, 30, 3), 77, np.uint8), photo)
    _round_trip(np.random.default_rng(0).integers(0, 256, (24, 40, 3), dtype=np.uint8), photo)
    grey = smooth_image(32, 48, 1)
    _round_trip(np.repeat(grey, 3, axis=2), photo)
    _round_trip(grey, photo)
    _round_trip(np.stack([grey[..., 0]] * 3 + [np.full((32, 48), 255, np.uint8)], axis=2), photo)
    _round_trip(np.zeros((16, 16, 3), np.uint8), photo)


def test_noise_is_stored_raw_and_never_grows(photo) -> None:
    noise = np.random.default_rng(1).integers(0, 256, (48, 48, 3), dtype=np.uint8)
    data, stats = compress_samples(noise, photo)
    _, streams = container.unpack(data)
    assert streams[0].kind == StreamKind.RAW and stats.flow_bytes == 0
    assert len(data) < noise.size + 100


def test_photo_like_image_beats_raw(photo) -> None:
    samples = smooth_image(128, 128, 3)
    data, stats = compress_samples(samples, photo, classic=False)
    _, streams = container.unpack(data)
    assert all(s.kind == StreamKind.FLOW for s in streams)
    assert stats.bytes == len(data) and stats.sub_pixels == samples.size
    assert stats.bits_per_sub_pixel < 6.0 and stats.flow_bytes == sum(len(s.payload) for s in streams)


def test_constant_alpha_costs_one_byte(photo) -> None:
    rgba = np.concatenate([smooth_image(32, 32, 3), np.full((32, 32, 1), 200, np.uint8)], axis=2)
    data = _round_trip(rgba, photo)
    _, streams = container.unpack(data)
    assert streams[1].kind == StreamKind.CONSTANT and streams[1].payload == b"\xc8"


def test_a_one_colour_tile_costs_three_bytes_in_either_mode(photo) -> None:
    """A flat colour (a slide background, a blank tile of a screenshot) is one constant
    stream of its three samples, lossless or lossy, and decodes to exactly that colour."""
    flat = np.broadcast_to(np.array([12, 200, 77], np.uint8), (40, 56, 3)).copy()
    for model, quality in ((photo, None), (get_model("photo-lossy-v1"), 50)):
        data, _ = compress_samples(flat, model, quality=quality)
        header, streams = container.unpack(data)
        assert [(s.kind, s.payload) for s in streams] == [(StreamKind.CONSTANT, bytes([12, 200, 77]))]
        np.testing.assert_array_equal(decompress_samples(data, model), flat)
    damaged = container.pack(header, [container.Stream(StreamKind.CONSTANT, b"\x0c\xc8")])  # two samples for three planes
    with pytest.raises(InvalidFileError, match="constant"):
        decompress_samples(damaged, model)


def test_bytes_do_not_depend_on_the_thread_count(near_haar) -> None:
    model = near_haar["int8"]
    samples = smooth_image(48, 40, 4, seed=2)
    one = compress_samples(samples, model, tile_size=16, threads=1, classic=False)[0]
    assert sum(s.kind == StreamKind.FLOW for s in container.unpack(one)[1]) >= 6
    assert compress_samples(samples, model, tile_size=16, threads=3, classic=False)[0] == one
    assert np.array_equal(decompress_samples(one, model, threads=3), samples)


def test_corrupted_payload_is_detected_never_wrong_pixels(photo) -> None:
    samples = smooth_image(64, 64, 3)
    data = bytearray(compress_samples(samples, photo, classic=False)[0])
    _, table, offset = container.unpack_header(bytes(data))
    assert table[0][0] == StreamKind.FLOW
    detected = 0
    for k in range(40):
        corrupted = bytearray(data)
        corrupted[offset + (k * 97) % table[0][1]] ^= 1 << (k % 8)
        try:
            out = decompress_samples(bytes(corrupted))  # the model found by the file's id
        except InvalidFileError:
            detected += 1
            continue
        assert np.array_equal(out, samples)  # never silently different pixels
    assert detected > 30


def test_wrong_or_missing_model_is_a_clear_error() -> None:
    samples = smooth_image(32, 32, 3)
    model = load_tiny_model("tiny-noise0.01")
    data = compress_samples(samples, model, classic=False)[0]
    assert container.unpack(data)[1][0].kind == StreamKind.FLOW
    with pytest.raises(InvalidFileError, match="not installed"):
        decompress_samples(data)
    with pytest.raises(InvalidFileError, match="different model"):
        decompress_samples(data, load_tiny_model("tiny-seed1-noise0.01"))
    assert np.array_equal(decompress_samples(data, model), samples)


def test_files_without_flow_streams_decode_without_a_model(photo) -> None:
    noise = np.random.default_rng(2).integers(0, 256, (20, 20, 2), dtype=np.uint8)
    data = compress_samples(noise, photo)[0]
    assert all(s.kind != StreamKind.FLOW for s in container.unpack(data)[1])
    assert np.array_equal(decompress_samples(data), noise)


def test_the_api_takes_a_model_by_name_or_path(tmp_path) -> None:
    image = Image.fromarray(smooth_image(32, 32, 3))
    data = invcodec.compress(image, "photo-v1", classic=False)
    assert container.unpack(data)[0].model_id == get_model("photo-v1").model_id
    assert np.array_equal(np.asarray(invcodec.decompress(data, "photo-v1")), np.asarray(image))
    path = tiny_model_file("tiny-noise0.01", tmp_path, "a")  # a model file that is not shipped
    model = get_model(str(path))
    data = invcodec.compress(image, str(path), classic=False)
    assert container.unpack(data)[0].model_id == model.model_id
    assert np.array_equal(np.asarray(invcodec.decompress(data, str(path))), np.asarray(image))
    with pytest.raises(ValueError, match="unknown model 'photo-v9'"):
        invcodec.compress(image, "photo-v9")


def test_public_api_with_pil_images(photo) -> None:
    for mode, arr in [("RGB", smooth_image(20, 24, 3)), ("L", smooth_image(20, 24, 1)[..., 0]),
                      ("RGBA", smooth_image(20, 24, 4)), ("LA", smooth_image(20, 24, 2))]:
        image = Image.fromarray(arr, mode)
        back = invcodec.decompress(invcodec.compress(image, photo))  # decompress finds the model by id
        assert back.mode == mode and np.array_equal(np.asarray(back), np.asarray(image))


def test_palette_and_bilevel_are_converted_exactly(photo) -> None:
    rgb = Image.fromarray(smooth_image(20, 24, 3))
    pal = rgb.quantize(16)
    assert np.array_equal(np.asarray(invcodec.decompress(invcodec.compress(pal, photo))), np.asarray(pal.convert("RGB")))
    bilevel = Image.fromarray(smooth_image(20, 24, 1)[..., 0]).convert("1")
    assert np.array_equal(np.asarray(invcodec.decompress(invcodec.compress(bilevel, photo))), np.asarray(bilevel.convert("L")))


def test_decompress_rejects_garbage() -> None:
    with pytest.raises(InvalidFileError):
        invcodec.decompress(b"")
    with pytest.raises(InvalidFileError):
        invcodec.decompress(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)


def test_geometry_is_validated_before_coding(photo) -> None:
    with pytest.raises(ValueError, match="tile size"):
        compress_samples(smooth_image(8, 8), photo, tile_size=17)
    with pytest.raises(UnsupportedImageError, match="channel"):  # the input is at fault, not a file
        compress_samples(np.zeros((4, 4, 5), np.uint8), photo)
    with pytest.raises(UnsupportedImageError, match=r"70000x1 is outside the supported range \(sides 1..65536"):
        compress_samples(np.zeros((1, 70000, 3), np.uint8), photo)
    wide = np.broadcast_to(np.zeros((1, 1, 1), np.uint8), (528, 65536, 1))  # 135 168 tiles of 16: over the limit
    with pytest.raises(UnsupportedImageError, match=r"more than 131072 \(its smallest tile size is 32\)"):
        compress_samples(wide, photo, tile_size=16)


@pytest.mark.parametrize("quality", [50.5, "50", True, 0, 101, -3])
def test_a_quality_that_is_not_a_whole_number_in_range_is_a_clear_value_error(quality) -> None:
    image = Image.fromarray(smooth_image(8, 8))
    with pytest.raises(ValueError, match=r"quality must be a whole number in 1\.\.100"):
        invcodec.compress(image, quality=quality)  # no model is loaded before the check


def test_the_api_takes_numpy_arrays_and_paths(photo, tmp_path) -> None:
    rgb, grey = smooth_image(12, 10, 3), smooth_image(12, 10, 1)[..., 0]
    assert np.array_equal(np.asarray(invcodec.decompress(invcodec.compress(rgb, photo))), rgb)
    back = invcodec.decompress(invcodec.compress(grey, photo))
    assert back.mode == "L" and np.array_equal(np.asarray(back), grey)
    Image.fromarray(rgb).save(tmp_path / "x.png")
    data = invcodec.compress(tmp_path / "x.png", photo)
    (tmp_path / "x.inv").write_bytes(data)
    for source in (str(tmp_path / "x.png"), tmp_path / "x.png"):
        assert invcodec.compress(source, photo) == data
    assert np.array_equal(np.asarray(invcodec.decompress(tmp_path / "x.inv")), rgb)  # decompress takes a path too
    with pytest.raises(invcodec.UnsupportedImageError, match="uint8"):
        invcodec.compress(rgb.astype(np.float32), photo)
    with pytest.raises(TypeError, match="PIL image, a uint8 numpy array or a file path"):
        invcodec.compress([[1, 2], [3, 4]], photo)
    with pytest.raises(TypeError, match="bytes of a .inv file"):
        invcodec.decompress(12)


def test_the_api_keeps_the_icc_profile_exif_and_xmp_and_never_applies_the_orientation(photo, tmp_path) -> None:
    import warnings

    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.fromarray(smooth_image(8, 8)).save(tmp_path / "icc.png", icc_profile=icc)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = invcodec.compress(tmp_path / "icc.png", photo)
    back = invcodec.decompress(data, photo)
    assert back.info["icc_profile"] == icc and np.array_equal(np.asarray(back), smooth_image(8, 8))
    assert "icc_profile" not in invcodec.decompress(invcodec.compress(smooth_image(8, 8), photo), photo).info
    exif = Image.Exif()
    exif[0x0112] = 3
    Image.fromarray(smooth_image(8, 8)).save(tmp_path / "rotated.jpg", exif=exif, xmp=b"<x:xmpmeta/>", quality=95)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing of it is lost: no warning
        back = invcodec.decompress(invcodec.compress(tmp_path / "rotated.jpg", photo), photo)
    with Image.open(tmp_path / "rotated.jpg") as original:
        assert back.info["exif"] == original.info["exif"] and back.info["xmp"] == original.info["xmp"] == b"<x:xmpmeta/>"
        assert back.getexif()[0x0112] == 3 and np.array_equal(np.asarray(back), np.asarray(original))  # not applied


def test_16_bit_samples_round_trip_and_are_lossless_only(photo) -> None:
    deep = smooth_image(20, 30, 3).astype(np.uint16) * 251 + np.arange(30, dtype=np.uint16)[None, :, None]
    data, stats = compress_samples(deep, photo, threads=1)
    assert container.unpack(data)[0].bit_depth == 16 and stats.sub_pixels == deep.size
    back = decompress_samples(data, threads=2)
    assert back.dtype == np.uint16 and np.array_equal(back, deep)
    assert decompress_samples(compress_samples(deep[:, :, :1], photo, tile_size=16)[0]).dtype == np.uint16
    with pytest.raises(UnsupportedImageError, match="losslessly only"):
        compress_samples(deep, photo, quality=50)


def test_an_icc_profile_changes_nothing_but_the_header(photo) -> None:
    plain, _ = compress_samples(smooth_image(8, 8), photo)
    with_icc, _ = compress_samples(smooth_image(8, 8), photo, icc_profile=b"profile bytes")
    assert plain[8] == with_icc[8] == container.FORMAT_VERSION
    assert container.unpack_header(with_icc)[0].icc_profile == b"profile bytes"
    assert container.unpack(with_icc)[1] == container.unpack(plain)[1]
    assert np.array_equal(decompress_samples(with_icc, photo), decompress_samples(plain, photo))


def test_container_read_takes_no_more_than_the_header_declares(photo) -> None:
    import io

    data, _ = compress_samples(smooth_image(20, 24, 3), photo)

    class Endless(io.RawIOBase):
        """The file's bytes, then zeros forever (counts what was read)."""

        def __init__(self, prefix: bytes) -> None:
            self.prefix, self.read_bytes = prefix, 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            n = len(buffer)
            chunk = (self.prefix[self.read_bytes : self.read_bytes + n]).ljust(n, b"\0")
            buffer[:n] = chunk
            self.read_bytes += n
            return n

    assert container.read(io.BytesIO(data)) == data
    endless = Endless(data)
    with pytest.raises(InvalidFileError, match="padded"):
        container.read(endless)
    assert endless.read_bytes <= len(data) + 1
    zeros = Endless(b"")
    with pytest.raises(InvalidFileError, match="bad magic"):
        container.read(zeros)
    assert zeros.read_bytes <= len(container.MAGIC) + 1
    with pytest.raises(InvalidFileError, match="truncated"):
        container.read(io.BytesIO(data[:-1]))
    # a valid header whose stream table declares more than the raw pixels: refused before reading
    header, table, offset = container.unpack_header(data)
    kind, _ = table[0]
    empty = container.pack(header, [container.Stream(kind, b"")])
    head = empty[: len(empty) - 4 - 1] + container._varint(1 << 31)  # the one stream entry's length, then the CRC
    head += struct.pack("<I", zlib.crc32(head))
    with pytest.raises(InvalidFileError, match="more than the raw pixels"):
        container.read(Endless(head))



def test_images_with_flat_areas_also_try_small_tiles(photo, monkeypatch) -> None:
    """A letterboxed photo: flat bars inside big tiles cost the flow about a bit per
    sample, so the encoder also tries FLAT_TILE_SIZE and keeps the smaller file; a photo
    without flat areas is coded once, in DEFAULT_TILE_SIZE tiles; lossy files too."""
    from invcodec import codec
    from invcodec.flat_tiles import FLAT_TILE_SIZE
    from invcodec.options import DEFAULT_TILE_SIZE

    tried = []
    real = codec._compress_tiled

    def spy(samples, model, tile_size, options):
        result = real(samples, model, tile_size, options)
        tried.append((tile_size, len(result[0])))
        return result

    monkeypatch.setattr(codec, "_compress_tiled", spy)
    boxed = np.zeros((192, 192, 3), np.uint8)
    boxed[64:128, 40:150] = smooth_image(64, 110)
    data, _ = compress_samples(boxed, photo, threads=1, classic=False)  # flow streams: flat areas cost bits
    assert [t for t, _ in tried] == [DEFAULT_TILE_SIZE, FLAT_TILE_SIZE]
    assert len(data) == min(n for _, n in tried)
    assert container.unpack_header(data)[0].tile_size == min(tried, key=lambda t: t[1])[0]
    assert np.array_equal(decompress_samples(data, photo), boxed)
    for samples, quality, model, classic in ((smooth_image(80, 96), None, photo, False),  # no flat areas
                                             (boxed, 50, get_model("photo-lossy-v1"), True),  # lossy
                                             (boxed, None, get_model("photo-v4"), False),  # its flat areas are free
                                             (boxed, None, photo, True)):  # classic streams only: flat areas are free
        tried.clear()
        data, _ = compress_samples(samples, model, quality=quality, threads=1, classic=classic)
        assert [t for t, _ in tried] == [DEFAULT_TILE_SIZE]
    assert all(s.kind != StreamKind.FLOW for s in container.unpack(data)[1])
    noisy = np.zeros_like(boxed)  # no flow stream, but over a bit per sample: photo-like enough to try
    noisy[64:128, 40:150] = np.random.default_rng(1).integers(0, 256, (64, 110, 3), dtype=np.uint8)
    tried.clear()
    data, _ = compress_samples(noisy, photo, threads=1)
    assert [t for t, _ in tried] == [DEFAULT_TILE_SIZE, FLAT_TILE_SIZE] and 8 * tried[0][1] >= noisy.size
    tried.clear()
    compress_samples(boxed, photo, tile_size=32, threads=1)  # a tile size given is the tile size used
    assert [t for t, _ in tried] == [32]


def test_the_pixel_crc_is_the_crc_of_the_raster_bytes_without_a_copy_of_the_image() -> None:
    import zlib

    from invcodec.codec import CRC_ROWS, pixel_crc

    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (3 * CRC_ROWS + 5, 7, 3), dtype=np.uint8)
    assert pixel_crc(image) == zlib.crc32(image.tobytes())
    view = np.zeros((300, 40, 4), np.uint8)[::2, 3:20, :3]  # not contiguous: each band is copied, not the image
    view[...] = rng.integers(0, 256, view.shape, dtype=np.uint8)
    assert pixel_crc(view) == zlib.crc32(np.ascontiguousarray(view).tobytes())
    assert pixel_crc(np.zeros((0, 5, 3), np.uint8)) == zlib.crc32(b"")


def test_a_torch_effort_without_torch_is_one_clear_error(monkeypatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    pixels = smooth_image(16, 16)
    with pytest.raises(ValueError, match="effort 8 adapts the model to the image, which needs torch"):
        compress_samples(pixels, effort=8)
    with pytest.raises(ValueError, match="effort 9 searches the lossy latents, which needs torch"):
        compress_samples(pixels, quality=50, effort=9)
    assert decompress_samples(compress_samples(pixels, effort=6)[0]).tobytes() == pixels.tobytes()
    # a lifting model is never adapted: lossless, the effort asks for nothing torch does
    assert decompress_samples(compress_samples(pixels, "photo-v3", effort=8)[0]).tobytes() == pixels.tobytes()


def test_decoding_holds_the_image_and_no_copy_of_its_tiles() -> None:
    """A file's memory is its image's raw size plus a tile per thread (the crafted 8 KB file
    of a 65536 x 4096 RGBA image with a wrong CRC: 1.1 GB, where the tiles were once kept too)."""
    import tracemalloc

    header = container.Header(2048, 2048, 4, 512, b"", 12345)  # a wrong pixel CRC
    data = container.pack(header, [container.Stream(StreamKind.CONSTANT, b"\x10\x20\x30" if i % 2 == 0 else b"\xff")
                                   for i in range(2 * header.tile_count)])
    tracemalloc.start()
    try:
        with pytest.raises(InvalidFileError, match="pixel checksum mismatch"):
            decompress_samples(data, threads=2)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    raw = 2048 * 2048 * 4
    assert raw < peak < raw + 4 * 512 * 512 * 4


@pytest.mark.parametrize("shape, dtype, tile", [((150, 97, 4), np.uint8, 64), ((70, 45, 3), np.uint16, 32),
                                               ((33, 130, 2), np.uint8, 32), ((20, 20, 1), np.uint8, 64)])
def test_decoded_bands_are_the_decoded_image_a_band_of_tile_rows_at_a_time(photo, shape, dtype, tile) -> None:
    from invcodec.codec import decode, decode_bands

    samples = smooth_image(shape[0], shape[1], shape[2]).astype(dtype) * (257 if dtype == np.uint16 else 1)
    data, _ = compress_samples(samples, photo, tile_size=tile, threads=2)
    decoded = decode_bands(data, photo, threads=2)
    bands = [band.copy() for band in decoded.bands]  # (each band is reused for the next)
    assert [len(b) for b in bands] == [min(tile, shape[0] - top) for top in range(0, shape[0], tile)]
    assert np.concatenate(bands).tobytes() == decode(data, photo)[0].tobytes() == samples.tobytes()
    assert decoded.header.width == shape[1] and decoded.header.pixel_crc32 == container.unpack(data)[0].pixel_crc32


def test_a_wrong_pixel_crc_is_raised_after_the_last_band_and_a_band_holds_a_tile_row(photo) -> None:
    """Memory follows a band (tile_size rows of the image) and the tiles queued for the
    threads, not the image: the crafted 8 KB file of a 65536 x 4096 RGBA image with a
    wrong CRC holds one 512-row band."""
    import tracemalloc

    from invcodec.codec import decode_bands
    from invcodec.tiling import QUEUED_PER_THREAD

    header = container.Header(2048, 2048, 4, 256, b"", 12345)  # a wrong pixel CRC
    data = container.pack(header, [container.Stream(StreamKind.CONSTANT, b"\x10\x20\x30" if i % 2 == 0 else b"\xff")
                                   for i in range(2 * header.tile_count)])
    tracemalloc.start()
    try:
        bands = decode_bands(data, threads=2).bands
        rows = 0
        with pytest.raises(InvalidFileError, match="pixel checksum mismatch"):
            for band in bands:
                rows += len(band)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert rows == 2048
    band, tile = 256 * 2048 * 4, 256 * 256 * 4
    assert band < peak < band + (QUEUED_PER_THREAD + 2) * 2 * tile < 2048 * 2048 * 4 // 2
