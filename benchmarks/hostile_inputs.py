"""The input files of the hostile-input suite (``invcodec bench hostile``): unusual and
hostile images for the encoder side, made here from a seed (nothing is downloaded).

Each ``Case`` is a small folder to set up and the ``invcodec compress`` arguments to run
in it. The kinds:

    mode         every Pillow mode x every format Pillow writes, at odd sizes
    png-depth    hand-written PNGs of every colour type and bit depth (16-bit ones too)
    colour-key   transparency keys: PNG tRNS on grey / RGB / palette, GIF transparency
    icc, exif    colour profiles (real and broken), PNG gamma / chromaticities, EXIF
                 orientations 1-8, broken EXIF
    frames       animated GIF / PNG / WebP, multi-page TIFF (and one-frame ones)
    huge         headers declaring enormous or zero sizes (PNG, BMP, GIF, PPM, TIFF, JPEG)
    truncated    valid files cut at several lengths
    mutated      valid files with random bytes changed
    garbage      empty, random, text, a .inv named .png, a folder named .png, a dead link
    clobber      outputs that exist, are FIFOs, devices, folders or the input itself;
                 batches whose outputs collide; 250-character names; read-only folders
"""

from __future__ import annotations

import io
import os
import struct
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

MODES = ("1", "L", "P", "LA", "PA", "RGB", "RGBA", "RGBX", "RGBa", "La", "I", "I;16", "I;16B", "F", "CMYK",
         "YCbCr", "LAB", "HSV")
FORMATS = (("PNG", ".png", {}), ("TIFF", ".tif", {}), ("BMP", ".bmp", {}), ("GIF", ".gif", {}),
           ("WEBP", ".webp", {"lossless": True, "exact": True}), ("JPEG", ".jpg", {"quality": 90}), ("PPM", ".ppm", {}),
           ("TGA", ".tga", {}), ("PCX", ".pcx", {}), ("SGI", ".sgi", {}), ("ICO", ".ico", {}), ("IM", ".im", {}),
           ("XBM", ".xbm", {}), ("JPEG2000", ".jp2", {"irreversible": False}), ("QOI", ".qoi", {}),
           ("DDS", ".dds", {}), ("SPIDER", ".spi", {}), ("PDF", ".pdf", {}))
SIZES = ((1, 1), (5, 3), (17, 13), (1, 37))


@dataclass
class Case:
    name: str
    kind: str
    files: dict[str, bytes] = field(default_factory=dict)  # written into the case's folder first
    args: list[str] = field(default_factory=list)  # `invcodec compress ARGS`, run in the folder
    setup: Callable[[Path], None] | None = None  # special files (FIFOs, devices, folders, links)
    output: str | None = "out.inv"  # the file a success creates (None: a batch, see `outputs`)
    outputs: tuple[str, ...] = ()
    decode_to: str = ".png"  # the second output format tried on success


