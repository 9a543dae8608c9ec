"""Image <-> .inv bytes: tiles, planes, the escape to raw storage, and the pixel CRC.

The image is cut into tiles (``tile_size`` square, so memory is bounded by the tile, not
the image) that are coded independently. Per tile, the colour planes (grey is coded as
three equal planes) go through the integer flow; alpha is stored as a constant when it is
one, through the flow otherwise. Whenever the flow's stream would be larger than the raw
bytes (tiny images, noise) or a latent leaves the coder's range, the raw bytes are stored
instead: a file is never larger than the raw pixels plus the header."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image
from tqdm import tqdm

from . import container, latent_coder, pixels
from .container import Header, Stream, StreamKind
from .errors import InvalidFileError
from .model import IntegerFlowModel
from .registry import default_model, model_by_id
from .weights import model_id

DEFAULT_TILE_SIZE = 512


@dataclass
class CompressStats:
    bytes: int
    sub_pixels: int
    flow_bytes: int  # bytes of the flow-coded streams
    flow_estimated_bits: float  # the model's code length for those streams

    @property
    def bits_per_sub_pixel(self) -> float:
        return 8 * self.bytes / self.sub_pixels


def _pixel_crc(samples: np.ndarray) -> int:
    return zlib.crc32(np.ascontiguousarray(samples).tobytes())


def _encode_planes(model: IntegerFlowModel, planes: np.ndarray, stats: CompressStats) -> Stream:
    """(h, w, 1 or 3) uint8 -> the smallest of flow / raw (/ constant for one plane)."""
    raw = Stream(StreamKind.RAW, np.ascontiguousarray(planes).tobytes())
    if planes.shape[2] == 1 and (planes == planes.flat[0]).all():
        return Stream(StreamKind.CONSTANT, bytes([int(planes.flat[0])]))
    three = planes if planes.shape[2] == 3 else np.repeat(planes, 3, axis=2)
    tile = latent_coder.encode_tile(model, three)
    if tile is None or len(tile.payload) >= len(raw.payload):
        return raw
    stats.flow_bytes += len(tile.payload)
    stats.flow_estimated_bits += tile.estimated_bits
    return Stream(StreamKind.FLOW, tile.payload)


def _decode_planes(model: IntegerFlowModel | None, stream: Stream, h: int, w: int, n: int) -> np.ndarray:
    if stream.kind == StreamKind.RAW:
        if len(stream.payload) != h * w * n:
            raise InvalidFileError("raw stream has the wrong length")
        return np.frombuffer(stream.payload, dtype=np.uint8).reshape(h, w, n)
    if stream.kind == StreamKind.CONSTANT:
        if n != 1 or len(stream.payload) != 1:
            raise InvalidFileError("invalid constant stream")
        return np.full((h, w, 1), stream.payload[0], dtype=np.uint8)
    try:
        three = latent_coder.decode_tile(model, stream.payload, h, w)
    except Exception as e:  # whatever a corrupted stream makes the coder raise, it is a bad file
        raise InvalidFileError(f"corrupted flow stream ({e})") from None
    return three[:, :, :n]


def compress_samples(
    samples: np.ndarray, model: IntegerFlowModel | None = None, tile_size: int = DEFAULT_TILE_SIZE, progress: bool = False
) -> tuple[bytes, CompressStats]:
    """(H, W, C) uint8 samples, C in 1..4 -> .inv bytes and what it cost."""
    model = model or default_model()
    h, w, c = samples.shape
    container.validate_geometry(w, h, c, tile_size)
    header = Header(w, h, c, tile_size, model_id(model), _pixel_crc(samples))
    stats = CompressStats(0, h * w * c, 0, 0.0)
    colour = header.colour_planes
    streams = []
    tiles = header.tiles()
    for top, left, th, tw in tqdm(tiles, disable=not progress or len(tiles) < 2, unit="tile", leave=False):
        region = samples[top : top + th, left : left + tw]
        streams.append(_encode_planes(model, region[:, :, :colour], stats))
        if header.has_alpha:
            streams.append(_encode_planes(model, region[:, :, colour:], stats))
    data = container.pack(header, streams)
    stats.bytes = len(data)
    return data, stats


def decompress_samples(data: bytes, model: IntegerFlowModel | None = None, progress: bool = False) -> np.ndarray:
    """.inv bytes -> (H, W, C) uint8 samples, verified against the stored CRC."""
    header, streams = container.unpack(data)
    if any(s.kind == StreamKind.FLOW for s in streams):
        if model is None:
            model = model_by_id(header.model_id)
        elif model_id(model) != header.model_id:
            raise InvalidFileError("the file was written with a different model than the one given")
    # (without flow streams no model is needed: raw and constant tiles decode anywhere)
    out = np.empty((header.height, header.width, header.channels), dtype=np.uint8)
    colour = header.colour_planes
    it = iter(streams)
    tiles = header.tiles()
    for top, left, th, tw in tqdm(tiles, disable=not progress or len(tiles) < 2, unit="tile", leave=False):
        out[top : top + th, left : left + tw, :colour] = _decode_planes(model, next(it), th, tw, colour)
        if header.has_alpha:
            out[top : top + th, left : left + tw, colour:] = _decode_planes(model, next(it), th, tw, 1)
    if _pixel_crc(out) != header.pixel_crc32:
        raise InvalidFileError("pixel checksum mismatch: the file is corrupted or was decoded on an incompatible model")
    return out


def compress(image: Image.Image, model: IntegerFlowModel | None = None, tile_size: int = DEFAULT_TILE_SIZE) -> bytes:
    """Losslessly compress a PIL image (L, LA, RGB, RGBA; bilevel and palette are
    converted exactly) to the bytes of a .inv file."""
    return compress_samples(pixels.to_samples(image), model, tile_size)[0]


def decompress(data: bytes, model: IntegerFlowModel | None = None) -> Image.Image:
    """The bytes of a .inv file -> the exact PIL image. Raises ``InvalidFileError``."""
    return pixels.from_samples(decompress_samples(data, model))
