"""SHA-256 of every file the codec writes for a folder of images (lossless with the
default model, lossy with the default lossy model at several qualities) and of the
pixels it decodes: run it on two versions and compare, to show that a refactor or a
faster kernel changed no byte and no pixel. Uses only the public API, so it runs on
releases that predate it (``PYTHONPATH=<old checkout>``).

    invcodec bench file-hashes ../shared/data/kodak --out results/kodak-file-hashes.json
    invcodec bench file-hashes ../shared/data/kodak --compare results/kodak-file-hashes.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from invcodec.codec import compress_samples, decompress_samples

QUALITIES = (8, 18, 28, 38, 48, 58)
IMAGE_SUFFIXES = (".png", ".bmp", ".tif", ".tiff", ".ppm")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hashes(folder: Path, qualities: tuple[int, ...], limit: int | None) -> dict[str, dict[str, list[str]]]:
    """image name -> setting ("lossless", "q8", ...) -> [file SHA-256, decoded pixels' SHA-256]."""
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:limit]
    out: dict[str, dict[str, list[str]]] = {}
    for path in paths:
        samples = np.asarray(Image.open(path).convert("RGB"))
        per = {}
        for quality in (None, *qualities):
            data = compress_samples(samples, quality=quality, threads=1)[0]
            decoded = decompress_samples(data, threads=1)
            per["lossless" if quality is None else f"q{quality}"] = [_sha(data), _sha(np.ascontiguousarray(decoded).tobytes())]
        out[path.name] = per
        print(f"{path.name}: {len(per)} files", file=sys.stderr, flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="invcodec bench file-hashes", description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path)
    p.add_argument("--qualities", type=int, nargs="*", default=list(QUALITIES))
    p.add_argument("--limit", type=int, default=None, help="the first N images only")
    p.add_argument("--out", type=Path, help="write the hashes as JSON")
    p.add_argument("--compare", type=Path, help="a JSON written by --out: exit 1 unless every hash is the same")
    args = p.parse_args(argv)
    if not args.folder.is_dir():
        p.error(f"{args.folder} is not a folder")
    start = time.perf_counter()
    found = hashes(args.folder, tuple(args.qualities), args.limit)
    result = {"benchmark": "file_hashes", "folder": str(args.folder), "qualities": args.qualities,
              "seconds": round(time.perf_counter() - start), "hashes": found}
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    if args.compare:
        want = json.loads(args.compare.read_text())["hashes"]
        if args.limit is not None:  # only the images this run coded
            want = {name: want[name] for name in sorted(want)[: args.limit]}
        differ = [f"{name} {setting}" for name, per in want.items() for setting, pair in per.items()
                  if found.get(name, {}).get(setting) != pair]
        missing = sorted(set(want) - set(found))
        print(f"{sum(len(v) for v in want.values())} files compared: {len(differ)} differ, {len(missing)} images missing"
              + (f" ({', '.join(differ[:5])})" if differ else ""))
        return 1 if differ or missing else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
