"""Reduced-resolution decoding (``decompress --scale``): the time of a 1/2, 1/4 and 1/8
decode of lossy files against the full decode's, and what the small image equals.

    nice invcodec bench reduced-decode ../shared/data/kodak --out results/reduced-decode.json

Per image: coded once at ``--quality`` with the lossy model; decoded in full and at each
scale, on one thread, alternating, best of ``--repeats``. Pixels: PSNR of each scaled
decode against the full decode box-reduced to the same size (``reduce.box_reduce``; what
the coarse levels cannot know), and against the original box-reduced. ``--lossless-models``
also records, on the first ``--lossless-images`` images, what the same coarse-level
decode would give for lossless lifting files (the reason they decode in full)."""

from __future__ import annotations

import argparse
import json
import os
import time
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image

from invcodec import container, tile_coder
from invcodec.codec import compress_samples, decode_scaled, decompress_samples
from invcodec.metrics import psnr
from invcodec.pixels import IMAGE_SUFFIXES
from invcodec.reduce import SCALES, box_reduce
from invcodec.registry import DEFAULT_LOSSY_MODEL, get_model
from invcodec.tile_coder import pad_to_block
from invcodec.walk import DETAILS

from .report import check_model, emit

REDUCED = [s for s, levels in SCALES.items() if levels]


def _best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def lossless_coarse_psnr(samples: np.ndarray, model_name: str, levels: int) -> float:
    """PSNR against the original box-reduced of what a lossless lifting file's coarse levels
    give when decoded as a lossy file's are (finer details zero, box-reduced): the exact
    latents are the forward analysis of the image, so no file is needed."""
    flow = get_model(model_name).evaluator
    h, w = samples.shape[:2]
    padded = pad_to_block(samples, flow.block_size).astype(np.float64)
    per_level, top = flow.analyze(padded)
    x = per_level[levels - 1][0] if levels else padded
    for level in reversed(range(levels)):
        x = flow.level_inverse(level, x, np.zeros(x.shape[:2] + (DETAILS,)))
    return psnr(box_reduce(samples, levels), box_reduce(np.clip(x[:h, :w], 0, 255).astype(np.uint8), levels))


@contextmanager
def _reduced_decode_levels(levels: int):
    """The reduced decode with another finest-level limit (``tile_coder.REDUCED_DECODE_LEVELS``)."""
    kept = tile_coder.REDUCED_DECODE_LEVELS
    tile_coder.REDUCED_DECODE_LEVELS = levels
    try:
        yield
    finally:
        tile_coder.REDUCED_DECODE_LEVELS = kept


def markdown(report: dict) -> str:
    """The report as results/reduced-decode.md: a title over ``table``."""
    return f"# Reduced-resolution decoding\n\n{table(report)}"


