"""Image <-> .inv bytes: tiles, planes, the choice of stream per tile, and the pixel CRC.

The image is cut into tiles (``tile_size`` square, so memory is bounded by the tile, not
the image) that are coded independently. Per tile, the colour planes (grey is coded as
three equal planes) and, apart, the alpha plane each get the smallest of: a constant, the
integer flow, the classic path for synthetic content (lossless only) and the raw bytes
(tiny images, noise; a file is never larger than the raw pixels plus the header). A tile
with alpha may instead be one classic stream of all its channels when that is smaller.

Lossy mode (a quality 1..100) quantizes the colour planes' latents (``tile_coder``);
alpha stays exact. The file's pixel CRC is then over the pixels the decoder will
produce, which the encoder knows exactly because it runs the decoder's walk."""

from __future__ import annotations

import numbers
import os
import warnings
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import numpy as np
from PIL import Image
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from . import classic_coder, container, pixels, quantizer
from .container import Header, Mode, Quantizer, Stream, StreamKind
from .errors import InvalidFileError
from .registry import default_lossy_model, default_model, get_model, model_by_id
from .model_file import CodingModel
from .tile_coder import LossySettings, coder_for

DEFAULT_TILE_SIZE = 512
# Images with flat areas are also tried with small tiles (``compress_samples``); measured on
# the synthetic set's letterboxed photos: 64 gives -12 % / -10 % against 512 (256: -7 % / +1 %),
# where Kodak photos lose 1 % (they have no flat blocks, so they are never tried).
# The trigger: at least 10 % of the 16-pixel blocks one colour (Kodak photos: at most 4 %;
# letterboxed photos 32-49 %).
FLAT_TILE_SIZE = 64
FLAT_BLOCK, FLAT_SHARE = 16, 0.10
# Encoder choices for lossy mode, tuned on photos-dev (benchmarks/lossy_tuning.py):
RECON_OFFSET = 0  # 1/256 steps towards the mean (stored in the file)
# RDOQ's bits per squared step (encoder only; quantizer.rdo_quantize): on photos-dev, 8 crops,
# BD-rate against plain rounding -9.4 % (photo-lossy-v2; its dead zone 0.1: -5.2 %) and -8.0 %
# (photo-lossy-v1; dead zone 0.15: -2.5 %); weights 6 and 16 were 1.1 and 0.6 % worse, 8.7 (high-rate
# theory) and 12 within 0.1 % (results/lossy-tuning-photo-lossy-v*.json). Rechecked on photo-lossy-v7
# (12 crops of 320, qualities 8-60): weight 10 -11.1 %, 14 -10.9 %; with reconstruction offsets of
# 12 and 24 /256 steps -10.5 and -9.1 %, so RDOQ keeps offset 0.
RDO_WEIGHT = 10.0
DEADZONE = 0.15  # without RDOQ: widening of the zero bin, in steps, unless the model file names its own
MAX_DEFAULT_THREADS = 4


@dataclass
class CompressStats:
    bytes: int
    sub_pixels: int
    flow_bytes: int  # bytes of the flow-coded streams
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


def lossy_settings(model: CodingModel, quality: int, tune: str = "psnr") -> LossySettings:
    """The encoder's settings for ``model`` at ``quality``: RDOQ with RDO_WEIGHT, or, when
    that is 0 (files written before RDOQ), dead-zone rounding; steps as ``tune``
    (``quantizer.TUNINGS``) wants them."""
    offsets = model.lossy_band_offsets
    if offsets is None:
        raise ValueError("this model was not trained for lossy mode (its file has no lossy_band_offsets)")
    check_tune(tune, quality)
    steps = tuple(quantizer.step_indices(quality, offsets, quantizer.TUNINGS[tune]))
    deadzone = DEADZONE if model.lossy_deadzone is None else model.lossy_deadzone
    return LossySettings(steps, RECON_OFFSET, quantizer.global_step_index(quality), deadzone, RDO_WEIGHT)


@dataclass
class _EncodedPlanes:
    stream: Stream
    decoded: np.ndarray  # the planes as the decoder will produce them


