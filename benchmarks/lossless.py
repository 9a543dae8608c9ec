"""Lossless benchmark: invcodec vs PNG, WebP, JPEG2000 and JPEG-XL on a folder of images.

    invcodec bench lossless ../shared/data/kodak --model photo-v2 --model photo-v1 --out results/kodak-lossless

Per image and mean: bits per sub-pixel, encode and decode seconds, peak memory; every
decode is checked to be bit-exact. invcodec codes on --threads threads (tiles in
parallel; 1 by default, so its figures are one-thread figures). Writes results.json,
results.md and bpsp.png into --out."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from invcodec.pixels import IMAGE_SUFFIXES
from invcodec.registry import get_model

from .codecs import Codec, invcodec_codec, lossless_baselines
from .memory import PeakMemory
from .report import check_model, environment, pyplot, save_figure, threads_label, write_folder


def measure(codec: Codec, samples: np.ndarray) -> dict:
    with PeakMemory() as enc_mem:
        t0 = time.perf_counter()
        data = codec.encode(samples)
        t1 = time.perf_counter()
    with PeakMemory() as dec_mem:
        t2 = time.perf_counter()
        decoded = codec.decode(data)
        t3 = time.perf_counter()
    return {"bpsp": 8 * len(data) / samples.size, "bytes": len(data), "encode_s": t1 - t0, "decode_s": t3 - t2,
            "encode_peak_mib": enc_mem.peak_mib, "decode_peak_mib": dec_mem.peak_mib,
            "exact": bool(decoded.shape == samples.shape and np.array_equal(decoded, samples))}


def run(folder: Path, limit: int | None, models: list[str | None], only_invcodec: bool = False, threads: int = 1,
        efforts: list[int] | None = None, jxl_efforts: tuple[int, ...] = (7,)) -> dict:
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:limit]
    if not paths:
        raise SystemExit(f"no images in {folder}")
    codecs = [invcodec_codec(m, threads, e) for m in models for e in efforts or [None]]
    codecs += [] if only_invcodec else lossless_baselines(jxl_efforts)
    results = {c.name: {"version": c.version, "images": {}} for c in codecs}
    for path in tqdm(paths, unit="image"):
        samples = np.asarray(Image.open(path).convert("RGB"))
        for codec in codecs:
            results[codec.name]["images"][path.name] = measure(codec, samples)
    for entry in results.values():
        rows = list(entry["images"].values())
        entry["mean"] = {k: float(np.mean([r[k] for r in rows])) for k in ("bpsp", "encode_s", "decode_s")}
        for k in ("encode_peak_mib", "decode_peak_mib"):  # the worst image
            entry["mean"][k] = max((r[k] for r in rows if r[k] is not None), default=None)
        entry["all_exact"] = all(r["exact"] for r in rows)
    return {
        "benchmark": "lossless",
        "folder": str(folder),
        "images": len(paths),
        **environment(threads),
        "settings": {"models": [get_model(m).name for m in models], "threads": threads, "baselines": not only_invcodec,
                     "efforts": efforts, "jxl_efforts": list(jxl_efforts)},
        "codecs": results,
    }


def markdown(report: dict) -> str:
    lines = [f"Lossless, {report['images']} images from `{report['folder']}` (git {report['git']}, "
             f"{threads_label(report['machine'])})", "",
             "| codec | bits/sub-pixel | encode s/image | decode s/image | slowest image enc / dec s | peak MiB enc / dec | all exact |",
             "|---|---:|---:|---:|---:|---:|:---:|"]
    mib = lambda v: "n/a" if v is None else f"{v:.0f}"  # noqa: E731
    for name, entry in sorted(report["codecs"].items(), key=lambda kv: kv[1]["mean"]["bpsp"]):
        m = entry["mean"]
        images = entry.get("images") or {}  # (hand-made reports may have means only)
        slowest = " / ".join(f"{max(r[k] for r in images.values()):.2f}" if images else "n/a" for k in ("encode_s", "decode_s"))
        lines.append(f"| {name} | {m['bpsp']:.3f} | {m['encode_s']:.2f} | {m['decode_s']:.2f} | {slowest} | "
                     f"{mib(m.get('encode_peak_mib'))} / {mib(m.get('decode_peak_mib'))} | {'yes' if entry['all_exact'] else 'NO'} |")
    return "\n".join(lines) + "\n"


def plot(report: dict, out: Path) -> Path | None:
    """Bar chart of the mean bits per sub-pixel; skipped without matplotlib."""
    plt = pyplot()
    if plt is None:
        return None
    entries = sorted(report["codecs"].items(), key=lambda kv: kv[1]["mean"]["bpsp"])
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    names = [name for name, _ in entries]
    values = [entry["mean"]["bpsp"] for _, entry in entries]
    bars = ax.barh(names, values, color=["C3" if n.startswith("invcodec") else "C0" for n in names])
    ax.bar_label(bars, fmt="%.3f", padding=3)
    ax.invert_yaxis()
    ax.set_xlabel("bits per sub-pixel (lower is better)")
    ax.set_xlim(0, max(values) * 1.15)
    ax.set_title(f"Lossless, {Path(report['folder']).name}: {report['images']} images")
    return save_figure(plt, fig, out / "bpsp.png")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="invcodec bench lossless", description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path)
    p.add_argument("--out", type=Path, default=Path("results/lossless"))
    p.add_argument("--limit", type=int, default=None, help="only the first N images")
    p.add_argument("--model", action="append", default=None,
                   help="shipped model name or model file; repeat to compare several [default: the registry's DEFAULT_MODEL]")
    p.add_argument("--threads", type=int, default=1, help="invcodec's threads per image (tiles in parallel)")
    p.add_argument("--only-invcodec", action="store_true", help="skip the baseline codecs")
    p.add_argument("--effort", type=int, action="append", default=None, choices=range(1, 10), metavar="1..9",
                   help="invcodec's effort; repeat to compare several [default: the codec's default]")
    p.add_argument("--jxl-effort", type=int, action="append", default=None, choices=range(1, 11), metavar="1..10",
                   help="JPEG-XL's effort; repeat for several [default: 7]")
    args = p.parse_args(argv)
    models = args.model or [None]
    for model in models:
        check_model(p.prog, model)
    write_folder(run(args.folder, args.limit, models, args.only_invcodec, args.threads, args.effort,
                     tuple(args.jxl_effort or [7])), args.out, markdown, plot)


if __name__ == "__main__":
    main()
