"""invcodec command line: thin click commands over the library."""

from __future__ import annotations

import functools
import io
import json
import sys
import time
from pathlib import Path

import click

LOSSLESS_OUTPUTS = {".png": "PNG", ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WEBP"}


class CodecError(click.ClickException):
    """One line on stderr, exit status 1."""

    def show(self, file=None) -> None:
        click.echo(f"invcodec: error: {self.format_message()}", err=True)


def _fail_on_bad_input(fn):
    """Turn the library's expected failures into one clear line and a non-zero exit."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from invcodec.errors import InvalidFileError, UnsupportedImageError

        from .output import OutputExistsError

        try:
            return fn(*args, **kwargs)
        except (InvalidFileError, UnsupportedImageError, OutputExistsError) as e:
            raise CodecError(str(e)) from None
        except FileNotFoundError as e:
            raise CodecError(f"{e.filename}: no such file") from None
        except IsADirectoryError as e:
            raise CodecError(f"{e.filename}: is a directory") from None
        except PermissionError as e:
            raise CodecError(f"{e.filename}: permission denied") from None
        except ValueError as e:  # e.g. an unknown model name
            raise CodecError(str(e)) from None

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="invcodec")
def main() -> None:
    """Lossless image compression with an invertible neural network.

    \b
      invcodec compress photo.png            -> photo.inv
      invcodec decompress photo.inv          -> photo.png (exact pixels)
      invcodec info photo.inv                -> what the file holds
    """


@main.command()
@click.argument("input", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Output file [default: INPUT with .inv].")
@click.option("-m", "--model", default=None, help="Shipped model name or path to a .safetensors model [default: photo-v1].")
@click.option("-f", "--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
@_fail_on_bad_input
def compress(input: Path, output: Path | None, model: str | None, force: bool) -> None:
    """Compress an 8-bit image (grey, RGB, with or without alpha) losslessly to .inv."""
    from invcodec import pixels
    from invcodec.codec import compress_samples
    from invcodec.registry import get_model

    from .output import write_atomic

    output = output or input.with_suffix(".inv")
    if output.exists() and not force:
        raise CodecError(f"{output} exists (use --force to overwrite)")
    samples = pixels.to_samples(pixels.open_image(str(input)))
    start = time.perf_counter()
    data, stats = compress_samples(samples, get_model(model), progress=sys.stderr.isatty())
    seconds = time.perf_counter() - start
    write_atomic(output, data, force)
    h, w, c = samples.shape
    line = f"{input} -> {output}: {w}x{h}x{c}, {len(data)} bytes, {stats.bits_per_sub_pixel:.3f} bits/sub-pixel, {seconds:.2f} s"
    if stats.flow_bytes:
        line += f" (flow streams {8 * stats.flow_bytes:.0f} bits vs model estimate {stats.flow_estimated_bits:.0f})"
    click.echo(line)


@main.command()
@click.argument("input", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Output image [default: INPUT with .png].")
@click.option("-m", "--model", default=None, help="Model file, if the .inv was written with one that is not shipped.")
@click.option("-f", "--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
@_fail_on_bad_input
def decompress(input: Path, output: Path | None, model: str | None, force: bool) -> None:
    """Decode a .inv file to a lossless image file (PNG, or BMP/TIFF/WebP by extension)."""
    from invcodec import pixels
    from invcodec.codec import decompress_samples
    from invcodec.registry import get_model

    from .output import write_atomic

    output = output or input.with_suffix(".png")
    fmt = LOSSLESS_OUTPUTS.get(output.suffix.lower())
    if fmt is None:
        raise CodecError(f"{output.suffix or 'no extension'}: choose a lossless output ({', '.join(LOSSLESS_OUTPUTS)})")
    if output.exists() and not force:
        raise CodecError(f"{output} exists (use --force to overwrite)")
    data = input.read_bytes()
    start = time.perf_counter()
    samples = decompress_samples(data, get_model(model) if model else None, progress=sys.stderr.isatty())
    seconds = time.perf_counter() - start
    buf = io.BytesIO()
    options = {"lossless": True} if fmt == "WEBP" else {}
    pixels.from_samples(samples).save(buf, fmt, **options)
    write_atomic(output, buf.getvalue(), force)
    h, w, c = samples.shape
    click.echo(f"{input} -> {output}: {w}x{h}x{c}, {8 * len(data) / samples.size:.3f} bits/sub-pixel, {seconds:.2f} s")


@main.command()
@click.argument("input", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the header as JSON.")
@_fail_on_bad_input
def info(input: Path, as_json: bool) -> None:
    """Show what a .inv file holds (header and streams)."""
    from invcodec import container

    data = input.read_bytes()
    header, table, _ = container.unpack_header(data)
    fields = {
        "file": str(input),
        "bytes": len(data),
        "format_version": header.version,
        "mode": header.mode.name.lower(),
        "width": header.width,
        "height": header.height,
        "channels": header.channels,
        "bit_depth": header.bit_depth,
        "tile_size": header.tile_size,
        "model_id": header.model_id.hex(),
        "pixel_crc32": f"{header.pixel_crc32:08x}",
        "bits_per_sub_pixel": round(8 * len(data) / (header.width * header.height * header.channels), 4),
        "streams": [{"kind": kind.name.lower(), "bytes": length} for kind, length in table],
    }
    if as_json:
        click.echo(json.dumps(fields, indent=2))
        return
    for key, value in fields.items():
        if key == "streams":
            kinds: dict[str, int] = {}
            for s in value:
                kinds[s["kind"]] = kinds.get(s["kind"], 0) + 1
            value = f"{len(value)} (" + ", ".join(f"{n} {k}" for k, n in kinds.items()) + ")"
        click.echo(f"{key:>18}: {value}")


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def train(args: tuple[str, ...]) -> None:
    """Train a model (same options as `python -m invcodec.train --help`)."""
    from invcodec.train import main as train_main

    train_main(list(args))


if __name__ == "__main__":
    sys.exit(main())
