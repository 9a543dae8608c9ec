"""Input images -> the exact samples the codec stores, and back to PIL images.

``intake`` is how every caller (the API, the command line, the Pillow plugin) takes an
image in. Stored exactly: L (grey), LA, RGB, RGBA, 8 or 16 bits per sample. Converted
losslessly on the way in: "1" (bilevel) -> L, "P" (palette) -> RGB, or RGBA when the
palette carries alpha or a transparency entry (decodes as that mode). A transparency
colour key (PNG tRNS on an 8-bit grey or RGB image) becomes an exact alpha channel:
L -> LA, RGB -> RGBA. Refused: float images, CMYK and other colour spaces (no exact RGB
form), and images with several frames (animated GIF/PNG/WebP, multi-page TIFF), as files
or as opened PIL images: keeping frame 1 would drop the others.

16 bits per sample: Pillow holds 16-bit grey (modes I;16*, and I with values in
0..65535), but reads 16-bit grey + alpha, RGB and RGBA files as 8-bit. Those are read at
their full depth instead (``_deep_samples``: PNG with pypng, TIFF with tifffile, binary
PPM with maxval 65535; a 16-bit grey + alpha TIFF, which Pillow cannot open, with
tifffile alone) or refused; never reduced on the way in.

Kept beside the samples, byte for byte: the ICC profile, the EXIF data (its orientation
kept as data, never applied: the samples are stored as the file holds them) and the XMP
data. Not stored: comments, a TIFF's EXIF tags (TIFF has no EXIF block to keep byte for
byte), and a PNG's gamma / chromaticities without a profile; ``not_kept`` names them so
callers can say so."""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
from PIL import Image, UnidentifiedImageError

from .container import EXIF_PREFIX, PIL_MODES, Header, exif_structure
from .errors import UnsupportedImageError

MODES_BY_CHANNELS = PIL_MODES
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".ppm", ".tif", ".tiff"}  # what folders are read for
_STORED_MODES = set(MODES_BY_CHANNELS.values())
TIFF_BITS_PER_SAMPLE, TIFF_EXIF_IFD = 258, 0x8769  # (the second points to a TIFF's EXIF tags)
TIFF_MAGICS = (b"II*\0", b"MM\0*")


def _is_high_bit_depth(image: Image.Image) -> bool:
    """Pillow reads some 16-bit files (e.g. 48-bit PNG, 16-bit PPM, planar 16-bit TIFF)
    straight into an 8-bit mode; their decoder's raw mode still says 16 bits, or a PPM's
    maxval more than 255, or a TIFF's bits per sample. (Only before the image is loaded:
    loading drops the decoder's tiles.)"""
    if _tiff_bits(image) > 8:
        return True
    for tile in getattr(image, "tile", None) or []:
        args = tile[3] if len(tile) > 3 else None
        rawmode = args[0] if isinstance(args, tuple) and args else args
        if isinstance(rawmode, str) and "16" in rawmode:
            return True
        if tile[0] in ("ppm", "ppm_plain") and isinstance(args, tuple) and len(args) > 1 and args[1] > 0xFF:
            return True
    return False


def _tiff_bits(image: Image.Image) -> int:
    """A TIFF's bits per sample (8 for other formats)."""
    if image.format != "TIFF":
        return 8
    bits = getattr(image, "tag_v2", {}).get(TIFF_BITS_PER_SAMPLE, 8)
    return max(bits) if isinstance(bits, tuple) else int(bits)


def _reduced_by_pillow(image: Image.Image) -> bool:
    """A 16-bit file that Pillow reads into an 8-bit mode (its I modes hold 16-bit grey)."""
    return not image.mode.startswith("I") and _is_high_bit_depth(image)


def _palette_has_alpha(image: Image.Image) -> bool:
    """A transparency entry, or a palette of RGBA colours (a TGA's 32-bit colour map, what
    ``Image.quantize()`` makes of an RGBA image)."""
    return "transparency" in image.info or (image.palette is not None and image.palette.mode.endswith("A"))


