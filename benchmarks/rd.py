"""Rate-distortion benchmark: invcodec's qualities vs JPEG, WebP, AVIF and JPEG-XL.

    invcodec bench rd ../shared/data/kodak --model photo-lossy-v2 --model photo-lossy-v1 --out results/kodak-rd

Every codec encodes every image at each of its qualities in the same run; bpp is from the
real file size, PSNR (RGB) and MS-SSIM (pytorch-msssim) from the decoded 8-bit pixels.
Reports per image and per quality, the mean curves, encode/decode seconds and the
Bjøntegaard delta rate of each invcodec model (--model, repeat it to compare several)
against every other codec of the run (PSNR and MS-SSIM); --tune ms-ssim (repeatable, with
psnr) also runs each model with its steps tuned for MS-SSIM, --effort (repeatable) at each
effort given (8 and 9 search the latents: ``invcodec.training.latent_search``). invcodec
codes on --threads threads per image (1 by default); -j measures images in parallel
processes. Writes results.json, results.md and the RD plots into --out.

--reference FILE adds published curves of the same image set (``../shared/reference/
kodak-vtm.json``: VTM, InvCompress, MS-INN): the BD-rate of every measured codec against
each, and the curves in the plot. --rescore RESULTS.json recomputes a saved run's tables
(say, against a new reference) without measuring again; its header stays the run's own."""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from invcodec import quantizer
from invcodec.metrics import psnr
from invcodec.pixels import IMAGE_SUFFIXES
from invcodec.registry import DEFAULT_LOSSY_MODEL, get_model

from .bd_rate import bd_rate, msssim_db
from .codecs import LossyCodec, invcodec_lossy_codec, lossy_baselines
from .memory import PeakMemory
from .report import check_model, environment, pyplot, write_folder

_codecs: list[LossyCodec] | None = None


def ms_ssim(a: np.ndarray, b: np.ndarray) -> float:
    import torch
    from pytorch_msssim import ms_ssim as _ms_ssim

    ta = torch.from_numpy(a.transpose(2, 0, 1)[None].astype(np.float32))
    tb = torch.from_numpy(b.transpose(2, 0, 1)[None].astype(np.float32))
    return float(_ms_ssim(ta, tb, data_range=255.0))


def _init(models: list[str | None], qualities: list[int] | None, only_invcodec: bool, threads: int,
          tunes: list[str], efforts: list[int | None]) -> None:
    global _codecs
    import torch

    torch.set_num_threads(1)  # MS-SSIM only (invcodec codes on ``threads``; its torch work is single-threaded per tile)
    _codecs = ([invcodec_lossy_codec(m, qualities, threads, tune, e) for m in models for tune in tunes for e in efforts]
               + ([] if only_invcodec else lossy_baselines()))


def _measure_image(path: Path) -> tuple[str, dict]:
    samples = np.asarray(Image.open(path).convert("RGB"))
    h, w = samples.shape[:2]
    out = {}
    for codec in _codecs:
        rows = {}
        for q in codec.qualities:
            with PeakMemory() as enc_mem:
                t0 = time.perf_counter()
                data = codec.encode(samples, q)
                t1 = time.perf_counter()
            with PeakMemory() as dec_mem:
                t2 = time.perf_counter()
                decoded = codec.decode(data)
                t3 = time.perf_counter()
            rows[str(q)] = {"bpp": 8 * len(data) / (h * w), "psnr": psnr(samples, decoded),
                            "ms_ssim": ms_ssim(samples, decoded), "encode_s": t1 - t0, "decode_s": t3 - t2,
                            "encode_peak_mib": enc_mem.peak_mib, "decode_peak_mib": dec_mem.peak_mib}
        out[codec.name] = rows
    return path.name, out


def _bd(ref: dict, test: dict) -> dict:
    """BD-rate of ``test`` against ``ref`` for each metric ``ref`` has (PSNR, MS-SSIM)."""
    result = {}
    for metric, transform in (("psnr", np.asarray), ("ms_ssim", msssim_db)):
        if metric not in ref:
            continue
        try:
            result[metric] = bd_rate(ref["bpp"], transform(ref[metric]), test["bpp"], transform(test[metric]))
        except ValueError as e:
            result[metric] = f"n/a ({e})"
    return result


def published_bd(report: dict, reference: dict, source: str) -> dict:
    """BD-rate of every measured codec against each published curve, PSNR and (where the
    publication gives it) MS-SSIM, with the curves themselves, so the report stands alone."""
    curves = reference["curves"]
    vs = {pub: {name: _bd(ref, entry["curve"]) for name, entry in report["codecs"].items()} for pub, ref in curves.items()}
    return {"source": source, "curves": curves, "vs": vs}


