"""Tune lossy mode's encoder choices (RDOQ weight, dead zone, reconstruction offset, step tunings) on held-out photos.

    invcodec bench lossy-tuning ../shared/data/photos-dev --limit 12

For each quantizer (RDOQ with each --rdo-weights, and dead-zone rounding with each
--deadzones) and each reconstruction offset, codes centre crops at several qualities and
reports the BD-rate against plain rounding (no dead zone, offset 0): the lowest is what
``invcodec.codec`` uses. --level-shifts "32,8" ... instead tries step-index shifts per
level (finest first, 1/16 octaves; ``quantizer.TUNINGS``) with the codec's own quantizer
and reports their BD-rates in PSNR and in MS-SSIM against no shift. Tuned on photos-dev,
never on Kodak (the test set). Each crop is one tile through ``LossyTileCoder``, on one
thread."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from invcodec import quantizer
from invcodec.codec import lossy_settings
from invcodec.metrics import psnr
from invcodec.quantizer import EncoderChoices
from invcodec.registry import DEFAULT_LOSSY_MODEL, get_model
from invcodec.model_file import CodingModel
from invcodec.tile_coder import LossyParams, LossyTileCoder
from invcodec.training.data import centre_crops, load_folder

from .bd_rate import bd_rate, msssim_db
from .report import check_model, emit


def _code_crops(model: CodingModel, settings: LossyParams, crops: np.ndarray, metrics: dict) -> tuple[float, dict[str, float]]:
    """Every crop as one tile: bpp over all of them, and each of ``metrics`` (name ->
    fn(source, decoded)) averaged."""
    coder = LossyTileCoder(model, settings)
    bits, scores = 0, {name: [] for name in metrics}
    for crop in crops:
        pixels = np.ascontiguousarray(crop.transpose(1, 2, 0))
        tile = coder.encode(pixels)
        bits += 8 * len(tile.payload)
        for name, fn in metrics.items():
            scores[name].append(fn(pixels, tile.decoded))
    return bits / (len(crops) * crops.shape[2] * crops.shape[3]), {k: float(np.mean(v)) for k, v in scores.items()}


def curve(model: CodingModel, crops: np.ndarray, qualities: list[int], deadzone: float,
          offset: int, rdo_weight: float = 0.0) -> tuple[list[float], list[float]]:
    bpp, quality = [], []
    for q in qualities:
        lossy = lossy_settings(model, q)
        settings = LossyParams(dataclasses.replace(lossy.quantizer, recon_offset=offset), EncoderChoices(deadzone, rdo_weight))
        rate, scores = _code_crops(model, settings, crops, {"psnr": psnr})
        bpp.append(rate)
        quality.append(scores["psnr"])
    return bpp, quality


def shifted_curve(model: CodingModel, crops: np.ndarray, qualities: list[int],
                  shifts: tuple[int, ...]) -> dict[str, list[float]]:
    """bpp, PSNR and MS-SSIM at each quality with the codec's quantizer, steps shifted per level."""
    from .rd import ms_ssim  # (torch, for MS-SSIM: only this mode needs it)

    out: dict[str, list[float]] = {"bpp": [], "psnr": [], "ms_ssim": []}
    for q in qualities:
        steps = tuple(quantizer.step_indices(q, model.lossy_band_offsets, shifts))
        lossy = lossy_settings(model, q)
        rate, scores = _code_crops(model, dataclasses.replace(lossy, quantizer=dataclasses.replace(lossy.quantizer, steps=steps)),
                                   crops, {"psnr": psnr, "ms_ssim": ms_ssim})
        out["bpp"].append(rate)
        for name, value in scores.items():
            out[name].append(value)
    return out


def level_shift_rows(model: CodingModel, crops: np.ndarray, qualities: list[int],
                     candidates: list[tuple[int, ...]]) -> list[dict]:
    ref = shifted_curve(model, crops, qualities, ())
    rows = []
    for shifts in tqdm(candidates):
        c = ref if shifts == () else shifted_curve(model, crops, qualities, shifts)
        rows.append({"level_shifts": list(shifts), **c,
                     "bd_rate_psnr_vs_none": bd_rate(ref["bpp"], ref["psnr"], c["bpp"], c["psnr"]),
                     "bd_rate_ms_ssim_vs_none": bd_rate(ref["bpp"], msssim_db(ref["ms_ssim"]), c["bpp"],
                                                        msssim_db(c["ms_ssim"]))})
    return rows


def _shifts(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: step-index shifts per level, finest first, e.g. 32,8") from None


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="invcodec bench lossy-tuning", description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path)
    p.add_argument("--model", default=DEFAULT_LOSSY_MODEL)
    p.add_argument("--limit", type=int, default=12)
    p.add_argument("--crop", type=int, default=256)
    p.add_argument("--qualities", type=int, nargs="+", default=[15, 35, 55, 75])
    p.add_argument("--rdo-weights", type=float, nargs="*", default=[6.0, 8.7, 10.0, 12.0, 16.0],
                   help="RDOQ's bits per squared step (each tried with dead zone 0)")
    p.add_argument("--deadzones", type=float, nargs="+", default=[0.0, 0.1, 0.2, 0.3])
    p.add_argument("--offsets", type=int, nargs="+", default=[0, 16, 32, 48])
    p.add_argument("--level-shifts", type=_shifts, nargs="+", default=None, metavar="SHIFTS",
                   help="instead: step-index shifts per level to try, finest first (e.g. 32,8 24,8), "
                        "scored in PSNR and MS-SSIM")
    p.add_argument("--first", type=int, default=0, help="skip the folder's first N images (a second sample)")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    check_model(p.prog, args.model)
    model = get_model(args.model)
    try:
        crops = centre_crops(load_folder(args.folder)[args.first : args.first + args.limit], args.crop)
    except ValueError as e:  # no image large enough for --crop: one line, not a traceback
        p.error(str(e))
    if args.level_shifts:
        with threadpool_limits(limits=1):
            rows = level_shift_rows(model, crops, args.qualities, [()] + args.level_shifts)
        best = min(rows, key=lambda r: r["bd_rate_ms_ssim_vs_none"])
        emit("lossy_tuning", {"folder": str(args.folder), "images": len(crops), "first": args.first, "crop": args.crop,
                              "model": model.name, "qualities": args.qualities, "level_shift_rows": rows,
                              "best_for_ms_ssim": best}, args.out, coding_threads=1)
        return
    with threadpool_limits(limits=1):
        ref = curve(model, crops, args.qualities, 0.0, 0)
        rows = []
        quantizers = [(0.0, dz) for dz in args.deadzones] + [(w, 0.0) for w in args.rdo_weights]
        for weight, dz in tqdm(quantizers):
            for off in args.offsets:
                bpp, q = ref if (weight, dz, off) == (0.0, 0.0, 0) else curve(model, crops, args.qualities, dz, off, weight)
                rows.append({"rdo_weight": weight, "deadzone": dz, "recon_offset": off, "bpp": bpp, "psnr": q,
                             "bd_rate_vs_plain": bd_rate(ref[0], ref[1], bpp, q)})
    best = min(rows, key=lambda r: r["bd_rate_vs_plain"])
    emit("lossy_tuning", {"folder": str(args.folder), "images": len(crops), "crop": args.crop,
                          "model": model.name, "rows": rows, "best": best}, args.out, coding_threads=1)


if __name__ == "__main__":
    main()