def to_samples(image: Image.Image, deep: bool = False) -> np.ndarray:
    """(H, W, C) uint8 samples of ``image`` (C = 1..4), exactly as stored; with ``deep``,
    16-bit grey images are (H, W, 1) uint16 samples (callers that take 8 bits only refuse them)."""
    if deep and image.mode.startswith("I"):  # I;16, I;16B ...: 16-bit grey; I: int32 grey
        return _deep_grey(image)
    if _is_high_bit_depth(image) or image.mode.startswith(("I", "F")):
        raise UnsupportedImageError(f"{image.mode} images with more than 8 bits per sample are not supported")
    key = image.info.get("transparency")
    if key is not None and image.mode in ("1", "L", "RGB"):  # a colour key: exactly an alpha channel
        image = image.convert("RGBA" if image.mode == "RGB" else "LA")
    elif image.mode == "1":
        image = image.convert("L")
    elif image.mode == "P":
        image = image.convert("RGBA" if _palette_has_alpha(image) else "RGB")
    elif image.mode == "PA":
        image = image.convert("RGBA")
    if image.mode not in _STORED_MODES:
        raise UnsupportedImageError(f"images in mode {image.mode} are not supported (use L, LA, RGB or RGBA)")
    _check_size(image.width, image.height)
    arr = np.asarray(image)
    return arr.reshape(image.height, image.width, -1)


def _check_size(width: int, height: int) -> None:
    if width < 1 or height < 1:
        raise UnsupportedImageError("empty image")


def _deep_grey(image: Image.Image) -> np.ndarray:
    if "transparency" in image.info:
        raise UnsupportedImageError("16-bit images with a transparency colour key are not supported (give an alpha channel)")
    _check_size(image.width, image.height)
    arr = np.asarray(image)
    if image.mode == "I" and arr.size and (arr.min() < 0 or arr.max() > 0xFFFF):
        raise UnsupportedImageError("32-bit grey (mode I) images are stored only when every value is in 0..65535")
    return arr.astype(np.uint16).reshape(image.height, image.width, 1)


def _read_tiff(data: bytes, name: str) -> tuple[np.ndarray, dict[str, bytes], bool]:
    """(samples, the ICC profile and XMP data it holds, whether it has EXIF tags) of a
    one-page grey or RGB TIFF, read by tifffile."""
    import logging

    import tifffile

    log = logging.getLogger("tifffile")
    quiet, log.disabled = log.disabled, True  # it logs what it skips of a broken file: the error says enough
    try:
        with tifffile.TiffFile(io.BytesIO(data)) as tif:
            page = tif.pages[0]
            if len(tif.pages) != 1:
                raise UnsupportedImageError(f"{name} has {len(tif.pages)} pages; invcodec stores one image")
            if page.photometric not in (tifffile.PHOTOMETRIC.MINISBLACK, tifffile.PHOTOMETRIC.RGB):
                raise UnsupportedImageError(f"{name}: {page.photometric.name} TIFF with more than 8 bits per sample is "
                                            "not supported (16-bit TIFF: grey or RGB)")
            arr = page.asarray()
            tags = {key: bytes(page.tags[tag].value) for key, tag in (("icc_profile", 34675), ("xmp", 700))
                    if tag in page.tags}
            exif_tags = TIFF_EXIF_IFD in page.tags
    finally:
        log.disabled = quiet
    if page.planarconfig == tifffile.PLANARCONFIG.SEPARATE and arr.ndim == 3:
        arr = np.moveaxis(arr, 0, -1)
    return arr.reshape(arr.shape[0], arr.shape[1], -1), tags, exif_tags


def _read_all(source: str | os.PathLike | BinaryIO) -> bytes:
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            return f.read()
    source.seek(0)
    return source.read()


class _PillowCannotOpen(UnsupportedImageError):
    """Pillow knows no format for the file (it cannot open a 16-bit grey + alpha TIFF, say)."""


