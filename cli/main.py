"""invcodec command line: thin click commands over the library."""

from __future__ import annotations

import errno
import functools
import io
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Callable

import click

# Imports of the codec, numpy and PIL happen inside the commands that need them, so that
# `invcodec info` and `--help` start fast.
from .batch import STDIO, check_distinct, expand_inputs, output_for, parse_output

LOSSLESS_OUTPUTS = {".png": "PNG", ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WEBP"}
_ICC_OUTPUTS = {"PNG", "TIFF", "WEBP"}  # the outputs that carry an ICC profile
# What an output format cannot hold exactly (Pillow 10+, checked by tests): refused, naming one that can.
_OUTPUT_LIMITS = {
    ("BMP", 2): "BMP cannot hold grey with alpha; use .png or .tif",
    ("BMP", 4): "BMP as Pillow writes it drops the alpha channel; use .png, .tif or .webp",
    ("WEBP", 1): "WebP has no grey mode (the file would read back as RGB); use .png or .tif",
    ("WEBP", 2): "WebP has no grey mode (the file would read back as RGBA); use .png or .tif",
}
MAX_STDIN_BYTES = 1 << 30  # an image read from stdin; a file argument is bounded by Pillow's own checks
MAX_SAMPLE_PIXELS = 1 << 26  # sample: n * size * size (64 MP, about 1 GB of working memory)
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE


class CodecError(click.ClickException):
    """One line on stderr, exit status 1."""

    def show(self, file=None) -> None:
        click.echo(f"invcodec: error: {self.format_message()}", err=True)


def describe_failure(exc: BaseException) -> str | None:
    """The one-line message for an expected failure; None for a bug (let it surface)."""
    from invcodec.errors import InvalidFileError, UnsupportedImageError

    from .output import NotRegularFileError, OutputExistsError

    if isinstance(exc, BrokenPipeError) or getattr(exc, "errno", None) == errno.EPIPE:
        return None  # the reader went away: quiet, handled by the group
    if isinstance(exc, (InvalidFileError, UnsupportedImageError, OutputExistsError, NotRegularFileError, CodecError)):
        return exc.format_message() if isinstance(exc, CodecError) else str(exc)
    if isinstance(exc, MemoryError):
        return "out of memory (the image is too large for this machine; try fewer -j workers or -t threads)"
    if isinstance(exc, FileNotFoundError):
        return f"{exc.filename}: no such file"
    if isinstance(exc, IsADirectoryError):
        return f"{exc.filename}: is a directory"
    if isinstance(exc, PermissionError):
        return f"{exc.filename}: permission denied"
    if isinstance(exc, OSError):
        return f"{exc.filename or ''}: {exc.strerror or exc}"
    if isinstance(exc, ValueError):  # e.g. an unknown model name
        return str(exc)
    return None


def _named(name: Path, message: str) -> str:
    """Every error line names its file."""
    label = "stdin" if name == STDIO else str(name)
    return message if label in message else f"{label}: {message}"


def _expected_failures(fn):
    """Expected failures (bad files, bad input) become one line and exit 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001
            message = describe_failure(exc)
            if message is None:
                raise
            raise CodecError(message) from None

    return wrapper


def _write(output: Path, data: bytes, force: bool) -> None:
    from .output import write_atomic

    if output == STDIO:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        write_atomic(output, data, force)


def _check_free(output: Path, force: bool, exists_hint: str = "use --force to overwrite") -> None:
    """Before any work: the output may be written (not a terminal, not an existing file
    without --force, never a FIFO, device or folder)."""
    from .output import check_replaceable

    if output == STDIO:
        if sys.stdout.isatty():
            raise CodecError("refusing to write binary image data to a terminal (redirect stdout or use -o FILE)")
        return
    check_replaceable(output, force, exists_hint)


def _read_stdin_image() -> bytes:
    data = sys.stdin.buffer.read(MAX_STDIN_BYTES + 1)
    if len(data) > MAX_STDIN_BYTES:
        raise CodecError(f"stdin: more than {MAX_STDIN_BYTES >> 20} MiB; give the image as a file")
    return data


def _read_inv(path: Path) -> bytes:
    """A .inv file, reading no more than its header declares (a stream or /dev/zero too)."""
    from invcodec import container

    if path == STDIO:
        return container.read(sys.stdin.buffer)
    with open(path, "rb") as f:
        return container.read(f)


def _output_bytes(samples, fmt: str, output: Path, icc_profile: bytes | None) -> bytes:
    """The decoded samples (and ICC profile) as a ``fmt`` file, read back and compared: an
    output format that would change a sample or a channel is refused, never written; one
    that cannot hold the profile (BMP) gets a warning."""
    import numpy as np

    from invcodec import pixels

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


def compress_one(input: Path, output: Path, model: str | None, force: bool, quality: int | None = None,
                 threads: int | None = None, flow_only: bool = False, tune: str = "psnr") -> str:
    from invcodec import pixels
    from invcodec.codec import compress_samples
    from invcodec.registry import DEFAULT_LOSSY_MODEL, get_model

    _check_free(output, force)
    source = io.BytesIO(_read_stdin_image()) if input == STDIO else str(input)
    image = pixels.open_image(source, name="stdin" if input == STDIO else str(input))
    samples = pixels.to_samples(image)
    lost = pixels.not_kept(image)
    if lost:  # the pixels are stored as they are; say what a viewer would have applied
        click.echo(f"invcodec: warning: {_named(input, 'not kept: ' + ' and '.join(lost))}", err=True)
    start = time.perf_counter()
    if quality is not None and model is None:
        model = DEFAULT_LOSSY_MODEL
    data, stats = compress_samples(samples, get_model(model), progress=sys.stderr.isatty(), quality=quality, threads=threads,
                                   icc_profile=pixels.icc_profile(image), classic=not flow_only, tune=tune)
    seconds = time.perf_counter() - start
    _write(output, data, force)
    h, w, c = samples.shape
    line = f"{input} -> {output}: {w}x{h}x{c}, {len(data)} bytes, {stats.bits_per_sub_pixel:.3f} bits/sub-pixel, {seconds:.2f} s"
    if quality is not None:
        line += f", quality {quality}: {8 * len(data) / (h * w):.3f} bpp, PSNR {stats.psnr:.2f} dB"
    return line


def decompress_one(input: Path, output: Path, model: str | None, force: bool, threads: int | None = None,
                   default_output: bool = False) -> str:
    from invcodec.codec import decode
    from invcodec.registry import get_model

    fmt = "PNG" if output == STDIO else LOSSLESS_OUTPUTS.get(output.suffix.lower())
    if fmt is None:
        raise CodecError(f"{output}: choose a lossless output format ({', '.join(LOSSLESS_OUTPUTS)})")
    # The default name is the source image's: say so, rather than suggest --force blindly.
    _check_free(output, force, f"it may be the image {input.name} was made from; decode to another name with -o, "
                               "or replace it with --force" if default_output else "use --force to overwrite")
    data = _read_inv(input)
    start = time.perf_counter()
    samples, header = decode(data, get_model(model) if model else None, progress=sys.stderr.isatty(), threads=threads)
    seconds = time.perf_counter() - start
    _write(output, _output_bytes(samples, fmt, output, header.icc_profile), force)
    h, w, c = samples.shape
    return f"{input} -> {output}: {w}x{h}x{c}, {8 * len(data) / samples.size:.3f} bits/sub-pixel, {seconds:.2f} s"


def _safe_call(fn: Callable[..., str], input: Path, *args) -> tuple[Path, bool, str]:
    """Run one job; expected failures come back as messages naming the file (also from
    worker processes)."""
    try:
        return input, True, fn(input, *args)
    except Exception as exc:  # noqa: BLE001 - classified right here
        message = describe_failure(exc)
        if message is None:
            raise
        return input, False, _named(input, message)


def _call_packed(args: tuple) -> tuple[Path, bool, str]:
    return _safe_call(*args)


def _worker_init() -> None:
    """Worker processes leave Ctrl-C to the parent, which terminates them: SIGTERM then
    unwinds the job (its temporary file is removed) and exits without a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def stop(signum, frame):
        raise SystemExit(EXIT_INTERRUPTED)

    signal.signal(signal.SIGTERM, stop)


def _run_batch(fn: Callable[..., str], jobs: list[tuple[Path, Path]], model: str | None, force: bool, workers: int) -> None:
    """Run every job, report each as it finishes, carry on past failures, exit 1 if any failed."""
    to_stdout = any(out == STDIO for _, out in jobs)
    report = (lambda line: click.echo(line, err=True)) if to_stdout else click.echo
    args = [(fn, inp, out, model, force) for inp, out in jobs]
    failures = []

    def show(result: tuple[Path, bool, str]) -> None:
        inp, ok, message = result
        if ok:
            report(message)
        else:
            failures.append(inp)
            click.echo(f"invcodec: error: {message}", err=True)

    if workers > 1 and len(jobs) > 1:
        import multiprocessing

        pool = multiprocessing.Pool(min(workers, len(jobs)), initializer=_worker_init)
        try:
            for result in pool.imap_unordered(_call_packed, args):
                show(result)
            pool.close()
        except BaseException:  # Ctrl-C or a bug: stop the others (their temporary files go too)
            pool.terminate()
            raise
        finally:
            pool.join()
    else:
        for a in args:
            show(_safe_call(*a))
    if failures:
        if len(jobs) > 1:
            click.echo(f"invcodec: {len(failures)} of {len(jobs)} files failed: {', '.join(map(str, failures))}", err=True)
        sys.exit(1)


def _threads_per_file(threads: int | None, workers: int) -> int | None:
    """Worker processes already use the cores: then one thread each unless asked."""
    return threads if threads is not None else (1 if workers > 1 else None)


def _to_stdout(output: str | None, stdout: bool) -> str | None:
    """-c is -o - (gzip's spelling); both at once is a contradiction, not a preference."""
    if stdout and output not in (None, "-"):
        raise CodecError(f"-c writes to stdout and -o to {output}: give one of them")
    return "-" if stdout else output


def _jobs(inputs: tuple[Path, ...], output: str | None, suffix: str, folder_suffixes: set[str]) -> list[tuple[Path, Path]]:
    """(input, output) of every file; refused before anything is written when two inputs
    would share an output or an output is an input."""
    try:
        files = expand_inputs(inputs, folder_suffixes)
        out = parse_output(output)
        jobs = [(f, output_for(f, out, suffix, len(files))) for f in files]
        check_distinct(jobs)
        return jobs
    except ValueError as e:
        raise CodecError(str(e)) from None


class _Main(click.Group):
    """Ctrl-C exits 130 and a closed stdout (``| head``) exits quietly: no traceback, and
    no partial output (files are written to a temporary name and renamed)."""

    def invoke(self, ctx: click.Context):
        import warnings

        def one_line(message, category, filename, lineno, file=None, line=None):  # Pillow's warnings, e.g. corrupt EXIF
            click.echo(f"invcodec: warning: {_one_line(str(message))}", err=True)

        warnings.showwarning = one_line
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            sys.exit(EXIT_INTERRUPTED)
        except OSError as e:
            if e.errno != errno.EPIPE:
                raise
            devnull = os.open(os.devnull, os.O_WRONLY)  # nothing more can reach the reader; silence the final flush
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(EXIT_BROKEN_PIPE)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="invcodec")
def main() -> None:
    """Image compression with an invertible neural network.

    \b
      invcodec compress photo.png            -> photo.inv (lossless)
      invcodec compress photo.png -q 50      -> photo.inv (lossy, quality 1..100)
      invcodec decompress photo.inv          -> photo.png
      invcodec info photo.inv                -> what the file holds
      invcodec compress photos/ -j 2         -> every image in photos/, 2 workers
      invcodec restore denoise noisy.png     -> noisy-denoised.png (also: restore jpeg, restore inpaint)
    """


