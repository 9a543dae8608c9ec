"""Peak memory and time of the ``invcodec`` command on a big photo.

    invcodec bench big-image ../shared/data/kodak --model photo-v1 --out results/big-image.json

Builds a 6144x4096 (25 MP) mosaic of the folder's first 768x512 images (real photo
content), then runs ``invcodec compress`` and ``invcodec decompress`` as child processes
(with -m and -t as given; without --threads, the command's default) and reads their peak
resident memory (ru_maxrss) and wall time; checks the round trip. With ``--restore``
it also runs ``invcodec restore denoise --sigma 25`` and ``invcodec restore inpaint``
(the restoration bench's ~10 % hole mask) on the same image and reports their time and
peak memory: the networks run in tiles; the inpainting's harmonic fill works on the
hole's pixels (memory grows with the hole, not with the image's float copies)."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from invcodec.tiling import default_threads
from invcodec.registry import DEFAULT_MODEL, get_model
from invcodec.restore.degrade import hole_mask

from .report import check_model, emit


def mosaic(folder: Path, cols: int = 8, rows: int = 8) -> np.ndarray:
    paths = sorted(folder.glob("*.png"))
    tiles = []
    for path in paths:
        arr = np.asarray(Image.open(path).convert("RGB"))
        if arr.shape[:2] == (512, 768):
            tiles.append(arr)
    if not tiles:
        raise SystemExit(f"no 768x512 images in {folder}")
    grid = [[tiles[(r * cols + c) % len(tiles)] for c in range(cols)] for r in range(rows)]
    return np.concatenate([np.concatenate(row, axis=1) for row in grid], axis=0)


_MEASURE = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def _child(cmd: list[str]) -> dict:
    """Run ``cmd`` under a fresh Python parent, which reports that one child's peak RSS."""
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], check=True, capture_output=True, text=True).stdout
    return {"seconds": round(time.perf_counter() - t0, 1), "peak_rss_mb": round(int(out.split()[-1]) / 1024, 1)}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="invcodec bench big-image", description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path)
    p.add_argument("--model", default=DEFAULT_MODEL, help="model name or file [default: %(default)s]")
    p.add_argument("--threads", type=int, default=None, help="the command's -t [default: its own default]")
    p.add_argument("--restore", action="store_true", help="also time `invcodec restore denoise` and `inpaint` on the mosaic")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    check_model(p.prog, args.model)
    exe = shutil.which("invcodec") or sys.exit("the invcodec command is not on PATH")
    threads = ["-t", str(args.threads)] if args.threads else []
    image = mosaic(args.folder)
    with tempfile.TemporaryDirectory() as tmp:
        src, inv, back = Path(tmp) / "big.png", Path(tmp) / "big.inv", Path(tmp) / "back.png"
        Image.fromarray(image).save(src)
        compress = _child([exe, "compress", str(src), "-o", str(inv), "-m", args.model, *threads])
        decompress = _child([exe, "decompress", str(inv), "-o", str(back), "-m", args.model, *threads])
        exact = bool(np.array_equal(np.asarray(Image.open(back)), image))
        size = inv.stat().st_size
        restored = {}
        if args.restore:
            out = Path(tmp) / "denoised.png"
            restored["restore_denoise"] = _child([exe, "restore", "denoise", str(src), "--sigma", "25", "-o", str(out),
                                                  *threads])
            restored["restore_denoise"]["output_size"] = list(Image.open(out).size)
            mask, out = Path(tmp) / "mask.png", Path(tmp) / "inpainted.png"
            missing = hole_mask(*image.shape[:2], np.random.default_rng(0))
            Image.fromarray(missing.astype(np.uint8) * 255).save(mask)
            restored["restore_inpaint"] = _child([exe, "restore", "inpaint", str(src), "--mask", str(mask), "-o", str(out),
                                                  *threads])
            restored["restore_inpaint"]["missing_fraction"] = round(float(missing.mean()), 3)
            kept = np.asarray(Image.open(out))[~missing]
            restored["restore_inpaint"]["known_pixels_kept"] = bool(np.array_equal(kept, image[~missing]))
    report = {
        "image": f"{image.shape[1]}x{image.shape[0]} mosaic of {args.folder}",
        "megapixels": round(image.shape[0] * image.shape[1] / 1e6, 1),
        "model": get_model(args.model).name,
        "threads": args.threads or default_threads(),
        "bits_per_sub_pixel": round(8 * size / image.size, 3),
        "compress": compress,
        "decompress": decompress,
        "exact": exact,
    }
    report.update(restored)
    emit("big_image", report, args.out, coding_threads=args.threads or default_threads())


if __name__ == "__main__":
    main()
