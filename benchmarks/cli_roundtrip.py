"""Round-trip every image of a folder through the installed ``invcodec`` command and
check that the decoded pixels are bit-exact.

    invcodec bench cli-roundtrip ../shared/data/kodak --model photo-v1
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
from invcodec.registry import DEFAULT_MODEL

from .report import check_model


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="invcodec bench cli-roundtrip", description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path)
    p.add_argument("--model", default=DEFAULT_MODEL, help="model name or file [default: %(default)s]")
    p.add_argument("--threads", type=int, default=None, help="the command's -t [default: its own default]")
    args = p.parse_args(argv)
    check_model(p.prog, args.model)
    options = ["-m", args.model] + (["-t", str(args.threads)] if args.threads else [])
    paths = sorted(q for q in args.folder.iterdir() if q.suffix.lower() in IMAGE_SUFFIXES)
    beside = Path(sys.executable).with_name("invcodec")  # this environment's command, activated or not
    exe = str(beside) if beside.exists() else shutil.which("invcodec") or sys.exit("the invcodec command is not on PATH")
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            inv, back = Path(tmp) / f"{path.stem}.inv", Path(tmp) / f"{path.stem}.png"
            subprocess.run([exe, "compress", str(path), "-o", str(inv), *options], check=True, stdout=subprocess.DEVNULL)
            subprocess.run([exe, "decompress", str(inv), "-o", str(back), *options], check=True, stdout=subprocess.DEVNULL)
            exact = np.array_equal(np.asarray(Image.open(path)), np.asarray(Image.open(back)))
            failures += not exact
            print(f"{path.name}: {inv.stat().st_size} bytes, {'exact' if exact else 'MISMATCH'}", flush=True)
    print(f"{len(paths) - failures}/{len(paths)} images round-tripped bit-exact through the CLI")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
