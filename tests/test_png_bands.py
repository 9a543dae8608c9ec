"""PNG written and read a band of rows at a time: what other readers read, exactly."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import png
import pytest
from PIL import Image

from invcodec import png_bands

from .conftest import smooth_image


def _written(samples: np.ndarray, band_rows: int, chunks=()) -> bytes:
    h, w, c = samples.shape
    buf = io.BytesIO()
    png_bands.write(buf, (samples[top : top + band_rows] for top in range(0, h, band_rows)), w, h, c, chunks)
    return buf.getvalue()


def _pypng_samples(data: bytes) -> np.ndarray:
    width, height, rows, info = png.Reader(bytes=data).read()
    return np.vstack([np.asarray(row, np.uint16 if info["bitdepth"] == 16 else np.uint8) for row in rows]).reshape(
        height, width, info["planes"])


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
@pytest.mark.parametrize("deep", [False, True])
def test_other_readers_read_the_samples_written(channels, deep, monkeypatch) -> None:
    monkeypatch.setattr(png_bands, "FILTER_BYTES", 1000)  # several filtered pieces per band, and per IDAT
    monkeypatch.setattr(png_bands, "IDAT_BYTES", 300)
    samples = smooth_image(37, 29, channels)
    if deep:
        samples = samples.astype(np.uint16) * 257 + np.arange(29, dtype=np.uint16)[:, None]
    data = _written(samples, 8)
    assert np.array_equal(_pypng_samples(data), samples)
    if not deep:
        assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))).reshape(samples.shape), samples)
    back = list(png_bands.read(io.BytesIO(data)))
    assert len(back) > 1 and np.concatenate(back).dtype == samples.dtype
    assert np.array_equal(np.concatenate(back), samples)


def test_a_constant_image_is_read_back_in_bounded_pieces() -> None:
    """A megabyte of deflated rows may hold a gigabyte: the reader inflates a few MB at a time."""
    samples = np.full((2000, 3000, 4), 7, np.uint8)
    pieces = list(png_bands.read(io.BytesIO(_written(samples, 500))))
    assert max(p.nbytes for p in pieces) <= png_bands.FILTER_BYTES
    assert all((p == 7).all() for p in pieces) and sum(len(p) for p in pieces) == 2000


def test_the_chunks_given_follow_the_header() -> None:
    chunks = [(b"tEXt", b"Comment\x00one"), (b"tEXt", b"Comment\x00two")]
    data = _written(smooth_image(9, 11, 3), 4, chunks)
    assert [c for c in png.Reader(bytes=data).chunks()][1:3] == chunks


def test_bands_that_do_not_fit_the_header_are_refused() -> None:
    samples = smooth_image(10, 12, 3)
    with pytest.raises(ValueError, match="rows given"):
        png_bands.write(io.BytesIO(), iter([samples[:6]]), 12, 10, 3)
    with pytest.raises(ValueError, match="a band of"):
        png_bands.write(io.BytesIO(), iter([samples[:5], samples[5:, :, :2]]), 12, 10, 3)


def _png(ihdr: tuple, rows: bytes) -> bytes:
    buf = io.BytesIO()
    png.write_chunks(buf, [(b"IHDR", struct.pack("!2I5B", *ihdr)), (b"IDAT", zlib.compress(rows)), (b"IEND", b"")])
    return buf.getvalue()


def test_what_the_writer_never_writes_is_not_read() -> None:
    assert np.array_equal(next(png_bands.read(io.BytesIO(_png((2, 1, 8, 0, 0, 0, 0), b"\x00\x05\x06")))), [[[5], [6]]])
    with pytest.raises(ValueError, match="filter types \\[4\\]"):
        list(png_bands.read(io.BytesIO(_png((2, 1, 8, 0, 0, 0, 0), b"\x04\x05\x06"))))
    with pytest.raises(ValueError, match="interlace 1"):
        list(png_bands.read(io.BytesIO(_png((2, 1, 8, 0, 0, 0, 1), b"\x00\x05\x06"))))
    with pytest.raises(ValueError, match="colour type 3"):
        list(png_bands.read(io.BytesIO(_png((2, 1, 8, 3, 0, 0, 0), b"\x00\x05\x06"))))
    with pytest.raises(ValueError, match="holds 0 rows and 3 bytes more, for 2 rows"):
        list(png_bands.read(io.BytesIO(_png((2, 2, 8, 0, 0, 0, 0), b"\x00\x05\x06"))))