def _tiff_intake(data: bytes, name: str) -> Intake:
    """A 16-bit TIFF that Pillow cannot open (grey + alpha), read by tifffile alone."""
    arr, tags, exif_tags = _read_tiff(data, name)
    if arr.dtype != np.uint16 or not 1 <= arr.shape[2] <= 4:
        raise UnsupportedImageError(f"{name}: cannot read it as an image")
    _check_size(arr.shape[1], arr.shape[0])
    return Intake(None, np.ascontiguousarray(arr), tags.get("icc_profile") or None, None, tags.get("xmp") or None,
                  ["its TIFF EXIF tags"] if exif_tags else [])


DEEP_FORMATS = ("PNG", "TIFF", "PPM")  # where a 16-bit file that Pillow reduces is read again at its depth


def _deep_samples(data: bytes, image: Image.Image, name: str) -> np.ndarray:
    """(H, W, C) uint16 samples of a 16-bit grey + alpha, RGB or RGBA file that Pillow reads
    as 8-bit (``image``: as Pillow opened it, its header parsed, not loaded)."""
    if "transparency" in image.info:
        raise UnsupportedImageError(f"{name}: 16-bit images with a transparency colour key are not supported")
    if image.format == "PNG":
        import png  # pypng: reads every PNG at its depth (Pillow has no 16-bit colour modes)

        width, height, rows, info = png.Reader(bytes=data).read()
        if info["bitdepth"] != 16:
            raise UnsupportedImageError(f"{name}: cannot read its samples at 16 bits")
        arr = np.vstack([np.asarray(row, dtype=np.uint16) for row in rows]).reshape(height, width, info["planes"])
    elif image.format == "TIFF":
        arr = _read_tiff(data, name)[0]
    else:  # PPM: only the binary one of maxval 65535 holds its samples as they are (Pillow parsed the header)
        tile = image.tile[0]
        if tile.codec_name != "ppm" or tile.args[1] != 0xFFFF:
            raise UnsupportedImageError(f"{name}: a 16-bit colour PPM is read only in binary form with maxval 65535")
        count = image.width * image.height * len(image.mode)
        arr = np.frombuffer(data, dtype=">u2", count=count, offset=tile.offset)
    arr = arr.reshape(image.height, image.width, -1)
    if arr.dtype.itemsize != 2 or arr.dtype.kind != "u" or not 1 <= arr.shape[2] <= 4:
        raise UnsupportedImageError(f"{name}: cannot read its samples at 16 bits")
    return arr.astype(np.uint16)


def icc_profile(image: Image.Image) -> bytes | None:
    return image.info.get("icc_profile") or None


def exif(image: Image.Image) -> bytes | None:
    """The EXIF data of ``image`` as a file stores it (``container.exif_structure``)."""
    value = image.info.get("exif")
    return exif_structure(value) if isinstance(value, bytes) else None


def xmp(image: Image.Image) -> bytes | None:
    value = image.info.get("xmp")
    return (value.encode() if isinstance(value, str) else bytes(value)) if value else None


def metadata_info(kept: Header | Intake) -> dict[str, bytes]:
    """What a file (or an input) keeps beside its samples, as a PIL image's ``info`` holds
    it (EXIF data with the "Exif\0\0" prefix that Pillow's JPEG and PNG readers give and its
    writers take)."""
    return {key: value for key, value in (("icc_profile", kept.icc_profile), ("exif", kept.exif and EXIF_PREFIX + kept.exif),
                                          ("xmp", kept.xmp)) if value}


