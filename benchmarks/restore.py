"""Restoration: invcodec's invertible networks against classical baselines, one run.

    invcodec bench restore ../shared/data/kodak --out results/restore [--workers 2]
    invcodec bench restore ../shared/data/photos-dev --tasks denoise --sigmas 15 25 30 50 --one-pass \
        --no-baselines --out results/cbsd68-restore  # the CBSD68 table, beside the published nets

Per image (sorted by name), task and level, with degradations made here from fixed
seeds (``invcodec.restore.degrade``, the training's own): Gaussian noise sigma 15, 25,
50 (clipped and rounded to 8 bits, as a noisy file is; every method is told sigma) ->
invcodec, BM3D (``bm3d.bm3d_rgb``, the colour BM3D) and OpenCV's coloured NL-means;
Pillow JPEG q 10, 20, 30 -> invcodec (quality read from the file's tables) and plain
decoding; ~10 % holes of boxes and strokes -> invcodec, OpenCV Telea and Navier-Stokes.
PSNR and SSIM (Gaussian window, sigma 1.5, as Wang et al.) on the 8-bit results; for
inpainting PSNR inside the hole too. Seconds per image of each method on one thread
(every library limited to one; ``--workers`` runs images in parallel processes, so use
it only on an otherwise idle machine). Writes results.json, results.md and crops.png
(a crop of one image per task: degraded | invcodec | its ensemble | best baseline | clean).
At the bars' levels invcodec also runs self-ensembled (``invcodec.restore.ensemble``):
``passes=32`` at sigma 25 (8 flips/transposes x 4 grid shifts), ``passes=8`` at sigma 50
and q 10 (flips/transposes only), each judged on its own beside the default."""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # before numpy loads: one thread each
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from invcodec.metrics import psnr  # noqa: E402
from invcodec.pixels import IMAGE_SUFFIXES  # noqa: E402
from invcodec.restore import SIGMA_LIMITS, degrade  # noqa: E402

from .report import environment  # noqa: E402

LEVELS = {"denoise": [15, 25, 50], "jpeg": [10, 20, 30], "inpaint": [10]}  # sigma, quality, % of pixels missing
# Baseline settings, each the best of a small grid on 4 photos-dev images (never on Kodak; docs/RESTORE.md):
NLM_H_PER_SIGMA = 0.6  # OpenCV NL-means filter strength h = 0.6 sigma (of 0.45 .. 1.2)
TELEA_RADIUS, NS_RADIUS = 11, 15  # inpainting radius (of 3, 5, 7, 11, 15)
# Published colour denoisers on CBSD68 (= the pixels of ../shared/data/photos-dev), as issue 44 quotes them:
# PSNR dB by sigma and parameters. Their protocol adds unclipped float noise; ours clips and rounds to 8 bits.
PUBLISHED_CBSD68 = {"FFDNet": {"parameters": "~0.5 M", 30: 30.32, 50: 27.97},
                    "DRUNet": {"parameters": "32 M", 30: 30.81, 50: 28.51}}
# Published colour results for scale (other data and protocols: unclipped float noise, other test sets).
PUBLISHED = [
    "CBSD68 " + "; ".join(f"sigma {s}: " + ", ".join(f"{m} {v[s]:.2f}" for m, v in PUBLISHED_CBSD68.items()) + " dB"
                          for s in (30, 50)) + " (colour)",
    "LIVE1 colour JPEG q10: SwinIR 28.06 dB",
]
CROP = 160
JPEG_GAIN_DB = 1.5  # the bar at q 10: PSNR over plain decoding
# At the bars' levels invcodec also runs self-ensembled (invcodec.restore.ensemble): 32 passes (orientations x grid
# shifts) at sigma 25, the bar one pass misses; 8 orientations at sigma 50 (met by one pass) and at q10 (a shift
# would move the JPEG block grid). They cost 32x and 8x the one pass (BM3D: ~30x).
ENSEMBLE = {("denoise", 25): 32, ("denoise", 50): 8, ("jpeg", 10): 8}