def _encode_planes(model: CodingModel, planes: np.ndarray, lossy: LossySettings | None, classic: bool,
                   adaptive: bool) -> _EncodedPlanes:
    """(h, w, 1 or 3) uint8 -> constant if every pixel is one colour, else the smallest of
    flow / raw, and in lossless mode the classic path (synthetic content), which the flow
    codes worst."""
    if (planes == planes[:1, :1]).all():
        return _EncodedPlanes(Stream(StreamKind.CONSTANT, planes[0, 0].tobytes()), planes)
    best = _EncodedPlanes(Stream(StreamKind.RAW, np.ascontiguousarray(planes).tobytes()), planes)
    three = planes if planes.shape[2] == 3 else np.repeat(planes, 3, axis=2)
    tile = coder_for(model, lossy, adaptive).encode(three)
    if tile is not None and len(tile.payload) < len(best.stream.payload):
        best = _EncodedPlanes(Stream(StreamKind.FLOW, tile.payload), tile.decoded[:, :, : planes.shape[2]])
    if lossy is None and classic:
        payload = classic_coder.encode(planes, len(best.stream.payload))
        if payload is not None:
            best = _EncodedPlanes(Stream(StreamKind.CLASSIC, payload), planes)
    return best


def _encode_tile(model: CodingModel, region: np.ndarray, colour: int, lossy: LossySettings | None,
                 classic: bool, adaptive: bool) -> list[_EncodedPlanes]:
    """A tile's streams: colour, then alpha if there is any (always lossless). Colour and
    alpha are coded apart (the flow codes 3 planes), unless one classic stream of all the
    channels is smaller (icons, UI with transparency: the shapes are shared), which then
    stands for both and the alpha stream is an empty JOINED one."""
    parts = [_encode_planes(model, region[:, :, :colour], lossy, classic, adaptive)]
    if region.shape[2] == colour:
        return parts
    parts.append(_encode_planes(model, region[:, :, colour:], None, classic, adaptive))
    if lossy is None and classic and all(p.stream.kind == StreamKind.CLASSIC for p in parts):  # both synthetic
        payload = classic_coder.encode(region, sum(len(p.stream.payload) for p in parts), synthetic=True)
        if payload is not None:
            return [_EncodedPlanes(Stream(StreamKind.CLASSIC, payload), region[:, :, :colour]),
                    _EncodedPlanes(Stream(StreamKind.JOINED, b""), region[:, :, colour:])]
    return parts


def default_threads() -> int:
    """One per available core, at most MAX_DEFAULT_THREADS."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, MAX_DEFAULT_THREADS))


def _map_tiles(fn: Callable, jobs: list, threads: int | None, progress: bool) -> list:
    """``fn`` over the tiles' jobs in order, on up to ``threads`` threads (numpy's BLAS
    and ufuncs release the GIL), each BLAS call on one thread: tiles in parallel pay,
    threads inside one small GEMM do not, and they collapse when the machine is busy."""
    threads = min(threads or default_threads(), len(jobs)) or 1
    bar = tqdm(total=len(jobs), disable=not progress or len(jobs) < 2, unit="tile", leave=False)
    with threadpool_limits(limits=1), bar:
        if threads == 1:
            results = []
            for job in jobs:
                results.append(fn(*job))
                bar.update()
            return results
        with ThreadPoolExecutor(threads) as pool:
            futures = [pool.submit(fn, *job) for job in jobs]
            try:
                for future in futures:
                    future.result()
                    bar.update()
            except BaseException:  # Ctrl-C or a failed tile: do not code the tiles still queued
                for f in futures:
                    f.cancel()
                raise
            return [f.result() for f in futures]


def _decode_tile(model: CodingModel | None, streams: list[Stream], h: int, w: int, colour: int,
                 lossy: LossySettings | None, adaptive: bool) -> np.ndarray:
    """A tile's streams (colour, then alpha if any) -> its (h, w, channels) samples."""
    if len(streams) == 2 and streams[1].kind == StreamKind.JOINED:  # one classic stream of every channel
        return classic_coder.decode(streams[0].payload, h, w, colour + 1)
    planes = [_decode_planes(model, streams[0], h, w, colour, lossy, adaptive)]
    if len(streams) == 2:
        planes.append(_decode_planes(model, streams[1], h, w, 1, None, adaptive))
    return np.concatenate(planes, axis=2) if len(planes) == 2 else planes[0]


