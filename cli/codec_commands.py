"""The codec commands: compress, decompress and info. They never import torch."""

from __future__ import annotations

import functools
import json
import sys
import time
from pathlib import Path

import click

from .batch import output_or_stdout, plan_jobs, run_batch, run_on_cluster, threads_per_file
from .errors import CodecError, describe_failure, expected_failures, report_failure
from .io import (check_free, check_held, encode_image, named, output_format, raw_bytes, read_image, read_inv, streams_as_decoded,
                 write, write_png_as_decoded)
from .options import (cluster_option, force_option, inputs_argument, manifest_option, output_option, stdout_option,
                      threads_option, workers_option)


def _check_model(model: str | None) -> None:
    """A -m that names no usable model is one line before the batch, not one per file."""
    if model is not None:
        from invcodec.registry import get_model

        try:
            get_model(model)
        except (ValueError, OSError) as e:
            raise CodecError(describe_failure(e) or str(e)) from None


def compress_one(input: Path, output: Path, model: str | None, force: bool, quality: int | None = None,
                 threads: int | None = None, flow_only: bool = False, tune: str = "psnr", effort: int = 7) -> str:
    from invcodec.codec import compress_samples

    check_free(output, force)
    taken = read_image(input)
    start = time.perf_counter()
    data, stats = compress_samples(taken.samples, model, progress=sys.stderr.isatty(), quality=quality, threads=threads,
                                   icc_profile=taken.icc_profile, exif=taken.exif, xmp=taken.xmp, classic=not flow_only,
                                   tune=tune, effort=effort)
    seconds = time.perf_counter() - start
    write(output, data, force)
    h, w, c = taken.samples.shape
    depth = ", 16-bit" if taken.samples.dtype.itemsize == 2 else ""
    line = f"{input} -> {output}: {w}x{h}x{c}{depth}, {len(data)} bytes, {stats.bits_per_sub_pixel:.3f} bits/sub-pixel, {seconds:.2f} s"
    if quality is not None:
        line += f", quality {quality}: {8 * len(data) / (h * w):.3f} bpp, PSNR {stats.psnr:.2f} dB"
    return line


def decompress_one(input: Path, output: Path, model: str | None, force: bool, threads: int | None = None,
                   default_output: bool = False, scale: str | None = None) -> str:
    from invcodec import container
    from invcodec.codec import decode_bands, decode_scaled, decoded_in_full
    from invcodec.pixels import metadata_info
    from invcodec.reduce import check_scale, reduced_side
    from invcodec.registry import get_model

    fmt = output_format(output)
    # The default name is the source image's: say so, rather than suggest --force blindly.
    check_free(output, force, f"it may be the image {input.name} was made from; decode to another name with -o, "
                              "or replace it with --force" if default_output else "use --force to overwrite")
    data = read_inv(input)
    header = container.unpack_header(data)[0]
    coder = get_model(model) if model else None
    raw = raw_bytes(header.height, header.width, header.channels, header.bit_depth)
    start = time.perf_counter()
    if scale is None and streams_as_decoded(output, fmt, raw):
        write_png_as_decoded(output, decode_bands(data, coder, progress=sys.stderr.isatty(), threads=threads), force)
        return _decoded_line(input, output, header.height, header.width, header.channels, len(data),
                             time.perf_counter() - start)
    if scale is not None and decoded_in_full(data, coder) is None:  # only the reduced image is held
        levels = check_scale(scale)
        raw = raw_bytes(reduced_side(header.height, levels), reduced_side(header.width, levels), header.channels,
                        header.bit_depth)
    check_held(output, fmt, raw)
    decoded = decode_scaled(data, scale or 1, coder, progress=sys.stderr.isatty(), threads=threads)
    seconds = time.perf_counter() - start
    samples, header = decoded.samples, decoded.header
    write(output, encode_image(samples, fmt, output, metadata_info(header)), force)
    h, w, c = samples.shape
    if scale is None:
        return _decoded_line(input, output, h, w, c, len(data), seconds)
    how = "from its coarse levels" if decoded.in_full is None else f"decoded in full and box-reduced: {decoded.in_full}"
    return f"{input} -> {output}: {w}x{h}x{c} at {scale} ({how}), {seconds:.2f} s"