def not_kept(image: Image.Image) -> list[str]:
    """What of ``image`` a .inv file does not carry: a comment, a TIFF's EXIF tags (TIFF
    holds them as tags of its own, not as a block of EXIF data), a PNG gamma or
    chromaticities (gAMA / cHRM) that no ICC profile overrides."""
    lost = []
    if not icc_profile(image):
        gamma = image.info.get("gamma")
        colour = ([f"gamma {gamma} (gAMA)"] if gamma is not None and abs(gamma - 1 / 2.2) > 5e-4 else []) + \
            (["chromaticities (cHRM)"] if "chromaticity" in image.info else [])
        if colour and "srgb" not in image.info:  # sRGB, or a gamma of 1/2.2 alone: what a viewer assumes anyway
            lost.append("its PNG " + " and ".join(colour))
    if image.format == "TIFF" and TIFF_EXIF_IFD in getattr(image, "tag_v2", {}):  # (Pillow applies a TIFF's orientation)
        lost.append("its TIFF EXIF tags")
    if image.info.get("comment"):
        lost.append("its comment")
    return lost


def _check_one_frame(image: Image.Image, name: str) -> None:
    frames = int(getattr(image, "n_frames", 1) or 1)
    if frames > 1:
        raise UnsupportedImageError(
            f"{name} has {frames} frames (animated or multi-page); invcodec stores one image and would drop "
            f"{frames - 1} of them: extract the frame you want first")


def open_image(source: str | BinaryIO, name: str | None = None) -> Image.Image:
    """Open and fully read an image (path or binary file object); anything Pillow cannot
    read is an ``UnsupportedImageError`` with one line of explanation. A 16-bit file that
    Pillow would read as 8-bit is refused here (``read`` reads it at its full depth)."""
    image, deep = _open(source, name, deep=False)
    return image


def _open(source: str | BinaryIO, name: str | None, deep: bool) -> tuple[Image.Image, np.ndarray | None]:
    """(the image as Pillow opened it, and its 16-bit samples when Pillow reads them as
    8-bit and ``deep`` asks for them, else None). Without ``deep``, any image of more than
    8 bits per sample is refused."""
    name = name or str(source)
    try:
        try:
            image = Image.open(source)
        except UnidentifiedImageError as e:
            raise _PillowCannotOpen(f"cannot read {name} as an image ({e})") from None
        reduced = _reduced_by_pillow(image)
        if deep and _tiff_bits(image) > 16:  # (Pillow holds 32-bit ones in mode I)
            raise UnsupportedImageError(f"{name}: {_tiff_bits(image)}-bit TIFF images are not supported (16 bits at most)")
        if deep and reduced and image.format not in DEEP_FORMATS:
            raise UnsupportedImageError(f"{name}: 16-bit {image.format} images are not supported (16-bit PNG, TIFF "
                                        "and PPM are)")
        if not deep and _is_high_bit_depth(image):
            raise UnsupportedImageError(f"{name}: images with more than 8 bits per sample are not supported")
        if reduced:  # read again at its depth, with the header Pillow parsed (loading drops the tiles)
            samples = _deep_samples(_read_all(source), image, name)
        image.load()
        _check_one_frame(image, name)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except MemoryError:
        raise
    except Exception as e:  # noqa: BLE001 - hostile files make Pillow raise many types (EOFError, struct.error, ...)
        if isinstance(e, UnsupportedImageError):
            raise
        raise UnsupportedImageError(f"cannot read {name} as an image ({e})") from None
    return image, samples if reduced else None


def as_image(image: object, caller: str) -> Image.Image:
    """A PIL image as given; a path is opened; either must have one frame. A uint8 numpy
    array (H, W) or (H, W, C), C in 1..4, is taken as L, LA, RGB or RGBA samples."""
    return _as_image(image, caller)[0]