def _decode_planes(model: CodingModel | None, stream: Stream, h: int, w: int, n: int, lossy: LossySettings | None,
                   adaptive: bool) -> np.ndarray:
    if stream.kind == StreamKind.RAW:
        if len(stream.payload) != h * w * n:
            raise InvalidFileError("raw stream has the wrong length")
        return np.frombuffer(stream.payload, dtype=np.uint8).reshape(h, w, n)
    if stream.kind == StreamKind.CONSTANT:
        if len(stream.payload) != n:
            raise InvalidFileError("invalid constant stream")
        return np.broadcast_to(np.frombuffer(stream.payload, dtype=np.uint8), (h, w, n))
    if stream.kind == StreamKind.CLASSIC:
        return classic_coder.decode(stream.payload, h, w, n)
    try:
        three = coder_for(model, lossy, adaptive).decode(stream.payload, h, w)
    except Exception as e:  # whatever a corrupted stream makes the coder raise, it is a bad file
        raise InvalidFileError(f"corrupted flow stream ({e})") from None
    return three[:, :, :n]


def flat_share(samples: np.ndarray, block: int = FLAT_BLOCK) -> float:
    """The share of the image's whole ``block``-square blocks that hold one colour."""
    h, w, c = samples.shape
    rows, cols = h // block, w // block
    if not rows or not cols:
        return 0.0
    blocks = samples[: rows * block, : cols * block].reshape(rows, block, cols, block, c)
    return float((blocks == blocks[:, :1, :, :1]).all(axis=(1, 3, 4)).mean())


def compress_samples(
    samples: np.ndarray,
    model: CodingModel | str | None = None,
    tile_size: int | None = None,
    progress: bool = False,
    quality: int | None = None,
    threads: int | None = None,
    icc_profile: bytes | None = None,
    classic: bool = True,
    adaptive_prior: bool = True,
    tune: str = "psnr",
) -> tuple[bytes, CompressStats]:
    """(H, W, C) uint8 samples, C in 1..4 -> .inv bytes and what it cost.

    ``tile_size`` None chooses: DEFAULT_TILE_SIZE; and in lossless mode, when at least
    FLAT_SHARE of the image's 16-pixel blocks are one colour (letterbox bars, plain
    backgrounds) and that file looks like a photo (it has flow streams, or takes at least
    a bit per sample), also FLAT_TILE_SIZE, keeping the smaller file. Small tiles let
    flat areas be constant streams; inside a big tile photo-v2's prior spends about a bit
    per flat sample (it never saw exactly flat pixels). Graphics, which the classic path
    codes in far less, are not coded twice, nor are images for a model whose flat areas
    cost nothing inside big tiles (``small_tiles_pay`` False: photo-v4). ``quality`` None is lossless; 1..100 is lossy
    (100 = finest steps). ``threads``: tiles coded in parallel (default
    ``default_threads()``); the bytes do not depend on it. ``icc_profile``: the samples'
    colour profile, stored byte for byte. ``classic``: also try the classic path
    (synthetic content) in lossless mode; False codes every plane through the flow (or
    raw), to measure the model itself. ``adaptive_prior``: flow streams carry per-band
    mean and scale offsets (``entropy.adapt``); False writes them as files before that
    flag did, to measure what the offsets give and to check that old streams are
    reproduced. ``tune``: what lossy steps are chosen for, "psnr" (the model's own) or
    "ms-ssim" (``quantizer.TUNINGS``); the file holds the steps, so any decoder reads it.
    ``model`` is a loaded model, or a name or path as ``compress`` takes."""
    quality = check_quality(quality)
    check_tune(tune, quality)
    if not isinstance(samples, np.ndarray) or samples.dtype != np.uint8 or samples.ndim != 3:
        raise TypeError("samples must be a uint8 numpy array of shape (height, width, channels)")
    model = _model(model) or (default_model() if quality is None else default_lossy_model())
    first = _compress_tiled(samples, model, DEFAULT_TILE_SIZE if tile_size is None else tile_size, progress, quality,
                            threads, icc_profile, classic, adaptive_prior, tune)
    photo_like = first[1].flow_bytes or 8 * len(first[0]) >= samples.size  # flow streams, or >= 1 bit per sample
    if (tile_size is not None or quality is not None or not photo_like or flat_share(samples) < FLAT_SHARE
            or not model.small_tiles_pay):
        return first  # (graphics the classic path codes in well under a bit per sample gain nothing from small tiles)
    second = _compress_tiled(samples, model, FLAT_TILE_SIZE, progress, quality, threads, icc_profile, classic,
                             adaptive_prior, tune)
    return min(first, second, key=lambda result: len(result[0]))


