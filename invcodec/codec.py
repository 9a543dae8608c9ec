"""Image <-> .inv bytes: tiles, planes, the escape to raw storage, and the pixel CRC.

The image is cut into tiles (``tile_size`` square, so memory is bounded by the tile, not
the image) that are coded independently. Per tile, the colour planes (grey is coded as
three equal planes) go through the integer flow; alpha is stored as a constant when it is
one, through the flow otherwise. Whenever the flow's stream would be larger than the raw
bytes (tiny images, noise) or a latent leaves the coder's range, the raw bytes are stored
instead: a file is never larger than the raw pixels plus the header.

Lossy mode (a quality 1..100) quantizes the colour planes' latents (``lossy_coder``);
alpha stays exact. The file's pixel CRC is then over the pixels the decoder will
produce, which the encoder knows exactly because it runs the decoder's walk."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image
from tqdm import tqdm

from . import container, latent_coder, lossy_coder, pixels, quantizer
from .container import Header, Mode, Quantizer, Stream, StreamKind
from .errors import InvalidFileError
from .lossy_coder import LossySettings
from .model import IntegerFlowModel
from .registry import default_lossy_model, default_model, model_by_id
from .weights import model_id

DEFAULT_TILE_SIZE = 512
# Encoder choices for lossy mode, tuned on photos-dev (benchmarks/lossy_tuning.py):
RECON_OFFSET = 0  # 1/256 steps towards the mean (stored in the file)
DEADZONE = 0.15  # widening of the zero bin, in steps (encoder only)


@dataclass
class CompressStats:
    bytes: int
    sub_pixels: int
    flow_bytes: int  # bytes of the flow-coded streams
    flow_estimated_bits: float  # the model's code length for those streams
    psnr: float | None = None  # lossy mode: of the decoded samples, in dB (inf if exact)

    @property
    def bits_per_sub_pixel(self) -> float:
        return 8 * self.bytes / self.sub_pixels


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two uint8 arrays (inf when identical)."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def _pixel_crc(samples: np.ndarray) -> int:
    return zlib.crc32(np.ascontiguousarray(samples).tobytes())


def lossy_settings(model: IntegerFlowModel, quality: int) -> LossySettings:
    offsets = getattr(model, "lossy_band_offsets", None)
    if offsets is None:
        raise ValueError("this model was not trained for lossy mode (its file has no lossy_band_offsets)")
    steps = tuple(quantizer.step_indices(quality, offsets))
    return LossySettings(steps, RECON_OFFSET, quantizer.global_step_index(quality), DEADZONE)


def _encode_planes(
    model: IntegerFlowModel, planes: np.ndarray, stats: CompressStats, lossy: LossySettings | None
) -> tuple[Stream, np.ndarray]:
    """(h, w, 1 or 3) uint8 -> the smallest of flow / raw (/ constant for one plane), and
    the planes the decoder will get back from it."""
    raw = Stream(StreamKind.RAW, np.ascontiguousarray(planes).tobytes())
    if planes.shape[2] == 1 and (planes == planes.flat[0]).all():
        return Stream(StreamKind.CONSTANT, bytes([int(planes.flat[0])])), planes
    three = planes if planes.shape[2] == 3 else np.repeat(planes, 3, axis=2)
    if lossy is None:
        tile = latent_coder.encode_tile(model, three)
        decoded = planes
    else:
        tile = lossy_coder.encode_tile(model, three, lossy)
        decoded = tile.decoded[:, :, : planes.shape[2]]
    if tile is None or len(tile.payload) >= len(raw.payload):
        return raw, planes
    stats.flow_bytes += len(tile.payload)
    stats.flow_estimated_bits += tile.estimated_bits
    return Stream(StreamKind.FLOW, tile.payload), decoded


def _decode_planes(
    model: IntegerFlowModel | None, stream: Stream, h: int, w: int, n: int, lossy: LossySettings | None
) -> np.ndarray:
    if stream.kind == StreamKind.RAW:
        if len(stream.payload) != h * w * n:
            raise InvalidFileError("raw stream has the wrong length")
        return np.frombuffer(stream.payload, dtype=np.uint8).reshape(h, w, n)
    if stream.kind == StreamKind.CONSTANT:
        if n != 1 or len(stream.payload) != 1:
            raise InvalidFileError("invalid constant stream")
        return np.full((h, w, 1), stream.payload[0], dtype=np.uint8)
    try:
        if lossy is None:
            three = latent_coder.decode_tile(model, stream.payload, h, w)
        else:
            three = lossy_coder.decode_tile(model, stream.payload, h, w, lossy)
    except Exception as e:  # whatever a corrupted stream makes the coder raise, it is a bad file
        raise InvalidFileError(f"corrupted flow stream ({e})") from None
    return three[:, :, :n]


def compress_samples(
    samples: np.ndarray,
    model: IntegerFlowModel | None = None,
    tile_size: int = DEFAULT_TILE_SIZE,
    progress: bool = False,
    quality: int | None = None,
) -> tuple[bytes, CompressStats]:
    """(H, W, C) uint8 samples, C in 1..4 -> .inv bytes and what it cost.
    ``quality`` None is lossless; 1..100 is lossy (100 = finest steps)."""
    if quality is not None and not 1 <= quality <= 100:
        raise ValueError(f"quality must be in 1..100, got {quality}")
    model = model or (default_model() if quality is None else default_lossy_model())
    lossy = None if quality is None else lossy_settings(model, quality)
    h, w, c = samples.shape
    container.validate_geometry(w, h, c, tile_size)
    header = Header(w, h, c, tile_size, model_id(model), 0)
    if lossy is not None:
        header.mode = Mode.LOSSY
        header.quantizer = Quantizer(quality, lossy.recon_offset, lossy.steps)
    stats = CompressStats(0, h * w * c, 0, 0.0)
    colour = header.colour_planes
    streams = []
    decoded = np.empty_like(samples) if lossy is not None else samples
    tiles = header.tiles()
    for top, left, th, tw in tqdm(tiles, disable=not progress or len(tiles) < 2, unit="tile", leave=False):
        region = samples[top : top + th, left : left + tw]
        stream, planes = _encode_planes(model, region[:, :, :colour], stats, lossy)
        streams.append(stream)
        if lossy is not None:
            decoded[top : top + th, left : left + tw, :colour] = planes
        if header.has_alpha:
            stream, planes = _encode_planes(model, region[:, :, colour:], stats, None)
            streams.append(stream)
            if lossy is not None:
                decoded[top : top + th, left : left + tw, colour:] = planes
    header.pixel_crc32 = _pixel_crc(decoded)
    if lossy is not None:
        stats.psnr = psnr(samples, decoded)
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
    lossy = None
    if header.quantizer is not None:
        q = header.quantizer
        lossy = LossySettings(q.steps, q.recon_offset, quantizer.global_step_index(q.quality))
        if model is not None and len(q.steps) != quantizer.band_count(len(model.levels)):
            raise InvalidFileError("the file's quantizer does not fit its model")
    out = np.empty((header.height, header.width, header.channels), dtype=np.uint8)
    colour = header.colour_planes
    it = iter(streams)
    tiles = header.tiles()
    for top, left, th, tw in tqdm(tiles, disable=not progress or len(tiles) < 2, unit="tile", leave=False):
        out[top : top + th, left : left + tw, :colour] = _decode_planes(model, next(it), th, tw, colour, lossy)
        if header.has_alpha:
            out[top : top + th, left : left + tw, colour:] = _decode_planes(model, next(it), th, tw, 1, None)
    if _pixel_crc(out) != header.pixel_crc32:
        raise InvalidFileError("pixel checksum mismatch: the file is corrupted or was decoded on an incompatible model")
    return out


def compress(
    image: Image.Image, model: IntegerFlowModel | None = None, tile_size: int = DEFAULT_TILE_SIZE, quality: int | None = None
) -> bytes:
    """Compress a PIL image (L, LA, RGB, RGBA; bilevel and palette are converted exactly)
    to the bytes of a .inv file: lossless, or lossy at ``quality`` 1..100."""
    return compress_samples(pixels.to_samples(image), model, tile_size, quality=quality)[0]


def decompress(data: bytes, model: IntegerFlowModel | None = None) -> Image.Image:
    """The bytes of a .inv file -> the PIL image (exact for lossless files). Raises ``InvalidFileError``."""
    return pixels.from_samples(decompress_samples(data, model))