_inputs = click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path, allow_dash=True))
_output = click.option("-o", "--output", type=click.Path(allow_dash=True),
                       help="Output file ('-' for stdout), or an existing folder when there are several inputs.")
_stdout = click.option("-c", "--stdout", is_flag=True, help="Write to stdout (the same as -o -).")
_force = click.option("-f", "--force", is_flag=True, help="Overwrite outputs that exist.")
_workers = click.option("-j", "--jobs", "workers", type=click.IntRange(1, 64), default=1, show_default=True,
                        help="Files processed in parallel (worker processes).")
_threads = click.option("-t", "--threads", type=click.IntRange(1, 64), default=None,
                        help="Threads per file, tiles in parallel [default: one per core, at most 4; 1 with -j].")


@main.command()
@_inputs
@_output
@_stdout
@click.option("-q", "--quality", type=click.IntRange(1, 100), default=None,
              help="Lossy, 1 (smallest) .. 100 (finest); without it the file is lossless.")
# (invcodec.registry's DEFAULT_MODEL and DEFAULT_LOSSY_MODEL, spelled out for the same reason as --tune's names)
@click.option("-m", "--model", default=None,
              help="Shipped model name or path to a .safetensors model [default: photo-v4, with -q photo-lossy-v7].")
# (invcodec.quantizer.TUNINGS's names, spelled out: the CLI imports no numpy before a command runs)
@click.option("--tune", type=click.Choice(["psnr", "ms-ssim"]), default="psnr", show_default=True,
              help="With -q: choose the steps for PSNR, or for MS-SSIM (coarser on the finest details).")
