"""Regenerate the golden files of photo-v4, the first model of the autoregressive
architecture (``invcodec.runtime.autoregressive``; the default lossless model since it was
added), the pixels they decode to, and MANIFEST.json.

A record of where the files came from, like ``../format-3-models-v3/make_golden.py``, whose
writer (``../format-3-adaptive-prior/make_golden.py``'s ``write``) it runs with other
cases; the test suite does not run it. In a clean checkout:

    python tests/golden/format-3-autoregressive/make_golden.py

Every case is coded through the model (``classic=False``): RGB, RGBA (the alpha plane
coded as a grey image), grey, and an image of several whole and partial tiles.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("golden_adaptive", HERE.parent / "format-3-adaptive-prior" / "make_golden.py")
adaptive = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(adaptive)
v010 = adaptive.v010


def cases() -> list[tuple]:
    return [
        ("photo-v4_rgb_160x128", "photo-v4", None, None, v010.rgb(128, 160, seed=81), {"FLOW"},
         "photo-v4 (autoregressive) lossless"),
        ("photo-v4_rgba_128x96", "photo-v4", None, None, v010.rgba(96, 128, seed=82), {"FLOW", "FLOW:alpha"},
         "colour and alpha both through the model"),
        ("photo-v4_grey_96x80", "photo-v4", None, None, v010.grey(80, 96, seed=83), {"FLOW"},
         "grey: three equal planes, the chroma planes all zero"),
        ("photo-v4_rgb_200x72_tiles64", "photo-v4", None, 64, v010.rgb(72, 200, seed=84), {"FLOW"},
         "4 x 2 tiles of 64, the last column and row partial"),
    ]


def main() -> None:
    adaptive.write(HERE, cases)


if __name__ == "__main__":
    sys.exit(main())