def _pixels(mode: str, size: tuple[int, int], rng: np.random.Generator, smooth: bool) -> Image.Image:
    w, h = size
    bands = Image.getmodebands(mode) if mode not in ("1", "P", "PA", "I", "I;16", "I;16B", "F") else 1
    if smooth:
        yy, xx = np.mgrid[0:h, 0:w]
        planes = [(xx * (37 + 11 * k) + yy * (23 + 5 * k)) % 256 for k in range(max(bands, 2))]
        arr = np.stack(planes[:bands], 2).astype(np.uint8)
    else:
        arr = rng.integers(0, 256, (h, w, bands), dtype=np.uint8)
    if mode in ("L", "RGB", "RGBA", "RGBX", "RGBa", "CMYK", "YCbCr", "LAB", "HSV", "LA", "La"):
        return Image.frombytes(mode, size, arr.tobytes())
    if mode == "1":
        return Image.fromarray(arr[:, :, 0] > 127).convert("1")
    if mode == "P":
        return Image.fromarray(arr[:, :, 0] // 16, "L").convert("P")
    if mode == "PA":
        image = Image.new("PA", size)
        image.putdata([(int(v) // 16, int(255 - v)) for v in arr[:, :, 0].ravel()])
        return image
    if mode == "F":
        return Image.frombytes("F", size, (arr[:, :, 0].astype("<f4") * 1.5 - 40.5).tobytes())
    wide = np.clip(arr[:, :, 0].astype(np.int32) * 257 - (0 if smooth else 3), 0, 65535)
    dtype = {"I": "<i4", "I;16": "<u2", "I;16B": ">u2"}[mode]
    return Image.frombytes(mode, size, wide.astype(dtype).tobytes())


def _save(image: Image.Image, fmt: str, **params) -> bytes | None:
    buf = io.BytesIO()
    try:
        with warnings.catch_warnings():  # deprecated formats (IM, ...) are still read by Pillow: still cases
            warnings.simplefilter("ignore")
            image.save(buf, fmt, **params)
    except Exception:  # noqa: BLE001 - a mode this format cannot hold: no case
        return None
    return buf.getvalue()


def _one(name: str, kind: str, suffix: str, data: bytes, decode_to: str = ".png") -> Case:
    return Case(name, kind, {f"in{suffix}": data}, [f"in{suffix}", "-o", "out.inv"], decode_to=decode_to)


_DECODE_TO = (".png", ".tif", ".bmp", ".webp")


def mode_cases(rng: np.random.Generator) -> list[Case]:
    Image.init()
    cases = []
    for mode in MODES:
        for fmt, suffix, params in FORMATS:
            for i, size in enumerate(SIZES):
                data = _save(_pixels(mode, size, rng, smooth=i % 2 == 0), fmt, **params)
                if data:
                    cases.append(_one(f"mode/{mode}/{fmt}/{size[0]}x{size[1]}", "mode", suffix, data,
                                      _DECODE_TO[len(cases) % 4]))
    return cases


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bytes(width: int, height: int, colour_type: int, depth: int, rows: bytes | None = None,
              extra: list[tuple[bytes, bytes]] = (), rng: np.random.Generator | None = None) -> bytes:
    """A PNG written by hand (filter 0, no interlace): any colour type and bit depth,
    including the 16-bit ones Pillow cannot write; ``extra`` chunks go before IDAT."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour_type]
    row_bytes = (width * channels * depth + 7) // 8
    if rows is None:
        rng = rng or np.random.default_rng(0)
        raw = rng.integers(0, 256, (height, row_bytes), dtype=np.uint8)
        if colour_type == 3:  # palette indices below the palette's 16 entries
            raw &= {1: 0xFF, 2: 0xFF, 4: 0xFF, 8: 0x0F}[depth]
        rows = b"".join(b"\x00" + raw[y].tobytes() for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    chunks = [(b"IHDR", ihdr)]
    if colour_type == 3:
        chunks.append((b"PLTE", bytes(range(48))))
    chunks += list(extra) + [(b"IDAT", zlib.compress(rows)), (b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(_chunk(k, v) for k, v in chunks)


def png_depth_cases(rng: np.random.Generator) -> list[Case]:
    allowed = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
    cases = []
    for colour_type, depths in allowed.items():
        for depth in depths:
            for w, h in ((1, 1), (7, 5), (33, 2)):
                data = png_bytes(w, h, colour_type, depth, rng=rng)
                cases.append(_one(f"png-depth/type{colour_type}/{depth}bit/{w}x{h}", "png-depth", ".png", data,
                                  _DECODE_TO[len(cases) % 4]))
    return cases


def colour_key_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for i, size in enumerate(((4, 4), (17, 13), (1, 1))):
        grey = _pixels("L", size, rng, smooth=True)
        key = int(np.asarray(grey).ravel()[0])
        rgb = _pixels("RGB", size, rng, smooth=True)
        rgb_key = tuple(int(v) for v in np.asarray(rgb)[0, 0])
        pal = _pixels("P", size, rng, smooth=True)
        variants = {
            "L-tRNS.png": _save(grey, "PNG", transparency=key),
            "RGB-tRNS.png": _save(rgb, "PNG", transparency=rgb_key),
            "P-tRNS-index.png": _save(pal, "PNG", transparency=int(np.asarray(pal).ravel()[0])),
            "P-tRNS-table.png": _save(pal, "PNG", transparency=bytes(range(0, 256, 16))),
            "P-transparency.gif": _save(pal, "GIF", transparency=int(np.asarray(pal).ravel()[0])),
            "L-16bit-tRNS.png": png_bytes(size[0], size[1], 0, 16, extra=[(b"tRNS", b"\x00\x01")], rng=rng),
            "RGB-tRNS-hand.png": png_bytes(size[0], size[1], 2, 8, extra=[(b"tRNS", b"\x00\x10\x00\x20\x00\x30")],
                                           rng=rng),
        }
        for name, data in variants.items():
            if data:
                stem, suffix = os.path.splitext(name)
                cases.append(_one(f"colour-key/{stem}/{size[0]}x{size[1]}", "colour-key", suffix, data,
                                  _DECODE_TO[(len(cases) + i) % 4]))
    return cases


def _srgb_profile() -> bytes | None:
    try:
        from PIL import ImageCms

        return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    except Exception:  # noqa: BLE001 - Pillow built without littlecms: no real profile, the broken ones remain
        return None


def icc_exif_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    profiles = {"srgb": _srgb_profile(), "broken": b"not an icc profile" * 4}
    for label, profile in profiles.items():
        if not profile:
            continue
        for mode in ("RGB", "L", "RGBA"):
            for fmt, suffix, params in (("PNG", ".png", {}), ("JPEG", ".jpg", {"quality": 95}), ("TIFF", ".tif", {}),
                                        ("WEBP", ".webp", {"lossless": True, "exact": True})):
                data = _save(_pixels(mode, (9, 7), rng, smooth=True), fmt, icc_profile=profile, **params)
                if data:
                    cases.append(_one(f"icc/{label}/{mode}/{fmt}", "icc", suffix, data, _DECODE_TO[len(cases) % 4]))
    for orientation in range(1, 9):
        for fmt, suffix, params in (("JPEG", ".jpg", {"quality": 95}), ("PNG", ".png", {}), ("TIFF", ".tif", {}),
                                    ("WEBP", ".webp", {"lossless": True, "exact": True})):
            image = _pixels("RGB", (11, 6), rng, smooth=True)
            exif = Image.Exif()
            exif[0x0112] = orientation
            data = _save(image, fmt, exif=exif.tobytes(), **params)
            if data:
                cases.append(_one(f"exif/orientation{orientation}/{fmt}", "exif", suffix, data))
    from PIL import PngImagePlugin

    for label, chunks in (("gamma-1.0", [(b"gAMA", (100000).to_bytes(4, "big"))]),
                          ("gamma-1-over-2.2", [(b"gAMA", (45455).to_bytes(4, "big"))]),
                          ("chromaticities", [(b"cHRM", struct.pack(">8I", 31270, 32900, 64000, 33000, 30000, 60000,
                                                                     15000, 6000))]),
                          ("srgb-and-gamma", [(b"sRGB", b"\x00"), (b"gAMA", (45455).to_bytes(4, "big"))])):
        info = PngImagePlugin.PngInfo()
        for kind, value in chunks:
            info.add(kind, value)
        data = _save(_pixels("RGB", (7, 7), rng, smooth=True), "PNG", pnginfo=info)
        cases.append(_one(f"icc/png-{label}", "icc", ".png", data))
    for fmt, suffix in (("JPEG", ".jpg"), ("PNG", ".png"), ("WEBP", ".webp")):
        data = _save(_pixels("RGB", (8, 8), rng, smooth=True), fmt, exif=b"Exif\x00\x00II*\x00\xff\xff\xff\x7f")
        if data:
            cases.append(_one(f"exif/broken/{fmt}", "exif", suffix, data))
    return cases


def frame_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for count in (1, 2, 3):
        for mode, fmt, suffix, params in (("P", "GIF", ".gif", {}), ("RGBA", "PNG", ".png", {}),
                                          ("RGB", "TIFF", ".tif", {}), ("RGBA", "WEBP", ".webp", {"lossless": True}),
                                          ("RGB", "PDF", ".pdf", {})):
            frames = [_pixels(mode, (10, 8), rng, smooth=False) for _ in range(count)]
            data = _save(frames[0], fmt, save_all=True, append_images=frames[1:], **params)
            if data:
                cases.append(_one(f"frames/{count}/{fmt}", "frames", suffix, data))
    return cases


def huge_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    dims = ((0, 0), (0, 5), (5, 0), (1 << 31) - 1, (100_000, 100_000), (65_535, 65_535), (1, 1 << 30), (30_000, 1))
    dims = [d if isinstance(d, tuple) else (d, 1) for d in dims]
    for w, h in dims:
        rows = b"\x00\x00\x00\x00" * 4
        cases.append(_one(f"huge/png/{w}x{h}", "huge", ".png", png_bytes(w, h, 2, 8, rows=rows)))
        bmp = bytearray(_save(Image.new("RGB", (2, 2)), "BMP"))
        struct.pack_into("<ii", bmp, 18, min(w, (1 << 31) - 1), min(h, (1 << 31) - 1))
        cases.append(_one(f"huge/bmp/{w}x{h}", "huge", ".bmp", bytes(bmp)))
        cases.append(_one(f"huge/ppm/{w}x{h}", "huge", ".ppm", f"P6 {w} {h} 255\n".encode() + b"\x80" * 12))
        if w < 65_536 and h < 65_536:
            gif = bytearray(_save(Image.new("P", (2, 2)), "GIF"))
            struct.pack_into("<HH", gif, 6, w, h)
            cases.append(_one(f"huge/gif-screen/{w}x{h}", "huge", ".gif", bytes(gif)))
            jpeg = bytearray(_save(Image.new("RGB", (8, 8), (90, 120, 200)), "JPEG"))
            sof = jpeg.find(b"\xff\xc0")
            struct.pack_into(">HH", jpeg, sof + 5, h, w)
            cases.append(_one(f"huge/jpeg/{w}x{h}", "huge", ".jpg", bytes(jpeg)))
    for w, h in ((1 << 20, 1 << 20), (0, 3)):
        tif = _save(Image.new("RGB", (2, 2)), "TIFF", tiffinfo={256: w, 257: h})
        if tif:
            cases.append(_one(f"huge/tiff/{w}x{h}", "huge", ".tif", tif))
    return cases


def cut_and_mutated_cases(sources: list[Case], rng: np.random.Generator) -> list[Case]:
    """Every source file truncated at several lengths, and with random bytes changed."""
    cases = []
    for src in sources:
        (name, data), = src.files.items()
        suffix = os.path.splitext(name)[1]
        for length in sorted({0, 1, 8, len(data) // 4, len(data) // 2, len(data) - 13, len(data) - 1}):
            if 0 <= length < len(data):
                cases.append(_one(f"truncated/{src.name}/{length}", "truncated", suffix, data[:length]))
        for k in range(3):
            mutated = bytearray(data)
            for _ in range(1 + k * 2):
                mutated[int(rng.integers(0, len(mutated)))] = int(rng.integers(0, 256))
            cases.append(_one(f"mutated/{src.name}/{k}", "mutated", suffix, bytes(mutated)))
    return cases


def _mkfifo(name: str) -> Callable[[Path], None]:
    return lambda d: os.mkfifo(d / name)


def _mknod_null(name: str) -> Callable[[Path], None]:
    def setup(d: Path) -> None:
        import stat

        try:
            os.mknod(d / name, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a /dev/null of our own
        except PermissionError:
            os.mkfifo(d / name)  # not root: no device can be made; a FIFO stands in
    return setup


def garbage_and_clobber_cases(rng: np.random.Generator) -> list[Case]:
    png = _save(_pixels("RGB", (6, 5), rng, smooth=True), "PNG")
    jpg = _save(_pixels("RGB", (6, 5), rng, smooth=True), "JPEG")
    sentinel = b"precious: must survive\n"
    cases = [
        _one("garbage/empty", "garbage", ".png", b""),
        _one("garbage/random", "garbage", ".png", rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()),
        _one("garbage/text", "garbage", ".jpg", b"hello, this is not an image\n" * 20),
        _one("garbage/inv-named-png", "garbage", ".png", b"INVC" + rng.integers(0, 256, 200, dtype=np.uint8).tobytes()),
        _one("garbage/pdf-header", "garbage", ".png", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"0" * 100),
        _one("garbage/png-signature-only", "garbage", ".png", b"\x89PNG\r\n\x1a\n"),
        Case("garbage/folder-named-png", "garbage", {}, ["in.png", "-o", "out.inv"], setup=lambda d: (d / "in.png").mkdir()),
        Case("garbage/dangling-link", "garbage", {}, ["in.png", "-o", "out.inv"],
             setup=lambda d: os.symlink(d / "missing.png", d / "in.png")),
        Case("garbage/missing", "garbage", {}, ["nothing-here.png", "-o", "out.inv"]),
        Case("clobber/existing-output", "clobber", {"in.png": png, "out.inv": sentinel}, ["in.png", "-o", "out.inv"]),
        Case("clobber/default-output-exists", "clobber", {"in.png": png, "in.inv": sentinel}, ["in.png"], output="in.inv"),
        Case("clobber/fifo-output-forced", "clobber", {"in.png": png}, ["in.png", "-o", "out.inv", "-f"],
             setup=_mkfifo("out.inv")),
        Case("clobber/device-output-forced", "clobber", {"in.png": png}, ["in.png", "-o", "null", "-f"],
             setup=_mknod_null("null"), output="null"),
        Case("clobber/folder-output-forced", "clobber", {"in.png": png}, ["in.png", "-o", "out.inv", "-f"],
             setup=lambda d: (d / "out.inv").mkdir(), output="out.inv/in.inv"),  # -o FOLDER: the file goes in it
        Case("clobber/output-is-input", "clobber", {"in.png": png}, ["in.png", "-o", "in.png", "-f"], output="in.png"),
        Case("clobber/output-is-input-via-link", "clobber", {"in.png": png}, ["in.png", "-o", "alias.png", "-f"],
             setup=lambda d: os.symlink("in.png", d / "alias.png"), output="alias.png"),
        Case("clobber/batch-collision", "clobber", {"x.png": png, "x.jpg": jpg}, ["x.png", "x.jpg"], output=None,
             outputs=("x.inv",)),
        Case("clobber/batch-into-folder", "clobber", {"a.png": png, "b.jpg": jpg}, ["a.png", "b.jpg", "-o", "dir"],
             setup=lambda d: (d / "dir").mkdir(), output=None, outputs=("dir/a.inv", "dir/b.inv")),
        Case("clobber/missing-folder-slash", "clobber", {"in.png": png}, ["in.png", "-o", "newdir/"]),
        Case("clobber/long-name", "clobber", {"n" * 246 + ".png": png}, ["n" * 246 + ".png"], output="n" * 246 + ".inv"),
        Case("clobber/read-only-folder", "clobber", {"in.png": png}, ["in.png", "-o", "ro/out.inv"],
             setup=lambda d: ((d / "ro").mkdir(), os.chmod(d / "ro", 0o555)), output="ro/out.inv"),
        Case("clobber/name-too-long", "clobber", {"in.png": png}, ["in.png", "-o", "n" * 300 + ".inv"]),
        Case("clobber/output-is-dev-stdout", "clobber", {"in.png": png}, ["in.png", "-o", "/dev/stdout"], output=None),
        Case("garbage/unknown-model-in-a-batch", "garbage", {"a.png": png, "b.jpg": jpg}, ["a.png", "b.jpg", "-m", "nosuch"],
             output=None, outputs=("a.inv", "b.inv")),
    ]
    return cases


def all_cases(seed: int = 0) -> list[Case]:
    rng = np.random.default_rng(seed)
    modes = mode_cases(rng)
    depth = png_depth_cases(rng)
    special = colour_key_cases(rng) + icc_exif_cases(rng) + frame_cases(rng) + huge_cases(rng)
    readable = [c for c in modes + depth if len(next(iter(c.files.values()))) > 16]
    sources = [readable[i] for i in sorted(rng.choice(len(readable), min(80, len(readable)), replace=False))]
    return modes + depth + special + cut_and_mutated_cases(sources, rng) + garbage_and_clobber_cases(rng)
