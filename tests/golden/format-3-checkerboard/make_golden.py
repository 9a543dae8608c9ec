"""Regenerate the golden files of the first model with checkerboard context,
photo-lossy-v4 (the default lossy model since it was added), the pixels they decode to,
and MANIFEST.json (which records each file's RDO weight, so the re-encode test uses the
same quantizer).

A record of where the files came from, like ``../format-3-rdoq/make_golden.py``, whose
``write`` (the adaptive-prior writer with RDOQ) it runs with other cases (the test suite
does not run it). In a clean checkout:

    python tests/golden/format-3-checkerboard/make_golden.py

Every case is coded through a flow (``classic=False``) with the adaptive prior. The
192-pixel case has level-0 halves of 96 x 96 / 2 = 4608 latents, so its chunks carry
prior corrections; the smaller ones do not.
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
        ("photo-lossy-v4_rgb_128x128_q20", "photo-lossy-v4", 20, None, v010.rgb(128, 128, seed=43), {"FLOW"}, "RDOQ, low quality"),
        ("photo-lossy-v4_rgb_192x192_q45", "photo-lossy-v4", 45, None, v010.rgb(192, 192, seed=44), {"FLOW"}, "RDOQ, middle quality, corrected chunks"),
        ("photo-lossy-v4_rgba_96x80_q70", "photo-lossy-v4", 70, None, v010.rgba(80, 96, seed=45), {"FLOW", "FLOW:alpha"}, "RDOQ, high quality; alpha lossless through the flow"),
    ]


def main() -> None:
    rdoq.write(HERE, cases)


if __name__ == "__main__":
    sys.exit(main())
