"""Regenerate the golden files of format 3 with the adaptive-prior flag (header flag bit
3: every flow stream carries per-band mean and scale offsets, ``invcodec.entropy.adapt``), the
pixels they decode to, and MANIFEST.json.

A record of where the files came from, like ``../format-3/make_golden.py``, whose writer
it runs with other cases (the test suite does not run it). In a clean checkout:

    python tests/golden/format-3-adaptive-prior/make_golden.py

Every case is coded through a flow (``classic=False``), with bands large enough that
corrections are sent (at least ``adapt.MIN_BAND`` latents), for every numeric format: photo-v2
(int8) and photo-v1 (fixed64) lossless, grey, RGBA with flow-coded alpha, two tiles, and
photo-lossy-v1 lossy.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("golden_format3", HERE.parent / "format-3" / "make_golden.py")
format3 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(format3)
v010 = format3.v010


def cases() -> list[tuple]:
    return [
        ("photo-v2_rgb_160x128", "photo-v2", None, None, v010.rgb(128, 160, seed=11), {"FLOW"}, "int8 flow, corrections in the level-0 bands"),
        ("photo-v1_rgb_128x128", "photo-v1", None, None, v010.rgb(128, 128, seed=12), {"FLOW"}, "fixed64 flow with corrections"),
        ("photo-v2_grey_128x128", "photo-v2", None, None, v010.grey(128, 128, seed=13), {"FLOW"}, "grey (3 equal planes) with corrections"),
        ("photo-v2_rgba_128x128", "photo-v2", None, None, v010.rgba(128, 128, seed=14), {"FLOW", "FLOW:alpha"}, "colour and alpha both flow streams with corrections"),
        ("photo-v2_rgb_640x128_two_tiles", "photo-v2", None, None, v010.rgb(128, 640, seed=15), {"FLOW"}, "two tiles (512 and 128 wide), each with its own corrections"),
        ("photo-lossy-v1_rgb_128x128_q40", "photo-lossy-v1", 40, None, v010.rgb(128, 128, seed=16), {"FLOW"}, "lossy: corrections of the quantized residuals' prior"),
    ]


def write(folder: Path, flow_cases) -> None:
    """Run the format-3 writer on ``flow_cases`` (all coded through the flow) into ``folder``
    (its default --out), then check every file carries the adaptive-prior flag."""
    format3.HERE = folder
    format3.cases = flow_cases
    format3.FLOW_ONLY = {stem for stem, *_ in flow_cases()}
    format3.CLASSIC_FLAGS = {}
    format3.main()
    from invcodec import container

    for path in sorted(folder.glob("*.inv")):
        assert container.unpack(path.read_bytes())[0].adaptive_prior, f"{path.name}: written without the flag"


def main() -> None:
    write(HERE, cases)


if __name__ == "__main__":
    sys.exit(main())
