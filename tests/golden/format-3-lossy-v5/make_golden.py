"""Regenerate the golden files of photo-lossy-v5 (photo-lossy-v4's architecture, trained
further; the default lossy model since it was added), one of them with the MS-SSIM step
tuning, the pixels they decode to, and MANIFEST.json (which records each file's RDO
weight and tuning, so the re-encode test uses the same encoder).

A record of where the files came from: ``../format-3-checkerboard/make_golden.py``'s
cases (same sizes, other seeds) for another model, plus a tuned case, through the writer
that one uses (``../format-3-rdoq/make_golden.py``'s ``write``); the test suite does not
run it. In a clean checkout:

    python tests/golden/format-3-lossy-v5/make_golden.py

Every case is coded through a flow (``classic=False``) with the adaptive prior.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("golden_checkerboard", HERE.parent / "format-3-checkerboard" / "make_golden.py")
checkerboard = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(checkerboard)
v010 = checkerboard.v010
SEEDS = {"128x128_q20": 71, "192x192_q45": 72, "96x80_q70": 73}
TUNED = "photo-lossy-v5_rgb_192x160_q35_ms-ssim"


def cases() -> list[tuple]:
    """photo-lossy-v4's cases with photo-lossy-v5's name and seeds, and one file tuned for MS-SSIM."""
    out = []
    for name, _, quality, tile, image, streams, covers in checkerboard.cases():
        kind, size = name.split("_", 2)[1:]
        height, width = image.shape[:2]
        make = v010.rgba if kind == "rgba" else v010.rgb
        out.append((f"photo-lossy-v5_{kind}_{size}", "photo-lossy-v5", quality, tile, make(height, width, seed=SEEDS[size]),
                    streams, covers))
    out.append((TUNED, "photo-lossy-v5", 35, None, v010.rgb(160, 192, seed=74), {"FLOW"},
                "RDOQ, --tune ms-ssim: the steps of the two finest levels coarser"))
    return out


def main() -> None:
    checkerboard.rdoq.adaptive.format3.TUNES = {TUNED: "ms-ssim"}
    checkerboard.rdoq.write(HERE, cases)


if __name__ == "__main__":
    sys.exit(main())
