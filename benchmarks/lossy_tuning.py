"""Tune lossy mode's encoder choices (dead zone, reconstruction offset) on held-out photos.

    python -m invcodec_benchmarks.lossy_tuning ../shared/data/photos-dev --limit 12

For each (dead zone, offset) pair, codes centre crops at several qualities and reports
the BD-rate against plain rounding (0, 0): the pair with the lowest is what
``invcodec.codec`` uses. Tuned on photos-dev, never on Kodak (the test set)."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from invcodec import lossy_coder
from invcodec.codec import lossy_settings, psnr
from invcodec.training.data import centre_crops, load_folder
from invcodec.registry import get_model
from invcodec.weights import DEFAULT_LOSSY_MODEL

from .bd_rate import bd_rate
from .report import emit


def curve(model, crops: np.ndarray, qualities: list[int], deadzone: float, offset: int) -> tuple[list[float], list[float]]:
    bpp, quality = [], []
    for q in qualities:
        settings = dataclasses.replace(lossy_settings(model, q), deadzone=deadzone, recon_offset=offset)
        bits, psnrs = 0, []
        for crop in crops:
            pixels = np.ascontiguousarray(crop.transpose(1, 2, 0))
            tile = lossy_coder.encode_tile(model, pixels, settings)
            bits += 8 * len(tile.payload)
            psnrs.append(psnr(pixels, tile.decoded))
        bpp.append(bits / (len(crops) * crops.shape[2] * crops.shape[3]))
        quality.append(float(np.mean(psnrs)))
    return bpp, quality


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path)
    p.add_argument("--model", default=DEFAULT_LOSSY_MODEL)
    p.add_argument("--limit", type=int, default=12)
    p.add_argument("--crop", type=int, default=256)
    p.add_argument("--qualities", type=int, nargs="+", default=[15, 35, 55, 75])
    p.add_argument("--deadzones", type=float, nargs="+", default=[0.0, 0.1, 0.2, 0.3])
    p.add_argument("--offsets", type=int, nargs="+", default=[0, 16, 32, 48])
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    model = get_model(args.model)
    crops = centre_crops(load_folder(args.folder)[: args.limit], args.crop)
    ref = curve(model, crops, args.qualities, 0.0, 0)
    rows = []
    for dz in tqdm(args.deadzones):
        for off in args.offsets:
            bpp, q = ref if (dz, off) == (0.0, 0) else curve(model, crops, args.qualities, dz, off)
            rows.append({"deadzone": dz, "recon_offset": off, "bpp": bpp, "psnr": q,
                         "bd_rate_vs_plain": bd_rate(ref[0], ref[1], bpp, q)})
    best = min(rows, key=lambda r: r["bd_rate_vs_plain"])
    emit("lossy_tuning", {"folder": str(args.folder), "images": len(crops), "crop": args.crop,
                          "model": args.model, "rows": rows, "best": best}, args.out)


if __name__ == "__main__":
    main()