def ensemble_name(passes: int) -> str:
    return f"invcodec --passes {passes}"


def is_ours(method: str) -> bool:
    return method == "invcodec" or method.startswith("invcodec --passes")


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    from skimage.metrics import structural_similarity

    return float(structural_similarity(a, b, data_range=255, channel_axis=2, gaussian_weights=True, sigma=1.5,
                                       use_sample_covariance=False))


def _seed(index: int, task: str, level: int) -> np.random.Generator:
    return np.random.default_rng([index, ["denoise", "jpeg", "inpaint"].index(task), level])


def _timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def _methods(task: str, level: int, degraded: np.ndarray, mask: np.ndarray | None, jpeg_file: Path | None,
             baselines: bool = True, ensembles: bool = True) -> dict:
    """Every method's output for one degraded image: name -> (uint8 image, seconds); without
    ``baselines`` only invcodec's, without ``ensembles`` only its one pass."""
    from invcodec import restore
    from invcodec.restore.hole_fill import prefilled

    if baselines:
        import cv2

        cv2.setNumThreads(1)
    out = {}

    def ours(run) -> None:  # run(passes) -> Restored: one pass, and the ensemble at the bars' levels
        out["invcodec"] = _timed(lambda: np.asarray(run(1).image))
        if ensembles and (task, level) in ENSEMBLE:
            passes = ENSEMBLE[task, level]
            out[ensemble_name(passes)] = _timed(lambda: np.asarray(run(passes).image))

    if task == "denoise":
        ours(lambda passes: restore.denoise(degraded, level, threads=1, passes=passes))
        if not baselines:
            return out
        import bm3d

        out["BM3D"] = _timed(lambda: np.clip(np.rint(255 * bm3d.bm3d_rgb(degraded / 255.0, level / 255.0)), 0, 255).astype(np.uint8))
        h = NLM_H_PER_SIGMA * level
        out["NL-means"] = _timed(lambda: cv2.fastNlMeansDenoisingColored(degraded, None, h, h, 7, 21))
    elif task == "jpeg":
        ours(lambda passes: restore.dejpeg(str(jpeg_file), threads=1, passes=passes))
    else:
        ours(lambda passes: restore.inpaint(degraded, mask, threads=1, passes=passes))
        if not baselines:
            return out
        bgr = np.ascontiguousarray(degraded[:, :, ::-1])
        hole = mask.astype(np.uint8) * 255
        out["harmonic fill (invcodec's start)"] = _timed(lambda: prefilled(degraded, mask))
        out["OpenCV Telea"] = _timed(lambda: cv2.inpaint(bgr, hole, TELEA_RADIUS, cv2.INPAINT_TELEA)[:, :, ::-1])
        out["OpenCV Navier-Stokes"] = _timed(lambda: cv2.inpaint(bgr, hole, NS_RADIUS, cv2.INPAINT_NS)[:, :, ::-1])
    return out