def _decoded_line(input: Path, output: Path, h: int, w: int, c: int, file_bytes: int, seconds: float) -> str:
    """A whole-image decode's report: its size, bits per sub-pixel and seconds."""
    return f"{input} -> {output}: {w}x{h}x{c}, {8 * file_bytes / (h * w * c):.3f} bits/sub-pixel, {seconds:.2f} s"


def _file_threads(threads: int | None, workers: int, cluster: str | None) -> int | None:
    """A cluster's workers each run one file on one thread (unless -t says otherwise)."""
    return threads_per_file(threads, workers) if cluster is None else threads or 1


def _check_cluster(cluster: str | None, manifest: str | None, workers: int) -> None:
    if cluster is None and manifest is not None:
        raise CodecError("--manifest records a --cluster batch: give --cluster too")
    if cluster is not None and workers > 1:
        raise CodecError("-j is for one machine; with --cluster the cluster's workers run the files")


@click.command()
@inputs_argument
@output_option
@stdout_option
@click.option("-q", "--quality", type=click.IntRange(1, 100), default=None,
              help="Lossy, 1 (smallest) .. 100 (finest); without it the file is lossless.")
# (invcodec.registry's DEFAULT_MODEL and DEFAULT_LOSSY_MODEL, spelled out for the same reason as --tune's names)
@click.option("-m", "--model", default=None,
              help="Shipped model name or path to a .safetensors model [default: photo-v7, with -q photo-lossy-v7].")
# (invcodec.quantizer.TUNINGS's names, spelled out: the CLI imports no numpy before a command runs)
@click.option("--tune", type=click.Choice(["psnr", "ms-ssim"]), default="psnr", show_default=True,
              help="With -q: choose the steps for PSNR, or for MS-SSIM (coarser on the finest details).")
@click.option("--flow-only", is_flag=True,
              help="Code every tile with the model (no classic path for synthetic content): to measure the model.")
# (invcodec.options.EFFORTS and DEFAULT_EFFORT, spelled out for the same reason)
@click.option("-e", "--effort", type=click.IntRange(1, 9), default=7, show_default=True,
              help="8 and 9 fine-tune the lossless model on each tile and store the change, or with -q search "
                   "the latents for fewer bits at less error (slower encoding, same decoding; needs torch); the "
                   "other efforts code alike.")
@force_option
@workers_option
@threads_option
@cluster_option
@manifest_option
def compress(inputs: tuple[Path, ...], output: str | None, stdout: bool, quality: int | None, model: str | None,
             tune: str, flow_only: bool, effort: int, force: bool, workers: int, threads: int | None,
             cluster: str | None, manifest: str | None) -> None:
    """Compress images (grey, RGB, with or without alpha; 8 bits, or 16 losslessly) to
    .inv: losslessly, or lossy with -q (alpha stays exact). The ICC profile, EXIF and XMP
    data are kept byte for byte.

    INPUTS are image files, folders (every image in them) or '-' for stdin. Each FILE
    is written to FILE with .inv unless -o says otherwise. A file that fails is reported
    and skipped; the exit status is 1 if any failed."""
    if tune != "psnr" and quality is None:
        raise CodecError("--tune is for lossy files: give -q too")
    _check_model(model)
    _check_cluster(cluster, manifest, workers)
    job = functools.partial(compress_one, quality=quality, threads=_file_threads(threads, workers, cluster),
                            flow_only=flow_only, tune=tune, effort=effort)
    from invcodec.pixels import IMAGE_SUFFIXES

    jobs = plan_jobs(inputs, output_or_stdout(output, stdout), ".inv", IMAGE_SUFFIXES)
    if cluster is None:
        run_batch(job, jobs, model, force, workers)
        return
    from invcodec.distributed import verify_compressed

    settings = {"command": "compress", "quality": quality, "model": model, "tune": tune, "flow_only": flow_only,
                "effort": effort}
    verify = None if flow_only else functools.partial(verify_compressed, quality=quality, model=model)
    run_on_cluster(job, jobs, model, force, cluster, manifest, settings, verify)


