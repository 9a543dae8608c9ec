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
_ICC_OUTPUTS = {"PNG", "TIFF", "WEBP"}  # the outputs that carry an ICC profile
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
    source = pixels.open_image(io.BytesIO(read_stdin_image()), name="stdin") if input == STDIO else str(input)
    taken = pixels.intake(source, "invcodec")
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


def encode_image(samples, fmt: str, output: Path, icc_profile: bytes | None) -> bytes:
    """The samples (and ICC profile) as a ``fmt`` file, read back and compared: an output
    format that would change a sample or a channel is refused, never written; one that
    cannot hold the profile (BMP) gets a warning."""
    import numpy as np

    from invcodec import pixels

    _pillow_reads_what_the_format_holds()  # the output is read back
    channels = samples.shape[2]
    if (fmt, channels) in _OUTPUT_LIMITS:
        raise CodecError(f"{output}: {_OUTPUT_LIMITS[fmt, channels]}")
    options = {"lossless": True, "exact": True} if fmt == "WEBP" else {}
    if icc_profile and fmt in _ICC_OUTPUTS:
        options["icc_profile"] = icc_profile
    elif icc_profile:
        click.echo(f"invcodec: warning: {output}: not kept: the ICC colour profile ({fmt} cannot hold one; "
                   f"use .png, .tif or .webp)", err=True)
    buf = io.BytesIO()
    pixels.from_samples(samples).save(buf, fmt, **options)
    written = pixels.open_image(io.BytesIO(buf.getvalue()), name=str(output))
    back = pixels.to_samples(written)
    if back.shape != samples.shape or not np.array_equal(back, samples):
        raise CodecError(f"{output}: this Pillow's {fmt} writer does not keep these pixels exactly; use .png")
    if "icc_profile" in options and pixels.icc_profile(written) != icc_profile:
        raise CodecError(f"{output}: this Pillow's {fmt} writer does not keep the ICC profile; use .png")
    return buf.getvalue()


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
