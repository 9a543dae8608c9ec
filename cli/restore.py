"""`invcodec restore denoise|jpeg|inpaint`: the restoration commands, with the same
conventions as compress/decompress (folders, -j, --force, -o -, one-line errors, outputs
written whole or not at all)."""

from __future__ import annotations

import functools
import sys
import time
from pathlib import Path

import click

from .batch import output_or_stdout, plan_jobs, run_batch, threads_per_file
from .errors import CodecError, describe_failure
from .io import check_free, encode_image, named, output_format, read_image, write
from .options import force_option, inputs_argument, output_option, stdout_option, threads_option, workers_option

SUFFIXES = {"denoise": "-denoised.png", "jpeg": "-dejpeg.png", "inpaint": "-inpainted.png"}


def _mask_for(input: Path, mask: Path) -> Path:
    """--mask is one image for every input, or a folder holding, for each input, an image
    of the same name (any image extension)."""
    if not mask.is_dir():
        return mask
    from invcodec.pixels import IMAGE_SUFFIXES

    matches = sorted(p for p in mask.iterdir() if p.stem == input.stem and p.suffix.lower() in IMAGE_SUFFIXES)
    if not matches:
        raise FileNotFoundError(2, "no mask", str(mask / (input.stem + ".png")))
    return matches[0]


def restore_one(input: Path, output: Path, model: str | None, force: bool, task: str, level: float | None,
                mask: Path | None, threads: int | None, passes: int = 1) -> str:
    from invcodec import pixels, restore
    from invcodec.restore.network import load

    fmt = output_format(output, "a JPEG output would bring the artefacts back")
    check_free(output, force)
    taken = read_image(input)
    if taken.samples.dtype.itemsize != 1:  # (its ``image`` is what Pillow reduced it to)
        raise CodecError(named(input, "restoration takes 8-bit images; this one has 16 bits per sample"))
    image = taken.image
    net = load(model) if model else None
    progress = sys.stderr.isatty()
    start = time.perf_counter()
    try:
        if task == "denoise":
            result = restore.denoise(image, level, model=net, threads=threads, progress=progress,
                                     passes=passes)
            what = f"sigma {result.level:.1f}" + (" (estimated)" if result.note else "")
        elif task == "jpeg":
            if level is None and restore.jpeg_quality(image) is None:
                raise CodecError(f"{named(input, 'not a JPEG file')}: give --quality, the quality it was saved with")
            result = restore.dejpeg(image, None if level is None else int(level), model=net, threads=threads,
                                    progress=progress, passes=passes)
            what = f"quality {result.level:.0f}" + ("" if level is not None else " (from its tables)")
            if result.note:
                what += f"; {result.note}"
        else:
            mask_path = _mask_for(input, mask)
            result = restore.inpaint(image, pixels.open_image(str(mask_path)), model=net, threads=threads,
                                     progress=progress, passes=passes)
            what = result.note
    except ValueError as e:  # a level out of range, a mask of another size, a model for another task
        raise CodecError(named(input, str(e))) from None
    seconds = time.perf_counter() - start
    samples = pixels.to_samples(result.image)
    icc = pixels.icc_profile(result.image)
    write(output, encode_image(samples, fmt, output, {"icc_profile": icc} if icc else {}), force)
    h, w, c = samples.shape
    passes_note = f", {passes} passes" if passes > 1 else ""
    return f"{input} -> {output}: {w}x{h}x{c}, {what}{passes_note}, {seconds:.2f} s"


PASSES = (1, 2, 4, 8, 16, 32)  # invcodec.restore.PASSES, not imported here: the CLI starts without numpy


def _passes(task: str):
    choices = [str(n) for n in PASSES if task != "jpeg" or n <= 8]  # a shifted JPEG's block grid would move
    shifted = "" if task == "jpeg" else " (16 and 32: also shifted)"
    return click.option("--passes", type=click.Choice(choices), default="1", callback=lambda c, p, v: int(v),
                        help=f"Average the network over this many flipped/transposed copies{shifted}: a little better, "
                             "that many times the work [default: 1].")


def _command(task: str, level_option, extra=None):
    """One restore subcommand: inputs, -o/-c, the level option, -m, -f, -j, -t."""
    def run(inputs, output, stdout, model, force, workers, threads, passes, level=None, mask=None):
        from invcodec.pixels import IMAGE_SUFFIXES

        if model is not None:  # one line before the batch, not one per file
            from invcodec.restore.network import load

            try:
                load(model)
            except (ValueError, OSError) as e:
                raise CodecError(describe_failure(e) or str(e)) from None
        jobs = plan_jobs(inputs, output_or_stdout(output, stdout), SUFFIXES[task], IMAGE_SUFFIXES)
        job = functools.partial(restore_one, task=task, level=level, mask=mask,
                                threads=threads_per_file(threads, workers), passes=passes)
        run_batch(job, jobs, model, force, workers)

    decorators = [inputs_argument, output_option, stdout_option, level_option,
                  click.option("-m", "--model", default=None, help=f"A {task} model: a shipped name or a file [default: the shipped {task} model]."),
                  force_option, workers_option, threads_option, _passes(task)] + ([extra] if extra else [])
    for d in reversed(decorators):
        run = d(run)
    return run


@click.group()
def restore() -> None:
    """Restore damaged images with invertible networks (IRAE-style): noise, JPEG
    artefacts, holes. Outputs are lossless images (.png by default: IN-denoised.png,
    IN-dejpeg.png, IN-inpainted.png).

    \b
      invcodec restore denoise noisy.png --sigma 25
      invcodec restore jpeg photo.jpg -o photo.png
      invcodec restore inpaint photo.png --mask holes.png
    """


restore.command("denoise", help="Remove Gaussian noise. Without --sigma its level is estimated from the image.")(
    _command("denoise", click.option("--sigma", "level", type=click.FloatRange(0, 75), default=None,
                                     help="Noise standard deviation in 0..255 units [default: estimated].")))
restore.command("jpeg", help="Remove JPEG block and ringing artefacts; the strength comes from the file's quantization tables.")(
    _command("jpeg", click.option("--quality", "level", type=click.IntRange(1, 100), default=None,
                                  help="The JPEG quality, for an image no longer in its JPEG file [default: from the tables].")))
restore.command("inpaint", help="Fill the pixels a mask marks (white = missing); all others are kept exactly.")(
    _command("inpaint", lambda f: f,
             click.option("--mask", type=click.Path(exists=True, path_type=Path), required=True,
                          help="Mask image of the same size (white = missing), or a folder of masks named like the inputs.")))