def table(report: dict) -> str:
    """The measured table and the choice records (docs/SCALE.md's generated block)."""
    rows = report["images"]
    lines = [f"{report['model']} at quality {report['quality']}, {len(rows)} images, one thread, best of "
             f"{report['repeats']} (git {report['git']}; load average {report['load_average_before'][0]:.1f} before the run)", "",
             "| scale | time / full decode (mean) | worst image | PSNR vs box-reduced full decode, dB (mean, min) "
             "| PSNR vs box-reduced original, dB (mean) | full decode box-reduced vs original, dB (mean) |",
             "|---|---|---|---|---|---|"]
    for scale in map(str, REDUCED):
        ratios = [r["scales"][scale]["time_ratio"] for r in rows]
        vs_full = [r["scales"][scale]["psnr_vs_full_reduced"] for r in rows]
        lines.append(f"| {scale} | {np.mean(ratios):.3f} | {max(ratios):.3f} | {np.mean(vs_full):.2f}, {min(vs_full):.2f} "
                     f"| {np.mean([r['scales'][scale]['psnr_vs_original_reduced'] for r in rows]):.2f} "
                     f"| {np.mean([r['scales'][scale]['full_reduced_vs_original'] for r in rows]):.2f} |")
    lines += ["", f"Full decode: {np.mean([r['full_seconds'] for r in rows]):.3f} s a file on average.", "",
              f"A 1/8 decode skips {report['reduced_decode_levels']} levels, not 3: with 3 (the bands above the 1/8 level "
              f"alone) its PSNR vs the box-reduced full decode is {np.mean(report['eighth_from_three_levels_psnr_vs_full_reduced']):.2f} dB "
              f"(mean of the first {len(report['eighth_from_three_levels_psnr_vs_full_reduced'])} images)."]
    if report.get("lossless_coarse_psnr"):
        lines += ["", "Lossless lifting files, their coarse levels decoded the same way (finer details zero), "
                  "PSNR vs the original box-reduced, dB (mean): why they decode in full:", "",
                  "| model | " + " | ".join(map(str, REDUCED)) + " |", "|---|" + "---|" * len(REDUCED)]
        for name, per_scale in report["lossless_coarse_psnr"].items():
            lines.append(f"| {name} | " + " | ".join(f"{np.mean(per_scale[str(s)]):.2f}" for s in REDUCED) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="invcodec bench reduced-decode", description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path)
    p.add_argument("--model", default=DEFAULT_LOSSY_MODEL, help="lossy model [default: %(default)s]")
    p.add_argument("--quality", type=int, default=50, help="[default: %(default)s]")
    p.add_argument("--repeats", type=int, default=3, help="timings kept: the best of these [default: %(default)s]")
    p.add_argument("--limit", type=int, default=None, help="only the first N images")
    p.add_argument("--lossless-models", nargs="*", default=["photo-v2", "photo-v3"])
    p.add_argument("--lossless-images", type=int, default=4)
    p.add_argument("--out", type=Path, help="the JSON report; the Markdown table beside it (.md)")
    args = p.parse_args(argv)
    load_before = list(os.getloadavg())
    check_model(p.prog, args.model)
    paths = sorted(q for q in args.folder.iterdir() if q.suffix.lower() in IMAGE_SUFFIXES)[: args.limit]
    if not paths:
        raise SystemExit(f"{p.prog}: no images in {args.folder}")
    rows = []
    for path in paths:
        samples = np.asarray(Image.open(path).convert("RGB"))
        data = compress_samples(samples, args.model, quality=args.quality, threads=1)[0]
        full = decompress_samples(data, threads=1)
        scaled = {s: decode_scaled(data, s, threads=1) for s in REDUCED}
        if any(r.in_full for r in scaled.values()):
            raise SystemExit(f"{p.prog}: {args.model} files do not decode at reduced resolution")
        seconds = {s: [] for s in [1, *REDUCED]}
        for _ in range(args.repeats):  # alternating, so that a busy moment is shared
            seconds[1].append(_best(lambda: decompress_samples(data, threads=1), 1))
            for s in REDUCED:
                seconds[s].append(_best(lambda: decode_scaled(data, s, threads=1), 1))
        best = {s: min(t) for s, t in seconds.items()}
        row = {"image": path.name, "bytes": len(data), "full_seconds": round(best[1], 4), "scales": {}}
        for s, levels in ((s, SCALES[s]) for s in REDUCED):
            small = scaled[s].samples
            row["scales"][str(s)] = {
                "size": list(small.shape[:2]), "seconds": round(best[s], 4), "time_ratio": round(best[s] / best[1], 4),
                "psnr_vs_full_reduced": round(psnr(box_reduce(full, levels), small), 3),
                "psnr_vs_original_reduced": round(psnr(box_reduce(samples, levels), small), 3),
                "full_reduced_vs_original": round(psnr(box_reduce(samples, levels), box_reduce(full, levels)), 3)}
        rows.append(row)
        print(path.name, {s: row["scales"][s]["time_ratio"] for s in row["scales"]}, flush=True)
    coarse_eighth = []  # the choice record of tile_coder.REDUCED_DECODE_LEVELS: 1/8 from the 1/8 level's bands alone
    with _reduced_decode_levels(3):
        for path, row in zip(paths[: args.lossless_images], rows):
            samples = np.asarray(Image.open(path).convert("RGB"))
            data = compress_samples(samples, args.model, quality=args.quality, threads=1)[0]
            small = decode_scaled(data, Fraction(1, 8), threads=1).samples
            coarse_eighth.append(round(psnr(box_reduce(decompress_samples(data, threads=1), 3), small), 3))
    lossless = {}
    for name in args.lossless_models:
        check_model(p.prog, name)
        lossless[name] = {str(s): [round(lossless_coarse_psnr(np.asarray(Image.open(q).convert("RGB")), name, SCALES[s]), 3)
                                   for q in paths[: args.lossless_images]] for s in REDUCED}
    report = {"model": args.model, "quality": args.quality, "repeats": args.repeats, "threads": 1,
              "format_version": container.FORMAT_VERSION,
              "reduced_decode_levels": tile_coder.REDUCED_DECODE_LEVELS, "images": rows, "lossless_coarse_psnr": lossless,
              "eighth_from_three_levels_psnr_vs_full_reduced": coarse_eighth,
              "load_average_before": load_before, "load_average_after": list(os.getloadavg())}
    emit("reduced_decode", report, args.out, coding_threads=1)
    if args.out:
        args.out.with_suffix(".md").write_text(markdown(json.loads(args.out.read_text())))
    return 0
