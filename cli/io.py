"""What a command reads and writes: input images and .inv files (a path or '-' for stdin),
lossless output images, and outputs written whole or not at all (a file, or '-' for
stdout). Imports of the codec, numpy and PIL happen inside the functions, so that the
command starts fast."""

from __future__ import annotations

import errno
import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .errors import CodecError

if TYPE_CHECKING:
    from invcodec.pixels import Intake

STDIO = Path("-")  # '-' on the command line: stdin as an input, stdout as an output
MAX_STDIN_BYTES = 1 << 30  # an image read from stdin; a file argument is bounded by Pillow's own checks
LOSSLESS_OUTPUTS = {".png": "PNG", ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WEBP"}
# The metadata each output carries byte for byte: TIFF holds EXIF as tags of its own (and Pillow applies a TIFF's
# orientation when it reads one), so no EXIF is written there; BMP holds none.
_KEEPS = {"PNG": {"icc_profile", "exif", "xmp"}, "TIFF": {"icc_profile", "xmp"}, "WEBP": {"icc_profile", "exif", "xmp"},
          "BMP": set()}
_METADATA_NAMES = {"icc_profile": "the ICC colour profile", "exif": "the EXIF data", "xmp": "the XMP data"}
_DEEP_OUTPUTS = {"PNG", "TIFF"}  # the outputs that hold 16 bits per sample
# What an output format cannot hold exactly (Pillow 10+, checked by tests): refused, naming one that can.
_OUTPUT_LIMITS = {
    ("BMP", 2): "BMP cannot hold grey with alpha; use .png or .tif",
    ("BMP", 4): "BMP as Pillow writes it drops the alpha channel; use .png, .tif or .webp",
    ("WEBP", 1): "WebP has no grey mode (the file would read back as RGB); use .png or .tif",
    ("WEBP", 2): "WebP has no grey mode (the file would read back as RGBA); use .png or .tif",
}


def named(name: Path, message: str) -> str:
    """Every error line names its file."""
    label = "stdin" if name == STDIO else str(name)
    return message if label in message else f"{label}: {message}"


def _stdin():
    """stdin's bytes, or one line when the command was started with stdin closed (<&-)."""
    if sys.stdin is None:
        raise CodecError("stdin: standard input is closed; give a file name instead")
    return sys.stdin.buffer


def read_stdin_image() -> bytes:
    data = _stdin().read(MAX_STDIN_BYTES + 1)
    if len(data) > MAX_STDIN_BYTES:
        raise CodecError(f"stdin: more than {MAX_STDIN_BYTES >> 20} MiB; give the image as a file")
    return data


def _pillow_reads_what_the_format_holds() -> None:
    """Pillow refuses images over 179 MP as possible decompression bombs; the command reads
    and writes every size the format holds (268 MP; larger inputs are refused by the intake)."""
    import warnings

    from PIL import Image

    from invcodec import container

    if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < container.MAX_PIXELS:
        Image.MAX_IMAGE_PIXELS = container.MAX_PIXELS  # Pillow's error comes at twice this, its warning at it
    warnings.simplefilter("ignore", Image.DecompressionBombWarning)


def read_image(input: Path) -> Intake:
    """The image of a file or stdin as the codec takes it in (``pixels.intake``); what the
    output will not keep is said on stderr."""
    from invcodec import pixels

    _pillow_reads_what_the_format_holds()
    source = io.BytesIO(read_stdin_image()) if input == STDIO else str(input)
    taken = pixels.intake(source, "invcodec", name="stdin" if input == STDIO else None)
    if taken.not_kept:  # the pixels are stored as they are; say what a viewer would have applied
        click.echo(f"invcodec: warning: {named(input, 'not kept: ' + ' and '.join(taken.not_kept))}", err=True)
    return taken


def read_inv(path: Path) -> bytes:
    """A .inv file, reading no more than its header declares (a stream or /dev/zero too)."""
    from invcodec import container

    if path == STDIO:
        return container.read(_stdin())
    with open(path, "rb") as f:
        return container.read(f)


def output_format(output: Path, why: str = "") -> str:
    """The lossless image format ``output``'s extension names (PNG for stdout); any other
    is refused, with ``why`` if given."""
    fmt = "PNG" if output == STDIO else LOSSLESS_OUTPUTS.get(output.suffix.lower())
    if fmt is None:
        raise CodecError(f"{output}: choose a lossless output format ({', '.join(LOSSLESS_OUTPUTS)})"
                         + (f"; {why}" if why else ""))
    return fmt


def encode_image(samples, fmt: str, output: Path, metadata: dict[str, bytes]) -> bytes:
    """The samples (8 or 16 bits) and their metadata (``pixels.metadata_info``: ICC profile,
    EXIF, XMP) as a ``fmt`` file, read back and compared: an output format that would
    change a sample, a channel or a kept metadata byte is refused, never written; metadata
    that it cannot hold gets a warning."""
    import numpy as np

    from invcodec import pixels

    _pillow_reads_what_the_format_holds()  # the output is read back
    channels, deep = samples.shape[2], samples.dtype == np.uint16
    if deep and fmt not in _DEEP_OUTPUTS:
        raise CodecError(f"{output}: {fmt} holds 8 bits per sample and this image has 16; use .png or .tif")
    if (fmt, channels) in _OUTPUT_LIMITS:
        raise CodecError(f"{output}: {_OUTPUT_LIMITS[fmt, channels]}")
    kept = {key: value for key, value in metadata.items() if key in _KEEPS[fmt]}
    lost = [_METADATA_NAMES[key] for key in metadata if key not in kept]
    if lost:
        click.echo(f"invcodec: warning: {output}: not kept: {' and '.join(lost)} ({fmt} cannot hold "
                   f"{'them' if len(lost) > 1 else 'it'}; use .png{'' if deep else ' or .webp'})", err=True)
    data = pixels.write_image(samples, fmt, **kept)
    same, back = _read_back(data, samples, output)
    if not same:
        raise CodecError(f"{output}: this Pillow's {fmt} writer does not keep these pixels exactly; use .png")
    for key in kept:
        if pixels.metadata_info(back).get(key) != kept[key]:
            raise CodecError(f"{output}: this {fmt} writer does not keep {_METADATA_NAMES[key]} byte for byte; use .png")
    return data


# Decoding's memory bound (docs/RELIABILITY.md): a PNG file output of an image larger than
# STREAMED_ABOVE raw bytes is written as the image decodes, a band of tile rows at a time;
# every other output (other formats, stdout, --scale) is built whole in memory, about three
# times the image's raw size, and refused above HELD_AT_MOST.
STREAMED_ABOVE = 1 << 26
HELD_AT_MOST = 1 << 30  # every 8-bit image the format allows (65536 x 4096 x 4)


def raw_bytes(height: int, width: int, channels: int, bit_depth: int) -> int:
    return height * width * channels * bit_depth // 8


def streams_as_decoded(output: Path, fmt: str, raw: int) -> bool:
    """Whether an output of ``raw`` bytes of samples is written as it decodes."""
    return fmt == "PNG" and output != STDIO and raw > STREAMED_ABOVE


def check_held(output: Path, fmt: str, raw: int) -> None:
    """An output built whole in memory is refused for an image of more than HELD_AT_MOST bytes."""
    if raw > HELD_AT_MOST:
        where, to = ("stdout", "-o FILE.png") if output == STDIO else (str(output), ".png")
        raise CodecError(f"{where}: {fmt} outputs are built in memory, for images of at most {HELD_AT_MOST / 2**20:.3g} "
                         f"MiB of samples, and this one has {raw / 2**20:.3g} MiB: use {to} (written as the image decodes)")


def write_png_as_decoded(output: Path, decoded, force: bool) -> None:
    """The bands of ``codec.decode_bands`` written to ``output`` as a PNG as they come,
    with the file's metadata, then read back a band at a time: put in place only if the
    decoded pixels matched the file's CRC and the PNG's pixels and metadata read back as
    them; otherwise nothing is written."""
    from PIL import Image

    from invcodec import png_bands, pixels
    from invcodec.codec import pixel_crc

    from .output import write_atomic_with

    header = decoded.header
    metadata = pixels.metadata_info(header)

    def fill(f) -> None:
        png_bands.write(f, decoded.bands, header.width, header.height, header.channels,
                        pixels.png_metadata_chunks(**metadata))
        f.flush()
        f.seek(0)
        crc = 0
        for band in png_bands.read(f):
            crc = pixel_crc(band, crc)
        f.seek(0)
        _pillow_reads_what_the_format_holds()
        with Image.open(f) as image:
            same = crc == header.pixel_crc32 and image.size == (header.width, header.height)
            if not same or any(pixels.metadata_info(_kept(image)).get(key) != metadata[key] for key in metadata):
                raise CodecError(f"{output}: the PNG written does not read back as the decoded image")

    write_atomic_with(output, fill, force)


READ_BACK_ROWS = 256  # an 8-bit output is compared a band of rows at a time: no third copy of a big image


def _read_back(data: bytes, samples, output: Path):
    """(whether ``data`` reads back as exactly ``samples``, what it keeps: an object with
    ``icc_profile``, ``exif``, ``xmp``)."""
    import numpy as np
    from PIL import Image

    from invcodec import pixels

    if samples.dtype == np.uint16:  # read at full depth by the intake (pypng, tifffile)
        back = pixels.intake(io.BytesIO(data), "invcodec", name=str(output))
        return back.samples.dtype == samples.dtype and np.array_equal(back.samples, samples), back
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        kept = _kept(image)
        height, width = samples.shape[:2]
        if image.size != (width, height):
            return False, kept
        for top in range(0, height, READ_BACK_ROWS):
            band = pixels.to_samples(image.crop((0, top, width, min(height, top + READ_BACK_ROWS))))
            if band.dtype != samples.dtype or not np.array_equal(band, samples[top : top + READ_BACK_ROWS]):
                return False, kept
    return True, kept


def _kept(image):
    """What of its metadata an image read back keeps: an object with ``icc_profile``,
    ``exif`` and ``xmp``, as ``pixels.metadata_info`` takes it."""
    import types

    from invcodec import pixels

    return types.SimpleNamespace(icc_profile=pixels.icc_profile(image), exif=pixels.exif(image), xmp=pixels.xmp(image))


def check_free(output: Path, force: bool, exists_hint: str = "use --force to overwrite") -> None:
    """Before any work: the output may be written (not a terminal, not an existing file
    without --force, never a FIFO, device or folder)."""
    from .output import check_replaceable

    if output == STDIO:
        if sys.stdout.isatty():
            raise CodecError("refusing to write binary image data to a terminal (redirect stdout or use -o FILE)")
        return
    check_replaceable(output, force, exists_hint)


def write(output: Path, data: bytes, force: bool) -> None:
    from .output import write_atomic

    if output == STDIO:
        try:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        except OSError as e:
            if e.errno == errno.EPIPE:
                raise
            raise CodecError(f"stdout: {e.strerror or e}") from None
    else:
        write_atomic(output, data, force)