def _compress_tiled(samples: np.ndarray, model: CodingModel, tile_size: int, progress: bool, quality: int | None,
                    threads: int | None, icc_profile: bytes | None, classic: bool,
                    adaptive_prior: bool, tune: str) -> tuple[bytes, CompressStats]:
    lossy = None if quality is None else lossy_settings(model, quality, tune)
    h, w, c = samples.shape
    container.validate_geometry(w, h, c, tile_size)
    header = Header(w, h, c, tile_size, model.model_id, 0, icc_profile=icc_profile or None,
                    adaptive_prior=adaptive_prior)
    if lossy is not None:
        header.mode = Mode.LOSSY
        header.quantizer = Quantizer(quality, lossy.recon_offset, lossy.steps)
    jobs = [(model, samples[top : top + th, left : left + tw], header.colour_planes, lossy, classic, adaptive_prior)
            for top, left, th, tw in header.tiles()]
    tiles = _map_tiles(_encode_tile, jobs, threads, progress)
    stats = CompressStats(0, h * w * c, 0)
    decoded = np.empty_like(samples) if lossy is not None else samples
    if lossy is not None:
        for (top, left, th, tw), parts in zip(header.tiles(), tiles):
            decoded[top : top + th, left : left + tw] = np.concatenate([p.decoded for p in parts], axis=2)
    encoded = [part for parts in tiles for part in parts]
    for part in encoded:
        if part.stream.kind == StreamKind.FLOW:
            stats.flow_bytes += len(part.stream.payload)
    header.pixel_crc32 = _pixel_crc(decoded)
    if lossy is not None:
        stats.psnr = psnr(samples, decoded)
    data = container.pack(header, [p.stream for p in encoded])
    stats.bytes = len(data)
    return data, stats


def _model(model: CodingModel | str | None) -> CodingModel | None:
    """A model given by name or path (as the CLI's -m takes it) loaded; others as they are."""
    return get_model(model) if isinstance(model, str) else model


def decompress_samples(data: bytes, model: CodingModel | str | None = None, progress: bool = False,
                       threads: int | None = None) -> np.ndarray:
    """.inv bytes -> (H, W, C) uint8 samples, verified against the stored CRC."""
    return decode(data, model, progress, threads)[0]


def decode(data: bytes, model: CodingModel | str | None = None, progress: bool = False,
           threads: int | None = None) -> tuple[np.ndarray, Header]:
    """.inv bytes -> (samples, header): for callers that also want what the header keeps
    (the ICC profile), without parsing it twice."""
    model = _model(model)
    header, streams = container.unpack(data)
    if any(s.kind == StreamKind.FLOW for s in streams):
        if model is None:
            model = model_by_id(header.model_id)
        elif model.model_id != header.model_id:
            raise InvalidFileError("the file was written with a different model than the one given")
    # (without flow streams no model is needed: raw and constant tiles decode anywhere)
    lossy = None
    if header.quantizer is not None:
        q = header.quantizer
        lossy = LossySettings(q.steps, q.recon_offset, quantizer.global_step_index(q.quality))
        if model is not None and len(q.steps) != model.lossy_band_count:  # (None: a model that codes lossless only)
            raise InvalidFileError("the file's quantizer does not fit its model")
    per_tile = header.streams_per_tile
    tiles = header.tiles()
    jobs = [(model, streams[i * per_tile : (i + 1) * per_tile], th, tw, header.colour_planes, lossy, header.adaptive_prior)
            for i, (_, _, th, tw) in enumerate(tiles)]
    out = np.empty((header.height, header.width, header.channels), dtype=np.uint8)
    for (top, left, th, tw), samples in zip(tiles, _map_tiles(_decode_tile, jobs, threads, progress)):
        out[top : top + th, left : left + tw] = samples
    if _pixel_crc(out) != header.pixel_crc32:
        raise InvalidFileError("pixel checksum mismatch: the file is corrupted or was decoded on an incompatible model")
    return out, header