def _as_image(image: object, caller: str, name: str | None = None,
              deep: bool = False) -> tuple[Image.Image | None, np.ndarray | None]:
    """(a PIL image, or None for a numpy array; samples when they are not the image's own:
    a 16-bit array, or a 16-bit file that Pillow reads as 8-bit, with ``deep``)."""
    if isinstance(image, Image.Image):
        _check_one_frame(image, f"the image given to {caller}")
        return image, None
    if isinstance(image, (str, os.PathLike)):
        return _open(os.fspath(image), name, deep)
    if isinstance(image, np.ndarray):
        arr = image[:, :, None] if image.ndim == 2 else image
        kinds = (np.uint8, np.uint16) if deep else (np.uint8,)
        if arr.dtype not in kinds or arr.ndim != 3 or not 1 <= arr.shape[2] <= 4:
            raise UnsupportedImageError(
                f"a numpy image must be {' or '.join(np.dtype(k).name for k in kinds)} of shape (H, W) or (H, W, 1..4); "
                f"got {image.dtype} {image.shape}")
        if arr.dtype == np.uint16:
            _check_size(arr.shape[1], arr.shape[0])
            return None, np.ascontiguousarray(arr)
        return from_samples(np.ascontiguousarray(arr)), None
    raise TypeError(f"{caller} takes a PIL image, a uint8 numpy array or a file path, not {type(image).__name__}")


@dataclass(frozen=True)
class Intake:
    """An input image as the codec takes it in."""

    image: Image.Image | None  # as opened (a JPEG's quantization tables, say, stay readable); None for a 16-bit array
    samples: np.ndarray  # (H, W, C) uint8 or uint16, exactly what is stored
    icc_profile: bytes | None  # stored beside the samples, byte for byte
    exif: bytes | None  # as icc_profile (without JPEG's "Exif\0\0" prefix); its orientation is never applied
    xmp: bytes | None  # as icc_profile
    not_kept: list[str]  # what of the image is not stored (``not_kept``): for the caller to say


def intake(source: object, caller: str, name: str | None = None) -> Intake:
    """Open (a path, or a binary file object: ``name`` for messages), check and convert
    ``source`` (see ``as_image``; a uint16 array is taken as 16-bit samples) exactly as the
    codec stores it. Raises ``UnsupportedImageError`` with one line for what cannot be
    stored exactly: several frames, other colour spaces, 16-bit files in other formats."""
    try:
        if isinstance(source, io.IOBase):  # the command line's stdin, an output read back (the API takes paths)
            image, samples = _open(source, name, deep=True)
        else:
            image, samples = _as_image(source, caller, name, deep=True)
    except _PillowCannotOpen as cannot:
        data = _read_all(source)
        if data[:4] not in TIFF_MAGICS:
            raise
        try:
            return _tiff_intake(data, name or str(source))
        except UnsupportedImageError:
            raise
        except MemoryError:
            raise
        except Exception:  # noqa: BLE001 - a broken TIFF makes tifffile raise many types: Pillow's word stands
            raise cannot from None
    if image is None:
        return Intake(None, samples, None, None, None, [])
    if samples is None:
        samples = to_samples(image, deep=True)
    return Intake(image, samples, icc_profile(image), exif(image), xmp(image), not_kept(image))


def from_samples(samples: np.ndarray) -> Image.Image:
    """A PIL image of (H, W, C) samples: 8-bit ones in L, LA, RGB or RGBA, 16-bit grey in
    I;16 (Pillow has no 16-bit colour modes: those are refused)."""
    channels = samples.shape[2]
    if samples.dtype == np.uint16:
        if channels != 1:
            raise UnsupportedImageError(f"Pillow has no 16-bit {MODES_BY_CHANNELS[channels]} mode: "
                                        "decode 16-bit colour with decompress_samples")
        return Image.fromarray(samples[:, :, 0].astype("<u2"))  # I;16
    if channels == 1:
        return Image.fromarray(samples[:, :, 0], "L")
    return Image.fromarray(np.ascontiguousarray(samples), MODES_BY_CHANNELS[channels])


def warn_not_kept(lost: list[str], stacklevel: int = 1) -> None:
    """Tell the API's caller, as a ``UserWarning``, what of its image a .inv file will not
    keep (``not_kept``); ``stacklevel`` as ``warnings.warn`` counts it from the caller."""
    if lost:
        warnings.warn(f"invcodec does not keep {' or '.join(lost)}", UserWarning, stacklevel=stacklevel + 1)