def run(folder: Path, limit: int | None, models: list[str | None], qualities: list[int] | None, jobs: int,
        only_invcodec: bool = False, threads: int = 1, tunes: list[str] | None = None,
        efforts: list[int] | None = None) -> dict:
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:limit]
    if not paths:
        raise SystemExit(f"no images in {folder}")
    tunes = tunes or ["psnr"]
    efforts = efforts or [None]
    _init(models, qualities, only_invcodec, threads, tunes, efforts)
    codecs = {c.name: c for c in _codecs}
    per_image: dict[str, dict] = {}
    if jobs > 1:
        with ProcessPoolExecutor(jobs, initializer=_init, initargs=(models, qualities, only_invcodec, threads, tunes, efforts)) as pool:
            for name, out in tqdm(pool.map(_measure_image, paths), total=len(paths), unit="image"):
                per_image[name] = out
    else:
        for path in tqdm(paths, unit="image"):
            name, out = _measure_image(path)
            per_image[name] = out
    results = {}
    for name, codec in codecs.items():
        curve = {k: [] for k in ("quality", "bpp", "psnr", "ms_ssim", "encode_s", "decode_s")}
        for q in codec.qualities:
            rows = [per_image[p][name][str(q)] for p in per_image]
            curve["quality"].append(q)
            for k in ("bpp", "psnr", "ms_ssim", "encode_s", "decode_s"):
                curve[k].append(float(np.mean([r[k] for r in rows])))
            for k in ("encode_peak_mib", "decode_peak_mib"):  # the worst image
                curve.setdefault(k, []).append(max((r[k] for r in rows if r[k] is not None), default=None))
        results[name] = {"version": codec.version, "curve": curve,
                         "images": {p: per_image[p][name] for p in per_image}}
    ours = list(codecs)[: len(models) * len(tunes) * len(efforts)]
    bd = {test: {name: _bd(results[name]["curve"], results[test]["curve"]) for name in codecs if name != test}
          for test in ours}
    return {"benchmark": "rd", "folder": str(folder), "images": len(paths), **environment(threads),
            "settings": {"models": [get_model(m or DEFAULT_LOSSY_MODEL).name for m in models], "tunes": tunes,
                         "efforts": efforts, "jobs": jobs, "threads_per_job": threads},
            "codecs": results,
            "bd_rate": {"tests": bd}}


def bd_tables(report: dict) -> dict[str, dict]:
    """invcodec model -> its BD-rates against the run's other codecs (runs before several
    models were measured at once saved one, as ``test`` and ``vs``)."""
    bd = report["bd_rate"]
    return bd["tests"] if "tests" in bd else {bd["test"]: bd["vs"]}


RUNTIME_BAR_S = 1.5  # the coding runtime's bar: encode and decode each, per Kodak image, one thread


def per_image_speed(entry: dict) -> dict:
    """One codec's slowest single encode and decode over every image and quality, and how
    many of them exceed RUNTIME_BAR_S (the curve's timings are means)."""
    rows = [r for per_quality in entry["images"].values() for r in per_quality.values()]
    return {"codings": len(rows),
            **{f"slowest_{k}": max(r[f"{k}_s"] for r in rows) for k in ("encode", "decode")},
            **{f"{k}s_over_bar": sum(r[f"{k}_s"] > RUNTIME_BAR_S for r in rows) for k in ("encode", "decode")}}


