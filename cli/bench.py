"""`invcodec bench NAME`: the benchmarks of the installed ``invcodec_benchmarks`` package,
each with its own command line."""

from __future__ import annotations

import importlib
import sys

import click

from .errors import expected_failures

BENCHMARKS = {  # command name -> module of invcodec_benchmarks
    "16-bit": "sixteen_bit", "adaptation": "adaptation", "anomaly": "anomaly", "big-image": "big_image", "bpd": "bpd",
    "cli-roundtrip": "cli_roundtrip", "continuity": "continuity", "conv-speed": "conv_speed",
    "distributed-resume": "distributed_resume", "file-hashes": "file_hashes",
    "fuzz": "fuzz", "hostile": "hostile", "interpolation": "interpolation", "lossless": "lossless", "lossy-tuning": "lossy_tuning", "rd": "rd",
    "reduced-decode": "reduced_decode",
    "restore": "restore", "startup": "import_time", "synthetic": "synthetic", "thread-scaling": "thread_scaling",
}


@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False,
                                "help_option_names": ["-h", "--help"]})
@click.argument("name", type=click.Choice(list(BENCHMARKS)))
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench(name: str, args: tuple[str, ...]) -> None:
    """Run a benchmark (options after NAME go to it; `invcodec bench NAME --help`).

    \b
    lossless       invcodec vs PNG, WebP, JPEG2000, JPEG-XL on an image folder
    adaptation     the per-tile adaptation's choices (part, steps, delta step) on a folder
    rd             lossy: invcodec qualities vs JPEG, WebP, AVIF, JPEG-XL; BD-rates
    restore        denoise / JPEG / inpaint: PSNR, SSIM, seconds vs BM3D, NL-means, OpenCV
    lossy-tuning   dead zone / reconstruction offset of the lossy encoder
    bpd            bits per dim: model NLL vs real stream and file bits
    continuity     local Lipschitz constants of decoder and encoder (Jacobians, differences)
    interpolation  middle frames of interpolations: distance to the cross-fade, sharpness
    anomaly        density scores as anomaly detectors: AUROC of bits/dim and of the complexity-corrected score
    fuzz           mutation fuzzing of the decoder
    hostile        unusual and hostile inputs through the command line, each judged
    big-image      peak memory and time on a 25 MP photo
    cli-roundtrip  bit-exact round trip of a folder through the invcodec command
    file-hashes    SHA-256 of every file and decoded image: the same bytes across versions
    conv-speed     the runtime's exact convolution vs torch's, one thread (GMAC/s)
    startup        import / info / --help time; proof that coding imports no torch
    synthetic      screenshots, charts, flat graphics: invcodec vs PNG, WebP, JPEG-XL
    16-bit         real 16-bit images: invcodec vs PNG, TIFF-deflate, JPEG-XL
    thread-scaling decode of a 4-tile image with 1 and N threads
    reduced-decode --scale 1/2, 1/4, 1/8 of lossy files: time vs a full decode, PSNR
    distributed-resume  a batch on a local Dask cluster, interrupted and resumed: every check
    """
    # imported only when run: the benchmarks load numpy, torch and the other codecs
    module = importlib.import_module(f"invcodec_benchmarks.{BENCHMARKS[name]}")
    sys.exit(expected_failures(module.main)(list(args)) or 0)
