"""The generative commands: the models as models of images (sample, interpolate, score),
through ``invcodec.generative``: the lifting flows need torch, the autoregressive model not."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import click

from .batch import expand_inputs
from .errors import CodecError, describe_failure, expected_failures, one_line, report_failure
from .io import STDIO, check_free, write
from .options import force_option

MAX_SAMPLE_PIXELS = 1 << 26  # sample: n * size * size (64 MP, about 1 GB of working memory)

_model_option = click.option("-m", "--model", default="photo-v1", show_default=True,
                             help="Shipped model name (photo-v1, faces-v3, photo-v4, ...) or a .safetensors path; "
                                  "lossy models have no density, so none of these tools takes them.")


def _model(name: str, tool: str, size: int | None = None):
    """The coding model ``name`` (shipped name or path), checked to run ``tool`` (on images
    of side ``size``): every way this can fail (unknown name, a file that is no usable
    model, a side it cannot make, a model that cannot do ``tool``, no torch where the
    model needs it) is one line, before any work."""
    from invcodec import generative
    from invcodec.registry import get_model

    try:
        model = get_model(name)
    except (ValueError, OSError) as e:
        raise CodecError(one_line(describe_failure(e) or str(e))) from None
    if size is not None and size % model.block_size:
        raise CodecError(f"--size {size} must be a multiple of {model.block_size} for {model.name}")
    try:
        generative.check(model, tool)
    except ValueError as e:
        raise CodecError(one_line(str(e))) from None
    return model


def _png_output(output: Path) -> None:
    """The grids are PNG: an output named otherwise would hold PNG bytes under a wrong name."""
    if output != STDIO and output.suffix.lower() != ".png":
        raise CodecError(f"{output}: the grid is written as PNG; name the output .png (or '-' for stdout)")


def _square_image(path: Path, size: int):
    import numpy as np

    from invcodec import pixels

    return np.asarray(pixels.square(pixels.open_image(str(path)).convert("RGB"), size))


@click.command()
@_model_option
@click.option("-n", "count", type=click.IntRange(1, 1024), default=16, show_default=True, help="Number of images.")
@click.option("--size", type=click.IntRange(16, 1024), default=64, show_default=True, help="Side in pixels (a multiple of the model's block size).")
@click.option("-t", "--temperature", type=click.FloatRange(0.0, 2.0), default=0.8, show_default=True, help="Scales the prior's spread.")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True, help="Same seed, same images.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path, allow_dash=True), required=True,
              help="Grid image (.png), '-' for stdout.")
@force_option
@expected_failures
def sample(model: str | None, count: int, size: int, temperature: float, seed: int, output: Path, force: bool) -> None:
    """Draw new images from the model's prior ("false memories") into a grid."""
    if temperature != temperature:  # click's FloatRange lets NaN through (every comparison with it is false)
        raise CodecError("-t/--temperature must be a number in 0..2, not nan")
    _png_output(output)
    if count * size * size > MAX_SAMPLE_PIXELS:
        raise CodecError(f"{count} samples of {size}x{size} is {count * size * size / 1e6:.0f} MP; at most "
                         f"{MAX_SAMPLE_PIXELS / 1e6:.0f} MP in one grid (fewer -n or a smaller --size)")
    check_free(output, force)
    coding = _model(model, "sample", size)
    from invcodec import generative

    images = generative.sample(coding, count, size, temperature, seed)
    buf = io.BytesIO()
    generative.image_grid(images).save(buf, "PNG")
    write(output, buf.getvalue(), force)
    click.echo(f"{count} samples of {size}x{size} (temperature {temperature}, seed {seed}) -> {output}", err=output == STDIO)


@click.command()
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
@force_option
@expected_failures
def interpolate(first: Path, second: Path, model: str | None, steps: int, size: int, space: str, output: Path,
                force: bool) -> None:
    """Interpolate two images in the model's latent space and write the strip."""
    _png_output(output)
    check_free(output, force)
    coding = _model(model, "interpolate", size)
    from invcodec import generative

    frames = generative.interpolate(coding, _square_image(first, size), _square_image(second, size), steps, space)
    buf = io.BytesIO()
    generative.image_grid(frames, columns=steps).save(buf, "PNG")
    write(output, buf.getvalue(), force)
    click.echo(f"{steps} frames {first} -> {second} ({size}x{size}) -> {output}", err=output == STDIO)


