"""The native kernel's speed check: photo-v4 lossless encode and decode per image on one
thread against JPEG-XL effort 7 in the same run, each image coded by both in turn (so a
change in the machine's load hits both), every decode checked exact.

    OMP_NUM_THREADS=1 python -m invcodec_benchmarks.kernel_speed ../shared/data/kodak --limit 6
    OMP_NUM_THREADS=1 python -m invcodec_benchmarks.kernel_speed ../shared/data/kodak --lossy 8 28 58

With ``--lossy`` it times the default lossy model (or ``--model``) at those qualities
instead, each image at each quality in turn (the lossy targets are seconds, not ratios).

Prints wall and CPU seconds per image (CPU time is less sensitive to other processes on a
shared machine, though not immune: caches and memory bandwidth are shared too) and the
load average before and after; the issue's targets are ratios to JPEG-XL in one run."""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from PIL import Image

from invcodec.pixels import IMAGE_SUFFIXES

from .codecs import Codec, invcodec_codec, invcodec_lossy_codec, lossless_baselines


def _timed(fn, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def measure(codec: Codec, samples: np.ndarray) -> dict:
    data, enc_wall, enc_cpu = _timed(codec.encode, samples)
    decoded, dec_wall, dec_cpu = _timed(codec.decode, data)
    return {"bpsp": 8 * len(data) / samples.size, "encode_s": enc_wall, "decode_s": dec_wall, "encode_cpu_s": enc_cpu,
            "decode_cpu_s": dec_cpu, "exact": bool(np.array_equal(np.asarray(decoded), samples))}


def _time_each(folder: Path, limit: int | None, codecs: list[Codec]) -> tuple[dict, dict[str, list[dict]]]:
    """Every image coded by every codec in turn: the report's header and the rows per codec."""
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:limit]
    if not paths:
        raise SystemExit(f"no images in {folder}")
    load_before = os.getloadavg()
    rows: dict[str, list[dict]] = {c.name: [] for c in codecs}
    for path in paths:
        samples = np.asarray(Image.open(path).convert("RGB"))
        for codec in codecs:
            rows[codec.name].append(measure(codec, samples))
    return {"images": len(paths), "load_average_before": load_before, "load_average_after": os.getloadavg(),
            "cpus": os.cpu_count()}, rows


KEYS = ("bpsp", "encode_s", "decode_s", "encode_cpu_s", "decode_cpu_s")


def run(folder: Path, limit: int | None, model: str) -> dict:
    codecs = [invcodec_codec(model, threads=1)] + [c for c in lossless_baselines() if c.name.startswith("JPEG-XL")]
    header, rows = _time_each(folder, limit, codecs)
    return header | {"means": {name: {k: float(np.mean([r[k] for r in rs])) for k in KEYS}
                               | {"all_exact": all(r["exact"] for r in rs)} for name, rs in rows.items()}}


def run_lossy(folder: Path, limit: int | None, model: str | None, qualities: list[int]) -> dict:
    lossy = invcodec_lossy_codec(model, qualities, threads=1)
    codecs = [Codec(f"{lossy.name} q{q}", lossy.version, lambda s, q=q: lossy.encode(s, q), lossy.decode) for q in qualities]
    header, rows = _time_each(folder, limit, codecs)
    return header | {"means": {name: {k: float(np.mean([r[k] for r in rs])) for k in KEYS}
                               | {"slowest_encode_s": max(r["encode_s"] for r in rs),
                                  "slowest_decode_s": max(r["decode_s"] for r in rs)} for name, rs in rows.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--limit", type=int, default=None, help="the first N images only")
    parser.add_argument("--model", default=None, help="[default: photo-v4; with --lossy, the default lossy model]")
    parser.add_argument("--lossy", type=int, nargs="+", metavar="QUALITY", help="time lossy coding at these qualities")
    parser.add_argument("--out", type=Path, help="also write the report as JSON")
    args = parser.parse_args()
    report = (run_lossy(args.folder, args.limit, args.model, args.lossy) if args.lossy
              else run(args.folder, args.limit, args.model or "photo-v4"))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n")
    if args.lossy:
        print(json.dumps(report, indent=1))
        return
    print(json.dumps(report, indent=1))
    names = list(report["means"])
    if len(names) == 2:
        ours, jxl = (report["means"][n] for n in names)
        for kind in ("encode", "decode"):
            print(f"{kind}: {ours[kind + '_s'] / jxl[kind + '_s']:.1f}x JPEG-XL e7 wall, "
                  f"{ours[kind + '_cpu_s'] / jxl[kind + '_cpu_s']:.1f}x CPU")
    else:
        print("JPEG-XL is not available here (pip install pillow-jxl-plugin, the bench extra)")


if __name__ == "__main__":
    main()
