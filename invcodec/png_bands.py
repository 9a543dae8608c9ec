"""PNG files written and read a band of rows at a time, for images too large to hold twice:
memory follows the band, not the image. Every row is Sub-filtered (PNG filter type 1:
one vectorised subtraction) and deflated as it comes; the chunks are pypng's. The
reader reads what the writer writes (8 or 16 bits, filter types 0 and 1, no
interlacing), to check an output."""

from __future__ import annotations

import struct
import zlib
from typing import BinaryIO, Iterable, Iterator

import numpy as np
import png

COLOUR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type: grey, grey + alpha, RGB, RGBA
NONE, SUB = 0, 1  # PNG filter types
# Sub and level 3: photos about as small as Pillow's PNGs (per-row filters, level 6) in a
# quarter of its time (results/implementation-choices.md)
DEFLATE_LEVEL = 3
IDAT_BYTES = 1 << 20  # deflated bytes per IDAT chunk
FILTER_BYTES = 1 << 22  # rows filtered (and read back) together: a few MB of temporaries, not a band's


def write(file: BinaryIO, bands: Iterable[np.ndarray], width: int, height: int, channels: int,
          chunks: Iterable[tuple[bytes, bytes]] = ()) -> None:
    """A PNG of ``height`` rows given as ``bands`` of (rows, width, channels) uint8 or uint16
    samples (the first band's type sets the bit depth), with the ancillary ``chunks``
    (tag, data) after its header. Each band is used before the next is asked for."""
    file.write(png.signature)
    deflate = zlib.compressobj(DEFLATE_LEVEL)
    pending, rows, bit_depth = bytearray(), 0, None
    for band in bands:
        if bit_depth is None:
            bit_depth = 8 * band.dtype.itemsize
            png.write_chunk(file, b"IHDR", struct.pack("!2I5B", width, height, bit_depth, COLOUR_TYPES[channels], 0, 0, 0))
            for tag, data in chunks:
                png.write_chunk(file, tag, data)
        if band.shape[1:] != (width, channels) or 8 * band.dtype.itemsize != bit_depth:
            raise ValueError(f"a band of {band.shape} {band.dtype} in a {width}x{height}x{channels} {bit_depth}-bit PNG")
        step = max(1, FILTER_BYTES // band[0].nbytes)
        for top in range(0, len(band), step):
            pending += deflate.compress(_sub_filtered(band[top : top + step]))
            while len(pending) >= IDAT_BYTES:
                png.write_chunk(file, b"IDAT", bytes(pending[:IDAT_BYTES]))
                del pending[:IDAT_BYTES]
        rows += len(band)
    if rows != height:
        raise ValueError(f"{rows} rows given for a PNG of {height}")
    pending += deflate.flush()
    for start in range(0, len(pending), IDAT_BYTES):
        png.write_chunk(file, b"IDAT", bytes(pending[start : start + IDAT_BYTES]))
    png.write_chunk(file, b"IEND")


def _sub_filtered(samples: np.ndarray) -> np.ndarray:
    """(rows, width, channels) samples -> their PNG rows, each a filter byte and the
    difference of each byte from the same byte of the pixel to its left."""
    rows = _as_bytes(samples)
    step = samples.shape[2] * samples.dtype.itemsize  # bytes per pixel
    out = np.empty((rows.shape[0], 1 + rows.shape[1]), np.uint8)
    out[:, 0] = SUB
    out[:, 1 : 1 + step] = rows[:, :step]
    np.subtract(rows[:, step:], rows[:, :-step], out=out[:, 1 + step :])
    return out


def _as_bytes(samples: np.ndarray) -> np.ndarray:
    """(rows, width, channels) samples as (rows, bytes) in PNG's order (16 bits big-endian)."""
    rows = samples.reshape(samples.shape[0], -1)
    return rows.astype(">u2").view(np.uint8) if samples.dtype.itemsize == 2 else rows


def read(file: BinaryIO) -> Iterator[np.ndarray]:
    """The samples of a PNG as ``write`` writes them, a few MB of rows at a time:
    (rows, width, channels) uint8 or uint16 arrays, top to bottom. A PNG ``write`` does
    not write (interlaced, palette, other bit depths or filter types) is a ValueError."""
    reader = png.Reader(file=file)
    chunks = reader.chunks()
    tag, data = next(chunks)
    if tag != b"IHDR":
        raise ValueError("not a PNG: it starts with no IHDR chunk")
    width, height, bit_depth, colour, _, _, interlace = struct.unpack("!2I5B", data)
    channels = {c: n for n, c in COLOUR_TYPES.items()}.get(colour)
    if channels is None or bit_depth not in (8, 16) or interlace:
        raise ValueError(f"a PNG of colour type {colour}, {bit_depth} bits, interlace {interlace} is not read here")
    stride = 1 + width * channels * bit_depth // 8
    step = max(1, FILTER_BYTES // stride)
    pending, rows = bytearray(), 0
    for raw in _inflated(chunks, step * stride):
        pending += raw
        while len(pending) >= min(step, height - rows) * stride > 0:
            count = min(step, height - rows)
            yield _unfiltered(pending[: count * stride], count, width, channels, bit_depth)
            del pending[: count * stride]
            rows += count
    if rows != height or pending:
        raise ValueError(f"the PNG holds {rows} rows and {len(pending)} bytes more, for {height} rows")


def _inflated(chunks: Iterator[tuple[bytes, bytes]], most: int) -> Iterator[bytes]:
    """The IDAT chunks' data inflated, at most ``most`` bytes at a time (a constant
    image's megabyte of chunk holds a gigabyte)."""
    inflate = zlib.decompressobj()
    for tag, data in chunks:
        while tag == b"IDAT" and data:
            yield inflate.decompress(data, most)
            data = inflate.unconsumed_tail
    while not inflate.eof and (rest := inflate.decompress(b"", most)):
        yield rest


def _unfiltered(data: bytearray, count: int, width: int, channels: int, bit_depth: int) -> np.ndarray:
    lines = np.frombuffer(bytes(data), np.uint8).reshape(count, -1)
    filters, pixels = lines[:, 0], lines[:, 1:].reshape(count, width, -1)  # (rows, pixels, bytes per pixel)
    if not np.isin(filters, (NONE, SUB)).all():
        raise ValueError(f"PNG filter types {sorted(set(filters.tolist()) - {NONE, SUB})} are not read here")
    sub = filters == SUB
    pixels = pixels.copy()
    pixels[sub] = np.cumsum(pixels[sub], axis=1, dtype=np.uint8)  # each byte plus the same byte to its left, mod 256
    if bit_depth == 16:
        return pixels.reshape(count, -1).view(">u2").astype(np.uint16).reshape(count, width, channels)
    return pixels.reshape(count, width, channels)