@click.command()
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@_model_option
@click.option("--size", type=click.IntRange(16, 4096), default=None, help="Centre-crop and resize to this square first (use 64 for faces-v1).")
@click.option("--reference", default=None, metavar="REF",
              help="Also score with the complexity correction (Serra et al. 2020): bits under the model minus bits "
                   "under REF, a generic lossless compressor: png, jpeg-xl, or a lossless model (photo-v7, the "
                   "default lossless model, by its exact code length). Sorted by the corrected score, "
                   "lowest (most typical) first; docs/ANOMALY.md says how well it separates.")
@click.option("--map", "map_folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write each image's surprise map (bits per pixel under the model, black 0 to pale yellow 24 "
                   "and above) to this folder as NAME-surprise.png.")
@force_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@expected_failures
def score(images: tuple[Path, ...], model: str | None, size: int | None, reference: str | None, map_folder: Path | None,
          force: bool, as_json: bool) -> None:
    """Bits per dimension of each image under the model (its negative log-likelihood; an
    autoregressive model's is its exact code length): lower is more typical. Sorted from most to least typical. Folders are expanded.

    \b
    invcodec score faces/ -m faces-v3 --size 64 --reference photo-v4 --map maps/
    """
    import numpy as np

    from invcodec import complexity, generative, pixels

    coding = _model(model, "score")
    bits_per_dim = generative.scorer(coding)
    if reference is not None:
        try:
            ref = complexity.reference(reference)
        except (ValueError, OSError) as e:
            raise CodecError(f"--reference: {one_line(describe_failure(e) or str(e))}") from None
        scored = complexity.corrected_scorer(bits_per_dim, ref)
    surprise = generative.surprise(coding) if map_folder is not None else None
    if map_folder is not None:
        map_folder.mkdir(parents=True, exist_ok=True)
    results, failed = [], 0
    for path in expand_inputs(images, pixels.IMAGE_SUFFIXES):
        try:  # an unreadable image is one line; the others are still scored
            arr = _square_image(path, size) if size else np.asarray(pixels.open_image(str(path)).convert("RGB"))
            if reference is None:
                result = {"image": str(path), "bits_per_dim": round(bits_per_dim(arr), 4)}
            else:
                s = scored(arr)
                result = {"image": str(path), "bits_per_dim": round(s.bits_per_dim, 4), "reference": ref.name,
                          "reference_bits_per_dim": round(s.reference_bits_per_dim, 4),
                          "corrected": round(s.corrected, 4)}
            if surprise is not None:
                result["surprise_map"] = str(_write_map(generative.heat_map(surprise(arr)), map_folder, path, force))
        except Exception as exc:  # noqa: BLE001 - report_failure decides what is expected
            report_failure(path, exc)
            failed += 1
            continue
        results.append(result)
    results.sort(key=lambda r: r["corrected" if reference else "bits_per_dim"])
    if as_json:
        click.echo(json.dumps(results, indent=2))
    else:
        if reference and results:
            click.echo(f"{'bits/dim':>8}  {'ref':>8}  {'corrected':>9}  image (ref: {ref.name})")
        for r in results:
            cells = [r["bits_per_dim"]] + ([r["reference_bits_per_dim"], r["corrected"]] if reference else [])
            click.echo("  ".join(f"{c:8.4f}" for c in cells) + f"  {r['image']}")
    if failed:
        sys.exit(1)


def _write_map(picture, folder: Path, image: Path, force: bool) -> Path:
    """``picture`` as folder/STEM-surprise.png (not over a file that exists, without --force)."""
    out = folder / f"{image.stem}-surprise.png"
    check_free(out, force)
    buf = io.BytesIO()
    picture.save(buf, "PNG")
    write(out, buf.getvalue(), force)
    return out