def check_quality(quality: object) -> int | None:
    """``quality`` as an int in 1..100 (or None: lossless); a clear ValueError otherwise."""
    if quality is None:
        return None
    if isinstance(quality, bool) or not isinstance(quality, numbers.Integral) or not 1 <= quality <= 100:
        raise ValueError(f"quality must be a whole number in 1..100 (or None for lossless), got {quality!r}")
    return int(quality)


def check_tune(tune: object, quality: int | None) -> None:
    """``tune`` must name a tuning (``quantizer.TUNINGS``), and one other than "psnr" needs
    lossy mode: a lossless file has no steps to tune."""
    if not isinstance(tune, str) or tune not in quantizer.TUNINGS:
        raise ValueError(f"tune must be one of {', '.join(quantizer.TUNINGS)}, got {tune!r}")
    if quality is None and tune != "psnr":
        raise ValueError(f"tune {tune!r} is for lossy files: give a quality too")


def compress(
    image: Image.Image | np.ndarray | str | os.PathLike, model: CodingModel | str | None = None, tile_size: int | None = None,
    quality: int | None = None, threads: int | None = None, classic: bool = True, tune: str = "psnr",
) -> bytes:
    """Compress an image to the bytes of a .inv file: lossless, or lossy at ``quality``
    1..100. ``image`` is a PIL image (L, LA, RGB, RGBA; bilevel, palette and colour-keyed
    images are converted exactly), a uint8 numpy array (H, W[, C]) or a file path (refused
    if it has several frames). ``model``: a shipped model's name ("photo-v1"), a model
    file's path, or a loaded model; None: the default for the mode. Its ICC profile is
    kept; an EXIF orientation is not (the pixels are stored unrotated): a ``UserWarning``
    says so. ``classic=False`` codes every plane through the model; ``tune="ms-ssim"``
    chooses lossy steps for MS-SSIM rather than PSNR (see ``compress_samples``)."""
    quality = check_quality(quality)
    check_tune(tune, quality)
    model = _model(model)  # before the image is read: an unknown name fails first
    image = pixels.as_image(image, "compress")
    samples = pixels.to_samples(image)
    lost = pixels.not_kept(image)
    if lost:
        warnings.warn(f"invcodec does not keep {' or '.join(lost)}", UserWarning, stacklevel=2)
    return compress_samples(samples, model, tile_size, quality=quality, threads=threads,
                            icc_profile=pixels.icc_profile(image), classic=classic, tune=tune)[0]


def decompress(data: bytes | str | os.PathLike, model: CodingModel | str | None = None, threads: int | None = None) -> Image.Image:
    """The bytes of a .inv file (or its path) -> the PIL image (exact for lossless
    files; ``info["icc_profile"]`` if the file keeps one). Raises ``InvalidFileError``.
    ``model`` (a name, path or loaded model) is needed only for a model that is not
    shipped: shipped ones are found by the file's model id."""
    if isinstance(data, (str, os.PathLike)):
        with open(data, "rb") as f:
            data = container.read(f)
    elif not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"decompress takes the bytes of a .inv file or its path, not {type(data).__name__}")
    data = bytes(data)
    samples, header = decode(data, model, threads=threads)
    image = pixels.from_samples(samples)
    if header.icc_profile:
        image.info["icc_profile"] = header.icc_profile
    return image
