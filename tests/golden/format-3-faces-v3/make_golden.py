"""Regenerate the golden files of faces-v3 (faces-v2's architecture, trained further):
lossless, the pixels they decode to, and MANIFEST.json.

A record of where the files came from: ``../format-3-top-position/make_golden.py``'s
cases (same sizes, other seeds) for another model, through the writer that one uses
(``../format-3-rdoq/make_golden.py``'s ``write``, the adaptive-prior writer); the test
suite does not run it. In a clean checkout:

    python tests/golden/format-3-faces-v3/make_golden.py

Every case is coded through a flow (``classic=False``) with the adaptive prior.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("golden_top_position", HERE.parent / "format-3-top-position" / "make_golden.py")
top_position = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(top_position)
SEEDS = {"64x64": 61, "80x48": 62, "37x29": 63}


def cases() -> list[tuple]:
    """faces-v2's cases with faces-v3's name and seeds: each image made afresh at its size."""
    out = []
    for name, _, quality, alpha, image, streams, covers in top_position.cases():
        size = name.rsplit("_", 1)[1]
        height, width = image.shape[:2]
        out.append((f"faces-v3_rgb_{size}", "faces-v3", quality, alpha,
                    top_position.v010.rgb(height, width, seed=SEEDS[size]), streams, covers))
    return out


def main() -> None:
    top_position.rdoq.write(HERE, cases)


if __name__ == "__main__":
    sys.exit(main())
