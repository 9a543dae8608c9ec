"""A batch on a local Dask cluster, interrupted half-way and resumed: every file decoded
exactly, none coded twice, the report's counts right, the bytes a local run's.

    nice invcodec bench distributed-resume ../shared/data/kodak --files 2000 --out results/distributed-resume.json

``--files`` small images (crops of the folder's photos, grey and colour, some with alpha)
are compressed by ``invcodec compress FOLDER -o OUT/ --cluster local:WORKERS``; once the
manifest records half of them the command gets SIGINT (Ctrl-C), then the same command
runs again. Checked after it: each output decodes to its image exactly, and is the
bytes that ``compress_samples`` gives in this process; no output that existed after the
interruption was written again (its inode is the same); the second run's counts add up
(already done = the manifest's records, verified = the outputs without one, coded = the
rest); the manifest holds one record per file."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from invcodec.codec import compress_samples, decompress_samples
from invcodec.distributed import MANIFEST_NAME
from invcodec.pixels import IMAGE_SUFFIXES

from .report import emit

SUMMARY = re.compile(r"(\d+) files: (\d+) coded, (\d+) already done, (\d+) verified, (\d+) failed")


def make_images(folder: Path, photos: Path, count: int, side: int) -> list[Path]:
    """``count`` crops of side x side from the photos: RGB, every third grey, every fifth with alpha."""
    sources = [np.asarray(Image.open(p).convert("RGB")) for p in sorted(photos.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES]
    if not sources:
        raise SystemExit(f"no images in {photos}")
    rng = np.random.default_rng(0)
    paths = []
    for i in range(count):
        photo = sources[i % len(sources)]
        top, left = rng.integers(0, photo.shape[0] - side), rng.integers(0, photo.shape[1] - side)
        crop = photo[top : top + side, left : left + side]
        image = Image.fromarray(crop).convert("L") if i % 3 == 0 else Image.fromarray(crop)
        if i % 5 == 0:
            alpha = rng.integers(0, 256, (side, side), dtype=np.uint8)
            image.putalpha(Image.fromarray(np.where(alpha > 40, 255, alpha).astype(np.uint8)))
        path = folder / f"img{i:05d}.png"
        image.save(path)
        paths.append(path)
    return paths


def done_records(manifest: Path) -> int:
    if not manifest.exists():
        return 0
    return sum(1 for line in manifest.read_text().splitlines() if line.startswith('{"input"'))


def table(report: dict) -> str:
    """The run and its checks (results/distributed-resume.md; docs/DISTRIBUTED.md's generated block)."""
    first, second = report["first_run"], report["second_run"]
    lines = [f"{report['files']} files of {report['side']}x{report['side']} on a local cluster of {report['workers']} "
             f"workers (git {report['git']}): `invcodec {report['command']}` (temporary folders), SIGINT once the "
             "manifest held half the files, then the same command again.", "",
             f"- first run: exit {first['exit']} after {first['seconds']:.0f} s, {first['records']} records, "
             f"{first['outputs']} outputs",
             f"- second run: exit {second['exit']} after {second['seconds']:.0f} s: `{second['summary']}`", ""]
    lines += [f"- {'yes' if ok else 'NO'}: {name}" for name, ok in report["checks"].items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="invcodec bench distributed-resume", description=__doc__.splitlines()[0])
    p.add_argument("photos", type=Path, help="a folder of photos to crop the small images from")
    p.add_argument("--files", type=int, default=2000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--side", type=int, default=40, help="the images' side [default: %(default)s]")
    p.add_argument("--out", type=Path, help="the JSON report; the Markdown beside it (.md)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        images, outputs = Path(tmp) / "images", Path(tmp) / "inv"
        images.mkdir()
        outputs.mkdir()
        paths = make_images(images, args.photos, args.files, args.side)
        manifest = outputs / MANIFEST_NAME
        command = [sys.executable, "-m", "invcodec_cli.main", "compress", str(images), "-o", f"{outputs}/",
                   "--cluster", f"local:{args.workers}"]
        start = time.perf_counter()
        # (SIGINT as a terminal's Ctrl-C delivers it: a shell's background job would start with it ignored)
        first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        while first.poll() is None and done_records(manifest) < args.files // 2:
            time.sleep(0.2)
        first.send_signal(signal.SIGINT)
        _, first_err = first.communicate()
        first_seconds = time.perf_counter() - start
        recorded = done_records(manifest)
        after_first = {o.name: o.stat().st_ino for o in outputs.glob("*.inv")}
        start = time.perf_counter()
        second = subprocess.run(command, capture_output=True, text=True)
        second_seconds = time.perf_counter() - start
        summary = SUMMARY.search(second.stderr)
        if second.returncode != 0 or summary is None:
            raise SystemExit(f"the resumed run failed ({second.returncode}): {second.stderr[-2000:]}")
        total, coded, skipped, verified, failed = map(int, summary.groups())
        rewritten = [name for name, inode in after_first.items() if (outputs / name).stat().st_ino != inode]
        exact = same_bytes = 0
        for path in paths:
            data = (outputs / (path.stem + ".inv")).read_bytes()
            samples = np.asarray(Image.open(path))
            samples = samples[..., None] if samples.ndim == 2 else samples
            exact += np.array_equal(decompress_samples(data, threads=1), samples)
            same_bytes += data == compress_samples(samples, threads=1)[0]
        records = [json.loads(line) for line in manifest.read_text().splitlines()[1:] if line.startswith('{"input"')]
        checks = {
            "first run stopped by SIGINT (exit 130)": first.returncode == 130,
            "every file decoded exactly": exact == args.files,
            "every file the bytes of a local run": same_bytes == args.files,
            "no output of the first run written again": not rewritten,
            "resumed: already done = the first run's records": skipped == recorded,
            "resumed: verified = the first run's outputs without a record": verified == len(after_first) - recorded,
            "resumed: coded = the files without an output": coded == args.files - len(after_first),
            "resumed: total right, none failed": total == args.files and failed == 0,
            "one manifest record per file": len(records) == args.files == len({r["output"] for r in records}),
        }
        report = {"files": args.files, "side": args.side, "workers": args.workers, "command": " ".join(command[3:]),
                  "first_run": {"seconds": round(first_seconds, 2), "exit": first.returncode, "records": recorded,
                                "outputs": len(after_first), "stderr_tail": first_err.strip().splitlines()[-1:]},
                  "second_run": {"seconds": round(second_seconds, 2), "exit": second.returncode, "summary": summary.group(0)},
                  "checks": checks, "passed": all(checks.values()),
                  "note": "run niced on a shared 2-core machine; the seconds are not a speed measurement"}
    emit("distributed_resume", report, args.out)
    if args.out:
        args.out.with_suffix(".md").write_text(f"# A batch interrupted and resumed\n\n{table(json.loads(args.out.read_text()))}")
    return 0 if report["passed"] else 1
