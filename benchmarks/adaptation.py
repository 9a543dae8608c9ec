"""The choices of the per-tile adaptation (efforts 8 and 9, ``training.per_image``): which
part of the net to fine-tune, how long, and the delta's step, measured on a folder that
took part in no training (photos-dev), never on Kodak.

    invcodec bench adaptation ../shared/data/photos-dev --limit 6 --out results/adaptation-choices.json

Each image (its top-left tile of at most 512x512) is coded by photo-v4 as is and adapted:
for each (part, Adam steps) the fine-tuning runs once, then the delta is rounded to each
step size; reported are the model's exact code length under the adapted fixed-point
weights, the delta's bytes, and their sum against the plain code length (bits per
sub-pixel, all images together). Needs torch."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from invcodec import weight_delta
from invcodec.pixels import IMAGE_SUFFIXES
from invcodec.registry import DEFAULT_MODEL, get_model
from invcodec.runtime.autoregressive import AutoregressiveModel

from .report import emit

TILE = 512


def run(folder: Path, limit: int, parts: list[str], steps: list[int], log2_steps: list[int], model_name: str) -> dict:
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:limit]
    if not paths:
        raise SystemExit(f"no images in {folder}")
    from invcodec.training import per_image  # torch: after the folder is known to hold images

    base = get_model(model_name).evaluator.tensors
    plain, sub_pixels = 0.0, 0
    totals: dict[str, dict] = {}
    for path in paths:
        with Image.open(path) as im:
            pixels = np.asarray(im.convert("RGB"))[:TILE, :TILE]
        plain += AutoregressiveModel(base).code_length(pixels)
        sub_pixels += pixels.size
        for part in parts:
            for count in steps:
                tuned, changed = per_image.adapted_tensors(base, pixels, part, count)
                for log2 in log2_steps:
                    delta = weight_delta.encode(base, tuned, {name: log2 for name in changed})
                    bits = AutoregressiveModel(weight_delta.apply(base, delta)).code_length(pixels)
                    entry = totals.setdefault(f"{part} {count} steps, step 2^{log2}",
                                              {"part": part, "steps": count, "log2_step": log2, "model_bits": 0.0,
                                               "delta_bits": 0})
                    entry["model_bits"] += bits
                    entry["delta_bits"] += 8 * len(delta)
    rows = []
    for name, e in totals.items():
        total = e["model_bits"] + e["delta_bits"]
        rows.append({"choice": name, **{k: e[k] for k in ("part", "steps", "log2_step")},
                     "model_bpsp": round(e["model_bits"] / sub_pixels, 4), "delta_bpsp": round(e["delta_bits"] / sub_pixels, 4),
                     "total_bpsp": round(total / sub_pixels, 4), "vs_plain_percent": round(100 * (total / plain - 1), 2)})
    return {"folder": str(folder), "images": len(paths), "model": model_name,
            "plain_bpsp": round(plain / sub_pixels, 4), "choices": sorted(rows, key=lambda r: r["total_bpsp"])}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="invcodec bench adaptation", description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path)
    p.add_argument("--limit", type=int, default=6, help="the first N images")
    p.add_argument("--part", action="append", default=None, choices=["head", "all"], help="repeatable [default: both]")
    p.add_argument("--steps", type=int, action="append", default=None, help="Adam steps per plane; repeatable [default: 200, 600]")
    p.add_argument("--log2-step", type=int, action="append", default=None, help="repeatable [default: -9 .. -5]")
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    emit("adaptation", run(args.folder, args.limit, args.part or ["head", "all"], args.steps or [200, 600],
             args.log2_step or [-9, -8, -7, -6, -5], args.model), args.out)