@click.option("--flow-only", is_flag=True,
              help="Code every tile with the model (no classic path for synthetic content): to measure the model.")
@_force
@_workers
@_threads
def compress(inputs: tuple[Path, ...], output: str | None, stdout: bool, quality: int | None, model: str | None,
             tune: str, flow_only: bool, force: bool, workers: int, threads: int | None) -> None:
    """Compress 8-bit images (grey, RGB, with or without alpha) to .inv: losslessly,
    or lossy with -q (alpha stays exact).

    INPUTS are image files, folders (every image in them) or '-' for stdin. Each FILE
    is written to FILE with .inv unless -o says otherwise. A file that fails is reported
    and skipped; the exit status is 1 if any failed."""
    if tune != "psnr" and quality is None:
        raise CodecError("--tune is for lossy files: give -q too")
    job = functools.partial(compress_one, quality=quality, threads=_threads_per_file(threads, workers), flow_only=flow_only,
                            tune=tune)
    from invcodec.pixels import IMAGE_SUFFIXES

    _run_batch(job, _jobs(inputs, _to_stdout(output, stdout), ".inv", IMAGE_SUFFIXES), model, force, workers)


@main.command()
@_inputs
@_output
@_stdout
@click.option("-m", "--model", default=None, help="Model file, if the .inv was written with one that is not shipped.")
@_force
@_workers
@_threads
def decompress(inputs: tuple[Path, ...], output: str | None, stdout: bool, model: str | None, force: bool, workers: int,
               threads: int | None) -> None:
    """Decode .inv files (lossless or lossy: the file says which) to lossless images
    (PNG, or BMP/TIFF/WebP by -o's extension).

    INPUTS are .inv files, folders (every .inv in them) or '-' for stdin."""
    output = _to_stdout(output, stdout)
    job = functools.partial(decompress_one, threads=_threads_per_file(threads, workers), default_output=output is None)
    _run_batch(job, _jobs(inputs, output, ".png", {".inv"}), model, force, workers)


