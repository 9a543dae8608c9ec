"""Regenerate the golden files of the models added after the adaptive prior: photo-v3
(the default lossless model since then) and photo-lossy-v2 (the first lossy model in
the int8 numeric format, and the default for ``-q``), the pixels they decode to, and
MANIFEST.json.

A record of where the files came from, like ``../format-3-adaptive-prior/make_golden.py``,
whose ``write`` it runs with other cases (the test suite does not run it). In a clean checkout:

    python tests/golden/format-3-models-v3/make_golden.py

Every case is coded through a flow (``classic=False``) with the adaptive prior, as every
file since the flag: photo-v3 lossless (RGB, and RGBA with flow-coded alpha), and
photo-lossy-v2 at a low and a high quality (its dead zone comes from its model file).
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
        ("photo-v3_rgb_160x128", "photo-v3", None, None, v010.rgb(128, 160, seed=21), {"FLOW"}, "photo-v3 (int8) lossless"),
        ("photo-v3_rgba_128x128", "photo-v3", None, None, v010.rgba(128, 128, seed=22), {"FLOW", "FLOW:alpha"}, "photo-v3, colour and alpha both flow streams"),
        ("photo-lossy-v2_rgb_128x128_q20", "photo-lossy-v2", 20, None, v010.rgb(128, 128, seed=23), {"FLOW"}, "int8 lossy, low quality"),
        ("photo-lossy-v2_rgb_160x128_q60", "photo-lossy-v2", 60, None, v010.rgb(128, 160, seed=24), {"FLOW"}, "int8 lossy, high quality"),
    ]


def main() -> None:
    adaptive.write(HERE, cases)


if __name__ == "__main__":
    sys.exit(main())