def one_image(args: tuple[int, str, dict[str, list[int]], str, bool, bool]) -> list[dict]:
    """Every task and level on one image: rows of scores (and, for the picture, crops)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _one_image(*args)


def _one_image(index: int, path: str, levels: dict[str, list[int]], scratch: str, baselines: bool,
               ensembles: bool) -> list[dict]:
    with Image.open(path) as im:
        clean = np.asarray(im.convert("RGB"))
    rows = []
    for task, task_levels in levels.items():
        for level in task_levels:
            rng = _seed(index, task, level)
            mask, jpeg_file = None, None
            if task == "denoise":
                degraded = degrade.add_noise(clean, level, rng)
            elif task == "jpeg":
                jpeg_file = Path(scratch) / f"{index}-q{level}.jpg"
                Image.fromarray(clean).save(jpeg_file, quality=level)
                with Image.open(jpeg_file) as im:
                    degraded = np.asarray(im.convert("RGB"))
            else:
                mask = degrade.hole_mask(*clean.shape[:2], rng, coverage=level / 100)
                degraded = np.where(mask[..., None], 128, clean).astype(np.uint8)
            results = {"degraded input": (degraded, 0.0),
                       **_methods(task, level, degraded, mask, jpeg_file, baselines, ensembles)}
            for method, (image, seconds) in results.items():
                row = {"image": Path(path).name, "task": task, "level": level, "method": method,
                       "psnr": psnr(image, clean), "ssim": ssim(image, clean), "seconds": seconds}
                if mask is not None:
                    row["psnr_hole"] = psnr(image[mask], clean[mask])
                    row["missing"] = float(mask.mean())
                rows.append(row)
            if index == 0:  # crops for the picture: the first image's centre
                h, w = clean.shape[:2]
                side = min(CROP, h, w)
                top, left = (h - side) // 2, (w - side) // 2
                crop = {m: image[top : top + side, left : left + side].tolist() for m, (image, _) in results.items()}
                crop["clean"] = clean[top : top + side, left : left + side].tolist()
                rows.append({"crops": crop, "task": task, "level": level})
    for f in Path(scratch).glob(f"{index}-q*.jpg"):
        f.unlink()
    return rows


def summarise(rows: list[dict]) -> list[dict]:
    """Mean scores per task, level and method, in the order they first appear."""
    keys = []
    for r in rows:
        k = (r["task"], r["level"], r["method"])
        if k not in keys:
            keys.append(k)
    out = []
    for task, level, method in keys:
        sel = [r for r in rows if (r["task"], r["level"], r["method"]) == (task, level, method)]
        s = {"task": task, "level": level, "method": method, "images": len(sel),
             "psnr": float(np.mean([r["psnr"] for r in sel])), "ssim": float(np.mean([r["ssim"] for r in sel])),
             "seconds": float(np.mean([r["seconds"] for r in sel]))}
        if "psnr_hole" in sel[0]:
            s["psnr_hole"] = float(np.mean([r["psnr_hole"] for r in sel]))
            s["missing"] = float(np.mean([r["missing"] for r in sel]))
        out.append(s)
    return out


def verdicts(summary: list[dict]) -> dict:
    """Restoration v2's bars, each computed from the summary: at every noise level run, at
    least BM3D's PSNR; at q 10, plain decoding + JPEG_GAIN_DB; in the holes, Telea's PSNR."""
    def get(task, level, method, key="psnr"):
        return next(s[key] for s in summary if (s["task"], s["level"], s["method"]) == (task, level, method))

    def has(task, level, method):
        return any((s["task"], s["level"], s["method"]) == (task, level, method) for s in summary)

    out = {}
    tasks = {s["task"] for s in summary}
    ours_methods = ["invcodec"] + sorted({s["method"] for s in summary if is_ours(s["method"])} - {"invcodec"})
    for method in ours_methods:  # the default and the ensembles, each judged on its own
        if "denoise" in tasks:
            for sigma in [level for level in (15, 25, 50) if has("denoise", level, method) and has("denoise", level, "BM3D")]:
                ours, ref = get("denoise", sigma, method), get("denoise", sigma, "BM3D")
                out[f"denoise sigma {sigma}: {method} >= BM3D"] = {method: ours, "BM3D": ref, "met": ours >= ref}
        if "jpeg" in tasks and has("jpeg", 10, method):
            ours, ref = get("jpeg", 10, method), get("jpeg", 10, "degraded input")
            out[f"jpeg q10: {method} >= plain decoding + {JPEG_GAIN_DB} dB"] = {
                method: ours, "plain decoding": ref, "gain_db": ours - ref, "met": ours - ref >= JPEG_GAIN_DB}
        if "inpaint" in tasks and has("inpaint", 10, method) and has("inpaint", 10, "OpenCV Telea"):
            ours, ref = get("inpaint", 10, method, "psnr_hole"), get("inpaint", 10, "OpenCV Telea", "psnr_hole")
            out[f"inpaint: hole PSNR {method} >= Telea"] = {method: ours, "OpenCV Telea": ref, "met": ours >= ref}
    return out


def markdown(report: dict) -> str:
    params = report["parameters"]
    lines = ["| task | level | method | PSNR dB | SSIM | hole PSNR dB | s / image | parameters |",
             "|---|---:|---|---:|---:|---:|---:|---:|"]
    level_name = {"denoise": "σ {}", "jpeg": "q {}", "inpaint": "{} %"}
    for s in report["summary"]:
        hole = f"{s['psnr_hole']:.2f}" if "psnr_hole" in s else ""
        seconds = f"{s['seconds']:.2f}" if s["method"] != "degraded input" else ""
        p = params.get(s["task"]) if is_ours(s["method"]) else ("0 (no learning)" if s["method"] != "degraded input" else "")
        p = "" if "invcodec's" in s["method"] else p
        label = "plain decoding" if s["task"] == "jpeg" and s["method"] == "degraded input" else s["method"]
        lines.append(f"| {s['task']} | {level_name[s['task']].format(s['level'])} | {label} | {s['psnr']:.2f} | "
                     f"{s['ssim']:.4f} | {hole} | {seconds} | {p if p is not None else ''} |")
    lines.append("")
    for name, v in report["verdicts"].items():
        nums = ", ".join(f"{k} {x:.2f}" for k, x in v.items() if k != "met")
        lines.append(f"- {name}: {'**met**' if v['met'] else '**missed**'} ({nums})")
    lines.append(f"- for scale, published (other protocols): {'; '.join(PUBLISHED)}")
    return "\n".join(lines) + "\n"


def published_table(report: dict) -> str:
    """invcodec's one pass beside the published CBSD68 denoisers at the sigmas both have."""
    ours = {s["level"]: s for s in report["summary"] if s["task"] == "denoise" and s["method"] == "invcodec"}
    sigmas = [s for s in sorted(ours) if any(s in v for v in PUBLISHED_CBSD68.values())]
    if not sigmas:
        return ""
    lines = ["| denoiser | parameters | " + " | ".join(f"σ {s} dB" for s in sigmas) + " | s / image |",
             "|---|---:|" + "---:|" * len(sigmas) + "---:|",
             f"| invcodec, one pass (this run) | {report['parameters']['denoise']:,} | "
             + " | ".join(f"{ours[s]['psnr']:.2f}" for s in sigmas)
             + f" | {np.mean([ours[s]['seconds'] for s in sigmas]):.2f} |"]
    for name, v in PUBLISHED_CBSD68.items():
        lines.append(f"| {name} (published) | {v['parameters']} | " + " | ".join(f"{v[s]:.2f}" if s in v else "–" for s in sigmas)
                     + " | |")
    return "\n".join(lines) + "\n"


