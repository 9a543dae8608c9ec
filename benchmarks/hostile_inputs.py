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
    stdio        compress, decompress, info, restore and sample with stdin or stdout
                 closed (<&-, >&-) or stdout on a full device (>/dev/full)
    signal       SIGTERM, SIGINT and SIGHUP on a `-j 2` batch of compress and of
                 decompress, once its first file is done
    crafted      .inv files made to cost the decoder: a 65536 x 4096 image of constant
                 tiles with a wrong pixel CRC (8 KB in RGBA), 16-pixel tiles of a 16384^2
                 image (2 million streams in 8 MB), and the most tiles a file may have
                 (``container.MAX_TILES``), each through info and decompress within a budget
"""

from __future__ import annotations

import io
import math
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
    command: str = "compress"  # the subcommand ARGS go to ("restore denoise": with its own subcommand)
    stdin: str = "null"  # "null" or "closed" (<&-)
    stdout: str = "pipe"  # "pipe", "closed" (>&-) or "full" (>/dev/full)
    signal: int | None = None  # sent once the command reports its first finished file
    budget: tuple[float, float] | None = None  # (CPU seconds, MB of peak RSS) the command may take
    words: tuple[str, ...] = ()  # a refusal's line must hold these (default: the name of a file argument)
    check: Callable[[Path, str], str | None] | None = None  # a success of another command than compress:
    #                                                        what is wrong with its outputs (folder, stdout), or None


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


def _ramps(folder: Path, count: int = 16) -> list[np.ndarray]:
    """``count`` noisy 512 x 768 photos-to-be in ``folder``/in: seconds of work for a batch
    however fast the machine, so that a signal comes mid-batch."""
    (folder / "in").mkdir()
    (folder / "out").mkdir()
    rng = np.random.default_rng(0)
    ramp = np.add.outer(np.arange(512), np.arange(768))[..., None] * [1, 2, 3] // 4
    images = [(ramp + rng.normal(0, 6, ramp.shape[:2] + (3,))).clip(0, 255).astype(np.uint8) for _ in range(count)]
    for i, image in enumerate(images):
        Image.fromarray(image).save(folder / "in" / f"{i}.png")
    return images


def _coded_ramps(folder: Path) -> None:
    """The ramps as .inv files (coded here, in the suite's process), the PNGs removed."""
    from invcodec.codec import compress_samples

    for i, image in enumerate(_ramps(folder)):
        (folder / "in" / f"{i}.inv").write_bytes(compress_samples(image, threads=1)[0])
        (folder / "in" / f"{i}.png").unlink()


def stdio_and_signal_cases(rng: np.random.Generator) -> list[Case]:
    """Standard streams the command cannot use (one line, exit 1, no file), and signals
    on a batch (exit 128 + signal, no partial or late file)."""
    import signal

    png = _save(_pixels("RGB", (6, 5), rng, smooth=True), "PNG")
    inv = _compressed(_pixels("RGB", (6, 5), rng, smooth=True))
    files = {"in.png": png, "in.inv": inv}
    sample = ["-m", "photo-v4", "-n", "1", "--size", "16", "-o", "-"]
    writers = [("compress", ["in.png", "-o", "-"]), ("decompress", ["in.inv", "-c"]), ("info", ["in.inv"]),
               ("restore denoise", ["in.png", "--sigma", "25", "-o", "-"]), ("sample", sample)]
    readers = [("compress", ["-", "-o", "out.inv"]), ("decompress", ["-", "-o", "out.png"]), ("info", ["-"]),
               ("restore denoise", ["-", "--sigma", "25", "-o", "out.png"])]
    cases = [Case(f"stdio/stdout-closed/{cmd.split()[0]}", "stdio", files, args, output=None, command=cmd, stdout="closed",
                  words=("standard output is closed",)) for cmd, args in writers]
    cases += [Case(f"stdio/stdin-closed/{cmd.split()[0]}", "stdio", files, args, output=None, command=cmd, stdin="closed",
                   words=("stdin", "closed")) for cmd, args in readers]
    if os.path.exists("/dev/full"):
        cases += [Case(f"stdio/stdout-full/{cmd.split()[0]}", "stdio", files, args, output=None, command=cmd, stdout="full",
                       words=("No space left on device",)) for cmd, args in writers]
    batch = tuple(f"out/{i}.inv" for i in range(16))
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        cases.append(Case(f"signal/{sig.name}/compress-j2", "signal", {}, ["in", "-o", "out", "-j", "2"], setup=_ramps,
                          output=None, outputs=batch, signal=sig))
        cases.append(Case(f"signal/{sig.name}/decompress-j2", "signal", {}, ["in", "-o", "out", "-j", "2"],
                          setup=_coded_ramps, output=None, outputs=tuple(p[:-4] + ".png" for p in batch),
                          command="decompress", signal=sig))
    return cases


def _compressed(image: Image.Image) -> bytes:
    from invcodec.codec import compress_samples

    return compress_samples(np.asarray(image), threads=1)[0]


DECODE_BUDGET = (5.0, 500.0)  # CPU seconds and MB a crafted file may cost (issue 40), whatever its image's size


def _constant_tiles(width: int, height: int, channels: int, tile: int, right_crc: bool) -> Callable[[Path], None]:
    """A setup writing in.inv: ``tile``-pixel constant tiles of PIXEL[:channels], its pixel
    CRC right or not (made in the case's run: a CRC over a gigabyte takes a while). ``pack``
    checks no geometry, so it writes what only a crafted file holds (more tiles than a file
    may have)."""
    def setup(folder: Path) -> None:
        from invcodec import container
        from invcodec.codec import pixel_crc

        pixel = np.frombuffer(PIXEL[:channels], np.uint8)
        crc = pixel_crc(np.broadcast_to(pixel, (height, width, channels)))
        header = container.Header(width, height, channels, tile, b"", crc if right_crc else crc ^ 1)
        parts = {1: [PIXEL[:1]], 4: [PIXEL[:3], PIXEL[3:]]}[channels]  # (grey, or RGB and alpha)
        streams = [container.Stream(container.StreamKind.CONSTANT, p) for p in parts] * header.tile_count
        (folder / "in.inv").write_bytes(container.pack(header, streams))
    return setup


PIXEL = bytes([16, 32, 48, 128])  # the crafted images' colour: grey-blue, half transparent where there is alpha


def _is_constant(channels: int, size: tuple[int, int]) -> Callable[[Path, str], str | None]:
    """A decompress output check: out.png is the constant image."""
    def check(folder: Path, stdout: str) -> str | None:
        with Image.open(folder / "out.png") as image:
            samples = np.asarray(image).reshape(size[1], size[0], -1)
        same = samples.shape[2] == channels and (samples == np.frombuffer(PIXEL[:channels], np.uint8)).all()
        return None if same else "decoded pixels differ from the crafted constant image"
    return check


def _lists_streams(count: int) -> Callable[[Path, str], str | None]:
    return lambda folder, stdout: None if f"streams: {count} " in stdout else f"info does not list {count} streams"


def crafted_cases() -> list[Case]:
    """.inv files made to cost the decoder time or memory: each must be refused, or decoded
    exactly, within DECODE_BUDGET."""
    from invcodec import container

    cases = []
    side = 16 * math.isqrt(container.MAX_TILES)  # the largest square of 16-pixel tiles a file may have
    for name, (width, height, channels, tile, right) in {
        "constant-65536x4096-rgba-wrong-crc": (65536, 4096, 4, 512, False),  # the 8 KB file
        "constant-65536x4096-grey-wrong-crc": (65536, 4096, 1, 512, False),
        "tiles-16px-16384x16384-rgba": (16384, 16384, 4, 16, True),  # 2 million streams in 8 MB
        f"most-tiles-16px-{side}x{side}-rgba": (side, side, 4, 16, True),
    }.items():
        tiles = -(-width // tile) * -(-height // tile)
        setup = _constant_tiles(width, height, channels, tile, right)
        cases.append(Case(f"crafted/{name}/info", "crafted", {}, ["in.inv"], setup=setup, output=None, command="info",
                          budget=DECODE_BUDGET, check=_lists_streams(tiles * (2 if channels == 4 else 1))))
        cases.append(Case(f"crafted/{name}/decompress", "crafted", {}, ["in.inv", "-o", "out.png"], setup=setup,
                          output="out.png", command="decompress",
                          budget=DECODE_BUDGET,  # (a PNG output is written as the image decodes)
                          check=_is_constant(channels, (width, height))))
    return cases


def all_cases(seed: int = 0) -> list[Case]:
    rng = np.random.default_rng(seed)
    modes = mode_cases(rng)
    depth = png_depth_cases(rng)
    special = colour_key_cases(rng) + icc_exif_cases(rng) + frame_cases(rng) + huge_cases(rng)
    readable = [c for c in modes + depth if len(next(iter(c.files.values()))) > 16]
    sources = [readable[i] for i in sorted(rng.choice(len(readable), min(80, len(readable)), replace=False))]
    return (modes + depth + special + cut_and_mutated_cases(sources, rng) + garbage_and_clobber_cases(rng)
            + stdio_and_signal_cases(rng) + crafted_cases())