@click.command()
@inputs_argument
@output_option
@stdout_option
@click.option("-m", "--model", default=None, help="Model file, if the .inv was written with one that is not shipped.")
# (invcodec.reduce.SCALES, spelled out: the CLI imports no numpy before a command runs)
@click.option("--scale", type=click.Choice(["1/2", "1/4", "1/8"]), default=None,
              help="A smaller image, ceil(side x SCALE) a side: lossy files decode only their coarse levels "
                   "(a fraction of the time); others decode in full and are box-reduced (the report line says which).")
@force_option
@workers_option
@threads_option
@cluster_option
@manifest_option
def decompress(inputs: tuple[Path, ...], output: str | None, stdout: bool, model: str | None, scale: str | None,
               force: bool, workers: int, threads: int | None, cluster: str | None, manifest: str | None) -> None:
    """Decode .inv files (lossless or lossy: the file says which) to lossless images
    (PNG, or BMP/TIFF/WebP by -o's extension; 16-bit files to PNG or TIFF), with the
    ICC profile, EXIF and XMP data the file keeps.

    INPUTS are .inv files, folders (every .inv in them) or '-' for stdin."""
    _check_model(model)
    output = output_or_stdout(output, stdout)
    _check_cluster(cluster, manifest, workers)
    job = functools.partial(decompress_one, threads=_file_threads(threads, workers, cluster),
                            default_output=output is None, scale=scale)
    jobs = plan_jobs(inputs, output, ".png", {".inv"})
    if cluster is None:
        run_batch(job, jobs, model, force, workers)
    else:
        run_on_cluster(job, jobs, model, force, cluster, manifest, {"command": "decompress", "model": model, "scale": scale})


def _info_fields(input: Path) -> dict:
    """What the header of one .inv file says."""
    from invcodec import container

    try:
        data = read_inv(input)
        header, table, _ = container.unpack_header(data)
    except container.InvalidFileError as e:
        raise CodecError(named(input, str(e))) from None
    return {
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
        **({"exif_bytes": len(header.exif), "orientation": _orientation(header.exif)} if header.exif else {}),
        **({"xmp_bytes": len(header.xmp)} if header.xmp else {}),
        "bits_per_sub_pixel": round(8 * len(data) / (header.width * header.height * header.channels), 4),
        "streams": [{"kind": kind.name.lower(), "bytes": length} for kind, length in table],
    }


_ORIENTATIONS = {1: "normal", 2: "mirrored", 3: "rotated 180", 4: "mirrored vertically", 5: "mirrored, rotated 270 CW",
                 6: "rotated 90 CW", 7: "mirrored, rotated 90 CW", 8: "rotated 270 CW"}


def _orientation(exif: bytes) -> str:
    """The EXIF orientation, kept as data (the pixels are stored as the input held them)."""
    from PIL import Image

    try:
        value = Image.Exif()
        value.load(exif)
        orientation = value.get(0x0112, 1)
    except Exception:  # noqa: BLE001 - EXIF data is kept as it came, broken or not
        return "unreadable"
    return f"{orientation} ({_ORIENTATIONS.get(orientation, 'unknown')}; kept, not applied)"


def _show_fields(fields: dict) -> None:
    for key, value in fields.items():
        if key == "model_id" and value is None:
            value = "none (no flow streams: decodes without a model)"
        if key == "streams":
            kinds: dict[str, int] = {}
            for s in value:
                kinds[s["kind"]] = kinds.get(s["kind"], 0) + 1
            value = f"{len(value)} (" + ", ".join(f"{n} {k}" for k, n in kinds.items()) + ")"
        click.echo(f"{key:>18}: {value}")


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path, allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="Print the header as JSON (a list for several files).")
@expected_failures
def info(inputs: tuple[Path, ...], as_json: bool) -> None:
    """Show what .inv files hold (header and streams). A bad file is one line on stderr;
    the others are still shown, and the exit status is 1."""
    found, failed = [], 0
    for input in inputs:
        try:
            found.append(_info_fields(input))
        except Exception as exc:  # noqa: BLE001 - report_failure decides what is expected
            report_failure(input, exc)
            failed += 1
    if as_json:
        if found:
            click.echo(json.dumps(found[0] if len(inputs) == 1 else found, indent=2))
    else:
        for k, fields in enumerate(found):
            if k:
                click.echo()
            _show_fields(fields)
    if failed:
        sys.exit(1)