def picture(crops: list[dict], path: Path) -> None:
    """One row per task: degraded | invcodec (1 pass, and the ensemble where run) | the best baseline by PSNR on
    this crop | clean."""
    pad, label_h = 4, 14
    rows = []
    for c in crops:
        clean = np.asarray(c["crops"]["clean"], np.uint8)
        baselines = [m for m in c["crops"] if m not in ("clean", "invcodec", "degraded input") and "invcodec" not in m]
        best = max(baselines, key=lambda m: psnr(np.asarray(c["crops"][m], np.uint8), clean)) if baselines else None
        names = ["degraded input", *(m for m in c["crops"] if is_ours(m))] + ([best] if best else []) + ["clean"]
        rows.append((c, names))
    cols = max(len(n) for _, n in rows)
    canvas = Image.new("RGB", (cols * (CROP + pad) + pad, len(rows) * (CROP + pad + label_h) + pad), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    for r, (c, names) in enumerate(rows):
        y = pad + r * (CROP + pad + label_h)
        for i, name in enumerate(names):
            x = pad + i * (CROP + pad)
            tile = np.asarray(c["crops"][name], np.uint8)
            canvas.paste(Image.fromarray(tile), (x, y + label_h))
            level = {"denoise": "sigma {}", "jpeg": "q{}", "inpaint": "{}% holes"}[c["task"]].format(c["level"])
            text = f"{c['task']} {level}: {name}" if i == 0 else name
            if name not in ("clean",):
                text += f" {psnr(tile, np.asarray(c['crops']['clean'], np.uint8)):.1f} dB"
            draw.text((x, y), text[:28], fill=(0, 0, 0))
    canvas.save(path)


def run(folder: Path, levels: dict[str, list[int]], limit: int | None, workers: int, scratch: Path,
        baselines: bool = True, ensembles: bool = True) -> dict:
    from invcodec.restore.network import shipped

    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:limit]
    if not paths:
        raise SystemExit(f"invcodec bench restore: no images in {folder}")
    jobs = [(i, str(p), levels, str(scratch), baselines, ensembles) for i, p in enumerate(paths)]
    start = time.perf_counter()
    if workers > 1:
        import multiprocessing

        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            per_image = pool.map(one_image, jobs, chunksize=1)
    else:
        per_image = [one_image(j) for j in jobs]
    rows = [r for rs in per_image for r in rs if "crops" not in r]
    crops = [r for rs in per_image for r in rs if "crops" in r]
    summary = summarise(rows)
    return {"folder": str(folder), "images": len(paths), "tasks": list(levels), "levels": levels,
            "baselines": baselines, "ensembles": ensembles, "workers": workers, "wall_seconds": time.perf_counter() - start,
            "parameters": {t: shipped(t).parameters for t in levels}, "summary": summary,
            "verdicts": verdicts(summary), "rows": rows, "crops": crops}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="invcodec bench restore", description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path, help="clean images (Kodak for the headline numbers)")
    p.add_argument("--out", type=Path, default=None, help="folder for results.json, results.md, crops.png")
    p.add_argument("--tasks", default="denoise,jpeg,inpaint", help="comma-separated subset [default: %(default)s]")
    p.add_argument("--limit", type=int, default=None, help="only the first N images")
    p.add_argument("--workers", type=int, default=1, help="images in parallel processes, one thread each")
    p.add_argument("--sigmas", type=int, nargs="+", default=LEVELS["denoise"], help="denoising levels [default: 15 25 50]")
    p.add_argument("--one-pass", action="store_true", help="only invcodec's default one pass, no self-ensembles")
    p.add_argument("--no-baselines", action="store_true", help="no BM3D, NL-means or inpainting baselines (published ones beside)")
    args = p.parse_args(argv)
    tasks = [t for t in args.tasks.split(",") if t]
    unknown = set(tasks) - set(LEVELS)
    if unknown or not tasks:
        p.error(f"unknown task(s) {', '.join(sorted(unknown))}; choose from {', '.join(LEVELS)}")
    out = args.out or Path("restore-bench")
    out.mkdir(parents=True, exist_ok=True)
    if not all(SIGMA_LIMITS[0] < s <= SIGMA_LIMITS[1] for s in args.sigmas):
        p.error(f"--sigmas: each above {SIGMA_LIMITS[0]:g} and at most {SIGMA_LIMITS[1]:g} (the denoiser's range)")
    levels = {t: (args.sigmas if t == "denoise" else LEVELS[t]) for t in tasks}
    report = run(args.folder, levels, args.limit, args.workers, out, not args.no_baselines, not args.one_pass)
    crops = report.pop("crops")
    report = {"benchmark": "restore", **environment(coding_threads=1), **report}
    table = markdown(report) + ("\n" + published_table(report) if "denoise" in tasks else "")
    (out / "results.json").write_text(json.dumps(report, indent=1) + "\n")
    (out / "results.md").write_text(table)
    picture(crops, out / "crops.png")
    print(table)
    return 0