def markdown(report: dict) -> str:
    threads = report["settings"].get("threads_per_job", 1)
    lines = [f"Rate-distortion, {report['images']} images from `{report['folder']}` (git {report['git']}, "
             f"{report['settings']['jobs']} parallel jobs x {threads} thread{'s' if threads > 1 else ''})", "",
             "| codec | quality | bpp | PSNR dB | MS-SSIM | encode s | decode s | peak MiB enc / dec |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    mib = lambda c, k, i: "n/a" if c.get(k) is None or c[k][i] is None else f"{c[k][i]:.0f}"  # noqa: E731
    for name, entry in report["codecs"].items():
        c = entry["curve"]
        for i, q in enumerate(c["quality"]):
            lines.append(f"| {name} | {q} | {c['bpp'][i]:.3f} | {c['psnr'][i]:.2f} | {c['ms_ssim'][i]:.4f} | "
                         f"{c['encode_s'][i]:.2f} | {c['decode_s'][i]:.3f} | "
                         f"{mib(c, 'encode_peak_mib', i)} / {mib(c, 'decode_peak_mib', i)} |")
    tests = bd_tables(report)
    for test in (t for t in tests if "images" in report["codecs"][t]):  # (hand-made reports may have curves only)
        speed = per_image_speed(report["codecs"][test])
        lines += ["", f"{test}, per image: slowest encode {speed['slowest_encode']:.2f} s, decode "
                  f"{speed['slowest_decode']:.2f} s; over {RUNTIME_BAR_S} s: {speed['encodes_over_bar']} encodes and "
                  f"{speed['decodes_over_bar']} decodes of {speed['codings']}."]
    fmt = lambda v: f"{v:+.1f} %" if isinstance(v, float) else v  # noqa: E731
    for test, vs in tests.items():
        lines += ["", f"BD-rate of {test} (negative = fewer bits at equal quality):", "",
                  "| vs | BD-rate (PSNR) | BD-rate (MS-SSIM) |", "|---|---:|---:|"]
        for name, v in vs.items():
            lines.append(f"| {name} | {fmt(v['psnr'])} | {fmt(v['ms_ssim'])} |")
    published = report.get("published")
    if published:
        pubs = list(published["vs"])
        with_msssim = [p for p in pubs if "ms_ssim" in published["curves"][p]]
        lines += ["", f"BD-rate against published curves of the same images (`{published['source']}`; "
                  "their points as published, ours measured above):", "",
                  "| codec | " + " | ".join(f"vs {p} (PSNR)" for p in pubs) + "".join(f" | vs {p} (MS-SSIM)" for p in with_msssim)
                  + " |", "|---|" + "---:|" * (len(pubs) + len(with_msssim))]
        for name in report["codecs"]:
            cells = [fmt(published["vs"][p][name]["psnr"]) for p in pubs]
            cells += [fmt(published["vs"][p][name]["ms_ssim"]) for p in with_msssim]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot(report: dict, out: Path) -> list[Path]:
    """RD curves (bpp vs PSNR, bpp vs MS-SSIM in dB) as PNGs; skipped without matplotlib."""
    plt = pyplot()
    if plt is None:
        return []
    written = []
    for metric, label, transform in (("psnr", "PSNR (dB)", np.asarray), ("ms_ssim", "MS-SSIM (dB)", msssim_db)):
        fig, ax = plt.subplots(figsize=(6, 4.5))
        for name, entry in report["codecs"].items():
            c = entry["curve"]
            ax.plot(c["bpp"], transform(c[metric]), "o-" if name.startswith("invcodec") else ".--", label=name)
        for name, c in report.get("published", {}).get("curves", {}).items():
            if metric in c:
                ax.plot(c["bpp"], transform(c[metric]), ":", color="grey", alpha=0.8, label=f"{name} (published)")
        ax.set_xlabel("bits per pixel")
        ax.set_ylabel(label)
        ax.set_xlim(0, 2.5)
        ax.grid(alpha=0.3)
        ax.legend()
        ax.set_title(f"{Path(report['folder']).name}: {report['images']} images")
        path = out / f"rd-{metric.replace('_', '-')}.png"
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="invcodec bench rd", description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path, nargs="?", help="the images (not with --rescore)")
    p.add_argument("--out", type=Path, default=Path("results/rd"))
    p.add_argument("--limit", type=int, default=None, help="only the first N images")
    p.add_argument("--model", action="append", default=None,
                   help=f"lossy model name or model file; repeat to compare several [default: {DEFAULT_LOSSY_MODEL}]")
    p.add_argument("--qualities", type=int, nargs="+", default=None, help="invcodec qualities")
    p.add_argument("--tune", action="append", choices=list(quantizer.TUNINGS), default=None,
                   help="invcodec's step tuning; repeat to run each model with several [default: psnr]")
    p.add_argument("--effort", type=int, action="append", default=None, choices=range(1, 10), metavar="1..9",
                   help="invcodec's effort; repeat to run each model at several [default: the codec's default]")
    p.add_argument("-j", "--jobs", type=int, default=1, help="images measured in parallel (worker processes)")
    p.add_argument("--threads", type=int, default=1, help="invcodec's threads per image (tiles in parallel)")
    p.add_argument("--only-invcodec", action="store_true", help="skip the baselines (no BD-rates then)")
    p.add_argument("--reference", type=Path, default=None,
                   help="published curves of the same images (JSON: curves -> name -> bpp, psnr[, ms_ssim])")
    p.add_argument("--rescore", type=Path, default=None, metavar="RESULTS_JSON",
                   help="recompute a saved run's tables instead of measuring")
    args = p.parse_args(argv)
    if (args.folder is None) == (args.rescore is None):
        p.error("give either FOLDER (to measure) or --rescore RESULTS_JSON")
    reference = None
    if args.reference:
        try:
            reference = json.loads(args.reference.read_text())
            usable = all({"bpp", "psnr"} <= set(c) for c in reference["curves"].values())
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            usable = False
        if not usable:
            p.error(f"{args.reference}: not a reference file (JSON with curves -> name -> bpp, psnr)")
    if args.rescore:
        try:
            report = json.loads(args.rescore.read_text())
            usable = report["benchmark"] == "rd"
        except (OSError, ValueError, KeyError, TypeError):
            usable = False
        if not usable:
            p.error(f"{args.rescore}: not the results.json of a bench rd run")
    else:
        models = args.model or [None]
        for model in models:
            check_model(p.prog, model or DEFAULT_LOSSY_MODEL)
        report = run(args.folder, args.limit, models, args.qualities, args.jobs, args.only_invcodec, args.threads,
                     args.tune, args.effort)
    if reference:
        report["published"] = published_bd(report, reference, args.reference.name)
    write_folder(report, args.out, markdown, plot)


if __name__ == "__main__":
    main()
