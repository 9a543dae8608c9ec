"""Regenerate the golden files of photo-lossy-v7 (photo-lossy-v6's architecture: the
flow and detail priors trained further, the autoregressive top band retrained on them;
the default lossy model since it was added), the pixels they decode to, and MANIFEST.json
(which records each file's RDO weight and tuning, so the re-encode test uses the same
encoder).

A record of where the files came from: ``../format-3-top-autoregressive/make_golden.py``'s
cases (other seeds), through the writer that one uses
(``../format-3-rdoq/make_golden.py``'s ``write``); the test suite does not run it. In a
clean checkout:

    python tests/golden/format-3-lossy-v7/make_golden.py

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
MODEL = "photo-lossy-v7"


def cases() -> list[tuple]:
    return [
        (f"{MODEL}_rgb_128x128_q20", MODEL, 20, None, v010.rgb(128, 128, seed=101), {"FLOW"}, "RDOQ, low quality"),
        (f"{MODEL}_rgb_192x192_q45", MODEL, 45, None, v010.rgb(192, 192, seed=102), {"FLOW"},
         "RDOQ, middle quality, corrected chunks"),
        (f"{MODEL}_rgba_96x80_q70", MODEL, 70, None, v010.rgba(80, 96, seed=103), {"FLOW", "FLOW:alpha"},
         "RDOQ, high quality; alpha lossless through the flow"),
        (f"{MODEL}_rgb_96x80_lossless", MODEL, None, None, v010.rgb(80, 96, seed=104), {"FLOW"},
         "lossless: the top band's rate input 0"),
        (f"{MODEL}_rgb_200x72_q30_tiles64", MODEL, 30, 64, v010.rgb(72, 200, seed=105), {"FLOW"},
         "4 x 2 tiles of 64, the last column and row partial: 4 x 4 top bands and smaller"),
    ]


def main() -> None:
    rdoq.write(HERE, cases)


if __name__ == "__main__":
    sys.exit(main())