@main.command()
@click.argument("input", type=click.Path(dir_okay=False, path_type=Path, allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="Print the header as JSON.")
@_expected_failures
def info(input: Path, as_json: bool) -> None:
    """Show what a .inv file holds (header and streams)."""
    from invcodec import container

    try:
        data = _read_inv(input)
        header, table, _ = container.unpack_header(data)
    except container.InvalidFileError as e:
        raise CodecError(_named(input, str(e))) from None
    fields = {
        "file": str(input),
        "bytes": len(data),
        "format_version": header.version,
        "mode": header.mode.name.lower(),
        **({"quality": header.quantizer.quality} if header.quantizer else {}),
        "width": header.width,
        "height": header.height,
        "channels": header.channels,
        "bit_depth": header.bit_depth,
        "tile_size": header.tile_size,
        "model_id": header.model_id.hex() or None,  # format 3 stores none without flow streams
        **({"adaptive_prior": header.adaptive_prior} if header.model_id else {}),
        "pixel_crc32": f"{header.pixel_crc32:08x}",
        **({"icc_profile_bytes": len(header.icc_profile)} if header.icc_profile else {}),
        "bits_per_sub_pixel": round(8 * len(data) / (header.width * header.height * header.channels), 4),
        "streams": [{"kind": kind.name.lower(), "bytes": length} for kind, length in table],
    }
    if as_json:
        click.echo(json.dumps(fields, indent=2))
        return
    for key, value in fields.items():
        if key == "model_id" and value is None:
            value = "none (no flow streams: decodes without a model)"
        if key == "streams":
            kinds: dict[str, int] = {}
            for s in value:
                kinds[s["kind"]] = kinds.get(s["kind"], 0) + 1
            value = f"{len(value)} (" + ", ".join(f"{n} {k}" for k, n in kinds.items()) + ")"
        click.echo(f"{key:>18}: {value}")


_model_option = click.option("-m", "--model", default="photo-v1", show_default=True,
                             help="Shipped model name (photo-v1, faces-v1, ...) or a .safetensors path.")


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _torch_model(name: str):
    """The training-side (torch) model, for the generative commands. Every way this can
    fail (no torch, unknown name, a file that is not a usable model) is one line."""
    try:
        from invcodec.training.weights import load_model, shipped_path
    except ImportError as e:  # torch is an extra: pip install "invcodec[torch]"
        raise CodecError(f"this command needs torch ({e}); install it with: pip install 'invcodec[torch]'") from None
    path = shipped_path(name)  # ValueError (one line) for an unknown name
    try:
        return load_model(path)
    except (ValueError, OSError) as e:
        raise CodecError(_one_line(describe_failure(e) or str(e))) from None
    except Exception as e:  # noqa: BLE001 - safetensors' and torch's errors for a file that is no usable model
        raise CodecError(f"{path}: cannot load the model ({_one_line(f'{type(e).__name__}: {e}')})") from None


def _square_image(path: Path, size: int):
    import numpy as np

    from invcodec import pixels
    from invcodec.training.data import square

    image = pixels.open_image(str(path))
    return np.asarray(square(image.convert("RGB"), size))


@main.command()
@_model_option
@click.option("-n", "count", type=click.IntRange(1, 1024), default=16, show_default=True, help="Number of images.")
@click.option("--size", type=click.IntRange(16, 1024), default=64, show_default=True, help="Side in pixels (a multiple of the model's block size).")
@click.option("-t", "--temperature", type=click.FloatRange(0.0, 2.0), default=0.8, show_default=True, help="Scales the prior's spread.")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same images.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path, allow_dash=True), required=True,
              help="Grid image (.png), '-' for stdout.")
