"""Decode time of one image of several tiles with 1 and with N threads (tiles decoded in
parallel threads; the native kernel releases the GIL), alternating, best of ``--repeats``;
with ``--restore``, the time of ``restore denoise`` instead, whose pixels must be the same
for every thread count.

    invcodec bench thread-scaling ../shared/data/kodak --threads 2 --out results/thread-scaling.json
    invcodec bench thread-scaling ../shared/data/kodak --restore --threads 2 --out results/thread-scaling-restore.json

The image is a 1024x1024 mosaic of four 512x512 crops of the folder's first photos: four
tiles of 512, real photo content; for restore, that mosaic twice in each direction (four
restore tiles of 1024)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from PIL import Image

from invcodec.codec import compress_samples, decompress_samples
from invcodec.pixels import IMAGE_SUFFIXES
from invcodec.registry import DEFAULT_MODEL

from .report import check_model, emit

TILE = 512


def four_tiles(folder: Path) -> np.ndarray:
    """A 1024x1024 mosaic of the centre 512x512 crops of the folder's first four photos."""
    crops = []
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
        arr = np.asarray(Image.open(path).convert("RGB"))
        h, w = arr.shape[:2]
        if h >= TILE and w >= TILE:
            crops.append(arr[(h - TILE) // 2 : (h + TILE) // 2, (w - TILE) // 2 : (w + TILE) // 2])
        if len(crops) == 4:
            return np.concatenate([np.concatenate(crops[:2], axis=1), np.concatenate(crops[2:], axis=1)], axis=0)
    raise SystemExit(f"{folder}: fewer than four images of at least {TILE}x{TILE}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="invcodec bench thread-scaling", description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path)
    p.add_argument("--model", default=DEFAULT_MODEL, help="model name or file [default: %(default)s]")
    p.add_argument("--quality", type=int, default=None, help="lossy at this quality [default: lossless]")
    p.add_argument("--threads", type=int, default=2, help="the threads compared with one [default: %(default)s]")
    p.add_argument("--restore", action="store_true", help="time restore denoise (sigma 25) rather than decoding")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    image = four_tiles(args.folder)
    if args.restore:
        from invcodec import restore

        image = np.tile(image, (2, 2, 1))
        work, described = (lambda t: np.asarray(restore.denoise(image, 25, threads=t).image)), "2048x2048, 4 restore tiles"
    else:
        check_model(p.prog, args.model)
        data = compress_samples(image, args.model, quality=args.quality, threads=1)[0]
        work, described = (lambda t: decompress_samples(data, threads=t)), "1024x1024, 4 tiles of 512"
    expected = image if args.quality is None and not args.restore else None  # restore: the one-thread pixels
    seconds: dict[int, list[float]] = {1: [], args.threads: []}
    for _ in range(args.repeats):
        for threads in seconds:
            start = time.perf_counter()
            result = work(threads)
            seconds[threads].append(time.perf_counter() - start)
            expected = result if expected is None else expected
            if args.quality is None and not np.array_equal(result, expected):
                raise SystemExit(f"{threads} threads give other pixels")
    best = {t: min(s) for t, s in seconds.items()}
    emit("thread_scaling", {"task": "restore denoise" if args.restore else "decode",
                            "model": None if args.restore else args.model,
                            "quality": args.quality, "image": described,
                            "seconds": {str(t): [round(x, 4) for x in s] for t, s in seconds.items()},
                            "best_seconds": {str(t): round(b, 4) for t, b in best.items()},
                            "speedup": round(best[1] / best[args.threads], 3)}, args.out)
    return 0