def square(image: Image.Image, size: int) -> Image.Image:
    """Centre square crop, resized to size x size (area filter): the face models' input."""
    w, h = image.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    return image.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.BOX)


def write_image(samples: np.ndarray, fmt: str, icc_profile: bytes | None = None, exif: bytes | None = None,
                xmp: bytes | None = None) -> bytes:
    """(H, W, C) samples as a lossless ``fmt`` file (PNG, TIFF, WebP, BMP), with the metadata
    given (EXIF with or without the "Exif\0\0" prefix). 8-bit samples and every metadata
    through Pillow; 16-bit samples, which Pillow holds only for grey, as PNG through pypng
    (the metadata chunks as Pillow writes them) or as TIFF through tifffile (no EXIF: TIFF
    holds it as tags). Writes what it is given: the caller checks what the format keeps."""
    buf = io.BytesIO()
    if samples.dtype == np.uint16 and fmt == "TIFF":
        import tifffile

        channels = samples.shape[2]
        tags = [(700, 1, len(xmp), xmp, True)] if xmp else []  # XMP, as Pillow reads it back
        tifffile.imwrite(buf, samples if channels > 1 else samples[:, :, 0], photometric="rgb" if channels >= 3 else "minisblack",
                         extrasamples=["unassalpha"] if channels in (2, 4) else None, iccprofile=icc_profile,
                         extratags=tags, metadata=None)
        return buf.getvalue()
    options = _pillow_options(fmt, icc_profile, exif, xmp)
    if samples.dtype == np.uint8 or samples.shape[2] == 1:
        from_samples(samples).save(buf, fmt, **options)
        return buf.getvalue()
    import png  # pypng: Pillow has no 16-bit colour modes

    h, w, channels = samples.shape
    png.Writer(w, h, greyscale=channels < 3, alpha=channels in (2, 4), bitdepth=16, compression=9).write(
        buf, samples.reshape(h, w * channels))
    chunks = list(png.Reader(bytes=buf.getvalue()).chunks())
    out = io.BytesIO()
    png.write_chunks(out, chunks[:1] + png_metadata_chunks(icc_profile, exif, xmp) + chunks[1:])
    return out.getvalue()


def _pillow_options(fmt: str, icc_profile: bytes | None, exif: bytes | None, xmp: bytes | None) -> dict:
    """What Pillow's ``save`` takes to write this metadata in ``fmt``."""
    options: dict = {"lossless": True, "exact": True} if fmt == "WEBP" else {}
    options.update({key: value for key, value in (("icc_profile", icc_profile), ("exif", exif)) if value})
    if xmp and fmt == "PNG":
        from PIL import PngImagePlugin

        options["pnginfo"] = PngImagePlugin.PngInfo()
        options["pnginfo"].add_itxt("XML:com.adobe.xmp", xmp)  # where Pillow and exiftool read it from
    elif xmp and fmt == "TIFF":
        options["tiffinfo"] = {700: xmp}  # (Pillow then writes no exif=: a TIFF's EXIF is tags, not kept byte for byte)
    elif xmp:
        options["xmp"] = xmp
    if fmt == "WEBP" and exif:
        options["exif"] = exif_structure(exif)  # WebP's EXIF chunk holds the TIFF structure alone
    return options


def png_metadata_chunks(icc_profile: bytes | None = None, exif: bytes | None = None,
                        xmp: bytes | None = None) -> list[tuple[bytes, bytes]]:
    """The (tag, data) PNG chunks that hold this metadata (iCCP, eXIf, iTXt), as Pillow
    writes them, for PNGs that other writers make."""
    import png

    meta = io.BytesIO()
    Image.new("L", (1, 1)).save(meta, "PNG", **_pillow_options("PNG", icc_profile, exif, xmp))
    return [c for c in png.Reader(bytes=meta.getvalue()).chunks() if c[0] not in (b"IHDR", b"IDAT", b"IEND")]
