"""Regenerate the format-3 golden files: .inv files in format version 3 (the compact
header of 0.2.0) with the stream kinds 0.2.0 added, the pixels they decode to (as
lossless PNGs), and MANIFEST.json.

This script is a record of where the files came from. The test suite does not run it.
It runs against the clean checkout it sits in and records its commit:

    python tests/golden/format-3/make_golden.py [--out DIR]

The images are made from integer arithmetic only (the 0.1.0 generator's ``natural``
images, plus flat colours, stripes, palettes, a bilevel pattern and an icon), so they are
the same on every machine. Every file must decode to its input exactly (asserted, all
files are lossless but one lossy file, whose decoded pixels are recorded), and each case
asserts the stream kinds it exists to cover, so that no file quietly ends up all raw.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("golden_v010", HERE.parent / "v0.1.0" / "make_golden.py")
v010 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(v010)


def stripes(h: int, w: int) -> np.ndarray:
    """Synthetic: horizontal bands of three colours and a vertical rule (a classic stream)."""
    out = np.zeros((h, w, 3), np.uint8)
    y, x = np.mgrid[0:h, 0:w]
    out[(y // 3) % 3 == 0] = (200, 30, 90)
    out[(y // 3) % 3 == 1] = (20, 160, 240)
    out[x % 11 == 0] = (255, 255, 255)
    return out


def palette_image(h: int, w: int) -> np.ndarray:
    """Synthetic: 40 colours (more than 16, fewer than 256) in 2x2 blocks picked by the
    hash, so row filters do not help (a palette, unbundled)."""
    index = np.kron(v010.noise(h // 2, w // 2, 0, 3, 0, 39), np.ones((2, 2), np.int64))
    table = np.stack([(index * 37) % 256, (index * 91 + 13) % 256, (index * 53 + 200) % 256], axis=2)
    return table.astype(np.uint8)


def bilevel(h: int, w: int) -> np.ndarray:
    """A 1-bit scan-like grey image: text-ish strokes and specks (palette, 8 indices a byte)."""
    y, x = np.mgrid[0:h, 0:w]
    ink = ((x * 7 + y * 3) % 23 < 3) & (y % 9 < 6) | (v010.noise(h, w, 0, 5, 0, 7) == 0)
    return np.where(ink, 0, 255).astype(np.uint8)[:, :, None]


def icon(h: int, w: int) -> np.ndarray:
    """RGBA: a disc of one colour, a translucent square, transparent elsewhere (one classic
    stream of colour and alpha, the alpha slot JOINED)."""
    y, x = np.mgrid[0:h, 0:w]
    out = np.zeros((h, w, 4), np.uint8)
    out[(2 * y - h) ** 2 + (2 * x - w) ** 2 < (min(h, w) - 4) ** 2] = (40, 120, 200, 255)
    out[h // 3 : 2 * h // 3, w // 3 : 2 * w // 3] = (255, 255, 255, 200)
    return out


def letterboxed(h: int, w: int) -> np.ndarray:
    """A photo-like image between black bars, 4 tiles of 16: constant and flow streams."""
    out = np.zeros((h, w, 3), np.uint8)
    out[h // 4 : h - h // 4] = v010.natural(h - 2 * (h // 4), w, 3, 7)
    return out


# (file stem, model, quality or None, tile size (None: the encoder chooses), samples, stream kinds that must appear, what it covers)
def cases() -> list[tuple]:
    return [
        ("photo-v2_rgb_64x48", "photo-v2", None, None, v010.rgb(48, 64), {"FLOW"}, "lossless RGB through photo-v2's int8 flow"),
        ("photo-v2_grey_64x48", "photo-v2", None, None, v010.grey(48, 64), {"FLOW"}, "lossless grey through the int8 flow (3 equal planes)"),
        ("photo-v2_rgb_64x64_t16_letterbox", "photo-v2", None, 16, letterboxed(64, 64), {"FLOW", "CONSTANT"}, "16 tiles of 16: black bars as 3-plane constants beside flow tiles; the model id present"),
        ("classic_rgb_40x30_flat", "photo-v2", None, None, np.full((30, 40, 3), (52, 101, 164), np.uint8), {"CONSTANT"}, "one colour: a 3-plane constant stream, no model id (29 bytes)"),
        ("classic_rgb_41x30_stripes", "photo-v2", None, None, stripes(30, 41), {"CLASSIC"}, "row filters + LZMA2 or deflate"),
        ("classic_rgb_48x40_palette", "photo-v2", None, None, palette_image(40, 48), {"CLASSIC"}, "40 colours: a palette, indices a byte each"),
        ("classic_grey_57x40_bilevel", "photo-v2", None, None, bilevel(40, 57), {"CLASSIC"}, "2 grey levels: a palette on one plane, 8 indices a byte"),
        ("classic_rgba_32x32_icon", "photo-v2", None, None, icon(32, 32), {"CLASSIC", "JOINED:alpha"}, "RGBA as one classic stream of 4 channels, the alpha slot JOINED"),
        ("photo-v2_rgb_48x40_icc", "photo-v2", None, None, v010.rgb(40, 48, seed=8), {"FLOW"}, "an ICC profile in the metadata block (flag bit 2)"),
        ("photo-lossy-v1_rgb_37x29_q40", "photo-lossy-v1", 40, None, v010.rgb(29, 37), {"FLOW"}, "lossy (flag bit 0, quantizer block) in format 3"),
    ]


ICC = b"a colour profile for the golden files, kept byte for byte " * 4
CLASSIC_FLAGS = {"classic_rgb_48x40_palette": 0x10, "classic_grey_57x40_bilevel": 0x30, "classic_rgba_32x32_icon": 0x30}
FLOW_ONLY = {"photo-v2_rgb_64x48", "photo-v2_grey_64x48", "photo-v2_rgb_48x40_icc"}  # classic=False: these images are
# synthetic enough for the classic path to win, and the files exist to cover the flow


# The lossy quantizer the sets written through this function use: dead-zone rounding
# (RDO weight 0) for the sets written before RDOQ existed; a set written since sets it to
# the codec's RDO_WEIGHT. Recorded per lossy file in the manifest (no field: 0).
RDO_WEIGHT = 0.0
# Lossy files written with a step tuning other than "psnr" (``quantizer.TUNINGS``), by
# stem: a set written since tunings exist may name some; recorded in the manifest.
TUNES: dict[str, str] = {}


def checkout() -> str:
    import invcodec

    where = Path(invcodec.__file__).resolve().parent
    head = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(where), "status", "--porcelain", "--", "."], capture_output=True, text=True, check=True).stdout.strip()
    if dirty:
        sys.exit(f"{where} has local changes: commit first, so that the files name the code that wrote them")
    return head


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=HERE, help="output folder (default: this script's folder)")
    args = ap.parse_args()
    head = checkout()
    import invcodec
    from invcodec import codec, container, registry

    args.out.mkdir(parents=True, exist_ok=True)
    codec.RDO_WEIGHT = RDO_WEIGHT
    entries = []
    for stem, model_name, quality, tile, samples, must_have, what in cases():
        model = registry.get_model(model_name)
        icc = ICC if stem.endswith("_icc") else None
        data, stats = codec.compress_samples(samples, model, tile_size=tile, quality=quality, threads=1, icc_profile=icc,
                                             classic=stem not in FLOW_ONLY, **({"tune": TUNES[stem]} if stem in TUNES else {}))
        inv_path, png_path = args.out / f"{stem}.inv", args.out / f"{stem}.png"
        inv_path.write_bytes(data)
        assert data[8] == container.FORMAT_VERSION == 3, stem
        decoded, header = codec.decode(data)  # the model is found by the file's model id
        assert decoded.shape == samples.shape and header.icc_profile == icc, stem
        if quality is None:
            assert np.array_equal(decoded, samples), f"{stem}: lossless file does not decode to its input"
        kinds = v010.stream_kinds(data)
        have = {k.split(":")[0] for k in kinds} | {k for k in kinds if ":" in k}
        assert must_have <= have, f"{stem}: streams {kinds} lack {must_have - have}"
        streams = container.unpack(data)[1]
        if stem in CLASSIC_FLAGS:
            assert streams[0].payload[0] & 0x30 == CLASSIC_FLAGS[stem], f"{stem}: method byte {streams[0].payload[0]:#x}"
        v010.save_png(decoded, png_path)
        h, w, c = samples.shape
        entries.append({
            "name": inv_path.name,
            "png": png_path.name,
            "model": model_name,
            "model_id": header.model_id.hex(),
            "mode": "lossless" if quality is None else "lossy",
            "quality": quality,
            "channels": c,
            "width": w,
            "height": h,
            "tile_size": header.tile_size,
            "icc_profile_bytes": len(icc) if icc else 0,
            "inv_bytes": len(data),
            "inv_sha256": v010.sha256(data),
            "decoded_sha256": v010.sha256(np.ascontiguousarray(decoded).tobytes()),
            "source_sha256": v010.sha256(np.ascontiguousarray(samples).tobytes()),
            "psnr_db": None if quality is None else round(float(stats.psnr), 3),
            **({"rdo_weight": RDO_WEIGHT} if quality is not None and RDO_WEIGHT else {}),
            **({"tune": TUNES[stem]} if stem in TUNES else {}),
            "streams": kinds,
            "covers": what,
        })
        print(f"{inv_path.name:40s} {len(data):6d} B  {' '.join(kinds[:6])}{' ...' if len(kinds) > 6 else ''}")
    manifest = {
        "release": f"format 3, written by invcodec {invcodec.__version__}",
        "commit": head,
        "generator": "make_golden.py (this folder), run in a clean checkout of that commit",
        "decoded_sha256_of": "numpy uint8 array (height, width, channels), C order, .tobytes()",
        "source_sha256_of": "the input samples, same layout (equal to decoded_sha256 for lossless files)",
        "files": entries,
    }
    (args.out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"{len(entries)} golden files in {args.out} (invcodec at {head})")


if __name__ == "__main__":
    main()
