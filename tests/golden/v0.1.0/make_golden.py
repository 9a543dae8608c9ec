"""Regenerate the v0.1.0 golden files: .inv files written by invcodec release 0.1.0
(commit 05f9268afa93bc65d1e95a5760337fe748778cfd), the pixels 0.1.0 decodes from each
(as lossless PNGs), and MANIFEST.json.

This script is a record of where the files came from. The test suite does not run it.
It must run against a checkout of 05f9268, not against whatever invcodec is installed:

    git worktree add /tmp/golden-wt 05f9268
    PYTHONPATH=/tmp/golden-wt python tests/golden/v0.1.0/make_golden.py [--out DIR]

It checks that the imported ``invcodec`` is release 0.1.0 at that commit and stops if it
is not (``--allow-other-commit`` skips the commit check, e.g. for a source tarball). The
test images are made here from integer arithmetic only (no random number generator, no
floating point), so they come out the same on every machine and numpy version: smooth
colour gradients, a soft blob, a hard edge, and mild noise from an integer hash. Nothing
is read from disk apart from the shipped models.

For every case it writes NAME.inv (0.1.0's ``codec.compress_samples``) and NAME.png (the
samples that 0.1.0's ``codec.decompress_samples`` returns for those bytes, as an L, LA,
RGB or RGBA PNG). Lossless cases must decode to the input exactly (asserted). Lossy cases
record whatever 0.1.0 decodes. Each case also asserts the stream kinds it exists to
cover (flow, raw, constant), so that no file quietly ends up all raw.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # light on a shared machine; coding is exact anyway

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

RELEASE = "0.1.0"
COMMIT = "05f9268afa93bc65d1e95a5760337fe748778cfd"
_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


# ---------------------------------------------------------------------------- images


def _hash(x: np.ndarray, y: np.ndarray, c: int, seed: int) -> np.ndarray:
    """SplitMix64-style integer hash of (x, y, c, seed) -> uint64 array (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        v = (
            x.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
            + y.astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
            + np.uint64(c * 0x165667B1 + seed * 0x27D4EB2F + 1)
        ) & _M64
        v = ((v ^ (v >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _M64
        v = ((v ^ (v >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _M64
        return v ^ (v >> np.uint64(31))


def noise(h: int, w: int, c: int, seed: int, lo: int, hi: int) -> np.ndarray:
    """(h, w) int64 of integers in lo..hi, from the hash (plane c)."""
    y, x = np.mgrid[0:h, 0:w]
    return (_hash(x, y, c, seed) % np.uint64(hi - lo + 1)).astype(np.int64) + lo


def natural(h: int, w: int, channels: int, seed: int) -> np.ndarray:
    """A small photo-like (h, w, channels) uint8 image: per channel a linear gradient, a soft
    round blob, an object with a hard straight edge, and noise of +-2 levels."""
    y, x = np.mgrid[0:h, 0:w].astype(np.int64)
    out = np.empty((h, w, channels), dtype=np.uint8)
    # blob centre and radius, the edge's line, from the seed (integers only)
    cx, cy = (w * (3 + seed % 3)) // 8, (h * (2 + seed % 4)) // 8
    r2 = max(4, (min(w, h) * 3 // 8) ** 2)
    d2 = (x - cx) ** 2 + (y - cy) ** 2
    blob = np.clip(r2 - d2, 0, None) * 64 // r2  # 0..64, smooth falloff
    edge = (5 * x - 3 * y) > (w * (2 + seed % 2))  # a slanted straight edge
    for c in range(channels):
        gx = 40 + 25 * c + 3 * seed  # gradient strengths differ per channel
        gy = 90 - 30 * c
        base = 60 + 10 * c + (gx * x) // max(1, w - 1) + (gy * y) // max(1, h - 1)
        obj = np.where(edge, (-50, 45, 25, -20)[c % 4], 0)
        shade = blob * (1, -1, 2, 1)[c % 4] // 2
        out[:, :, c] = np.clip(base + obj + shade + noise(h, w, c, seed, -2, 2), 0, 255).astype(np.uint8)
    return out


def rgb(h: int, w: int, seed: int = 1) -> np.ndarray:
    return natural(h, w, 3, seed)


def grey(h: int, w: int, seed: int = 2) -> np.ndarray:
    return natural(h, w, 1, seed)


def rgba(h: int, w: int, seed: int = 3) -> np.ndarray:
    """RGB as above, alpha varying: a diagonal ramp from opaque to about 30%, a fully
    transparent notch in one corner, and +-1 noise."""
    colour = natural(h, w, 3, seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.int64)
    alpha = 255 - (180 * (x + y)) // max(1, (w - 1) + (h - 1)) + noise(h, w, 7, seed, -1, 1)
    alpha = np.where((x + 2 * y) < 6, 0, alpha)
    return np.concatenate([colour, np.clip(alpha, 0, 255).astype(np.uint8)[:, :, None]], axis=2)


def rgb_with_noise_tile(h: int, w: int, tile: int, seed: int = 4) -> np.ndarray:
    """RGB natural image whose tile (row 0, column 1) is uniform 0..255 noise: that tile
    cannot be compressed, so 0.1.0 stores it as a RAW stream."""
    img = natural(h, w, 3, seed)
    for c in range(3):
        img[0:tile, tile : 2 * tile, c] = noise(tile, tile, 10 + c, seed, 0, 255).astype(np.uint8)
    return img


def grey_constant_alpha(h: int, w: int, seed: int = 2, alpha: int = 200) -> np.ndarray:
    """Grey natural image + an alpha plane that is one value everywhere (CONSTANT stream)."""
    g = natural(h, w, 1, seed)
    return np.concatenate([g, np.full((h, w, 1), alpha, dtype=np.uint8)], axis=2)


# ---------------------------------------------------------------------------- cases

# (file stem, model, quality or None, tile size, samples, stream kinds that must appear, what it covers)
def cases() -> list[tuple[str, str, int | None, int, np.ndarray, set[str], str]]:
    rgb_37x29 = rgb(29, 37)
    grey_33x20 = grey(20, 33)
    rgba_40x24 = rgba(24, 40)
    return [
        ("photo-v1_rgb_37x29", "photo-v1", None, 512, rgb_37x29, {"FLOW"}, "lossless RGB, odd size (not a multiple of 16), one tile"),
        ("photo-v1_grey_33x20", "photo-v1", None, 512, grey_33x20, {"RAW"}, "lossless grey 33x20: 0.1.0 stores it RAW (the flow stream of 3 equal planes would be larger)"),
        ("photo-v1_grey_48x29", "photo-v1", None, 512, grey(29, 48), {"FLOW"}, "lossless grey (1 channel) through the flow, coded as 3 equal planes"),
        ("photo-v1_rgba_40x24_t16", "photo-v1", None, 16, rgba_40x24, {"FLOW", "FLOW:alpha"}, "lossless RGBA, varying alpha, 6 tiles of 16: colour and alpha flow streams (the smaller edge tiles go RAW)"),
        ("photo-v1_rgb_48x32_t16_rawtile", "photo-v1", None, 16, rgb_with_noise_tile(32, 48, 16), {"FLOW", "RAW"}, "lossless RGB, 6 tiles of 16, tile (0, 1) is noise and stored RAW"),
        ("photo-v1_la_48x29_constalpha", "photo-v1", None, 512, grey_constant_alpha(29, 48), {"FLOW", "CONSTANT:alpha"}, "lossless grey+alpha, grey through the flow, alpha constant 200 (CONSTANT stream)"),
        ("photo-lossy-v1_rgb_37x29_q10", "photo-lossy-v1", 10, 512, rgb_37x29, {"FLOW"}, "lossy RGB quality 10"),
        ("photo-lossy-v1_rgb_37x29_q40", "photo-lossy-v1", 40, 512, rgb_37x29, {"FLOW"}, "lossy RGB quality 40"),
        ("photo-lossy-v1_rgb_37x29_q80", "photo-lossy-v1", 80, 512, rgb_37x29, {"FLOW"}, "lossy RGB quality 80"),
        ("photo-lossy-v1_rgba_40x24_t16_q30", "photo-lossy-v1", 30, 16, rgba_40x24, {"FLOW", "FLOW:alpha"}, "lossy RGBA quality 30, 6 tiles of 16 (alpha stays lossless)"),
        ("photo-lossy-v1_grey_33x20_q50", "photo-lossy-v1", 50, 512, grey_33x20, {"FLOW"}, "lossy grey quality 50"),
        ("photo-lossy-v1_rgb_37x29", "photo-lossy-v1", None, 512, rgb_37x29, {"FLOW"}, "the lossy model used losslessly (no quality)"),
        ("cifar10-v1_rgb_32x32", "cifar10-v1", None, 512, rgb(32, 32, seed=5), {"FLOW"}, "lossless RGB 32x32 (the model's training size)"),
        ("cifar10-v1_rgb_37x29", "cifar10-v1", None, 512, rgb_37x29, {"FLOW"}, "lossless RGB, odd size"),
        ("faces-v1_rgb_64x64", "faces-v1", None, 512, rgb(64, 64, seed=6), {"FLOW"}, "lossless RGB 64x64 (the model's training size)"),
        ("faces-v1_rgb_37x29", "faces-v1", None, 512, rgb_37x29, {"FLOW"}, "lossless RGB, odd size"),
    ]


# ---------------------------------------------------------------------------- checks and output


def check_invcodec(allow_other_commit: bool) -> str:
    import invcodec

    where = Path(invcodec.__file__).resolve().parent
    print(f"invcodec {invcodec.__version__} from {where}")
    if invcodec.__version__ != RELEASE:
        sys.exit(f"expected invcodec {RELEASE}, got {invcodec.__version__} (set PYTHONPATH to a checkout of {COMMIT[:7]})")
    try:
        head = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(where), "status", "--porcelain", "--", "."], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        head, dirty = "unknown", ""
    if (head != COMMIT or dirty) and not allow_other_commit:
        sys.exit(f"{where} is at {head}{' with local changes' if dirty else ''}, not {COMMIT}; use a clean checkout of {COMMIT[:7]}")
    return head


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def save_png(samples: np.ndarray, path: Path) -> None:
    mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[samples.shape[2]]
    arr = samples[:, :, 0] if samples.shape[2] == 1 else np.ascontiguousarray(samples)
    Image.fromarray(arr, mode).save(path, format="PNG", optimize=True)
    back = np.asarray(Image.open(path)).reshape(samples.shape)
    assert Image.open(path).mode == mode and np.array_equal(back, samples), f"{path}: PNG does not hold the samples"


def stream_kinds(data: bytes) -> list[str]:
    from invcodec import container

    header, streams = container.unpack(data)
    per_tile = header.streams_per_tile
    return [s.kind.name + (":alpha" if per_tile == 2 and i % 2 else "") for i, s in enumerate(streams)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="output folder (default: this script's folder)")
    ap.add_argument("--allow-other-commit", action="store_true", help="skip the check that invcodec is a clean checkout of 05f9268")
    args = ap.parse_args()
    head = check_invcodec(args.allow_other_commit)

    import torch

    torch.set_num_threads(1)
    from invcodec import codec, registry, weights

    args.out.mkdir(parents=True, exist_ok=True)
    entries = []
    for stem, model_name, quality, tile, samples, must_have, what in cases():
        model = registry.get_model(model_name)
        data, stats = codec.compress_samples(samples, model, tile_size=tile, quality=quality)
        inv_path, png_path = args.out / f"{stem}.inv", args.out / f"{stem}.png"
        inv_path.write_bytes(data)
        data = inv_path.read_bytes()
        decoded = codec.decompress_samples(data)  # the model is found by the file's model id
        assert decoded.dtype == np.uint8 and decoded.shape == samples.shape, stem
        if quality is None:
            assert np.array_equal(decoded, samples), f"{stem}: lossless file does not decode to its input"
        kinds = stream_kinds(data)
        have = {k.split(":")[0] for k in kinds} | {k for k in kinds if ":" in k}
        assert must_have <= have, f"{stem}: streams {kinds} lack {must_have - have}"
        save_png(decoded, png_path)
        h, w, c = samples.shape
        entry = {
            "name": inv_path.name,
            "png": png_path.name,
            "model": model_name,
            "model_id": weights.model_id(model).hex(),
            "mode": "lossless" if quality is None else "lossy",
            "quality": quality,
            "channels": c,
            "width": w,
            "height": h,
            "tile_size": tile,
            "inv_bytes": len(data),
            "inv_sha256": sha256(data),
            "decoded_sha256": sha256(np.ascontiguousarray(decoded).tobytes()),
            "source_sha256": sha256(np.ascontiguousarray(samples).tobytes()),
            "psnr_db": None if quality is None else round(float(stats.psnr), 3),
            "streams": kinds,
            "covers": what,
        }
        entries.append(entry)
        print(f"{inv_path.name:40s} {len(data):6d} B  {png_path.stat().st_size:6d} B png  {' '.join(kinds)}"
              + ("" if quality is None else f"  PSNR {stats.psnr:.2f} dB"))
    manifest = {
        "release": RELEASE,
        "commit": COMMIT,
        "generator": "make_golden.py (this folder), run with PYTHONPATH=<checkout of 05f9268>",
        "decoded_sha256_of": "numpy uint8 array (height, width, channels), C order, .tobytes()",
        "source_sha256_of": "the input samples, same layout (equal to decoded_sha256 for lossless files)",
        "files": entries,
    }
    (args.out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"{len(entries)} golden files in {args.out} (invcodec at {head})")


if __name__ == "__main__":
    main()
