"""Round-trip every image of a folder through the installed ``invcodec`` command and
check that the decoded pixels are bit-exact.

    python -m invcodec_benchmarks.cli_roundtrip ../shared/data/kodak
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from invcodec.pixels import IMAGE_SUFFIXES


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path)
    args = p.parse_args(argv)
    exe = shutil.which("invcodec") or sys.exit("the invcodec command is not on PATH")
    paths = sorted(q for q in args.folder.iterdir() if q.suffix.lower() in IMAGE_SUFFIXES)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            inv, back = Path(tmp) / f"{path.stem}.inv", Path(tmp) / f"{path.stem}.png"
            subprocess.run([exe, "compress", str(path), "-o", str(inv)], check=True, stdout=subprocess.DEVNULL)
            subprocess.run([exe, "decompress", str(inv), "-o", str(back)], check=True, stdout=subprocess.DEVNULL)
            exact = np.array_equal(np.asarray(Image.open(path)), np.asarray(Image.open(back)))
            failures += not exact
            print(f"{path.name}: {inv.stat().st_size} bytes, {'exact' if exact else 'MISMATCH'}", flush=True)
    print(f"{len(paths) - failures}/{len(paths)} images round-tripped bit-exact through the CLI")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