@_force
@_expected_failures
def sample(model: str | None, count: int, size: int, temperature: float, seed: int, output: Path, force: bool) -> None:
    """Draw new images from the model's prior ("false memories") into a grid."""
    if count * size * size > MAX_SAMPLE_PIXELS:
        raise CodecError(f"{count} samples of {size}x{size} is {count * size * size / 1e6:.0f} MP; at most "
                         f"{MAX_SAMPLE_PIXELS / 1e6:.0f} MP in one grid (fewer -n or a smaller --size)")
    _check_free(output, force)
    net = _torch_model(model)
    from invcodec.training import latent_space

    images = latent_space.sample(net, count, size, temperature, seed)
    buf = io.BytesIO()
    latent_space.grid(images).save(buf, "PNG")
    _write(output, buf.getvalue(), force)
    click.echo(f"{count} samples of {size}x{size} (temperature {temperature}, seed {seed}) -> {output}", err=output == STDIO)


@main.command()
@click.argument("first", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("second", type=click.Path(dir_okay=False, path_type=Path))
@_model_option
@click.option("--steps", type=click.IntRange(2, 64), default=8, show_default=True, help="Frames, both ends included.")
@click.option("--size", type=click.IntRange(16, 1024), default=64, show_default=True, help="Both images are centre-cropped and resized to this square.")
@click.option("--space", type=click.Choice(["prior", "latents"]), default="prior", show_default=True,
              help="prior: mix the prior's standardised residuals (finer levels follow the mixed coarser ones); "
                   "latents: mix the latents linearly (close to a cross-fade).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path, allow_dash=True), required=True,
              help="Strip image (.png), '-' for stdout.")
@_force
@_expected_failures
def interpolate(first: Path, second: Path, model: str | None, steps: int, size: int, space: str, output: Path,
                force: bool) -> None:
    """Interpolate two images in the model's latent space and write the strip."""
    _check_free(output, force)
    net = _torch_model(model)
    from invcodec.training import latent_space

    frames = latent_space.interpolate(net, _square_image(first, size), _square_image(second, size), steps, space)
    buf = io.BytesIO()
    latent_space.grid(frames, columns=steps).save(buf, "PNG")
    _write(output, buf.getvalue(), force)
    click.echo(f"{steps} frames {first} -> {second} ({size}x{size}) -> {output}", err=output == STDIO)


@main.command()
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@_model_option
@click.option("--size", type=click.IntRange(16, 4096), default=None, help="Centre-crop and resize to this square first (use 64 for faces-v1).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_expected_failures
def score(images: tuple[Path, ...], model: str | None, size: int | None, as_json: bool) -> None:
    """Bits per dimension of each image under the model (its negative log-likelihood):
    lower is more typical. Sorted from most to least typical. Folders are expanded."""
    import numpy as np

    from invcodec import pixels

    net = _torch_model(model)
    from invcodec.training import latent_space

    results = []
    from invcodec.pixels import IMAGE_SUFFIXES

    for path in expand_inputs(images, IMAGE_SUFFIXES):
        arr = _square_image(path, size) if size else np.asarray(pixels.open_image(str(path)).convert("RGB"))
        results.append({"image": str(path), "bits_per_dim": round(latent_space.bits_per_dim(net, arr), 4)})
    results.sort(key=lambda r: r["bits_per_dim"])
    if as_json:
        click.echo(json.dumps(results, indent=2))
    else:
        for r in results:
            click.echo(f"{r['bits_per_dim']:8.4f}  {r['image']}")


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def train(args: tuple[str, ...]) -> None:
    """Train a model (same options as `python -m invcodec.training.train --help`)."""
    from invcodec.training.train import main as train_main

    train_main(list(args))


BENCHMARKS = {  # command name -> module of invcodec_benchmarks
    "big-image": "big_image", "bpd": "bpd", "cli-roundtrip": "cli_roundtrip", "continuity": "continuity",
    "conv-speed": "conv_speed",
    "fuzz": "fuzz", "hostile": "hostile", "interpolation": "interpolation", "lossless": "lossless", "lossy-tuning": "lossy_tuning", "rd": "rd",
    "restore": "restore", "startup": "import_time", "synthetic": "synthetic",
}


@main.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False,
                                "help_option_names": ["-h", "--help"]})
