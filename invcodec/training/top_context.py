"""Give a lifting model's coarsest anchors autoregressive context (``top_autoregressive``).

A lifting model codes its coarsest anchors (the top band, 1/256 of the samples) under a
small net that sees only the colours before each sample's own: colour 0 under one fixed
Laplace per tile. At low rates that band carries a third of the bits and more (photo-
lossy-v5 on Kodak at quality 8: 44 %). This trains the autoregressive architecture's
plane nets (``runtime.autoregressive``) for that band instead, each sample's prior from
its decoded neighbours and the global quantizer step, and exports the base model with
them in place of its top prior; the rest of the model is unchanged.

The base model is frozen: the training data are the top bands of every 512-pixel tile of
the training photos (as the codec tiles them), computed once by the base model's exact
runtime. A lossy decoder sees its neighbours quantized: each batch draws a global step
index per tile, finds the top bands' steps from the model's band offsets as the codec
does, rounds the neighbours' values off by a uniform error of a step, and scores the
true value under the Laplace integrated over a step (the usual proxy for quantization).
Validation codes held-out photos with the exported model and the base model, exactly as
the codec does, at several qualities (stream bytes and PSNR).

Resumable: the top bands and each plane's net are saved in the run folder.

    python -m invcodec.training.top_context --base invcodec/weights/photo-lossy-v5.safetensors \\
        --data ../shared/data/photos-train --val ../shared/data/photos-dev --out runs/photo-lossy-v6 \\
        --export invcodec/weights/photo-lossy-v6.safetensors
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import torch
from .. import model_file, quantizer
from ..architectures import parse_spec
from ..codec import lossy_settings
from ..model_file import TRAINING_PREFIX, load, read
from ..runtime import autoregressive as ar
from ..runtime.lifting import TOP_PREFIX
from ..tile_coder import LossyTileCoder, pad_to_block
from .autoregressive import (PlaneNet, common_arguments, file_tensors, image_files, load_rgb, train_net,
                             validation_images)

TILE = 512  # the codec's tile size
MAX_RATE = quantizer.global_step_index(1)
VAL_QUALITIES = (8, 18, 28, 38, 48, 58, 75)


def top_bands(model_path: Path, folder: Path, cache: Path) -> list[np.ndarray]:
    """(3, h, w) top bands of every tile of every photo in ``folder`` (cached in ``cache``)."""
    if cache.exists():
        with np.load(cache) as f:
            return [f[k].astype(np.float64) for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))]
    flow = load(model_path).evaluator
    bands = []
    for path in image_files(folder):
        pixels = load_rgb(path)
        for y in range(0, pixels.shape[0], TILE):
            for x in range(0, pixels.shape[1], TILE):
                tile = pad_to_block(pixels[y : y + TILE, x : x + TILE], flow.block_size).astype(np.float64)
                bands.append(flow.analyze(tile)[1].transpose(2, 0, 1))
    np.savez_compressed(cache, *[b.astype(np.int16) for b in bands])
    return bands


def top_steps(offsets: list[int], rate: int) -> np.ndarray:
    """The top band's three step values at global step index ``rate`` (as the codec chooses them)."""
    return np.array([quantizer.step_value(min(quantizer.MAX_STEP_INDEX, max(0, rate + o))) for o in offsets[:3]])


def batcher(bands: list[np.ndarray], offsets: list[int], plane: int, tiles: int):
    """A batch of ``tiles`` top bands, each at a random global step: what ``train_net`` takes."""

    def batch(gen: torch.Generator):
        rng = np.random.default_rng(int(torch.randint(0, 2**62, (1,), generator=gen)))
        parts = []
        for k in rng.integers(0, len(bands), tiles):
            planes, rate = bands[k], int(rng.integers(0, MAX_RATE + 1))
            steps = top_steps(offsets, rate)
            # what a decoder has: the values, each off by up to half a step (none when lossless)
            error = (rng.random(planes.shape) - 0.5) * np.where(steps > 1, steps, 0.0)[:, None, None]
            f, ref = ar.plane_features(np.floor(planes + error + 0.5), plane)
            n = ref.size
            parts.append((f, np.full(n, rate), ref, planes[plane].reshape(-1), np.full(n, steps[plane])))
        return tuple(torch.from_numpy(np.concatenate(p).astype(np.float32)) for p in zip(*parts))

    return batch


def export(base: Path, nets: list[PlaneNet], path: Path, name: str, card: dict) -> None:
    """The base model with ``nets`` for its top band in place of its top prior."""
    meta, tensors = read(base)
    extended = dataclasses.replace(parse_spec(meta["config"]), top_autoregressive=True)
    kept = {k: v for k, v in tensors.items() if not k.removeprefix(TRAINING_PREFIX).startswith("top.")}
    card = {**{k: v for k, v in meta.items() if k not in ("format", "config")}, "name": name,
            "training": json.dumps(card, sort_keys=True)}
    model_file.write(path, extended, {**kept, **file_tensors(nets, TOP_PREFIX)}, card)


def validate(paths: list[Path], images: list[np.ndarray]) -> list[dict]:
    """Per quality and model: stream bytes per pixel (bits) and PSNR over ``images``, coded
    tile by tile exactly as the codec does. Each model under its name, or under its path
    where the names clash (a base trained under the name its extension will ship as)."""
    rows = []
    models = [load(p) for p in paths]
    names = [m.name for m in models]
    keys = [name if names.count(name) == 1 else str(path) for name, path in zip(names, paths)]
    for q in VAL_QUALITIES:
        row = {"quality": q}
        for model, key in zip(models, keys):
            coder = LossyTileCoder(model, lossy_settings(model, q))
            bits = sq = pixels = 0
            for img in images:
                tile = coder.encode(img)
                bits += 8 * len(tile.payload)
                sq += np.sum((tile.decoded.astype(np.float64) - img) ** 2)
                pixels += img.shape[0] * img.shape[1]
            row[key] = {"bpp": round(bits / pixels, 4), "psnr": round(10 * np.log10(255**2 / (sq / (3 * pixels))), 3)}
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", type=Path, required=True, help="the lifting model (with lossy band offsets) to extend")
    common_arguments(ap, steps=20000, ckpt_every=1000)
    ap.add_argument("--tiles", type=int, default=16, help="top bands per step")
    ap.add_argument("--val-images", type=int, default=12, help="first N photos of --val, centre crops of at most 512x512")
    args = ap.parse_args(argv)
    torch.manual_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    offsets = load(args.base).lossy_band_offsets
    if offsets is None:
        raise SystemExit(f"{args.base} has no lossy band offsets")
    bands = top_bands(args.base, args.data, args.out / "top-bands.npz")
    print(f"{len(bands)} top bands, {sum(b[0].size for b in bands)} positions ({time.time() - t0:.0f} s)", flush=True)
    nets = [train_net(PlaneNet(ar.feature_count(p), args.hidden, rate_input=True), f"plane{p}",
                      batcher(bands, offsets, p, args.tiles), args, args.out, args.seed * 1000 + p * 100)
            for p in range(ar.PLANES)]
    card = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    export(args.base, nets, args.export, args.name or args.export.stem, card)
    val = validation_images(args.val, args.val_images, TILE)
    print(json.dumps({"model": str(args.export), "validation": validate([args.export, args.base], val),
                      "wall_s_this_run": round(time.time() - t0)}), flush=True)


if __name__ == "__main__":
    main()
