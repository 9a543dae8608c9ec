"""The public API: image <-> .inv bytes (``compress``, ``decompress``, their sample-array
forms, ``decode``, ``decode_scaled``: a smaller image, from a lossy file's coarse levels
alone, and ``decode_bands``: the image a band of tile rows at a time), the lossy
encoder's choices, and the pixel CRC.

The image is cut into tiles (``tile_size`` square, so memory is bounded by the tile, not
the image) that are coded independently (``tiling``). Per tile, the colour planes (grey
is coded as three equal planes) and, apart, the alpha plane each get the smallest of: a
constant, the integer flow, the classic path for synthetic content (lossless only) and
the raw bytes (tiny images, noise; a file is never larger than the raw pixels plus the
header); a tile with alpha may instead be one classic stream of all its channels
(``streams``: one owner per stream kind). Options are checked once, here (``options``).

Lossy mode (a quality 1..100) quantizes the colour planes' latents (``tile_coder``);
alpha stays exact. The file's pixel CRC is then over the pixels the decoder will
produce, which the encoder knows exactly because it runs the decoder's walk."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import zlib
from dataclasses import dataclass
from typing import Iterator

import numpy as np
from PIL import Image

from . import container, pixels, quantizer, reduce
from .container import MODEL_KINDS, Header, Quantizer
from .errors import InvalidFileError, UnsupportedImageError
from .flat_tiles import FLAT_TILE_SIZE, worth_small_tiles
from .metrics import psnr
from .options import DEFAULT_EFFORT, DEFAULT_TILE_SIZE, CodingOptions, check_threads
from .quantizer import EncoderChoices
from .registry import default_model_name, get_model, model_by_id
from .model_file import CodingModel
from .streams.base import StreamContext, needs_torch
from .streams.table import decode_tile, encode_tile
from .tile_coder import LossyParams, coder_for
from .tiling import iter_tiles, map_tiles

# The lossy encoder's choices, tuned on photos-dev by benchmarks/lossy_tuning.py (record:
# results/encoder-choices.md and results/lossy-tuning-*.json):
RECON_OFFSET = 0  # 1/256 steps towards the mean (stored in the file): RDOQ already leans towards zero
RDO_WEIGHT = 10.0  # RDOQ's bits per squared step (``quantizer.rdo_quantize``); 0: dead-zone rounding
DEADZONE = 0.15  # without RDOQ: widening of the zero bin, in steps, unless the model file names its own


@dataclass
class CompressStats:
    bytes: int
    sub_pixels: int
    flow_bytes: int  # bytes of the flow-coded streams
    psnr: float | None = None  # lossy mode: of the decoded samples, in dB (inf if exact)

    @property
    def bits_per_sub_pixel(self) -> float:
        return 8 * self.bytes / self.sub_pixels


SAMPLE_TYPES = (np.dtype(np.uint8), np.dtype(np.uint16))  # 8 and 16 bits per sample
CRC_ROWS = 64  # rows per CRC update: a view of the image, never a copy of all of it


def pixel_crc(samples: np.ndarray, crc: int = 0) -> int:
    """CRC-32 of the samples' bytes in raster order (16-bit ones little-endian: the file's
    pixel checksum), a band of rows at a time: memory follows the band, not the image.
    ``crc``: the CRC of the rows above, for an image given a band of rows at a time."""
    layout = samples.dtype.newbyteorder("<")
    for top in range(0, samples.shape[0], CRC_ROWS):
        crc = zlib.crc32(np.ascontiguousarray(samples[top : top + CRC_ROWS], dtype=layout), crc)
    return crc


def lossy_settings(model: CodingModel, quality: int, tune: str = "psnr", effort: int = DEFAULT_EFFORT) -> LossyParams:
    """The encoder's lossy parameters for ``model`` at a checked ``quality``: the file's
    quantizer (steps as ``tune``, ``quantizer.TUNINGS``, wants them) and RDOQ with
    RDO_WEIGHT, or, when that is 0 (files written before RDOQ), dead-zone rounding; at
    ``effort`` 8 and 9 also the latent search (``tile_coder.LossyTileCoder``)."""
    offsets = model.lossy_band_offsets
    if offsets is None:
        raise ValueError("this model was not trained for lossy mode (its file has no lossy_band_offsets)")
    bands = model.lossy_band_count
    if len(offsets) != bands:  # the one check that the quantizer fits the model, when encoding
        raise ValueError(f"the model's {len(offsets)} lossy band offsets do not fit its {bands} bands")
    steps = tuple(quantizer.step_indices(quality, offsets, quantizer.TUNINGS[tune]))
    deadzone = DEADZONE if model.lossy_deadzone is None else model.lossy_deadzone
    return LossyParams(Quantizer(quality, RECON_OFFSET, steps), EncoderChoices(deadzone, RDO_WEIGHT), effort)


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
    effort: int = DEFAULT_EFFORT,
    exif: bytes | None = None,
    xmp: bytes | None = None,
) -> tuple[bytes, CompressStats]:
    """(H, W, C) uint8 or uint16 samples, C in 1..4 -> .inv bytes and what it cost
    (16-bit samples: lossless only).

    ``tile_size`` None chooses: DEFAULT_TILE_SIZE, and in lossless mode also
    FLAT_TILE_SIZE when the image has flat areas that small tiles code as constants
    (``flat_tiles.worth_small_tiles``), keeping the smaller file. ``quality`` None is
    lossless; 1..100 is lossy (100 = finest steps). ``threads``: tiles coded in parallel
    (default ``tiling.default_threads()``); the bytes do not depend on it.
    ``icc_profile``, ``exif``, ``xmp``: the image's colour profile, EXIF data (with or
    without JPEG's "Exif\0\0" prefix: the TIFF structure after it is stored) and XMP data,
    stored byte for byte (the orientation in the EXIF data is kept, never applied). ``classic``: also
    try the classic path (synthetic content) in lossless mode; False codes every plane
    through the flow (or raw), to measure the model itself. ``adaptive_prior``: flow
    streams carry per-band mean and scale offsets (``entropy.adapt``); False writes them
    as files before that flag did, to measure what the offsets give and to check that old
    streams are reproduced. ``tune``: what lossy steps are chosen for, "psnr" (the model's
    own) or "ms-ssim" (``quantizer.TUNINGS``); the file holds the steps, so any decoder
    reads it. ``effort`` 1..9 (``options.EFFORTS``): 8 and 9 adapt an autoregressive model to
    each tile in lossless mode and send the change (``streams.adapted``), and in lossy
    mode search the latents for fewer bits at less error (``training.latent_search``);
    they need torch, at a higher encoding cost and the same decoding cost; the other
    efforts code alike.
    ``model`` is a loaded model, or a name or path as ``compress`` takes."""
    options = CodingOptions.checked(quality=quality, tune=tune, tile_size=tile_size, threads=threads, progress=progress,
                                    icc_profile=icc_profile, exif=exif, xmp=xmp, classic=classic,
                                    adaptive_prior=adaptive_prior, effort=effort)
    return _compress(samples, _model(model), options)


def _compress(samples: np.ndarray, model: CodingModel | None, options: CodingOptions) -> tuple[bytes, CompressStats]:
    if not isinstance(samples, np.ndarray) or samples.dtype not in SAMPLE_TYPES or samples.ndim != 3:
        raise TypeError("samples must be a uint8 or uint16 numpy array of shape (height, width, channels)")
    if samples.dtype == np.uint16 and options.lossy:
        raise UnsupportedImageError("16-bit images are coded losslessly only: leave out the quality")
    model = model or get_model(default_model_name(options.lossy))
    if needs_torch(model, options) and importlib.util.find_spec("torch") is None:
        work = "searches the lossy latents" if options.lossy else "adapts the model to the image"
        raise ValueError(f"effort {options.effort} {work}, which needs torch: "
                         "pip install 'invcodec[torch]' (or use effort 7 or less)")
    if options.tile_size is not None:
        return _compress_tiled(samples, model, options.tile_size, options)
    first = _compress_tiled(samples, model, DEFAULT_TILE_SIZE, options)
    if options.lossy or not worth_small_tiles(samples, model, len(first[0]), first[1].flow_bytes):
        return first
    second = _compress_tiled(samples, model, FLAT_TILE_SIZE, options)
    return min(first, second, key=lambda result: len(result[0]))


def _compress_tiled(samples: np.ndarray, model: CodingModel, tile_size: int,
                    options: CodingOptions) -> tuple[bytes, CompressStats]:
    lossy = None if options.quality is None else lossy_settings(model, options.quality, options.tune, options.effort)
    h, w, c = samples.shape
    try:
        container.validate_geometry(w, h, c, tile_size)
    except InvalidFileError as e:  # the same bounds as a file's, but here the input is at fault, not a file
        raise UnsupportedImageError(str(e)) from None
    header = Header(w, h, c, tile_size, model.model_id, 0, None if lossy is None else lossy.quantizer,
                    8 * samples.dtype.itemsize, icc_profile=options.icc_profile, exif=options.exif, xmp=options.xmp,
                    adaptive_prior=options.adaptive_prior)
    context = StreamContext(model, lossy, options.adaptive_prior, options.classic, options.effort)
    jobs = [(samples[top : top + th, left : left + tw], header.colour_planes, context)
            for top, left, th, tw in header.tiles()]
    tiles = map_tiles(encode_tile, jobs, options.threads, options.progress)
    stats = CompressStats(0, h * w * c, 0)
    decoded = np.empty_like(samples) if lossy is not None else samples
    if lossy is not None:
        for (top, left, th, tw), parts in zip(header.tiles(), tiles):
            decoded[top : top + th, left : left + tw] = np.concatenate([p.decoded for p in parts], axis=2)
    encoded = [part for parts in tiles for part in parts]
    stats.flow_bytes = sum(len(p.stream.payload) for p in encoded if p.stream.kind in MODEL_KINDS)
    header.pixel_crc32 = pixel_crc(decoded)
    if lossy is not None:
        stats.psnr = psnr(samples, decoded)
    data = container.pack(header, [p.stream for p in encoded])
    stats.bytes = len(data)
    return data, stats


def _model(model: CodingModel | str | None) -> CodingModel | None:
    """A model given by name or path (as the CLI's -m takes it) loaded; others as they are."""
    return get_model(model) if isinstance(model, str) else model


def decompress_samples(data: bytes, model: CodingModel | str | None = None, progress: bool = False,
                       threads: int | None = None, scale: object = 1) -> np.ndarray:
    """.inv bytes -> (H, W, C) uint8 (or, for a 16-bit file, uint16) samples, verified
    against the stored CRC; at a ``scale`` below 1, as ``decode_scaled`` gives them."""
    if reduce.check_scale(scale):
        return decode_scaled(data, scale, model, progress, threads).samples
    return decode(data, model, progress, threads)[0]


def decode(data: bytes, model: CodingModel | str | None = None, progress: bool = False,
           threads: int | None = None) -> tuple[np.ndarray, Header]:
    """.inv bytes -> (samples, header): for callers that also want what the header keeps
    (the ICC profile, EXIF and XMP data), without parsing it twice."""
    threads = check_threads(threads)
    header, streams, context = _unpacked(data, _model(model))
    return _verified(_decode_tiles(header, streams, context, threads, progress), header), header


@dataclass
class ScaledImage:
    samples: np.ndarray  # (ceil(H * scale), ceil(W * scale), C) uint8
    header: Header
    in_full: str | None  # why the file was decoded in full and box-reduced; None: from its coarse levels


def decode_scaled(data: bytes, scale: object, model: CodingModel | str | None = None, progress: bool = False,
                  threads: int | None = None) -> ScaledImage:
    """.inv bytes -> the image at ``scale`` (1, 1/2, 1/4 or 1/8; ``reduce.check_scale``),
    ceil(side * scale) samples a side: a thumbnail in a fraction of a full decode's time
    where the file allows it. A lossy file's flow tiles decode their coarse levels only
    (``tile_coder.LossyTileCoder.decode`` says what that gives: near the full decode's box
    reduction, not equal to it); its other tiles, and every tile of a file whose coder
    cannot (``in_full`` says why: lossless files, autoregressive models), are decoded in
    full and box-reduced (``reduce.box_reduce``), the pixel CRC checked first. A reduced
    decode cannot check the CRC, which is over the full image: a corrupted finer band
    goes unseen (a truncated stream does not)."""
    levels = reduce.check_scale(scale)
    threads = check_threads(threads)
    header, streams, context = _unpacked(data, _model(model))
    in_full = _no_reduction(header, streams, context) if levels else None
    if in_full is None and levels:
        return ScaledImage(_decode_tiles(header, streams, context, threads, progress, levels), header, None)
    out = _verified(_decode_tiles(header, streams, context, threads, progress), header)
    return ScaledImage(reduce.box_reduce(out, levels), header, in_full)


def decoded_in_full(data: bytes, model: CodingModel | str | None = None) -> str | None:
    """Why ``decode_scaled`` decodes this file in full at any scale, or None: it decodes
    a lossy file's coarse levels alone (for a caller that bounds what a decode holds)."""
    return _no_reduction(*_unpacked(data, _model(model)))


def _unpacked(data: bytes, model: CodingModel | None) -> tuple[Header, list, StreamContext]:
    """The header, the streams, and the context they decode in (the file's model found)."""
    header, streams = container.unpack(data)
    if any(s.kind in MODEL_KINDS for s in streams):
        if model is None:
            model = model_by_id(header.model_id)
        elif model.model_id != header.model_id:
            raise InvalidFileError("the file was written with a different model than the one given")
    # (without flow streams no model is needed: raw and constant tiles decode anywhere)
    lossy = None if header.quantizer is None else LossyParams(header.quantizer)
    if lossy is not None and model is not None and len(header.quantizer.steps) != model.lossy_band_count:
        raise InvalidFileError("the file's quantizer does not fit its model")
    return header, streams, StreamContext(model, lossy, header.adaptive_prior, bit_depth=header.bit_depth)


def _no_reduction(header: Header, streams: list, context: StreamContext) -> str | None:
    """Why the file cannot be decoded at a reduced resolution from its coarse levels, or None."""
    if context.model is None:
        return "no tile of it is coded with the model (classic, raw or constant tiles)"
    return coder_for(context.model, context.lossy, context.adaptive).no_reduction


def _verified(samples: np.ndarray, header: Header) -> np.ndarray:
    _verified_crc(pixel_crc(samples), header)
    return samples


def _verified_crc(crc: int, header: Header) -> None:
    if crc != header.pixel_crc32:
        raise InvalidFileError("pixel checksum mismatch: the file is corrupted or was decoded on an incompatible model")


@dataclass
class DecodedBands:
    header: Header
    # (rows, W, C) samples, top to bottom, each valid until the next is asked for; after the last,
    # an InvalidFileError on a pixel CRC mismatch
    bands: Iterator[np.ndarray]


def decode_bands(data: bytes, model: CodingModel | str | None = None, progress: bool = False,
                 threads: int | None = None) -> DecodedBands:
    """.inv bytes -> the header and the image a band of tile rows at a time, each band
    folded into the pixel CRC as it goes: memory follows a band (tile_size rows), not the
    image. The pixels are ``decode``'s; an ``InvalidFileError`` comes before the first band
    for a bad header or model, and after the last band's rows for a pixel CRC mismatch, so
    a caller writing the bands as they come must discard what it wrote until the end."""
    threads = check_threads(threads)
    header, streams, context = _unpacked(data, _model(model))
    return DecodedBands(header, _bands(header, streams, context, threads, progress))


def _bands(header: Header, streams: list, context: StreamContext, threads: int | None,
           progress: bool) -> Iterator[np.ndarray]:
    per_tile, tiles = header.streams_per_tile, header.tiles()
    band = np.empty((min(header.tile_size, header.height), header.width, header.channels),
                    dtype=SAMPLE_TYPES[header.sample_bytes - 1])
    crc = 0

    def one(i: int, top: int, left: int, th: int, tw: int) -> np.ndarray:
        return decode_tile(streams[i * per_tile : (i + 1) * per_tile], th, tw, header.colour_planes, context)

    done = iter_tiles(one, [(i, *tile) for i, tile in enumerate(tiles)], threads, progress)
    for tile, (top, left, th, tw) in zip(done, tiles):
        band[:th, left : left + tw] = tile
        if left + tw == header.width:  # the band's last tile: its rows are whole
            crc = pixel_crc(band[:th], crc)
            yield band[:th]
    _verified_crc(crc, header)


def _decode_tiles(header: Header, streams: list, context: StreamContext, threads: int | None, progress: bool,
                  levels: int = 0) -> np.ndarray:
    per_tile = header.streams_per_tile
    out = np.empty((reduce.reduced_side(header.height, levels), reduce.reduced_side(header.width, levels), header.channels),
                   dtype=SAMPLE_TYPES[header.sample_bytes - 1])

    def one(i: int, top: int, left: int, th: int, tw: int) -> None:  # into the image at once: no tile is kept
        tile = decode_tile(streams[i * per_tile : (i + 1) * per_tile], th, tw, header.colour_planes, context, levels)
        out[top >> levels : (top >> levels) + tile.shape[0], left >> levels : (left >> levels) + tile.shape[1]] = tile

    map_tiles(one, [(i, *tile) for i, tile in enumerate(header.tiles())], threads, progress)
    return out


def compress(
    image: Image.Image | np.ndarray | str | os.PathLike, model: CodingModel | str | None = None, tile_size: int | None = None,
    quality: int | None = None, threads: int | None = None, classic: bool = True, tune: str = "psnr",
    effort: int = DEFAULT_EFFORT,
) -> bytes:
    """Compress an image to the bytes of a .inv file: lossless, or lossy at ``quality``
    1..100. ``image`` is a PIL image (L, LA, RGB, RGBA, 16-bit grey; bilevel, palette and
    colour-keyed images are converted exactly), a uint8 or uint16 numpy array (H, W[, C])
    or a file path (16-bit PNG, TIFF and PPM files are read at their depth; refused if it
    has several frames); 16-bit images are lossless only. ``model``: a shipped model's
    name ("photo-v1"), a model file's path, or a loaded model; None: the default for the
    mode. Its ICC profile, EXIF and XMP data are kept byte for byte (an EXIF orientation
    as data: the pixels are stored unrotated); what is not kept, a ``UserWarning`` names.
    ``classic=False`` codes every plane through the model; ``tune="ms-ssim"``
    chooses lossy steps for MS-SSIM rather than PSNR; ``effort`` 1..9 (see ``compress_samples``)."""
    options = CodingOptions.checked(quality=quality, tune=tune, tile_size=tile_size, threads=threads, classic=classic,
                                    effort=effort)
    model = _model(model)  # before the image is read: an unknown name fails first
    taken = pixels.intake(image, "compress")
    pixels.warn_not_kept(taken.not_kept, stacklevel=2)
    kept = dataclasses.replace(options, icc_profile=taken.icc_profile, exif=taken.exif, xmp=taken.xmp)
    return _compress(taken.samples, model, kept)[0]


def decompress(data: bytes | str | os.PathLike, model: CodingModel | str | None = None, threads: int | None = None,
               scale: object = 1) -> Image.Image:
    """The bytes of a .inv file (or its path) -> the PIL image (exact for lossless
    files; 16-bit grey in mode I;16, and 16-bit colour, which Pillow cannot hold, is an
    ``UnsupportedImageError``: ``decompress_samples`` decodes it); ``info["icc_profile"]``,
    ``info["exif"]`` (with Pillow's "Exif\0\0" prefix) and ``info["xmp"]`` for what the
    file keeps. Raises ``InvalidFileError``.
    ``model`` (a name, path or loaded model) is needed only for a model that is not
    shipped: shipped ones are found by the file's model id. ``scale`` 1/2, 1/4 or 1/8
    (a number or text such as "1/4"): a thumbnail, ceil(side * scale) a side, from a
    lossy file's coarse levels alone, other files decoded in full and box-reduced
    (``decode_scaled``)."""
    if isinstance(data, (str, os.PathLike)):
        with open(data, "rb") as f:
            data = container.read(f)
    elif not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"decompress takes the bytes of a .inv file or its path, not {type(data).__name__}")
    data = bytes(data)
    if reduce.check_scale(scale):
        scaled = decode_scaled(data, scale, model, threads=threads)
        samples, header = scaled.samples, scaled.header
    else:
        samples, header = decode(data, model, threads=threads)
    image = pixels.from_samples(samples)
    image.info.update(pixels.metadata_info(header))
    return image