@click.argument("name", type=click.Choice(list(BENCHMARKS)))
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench(name: str, args: tuple[str, ...]) -> None:
    """Run a benchmark (options after NAME go to it; `invcodec bench NAME --help`).

    \b
    lossless       invcodec vs PNG, WebP, JPEG2000, JPEG-XL on an image folder
    rd             lossy: invcodec qualities vs JPEG, WebP, AVIF, JPEG-XL; BD-rates
    restore        denoise / JPEG / inpaint: PSNR, SSIM, seconds vs BM3D, NL-means, OpenCV
    lossy-tuning   dead zone / reconstruction offset of the lossy encoder
    bpd            bits per dim: model NLL vs real stream and file bits
    continuity     local Lipschitz constants of decoder and encoder (Jacobians, differences)
    interpolation  middle frames of interpolations: distance to the cross-fade, sharpness
    fuzz           mutation fuzzing of the decoder
    hostile        unusual and hostile inputs through the command line, each judged
    big-image      peak memory and time on a 25 MP photo
    cli-roundtrip  bit-exact round trip of a folder through the invcodec command
    conv-speed     the runtime's exact convolution vs torch's, one thread (GMAC/s)
    startup        import / info / --help time; proof that coding imports no torch
    synthetic      screenshots, charts, flat graphics: invcodec vs PNG, WebP, JPEG-XL
    """
    import importlib

    module = importlib.import_module(f"invcodec_benchmarks.{BENCHMARKS[name]}")
    status = module.main(list(args))
    sys.exit(status or 0)


from .restore import restore as _restore_commands  # noqa: E402 - it reuses the options defined above

main.add_command(_restore_commands)

if __name__ == "__main__":
    sys.exit(main())
