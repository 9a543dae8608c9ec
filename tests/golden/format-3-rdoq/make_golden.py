"""Regenerate the golden files of the lossy encoder with RDOQ: photo-lossy-v3 (the
default lossy model since then) at a low, a middle and a high quality, the pixels they
decode to, and MANIFEST.json (which records each file's RDO weight, so the re-encode test
uses the same quantizer).

A record of where the files came from, like ``../format-3-models-v3/make_golden.py``,
whose ``write`` (that of ``../format-3-adaptive-prior``) it runs with other cases (the
test suite does not run it). In a clean checkout:

    python tests/golden/format-3-rdoq/make_golden.py

Every case is coded through a flow (``classic=False``) with the adaptive prior, as every
file since the flag; the RGBA case keeps its alpha exact through the flow.
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
        ("photo-lossy-v3_rgb_128x128_q20", "photo-lossy-v3", 20, None, v010.rgb(128, 128, seed=31), {"FLOW"}, "RDOQ, low quality"),
        ("photo-lossy-v3_rgb_160x128_q45", "photo-lossy-v3", 45, None, v010.rgb(128, 160, seed=32), {"FLOW"}, "RDOQ, middle quality"),
        ("photo-lossy-v3_rgba_96x80_q70", "photo-lossy-v3", 70, None, v010.rgba(80, 96, seed=33), {"FLOW", "FLOW:alpha"}, "RDOQ, high quality; alpha lossless through the flow"),
    ]


def write(folder: Path, flow_cases) -> None:
    """The adaptive-prior writer with the encoder's RDOQ (its weight recorded in the manifest)."""
    from invcodec import codec

    adaptive.format3.RDO_WEIGHT = codec.RDO_WEIGHT
    adaptive.write(folder, flow_cases)


def main() -> None:
    write(HERE, cases)


if __name__ == "__main__":
    sys.exit(main())
