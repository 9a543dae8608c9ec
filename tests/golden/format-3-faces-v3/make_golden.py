"""Regenerate the golden files of faces-v3 (faces-v2's architecture, trained further):
lossless, the pixels they decode to, and MANIFEST.json.

A record of where the files came from, like ``../format-3-top-position/make_golden.py``
(the same cases, another model): it runs ``../format-3-rdoq/make_golden.py``'s ``write``
(the adaptive-prior writer); the test suite does not run it. In a clean checkout:

    python tests/golden/format-3-faces-v3/make_golden.py

Every case is coded through a flow (``classic=False``) with the adaptive prior.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("golden_rdoq", HERE.parent / "format-3-rdoq" / "make_golden.py")
rdoq = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rdoq)
v010 = rdoq.v010


def cases() -> list[tuple]:
    return [
        ("faces-v3_rgb_64x64", "faces-v3", None, None, v010.rgb(64, 64, seed=61), {"FLOW"}, "lossless RGB 64x64 (the model's training size)"),
        ("faces-v3_rgb_80x48", "faces-v3", None, None, v010.rgb(48, 80, seed=62), {"FLOW"}, "lossless RGB, a size that is not square"),
        ("faces-v3_rgb_37x29", "faces-v3", None, None, v010.rgb(29, 37, seed=63), {"FLOW"}, "lossless RGB, odd size (padded tile)"),
    ]


def main() -> None:
    rdoq.write(HERE, cases)


if __name__ == "__main__":
    sys.exit(main())
