"""Input images -> the exact 8-bit samples the codec stores, and back to PIL images.

``intake`` is how every caller (the API, the command line, the Pillow plugin) takes an
image in. Stored exactly: L (grey), LA, RGB, RGBA, 8 bits per sample. Converted losslessly
on the way in: "1" (bilevel) -> L, "P" (palette) -> RGB, or RGBA when the palette carries
alpha or a transparency entry (decodes as that mode). Refused: 16-bit and float images,
CMYK and other colour spaces (no exact 8-bit RGB form). A transparency colour key (PNG
tRNS on a grey or RGB image) becomes an exact alpha channel: L -> LA, RGB -> RGBA. Images
with several frames (animated GIF/PNG/WebP, multi-page TIFF), as files or as opened PIL
images, are refused: keeping frame 1 would drop the others.

Kept beside the samples: the ICC profile (``icc_profile``), byte for byte. Not stored:
EXIF data, its orientation included (the samples are stored as the file holds them,
unrotated), XMP, comments, and a PNG's gamma / chromaticities without a profile;
``not_kept`` names them so callers can say so."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
from PIL import Image

from .container import PIL_MODES
from .errors import UnsupportedImageError

MODES_BY_CHANNELS = PIL_MODES
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".ppm", ".tif", ".tiff"}  # what folders are read for
_STORED_MODES = set(MODES_BY_CHANNELS.values())


def _is_high_bit_depth(image: Image.Image) -> bool:
    """Pillow reads some 16-bit files (e.g. 48-bit PNG) straight into an 8-bit mode;
    their decoder's raw mode still says 16 bits."""
    for tile in getattr(image, "tile", None) or []:
        args = tile[3] if len(tile) > 3 else None
        rawmode = args[0] if isinstance(args, tuple) and args else args
        if isinstance(rawmode, str) and "16" in rawmode:
            return True
    return False


def _palette_has_alpha(image: Image.Image) -> bool:
    """A transparency entry, or a palette of RGBA colours (a TGA's 32-bit colour map, what
    ``Image.quantize()`` makes of an RGBA image)."""
    return "transparency" in image.info or (image.palette is not None and image.palette.mode.endswith("A"))


def to_samples(image: Image.Image) -> np.ndarray:
    """(H, W, C) uint8 samples of ``image`` (C = 1..4), exactly as stored."""
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
    if image.width < 1 or image.height < 1:
        raise UnsupportedImageError("empty image")
    arr = np.asarray(image)
    return arr.reshape(image.height, image.width, -1)


def icc_profile(image: Image.Image) -> bytes | None:
    return image.info.get("icc_profile") or None


def not_kept(image: Image.Image) -> list[str]:
    """What of ``image`` a .inv file does not carry: EXIF data (first of all an orientation
    other than "normal", which a viewer would apply), XMP data, a comment, a PNG gamma or
    chromaticities (gAMA / cHRM) that no ICC profile overrides."""
    lost = []
    if not icc_profile(image):
        gamma = image.info.get("gamma")
        colour = ([f"gamma {gamma} (gAMA)"] if gamma is not None and abs(gamma - 1 / 2.2) > 5e-4 else []) + \
            (["chromaticities (cHRM)"] if "chromaticity" in image.info else [])
        if colour and "srgb" not in image.info:  # sRGB, or a gamma of 1/2.2 alone: what a viewer assumes anyway
            lost.append("its PNG " + " and ".join(colour))
    try:
        orientation = image.getexif().get(0x0112)
    except Exception:  # noqa: BLE001 - a broken EXIF block holds no orientation we could honour
        orientation = None
    if orientation not in (None, 1):
        lost.append(f"its EXIF data with the orientation ({orientation}: the pixels are stored unrotated)")
    elif image.info.get("exif"):
        lost.append("its EXIF data (camera, date, place...)")
    lost += [what for key, what in (("xmp", "its XMP data"), ("comment", "its comment")) if image.info.get(key)]
    return lost


def _check_one_frame(image: Image.Image, name: str) -> None:
    frames = int(getattr(image, "n_frames", 1) or 1)
    if frames > 1:
        raise UnsupportedImageError(
            f"{name} has {frames} frames (animated or multi-page); invcodec stores one image and would drop "
            f"{frames - 1} of them: extract the frame you want first")


def from_samples(samples: np.ndarray) -> Image.Image:
    channels = samples.shape[2]
    if channels == 1:
        return Image.fromarray(samples[:, :, 0], "L")
    return Image.fromarray(np.ascontiguousarray(samples), MODES_BY_CHANNELS[channels])


def open_image(source: str | BinaryIO, name: str | None = None) -> Image.Image:
    """Open and fully read an image (path or binary file object); anything Pillow cannot
    read is an ``UnsupportedImageError`` with one line of explanation."""
    name = name or str(source)
    try:
        image = Image.open(source)
        if _is_high_bit_depth(image):
            raise UnsupportedImageError(f"{name}: images with more than 8 bits per sample are not supported")
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
    return image


def as_image(image: object, caller: str) -> Image.Image:
    """A PIL image as given; a path is opened; either must have one frame. A uint8 numpy
    array (H, W) or (H, W, C), C in 1..4, is taken as L, LA, RGB or RGBA samples."""
    if isinstance(image, Image.Image):
        _check_one_frame(image, f"the image given to {caller}")
        return image
    if isinstance(image, (str, os.PathLike)):
        return open_image(os.fspath(image))
    if isinstance(image, np.ndarray):
        arr = image[:, :, None] if image.ndim == 2 else image
        if arr.dtype != np.uint8 or arr.ndim != 3 or not 1 <= arr.shape[2] <= 4:
            raise UnsupportedImageError(
                f"a numpy image must be uint8 of shape (H, W) or (H, W, 1..4); got {image.dtype} {image.shape}")
        return from_samples(np.ascontiguousarray(arr))
    raise TypeError(f"{caller} takes a PIL image, a uint8 numpy array or a file path, not {type(image).__name__}")


@dataclass(frozen=True)
class Intake:
    """An input image as the codec takes it in."""

    image: Image.Image  # as opened (a JPEG's quantization tables, say, stay readable)
    samples: np.ndarray  # (H, W, C) uint8, exactly what is stored
    icc_profile: bytes | None  # stored beside the samples, byte for byte
    not_kept: list[str]  # what of the image is not stored (``not_kept``): for the caller to say


def intake(source: object, caller: str) -> Intake:
    """Open (a path), check and convert ``source`` (see ``as_image``) exactly as the codec
    stores it. Raises ``UnsupportedImageError`` with one line for what cannot be stored
    exactly: several frames, more than 8 bits per sample, other colour spaces."""
    image = as_image(source, caller)
    return Intake(image, to_samples(image), icc_profile(image), not_kept(image))


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
