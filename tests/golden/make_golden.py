"""The golden files' generator: every set in ``tests/golden`` (``SET/*.inv``, the pixels
they decode to as lossless ``SET/*.png``, and ``SET/MANIFEST.json``) from one table of sets.

    python -m tests.golden.make_golden SET [--out DIR]  # write a set; in a clean checkout (it records the commit)
    python -m tests.golden.make_golden --check [SET ...]  # write sets into a temporary folder, compare with the checked-in ones

The golden files are never regenerated in place: writing is a record of where a set came
from, for the set of a new model or format; ``--check`` proves that the table still
writes every set byte for byte (its manifest's files and every .inv and .png). Where the
encoder has changed since a set was written (``old_encoder``: release 0.1.0's set, and
format 3's, whose classic coder has since found a smaller stream), ``--check`` runs this
generator in a subprocess on an export of the commit the set's manifest names (0.1.0's
needs torch, as its codec did), and so does writing such a set.

Every lossless file must decode to its input exactly (asserted; a lossy file records what
it decodes to), and each case asserts the stream kinds it exists to cover, so that no
file quietly ends up all raw."""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image
from threadpoolctl import threadpool_limits

from .images import (bilevel, deep, grey, grey_constant_alpha, icon, letterboxed, palette_image, rgb, rgb_with_noise_tile,
                     rgba, stripes)

GOLDEN = Path(__file__).resolve().parent
REPO = GOLDEN.parents[1]


@dataclasses.dataclass(frozen=True)
class Case:
    stem: str  # the file name without .inv / .png
    model: str
    quality: int | None  # None: lossless
    tile: int | None  # None: the encoder chooses (format 3)
    samples: np.ndarray
    streams: frozenset[str]  # stream kinds that must appear ("KIND" or "KIND:alpha")
    covers: str


def case(stem, model, quality, tile, samples, streams, covers) -> Case:
    return Case(stem, model, quality, tile, samples, frozenset(streams), covers)


@dataclasses.dataclass(frozen=True)
class GoldenSet:
    cases: Callable[[], list[Case]]
    release: str = "format 3"  # "0.1.0": written by that release's code
    old_encoder: bool = False  # the encoder has changed since: --check writes the set with the code of its manifest's commit
    adaptive_prior: bool = True  # the header flag every file of the set has (format 3 came before it)
    rdo_weight: float = 0.0  # the lossy quantizer's RDOQ weight (0: dead-zone rounding, before RDOQ)
    flow_only: Callable[[str], bool] = lambda stem: True  # classic=False: the files exist to cover the flow
    classic_flags: dict[str, int] = dataclasses.field(default_factory=dict)  # stem -> the classic method byte's bits 0x30
    tunes: dict[str, str] = dataclasses.field(default_factory=dict)  # stem -> step tuning other than "psnr"
    effort: int | None = None  # the encoder's effort (None: an encoder from before efforts, the default)


ICC = b"a colour profile for the golden files, kept byte for byte " * 4  # for the stems that end in "_icc" or "_meta"
EXIF = bytes.fromhex("4d4d002a00000008000201120003000000010006000001100002000000080000002600000000") + b"golden\0\0"  # "_meta"
XMP = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/><!-- g\u00f6lden --></x:xmpmeta>'.encode()  # for "_meta"


def metadata(stem: str) -> dict[str, bytes]:
    """The metadata a case's file keeps, by its stem's ending."""
    return {"icc_profile": ICC, "exif": EXIF, "xmp": XMP} if stem.endswith("_meta") else \
        {"icc_profile": ICC} if stem.endswith("_icc") else {}


def v010_cases() -> list[Case]:
    rgb_37x29, grey_33x20, rgba_40x24 = rgb(29, 37), grey(20, 33), rgba(24, 40)
    return [
        case("photo-v1_rgb_37x29", "photo-v1", None, 512, rgb_37x29, {"FLOW"}, "lossless RGB, odd size (not a multiple of 16), one tile"),
        case("photo-v1_grey_33x20", "photo-v1", None, 512, grey_33x20, {"RAW"}, "lossless grey 33x20: 0.1.0 stores it RAW (the flow stream of 3 equal planes would be larger)"),
        case("photo-v1_grey_48x29", "photo-v1", None, 512, grey(29, 48), {"FLOW"}, "lossless grey (1 channel) through the flow, coded as 3 equal planes"),
        case("photo-v1_rgba_40x24_t16", "photo-v1", None, 16, rgba_40x24, {"FLOW", "FLOW:alpha"}, "lossless RGBA, varying alpha, 6 tiles of 16: colour and alpha flow streams (the smaller edge tiles go RAW)"),
        case("photo-v1_rgb_48x32_t16_rawtile", "photo-v1", None, 16, rgb_with_noise_tile(32, 48, 16), {"FLOW", "RAW"}, "lossless RGB, 6 tiles of 16, tile (0, 1) is noise and stored RAW"),
        case("photo-v1_la_48x29_constalpha", "photo-v1", None, 512, grey_constant_alpha(29, 48), {"FLOW", "CONSTANT:alpha"}, "lossless grey+alpha, grey through the flow, alpha constant 200 (CONSTANT stream)"),
        case("photo-lossy-v1_rgb_37x29_q10", "photo-lossy-v1", 10, 512, rgb_37x29, {"FLOW"}, "lossy RGB quality 10"),
        case("photo-lossy-v1_rgb_37x29_q40", "photo-lossy-v1", 40, 512, rgb_37x29, {"FLOW"}, "lossy RGB quality 40"),
        case("photo-lossy-v1_rgb_37x29_q80", "photo-lossy-v1", 80, 512, rgb_37x29, {"FLOW"}, "lossy RGB quality 80"),
        case("photo-lossy-v1_rgba_40x24_t16_q30", "photo-lossy-v1", 30, 16, rgba_40x24, {"FLOW", "FLOW:alpha"}, "lossy RGBA quality 30, 6 tiles of 16 (alpha stays lossless)"),
        case("photo-lossy-v1_grey_33x20_q50", "photo-lossy-v1", 50, 512, grey_33x20, {"FLOW"}, "lossy grey quality 50"),
        case("photo-lossy-v1_rgb_37x29", "photo-lossy-v1", None, 512, rgb_37x29, {"FLOW"}, "the lossy model used losslessly (no quality)"),
        case("cifar10-v1_rgb_32x32", "cifar10-v1", None, 512, rgb(32, 32, seed=5), {"FLOW"}, "lossless RGB 32x32 (the model's training size)"),
        case("cifar10-v1_rgb_37x29", "cifar10-v1", None, 512, rgb_37x29, {"FLOW"}, "lossless RGB, odd size"),
        case("faces-v1_rgb_64x64", "faces-v1", None, 512, rgb(64, 64, seed=6), {"FLOW"}, "lossless RGB 64x64 (the model's training size)"),
        case("faces-v1_rgb_37x29", "faces-v1", None, 512, rgb_37x29, {"FLOW"}, "lossless RGB, odd size"),
    ]


def format3_cases() -> list[Case]:
    return [
        case("photo-v2_rgb_64x48", "photo-v2", None, None, rgb(48, 64), {"FLOW"}, "lossless RGB through photo-v2's int8 flow"),
        case("photo-v2_grey_64x48", "photo-v2", None, None, grey(48, 64), {"FLOW"}, "lossless grey through the int8 flow (3 equal planes)"),
        case("photo-v2_rgb_64x64_t16_letterbox", "photo-v2", None, 16, letterboxed(64, 64), {"FLOW", "CONSTANT"}, "16 tiles of 16: black bars as 3-plane constants beside flow tiles; the model id present"),
        case("classic_rgb_40x30_flat", "photo-v2", None, None, np.full((30, 40, 3), (52, 101, 164), np.uint8), {"CONSTANT"}, "one colour: a 3-plane constant stream, no model id (29 bytes)"),
        case("classic_rgb_41x30_stripes", "photo-v2", None, None, stripes(30, 41), {"CLASSIC"}, "row filters + LZMA2 or deflate"),
        case("classic_rgb_48x40_palette", "photo-v2", None, None, palette_image(40, 48), {"CLASSIC"}, "40 colours: a palette, indices a byte each"),
        case("classic_grey_57x40_bilevel", "photo-v2", None, None, bilevel(40, 57), {"CLASSIC"}, "2 grey levels: a palette on one plane, 8 indices a byte"),
        case("classic_rgba_32x32_icon", "photo-v2", None, None, icon(32, 32), {"CLASSIC", "JOINED:alpha"}, "RGBA as one classic stream of 4 channels, the alpha slot JOINED"),
        case("photo-v2_rgb_48x40_icc", "photo-v2", None, None, rgb(40, 48, seed=8), {"FLOW"}, "an ICC profile in the metadata block (flag bit 2)"),
        case("photo-lossy-v1_rgb_37x29_q40", "photo-lossy-v1", 40, None, rgb(29, 37), {"FLOW"}, "lossy (flag bit 0, quantizer block) in format 3"),
    ]


def adaptive_prior_cases() -> list[Case]:
    return [
        case("photo-v2_rgb_160x128", "photo-v2", None, None, rgb(128, 160, seed=11), {"FLOW"}, "int8 flow, corrections in the level-0 bands"),
        case("photo-v1_rgb_128x128", "photo-v1", None, None, rgb(128, 128, seed=12), {"FLOW"}, "fixed64 flow with corrections"),
        case("photo-v2_grey_128x128", "photo-v2", None, None, grey(128, 128, seed=13), {"FLOW"}, "grey (3 equal planes) with corrections"),
        case("photo-v2_rgba_128x128", "photo-v2", None, None, rgba(128, 128, seed=14), {"FLOW", "FLOW:alpha"}, "colour and alpha both flow streams with corrections"),
        case("photo-v2_rgb_640x128_two_tiles", "photo-v2", None, None, rgb(128, 640, seed=15), {"FLOW"}, "two tiles (512 and 128 wide), each with its own corrections"),
        case("photo-lossy-v1_rgb_128x128_q40", "photo-lossy-v1", 40, None, rgb(128, 128, seed=16), {"FLOW"}, "lossy: corrections of the quantized residuals' prior"),
    ]


def models_v3_cases() -> list[Case]:
    return [
        case("photo-v3_rgb_160x128", "photo-v3", None, None, rgb(128, 160, seed=21), {"FLOW"}, "photo-v3 (int8) lossless"),
        case("photo-v3_rgba_128x128", "photo-v3", None, None, rgba(128, 128, seed=22), {"FLOW", "FLOW:alpha"}, "photo-v3, colour and alpha both flow streams"),
        case("photo-lossy-v2_rgb_128x128_q20", "photo-lossy-v2", 20, None, rgb(128, 128, seed=23), {"FLOW"}, "int8 lossy, low quality"),
        case("photo-lossy-v2_rgb_160x128_q60", "photo-lossy-v2", 60, None, rgb(128, 160, seed=24), {"FLOW"}, "int8 lossy, high quality"),
    ]


def rdoq_cases() -> list[Case]:
    return [
        case("photo-lossy-v3_rgb_128x128_q20", "photo-lossy-v3", 20, None, rgb(128, 128, seed=31), {"FLOW"}, "RDOQ, low quality"),
        case("photo-lossy-v3_rgb_160x128_q45", "photo-lossy-v3", 45, None, rgb(128, 160, seed=32), {"FLOW"}, "RDOQ, middle quality"),
        case("photo-lossy-v3_rgba_96x80_q70", "photo-lossy-v3", 70, None, rgba(80, 96, seed=33), {"FLOW", "FLOW:alpha"}, "RDOQ, high quality; alpha lossless through the flow"),
    ]


def three_qualities(model: str, seeds: tuple[int, int, int]) -> list[Case]:
    """A low, a middle and a high quality (RGBA), as the checkerboard set brought them."""
    low, middle, high = seeds
    return [
        case(f"{model}_rgb_128x128_q20", model, 20, None, rgb(128, 128, seed=low), {"FLOW"}, "RDOQ, low quality"),
        case(f"{model}_rgb_192x192_q45", model, 45, None, rgb(192, 192, seed=middle), {"FLOW"}, "RDOQ, middle quality, corrected chunks"),
        case(f"{model}_rgba_96x80_q70", model, 70, None, rgba(80, 96, seed=high), {"FLOW", "FLOW:alpha"}, "RDOQ, high quality; alpha lossless through the flow"),
    ]


LOSSY_V5_TUNED = "photo-lossy-v5_rgb_192x160_q35_ms-ssim"


def lossy_v5_cases() -> list[Case]:
    return three_qualities("photo-lossy-v5", (71, 72, 73)) + [
        case(LOSSY_V5_TUNED, "photo-lossy-v5", 35, None, rgb(160, 192, seed=74), {"FLOW"}, "RDOQ, --tune ms-ssim: the steps of the two finest levels coarser"),
    ]


def faces_cases(model: str, seeds: tuple[int, int, int]) -> list[Case]:
    square, wide, odd = seeds
    return [
        case(f"{model}_rgb_64x64", model, None, None, rgb(64, 64, seed=square), {"FLOW"}, "lossless RGB 64x64 (the model's training size)"),
        case(f"{model}_rgb_80x48", model, None, None, rgb(48, 80, seed=wide), {"FLOW"}, "lossless RGB, a size that is not square"),
        case(f"{model}_rgb_37x29", model, None, None, rgb(29, 37, seed=odd), {"FLOW"}, "lossless RGB, odd size (padded tile)"),
    ]


def deep_cases() -> list[Case]:
    """16-bit files (a tile: its high bytes' streams, then its low bytes') and the metadata block's EXIF and XMP."""
    return [
        case("photo-v4_grey16_64x48_12bit", "photo-v4", None, None, deep(grey(48, 64, seed=111), 12, 111), {"FLOW"},
             "16-bit grey of 12 significant bits (a CT's range): high bytes 0..15 and low bytes both through the model"),
        case("photo-v4_rgb16_64x48", "photo-v4", None, None, deep(rgb(48, 64, seed=112), 16, 112), {"FLOW", "RAW"},
             "16-bit RGB: the high bytes a photo for the model, the low bytes noise (raw)"),
        case("photo-v4_rgba16_40x32_icon", "photo-v4", None, None, icon(32, 40).astype(np.uint16) * 257, {"CLASSIC", "JOINED:alpha"},
             "16-bit RGBA icon: high and low bytes each one classic stream of 4 channels, JOINED alpha (4 streams a tile)"),
        case("photo-v4_la16_48x32_t16", "photo-v4", None, 16, deep(grey_constant_alpha(32, 48), 16, 113), {"CONSTANT:alpha"},
             "16-bit grey + alpha, 6 tiles of 16, alpha 200 plus noise: constant alpha high bytes, raw low bytes (streams per tile: colour and alpha of the high bytes, then of the low bytes)"),
        case("photo-v4_rgb_48x40_meta", "photo-v4", None, None, rgb(40, 48, seed=114), {"FLOW"},
             "8-bit RGB with ICC profile, EXIF (orientation 6) and XMP: a metadata block of three entries"),
        case("photo-v4_grey16_40x30_meta", "photo-v4", None, None, deep(grey(30, 40, seed=115), 16, 115), {"FLOW", "RAW"},
             "16-bit grey with ICC profile, EXIF and XMP"),
    ]


def autoregressive_cases() -> list[Case]:
    return [
        case("photo-v4_rgb_160x128", "photo-v4", None, None, rgb(128, 160, seed=81), {"FLOW"}, "photo-v4 (autoregressive) lossless"),
        case("photo-v4_rgba_128x96", "photo-v4", None, None, rgba(96, 128, seed=82), {"FLOW", "FLOW:alpha"}, "colour and alpha both through the model"),
        case("photo-v4_grey_96x80", "photo-v4", None, None, grey(80, 96, seed=83), {"FLOW"}, "grey: three equal planes, the chroma planes all zero"),
        case("photo-v4_rgb_200x72_tiles64", "photo-v4", None, 64, rgb(72, 200, seed=84), {"FLOW"}, "4 x 2 tiles of 64, the last column and row partial"),
    ]


def adapted_cases() -> list[Case]:
    return [
        case("photo-v4_rgb_160x128_effort8", "photo-v4", None, None, rgb(128, 160, seed=121), {"ADAPTED"},
             "photo-v4 fine-tuned on the tile: the weight delta, then the stream"),
        case("photo-v4_grey_128x96_effort8", "photo-v4", None, None, grey(96, 128, seed=122), {"FLOW"},
             "effort 8 where the adaptation does not pay: the plain stream"),
    ]


def photo_v5_cases() -> list[Case]:
    return [
        case("photo-v5_rgb_160x128", "photo-v5", None, None, rgb(128, 160, seed=131), {"FLOW"}, "photo-v5 (autoregressive, 64 units) lossless"),
        case("photo-v5_rgba_128x96", "photo-v5", None, None, rgba(96, 128, seed=132), {"FLOW", "FLOW:alpha"}, "colour and alpha both through the model"),
        case("photo-v5_rgb_200x72_tiles64", "photo-v5", None, 64, rgb(72, 200, seed=133), {"FLOW"}, "4 x 2 tiles of 64, the last column and row partial"),
    ]


def photo_v5_adapted_cases() -> list[Case]:
    return [
        case("photo-v5_rgb_256x192_effort8", "photo-v5", None, None, rgb(192, 256, seed=134), {"ADAPTED"},
             "photo-v5 fine-tuned on the tile: the weight delta, then the stream"),
    ]


def photo_v6_cases() -> list[Case]:
    return [
        case("photo-v6_rgb_160x128", "photo-v6", None, None, rgb(128, 160, seed=141), {"FLOW"},
             "photo-v6: photo-v5's nets, the means through the online LMS stage"),
        case("photo-v6_rgba_128x96", "photo-v6", None, None, rgba(96, 128, seed=142), {"FLOW", "FLOW:alpha"}, "colour and alpha both through the model"),
        case("photo-v6_rgb_200x72_tiles64", "photo-v6", None, 64, rgb(72, 200, seed=143), {"FLOW"},
             "4 x 2 tiles of 64, the last column and row partial: the stage starts afresh in each"),
    ]


def photo_v6_adapted_cases() -> list[Case]:
    return [
        case("photo-v6_rgb_256x192_effort8", "photo-v6", None, None, rgb(192, 256, seed=144), {"ADAPTED"},
             "photo-v6 fine-tuned on the tile: the weight delta, then the stream through the online stage"),
    ]


def photo_v7_cases() -> list[Case]:
    return [
        case("photo-v7_rgb_160x128", "photo-v7", None, None, rgb(128, 160, seed=151), {"FLOW"},
             "photo-v7: 96 hidden units (the kernel's inlined width), the online LMS stage"),
        case("photo-v7_rgba_128x96", "photo-v7", None, None, rgba(96, 128, seed=152), {"FLOW", "FLOW:alpha"}, "colour and alpha both through the model"),
        case("photo-v7_rgb_200x72_tiles64", "photo-v7", None, 64, rgb(72, 200, seed=153), {"FLOW"},
             "4 x 2 tiles of 64, the last column and row partial"),
    ]


def photo_v7_adapted_cases() -> list[Case]:
    return [
        case("photo-v7_rgb_384x256_effort8", "photo-v7", None, None, rgb(256, 384, seed=154), {"ADAPTED"},
             "photo-v7 fine-tuned on the tile: the weight delta of the 96-unit head (its ~1 kB pays only "
             "from this size on this image), then the online stage"),
    ]


def top_autoregressive_cases(model: str, seeds: tuple[int, int, int, int, int]) -> list[Case]:
    """The three qualities, a lossless file (the top band's rate input 0) and partial tiles."""
    lossless, tiles = seeds[3:]
    return three_qualities(model, seeds[:3]) + [
        case(f"{model}_rgb_96x80_lossless", model, None, None, rgb(80, 96, seed=lossless), {"FLOW"}, "lossless: the top band's rate input 0"),
        case(f"{model}_rgb_200x72_q30_tiles64", model, 30, 64, rgb(72, 200, seed=tiles), {"FLOW"},
             "4 x 2 tiles of 64, the last column and row partial: 4 x 4 top bands and smaller"),
    ]


RDOQ = 10.0  # the encoder's RDO weight since RDOQ exists (``codec.RDO_WEIGHT``), recorded per lossy file
FORMAT3_FLOW_ONLY = {"photo-v2_rgb_64x48", "photo-v2_grey_64x48", "photo-v2_rgb_48x40_icc"}  # synthetic enough for the classic path to win

SETS: dict[str, GoldenSet] = {
    "v0.1.0": GoldenSet(v010_cases, release="0.1.0", old_encoder=True, adaptive_prior=False),
    # the classic coder has since found a smaller stripes stream (WebP's subtract-green transform)
    "format-3": GoldenSet(format3_cases, old_encoder=True, adaptive_prior=False, flow_only=FORMAT3_FLOW_ONLY.__contains__,
                          classic_flags={"classic_rgb_48x40_palette": 0x10, "classic_grey_57x40_bilevel": 0x30, "classic_rgba_32x32_icon": 0x30}),
    "format-3-adaptive-prior": GoldenSet(adaptive_prior_cases),
    "format-3-models-v3": GoldenSet(models_v3_cases),
    "format-3-rdoq": GoldenSet(rdoq_cases, rdo_weight=RDOQ),
    "format-3-checkerboard": GoldenSet(lambda: three_qualities("photo-lossy-v4", (43, 44, 45)), rdo_weight=RDOQ),
    "format-3-top-position": GoldenSet(lambda: faces_cases("faces-v2", (51, 52, 53)), rdo_weight=RDOQ),
    "format-3-faces-v3": GoldenSet(lambda: faces_cases("faces-v3", (61, 62, 63)), rdo_weight=RDOQ),
    "format-3-lossy-v5": GoldenSet(lossy_v5_cases, rdo_weight=RDOQ, tunes={LOSSY_V5_TUNED: "ms-ssim"}),
    "format-3-autoregressive": GoldenSet(autoregressive_cases),
    "format-3-16bit": GoldenSet(deep_cases, flow_only=lambda stem: False),
    "format-3-top-autoregressive": GoldenSet(lambda: top_autoregressive_cases("photo-lossy-v6", (91, 92, 93, 94, 95)), rdo_weight=RDOQ),
    "format-3-lossy-v7": GoldenSet(lambda: top_autoregressive_cases("photo-lossy-v7", (101, 102, 103, 104, 105)), rdo_weight=RDOQ),
    # the fine-tuning runs in float (torch): another machine may write other bytes, never other pixels
    "format-3-adapted": GoldenSet(adapted_cases, effort=8),
    "format-3-photo-v5": GoldenSet(photo_v5_cases),
    "format-3-photo-v5-adapted": GoldenSet(photo_v5_adapted_cases, effort=8),
    "format-3-photo-v6": GoldenSet(photo_v6_cases),
    "format-3-photo-v6-adapted": GoldenSet(photo_v6_adapted_cases, effort=8),
    "format-3-photo-v7": GoldenSet(photo_v7_cases),
    "format-3-photo-v7-adapted": GoldenSet(photo_v7_adapted_cases, effort=8),
}


def sources(name: str) -> dict[str, np.ndarray]:
    """A set's input samples by .inv file name."""
    return {f"{c.stem}.inv": c.samples for c in SETS[name].cases()}


# ---------------------------------------------------------------------------- writing


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def save_png(samples: np.ndarray, path: Path) -> None:
    if samples.dtype == np.uint16:  # Pillow holds 16-bit grey only: the codec's own writer, read back at depth
        from invcodec import pixels

        path.write_bytes(pixels.write_image(samples, "PNG"))
        assert np.array_equal(pixels.intake(path, "golden").samples, samples), f"{path}: PNG does not hold the samples"
        return
    mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[samples.shape[2]]
    arr = samples[:, :, 0] if samples.shape[2] == 1 else np.ascontiguousarray(samples)
    Image.fromarray(arr, mode).save(path, format="PNG", optimize=True)
    back = np.asarray(Image.open(path)).reshape(samples.shape)
    assert Image.open(path).mode == mode and np.array_equal(back, samples), f"{path}: PNG does not hold the samples"


def stream_kinds(data: bytes) -> list[str]:
    from invcodec import container

    header, streams = container.unpack(data)
    return [s.kind.name + (":alpha" if header.has_alpha and i % 2 else "") for i, s in enumerate(streams)]


def checkout(clean: bool) -> str:
    """The commit of the imported invcodec; with ``clean``, stop unless its checkout has no local changes."""
    import invcodec

    where = Path(invcodec.__file__).resolve().parent
    try:
        head = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(where), "status", "--porcelain", "--", "."], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        head, dirty = "unknown", ""
    if clean and (dirty or head == "unknown"):
        sys.exit(f"{where} is not a clean git checkout: commit first, so that the files name the code that wrote them")
    return head


def encode(golden: GoldenSet, c: Case) -> tuple[bytes, float, bytes]:
    """(file, PSNR, model id) of a case, with the writer of its set's release."""
    import inspect

    from invcodec import codec, container, registry

    model = registry.get_model(c.model)
    if golden.release == "0.1.0":
        import torch

        from invcodec import weights

        torch.set_num_threads(1)
        data, stats = codec.compress_samples(c.samples, model, tile_size=c.tile, quality=c.quality)
        return data, stats.psnr, weights.model_id(model)
    codec.RDO_WEIGHT = golden.rdo_weight
    options = {"tune": golden.tunes[c.stem]} if c.stem in golden.tunes else {}
    options.update(metadata(c.stem))
    if "adaptive_prior" in inspect.signature(codec.compress_samples).parameters:  # an encoder from before the flag writes without it
        options["adaptive_prior"] = golden.adaptive_prior
    if golden.effort is not None:
        options["effort"] = golden.effort
    data, stats = codec.compress_samples(c.samples, model, tile_size=c.tile, quality=c.quality, threads=1,
                                         classic=not golden.flow_only(c.stem), **options)
    return data, stats.psnr, container.unpack(data)[0].model_id  # none in a file without flow streams


def write(name: str, out: Path, commit: str) -> None:
    """Write set ``name`` into ``out``: every case's .inv and .png, and MANIFEST.json."""
    import invcodec
    from invcodec import codec, container

    golden = SETS[name]
    assert golden.release != "0.1.0" or invcodec.__version__ == "0.1.0", "release 0.1.0's set needs its code (write_with_commit)"
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for c in golden.cases():
        data, psnr, model_id = encode(golden, c)
        inv_path, png_path = out / f"{c.stem}.inv", out / f"{c.stem}.png"
        inv_path.write_bytes(data)
        h, w, channels = c.samples.shape
        if golden.release == "0.1.0":
            decoded = codec.decompress_samples(data)  # the model is found by the file's model id
            icc_bytes = {}
        else:
            assert data[8] == container.FORMAT_VERSION == 3, c.stem
            decoded, header = codec.decode(data)
            kept = metadata(c.stem)
            assert {key: getattr(header, key, None) for key in kept} == kept, c.stem
            flow = bool(header.model_id)  # (the flag is written only with flow streams)
            assert getattr(header, "adaptive_prior", False) == (golden.adaptive_prior and flow), c.stem
            icc_bytes = {"icc_profile_bytes": len(kept.get("icc_profile", b""))}
            icc_bytes.update({f"{key}_bytes": len(kept[key]) for key in ("exif", "xmp") if key in kept})
            if getattr(header, "bit_depth", 8) == 16:
                icc_bytes["bit_depth"] = 16
            if c.stem in golden.classic_flags:
                method = container.unpack(data)[1][0].payload[0]
                assert method & 0x30 == golden.classic_flags[c.stem], f"{c.stem}: method byte {method:#x}"
        assert decoded.dtype == c.samples.dtype and decoded.shape == c.samples.shape, c.stem
        if c.quality is None:
            assert np.array_equal(decoded, c.samples), f"{c.stem}: lossless file does not decode to its input"
        kinds = stream_kinds(data)
        have = {k.split(":")[0] for k in kinds} | {k for k in kinds if ":" in k}
        assert c.streams <= have, f"{c.stem}: streams {kinds} lack {set(c.streams - have)}"
        save_png(decoded, png_path)
        entries.append({
            "name": inv_path.name,
            "png": png_path.name,
            "model": c.model,
            "model_id": model_id.hex(),
            "mode": "lossless" if c.quality is None else "lossy",
            "quality": c.quality,
            "channels": channels,
            "width": w,
            "height": h,
            "tile_size": c.tile if golden.release == "0.1.0" else header.tile_size,
            **icc_bytes,
            "inv_bytes": len(data),
            "inv_sha256": sha256(data),
            "decoded_sha256": sha256(np.ascontiguousarray(decoded).tobytes()),
            "source_sha256": sha256(np.ascontiguousarray(c.samples).tobytes()),
            "psnr_db": None if c.quality is None else round(float(psnr), 3),
            **({"rdo_weight": golden.rdo_weight} if c.quality is not None and golden.rdo_weight else {}),
            **({"tune": golden.tunes[c.stem]} if c.stem in golden.tunes else {}),
            "streams": kinds,
            "covers": c.covers,
        })
        print(f"{name}/{inv_path.name:40s} {len(data):6d} B  {' '.join(kinds[:6])}{' ...' if len(kinds) > 6 else ''}")
    manifest = {
        "release": golden.release if golden.release == "0.1.0" else f"format 3, written by invcodec {invcodec.__version__}",
        "commit": commit,
        "generator": "tests/golden/make_golden.py, run in a clean checkout of that commit",
        "decoded_sha256_of": "numpy uint8 array (height, width, channels), C order, .tobytes()"
                             + ("; uint16, little-endian, where bit_depth is 16" if any("bit_depth" in e for e in entries) else ""),
        "source_sha256_of": "the input samples, same layout (equal to decoded_sha256 for lossless files)",
        "files": entries,
    }
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")


# ---------------------------------------------------------------------------- checking

PROVENANCE = ("release", "commit", "generator")  # where a manifest says the set came from: not rewritten by a check


def differences(name: str, written: Path) -> list[str]:
    """What of the checked-in set ``name`` the files written into ``written`` do not reproduce."""
    old, new = (json.loads((folder / "MANIFEST.json").read_text()) for folder in (GOLDEN / name, written))
    wrong = [f"MANIFEST.json {key}" for key in old if key not in PROVENANCE and old[key] != new.get(key)]
    for entry in old["files"]:
        for file in (entry["name"], entry["png"]):
            if not (written / file).is_file() or (written / file).read_bytes() != (GOLDEN / name / file).read_bytes():
                wrong.append(file)
    return wrong


def manifest_commit(name: str) -> str:
    return json.loads((GOLDEN / name / "MANIFEST.json").read_text())["commit"]


def write_with_commit(name: str, commit: str, out: Path) -> None:
    """Write set ``name`` with the code of ``commit`` (and name that commit in its manifest):
    this generator, copied into a package of its own, in a subprocess whose ``invcodec`` is
    an export of that commit (from this repository's history)."""
    with tempfile.TemporaryDirectory() as tmp:
        code, generator = Path(tmp) / "code", Path(tmp) / "generator" / "golden_generator"
        code.mkdir()
        archive = subprocess.run(["git", "-C", str(REPO), "archive", commit], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(code)], input=archive, check=True)
        generator.mkdir(parents=True)
        for module in ("__init__.py", "images.py", "make_golden.py"):
            (generator / module).write_bytes((GOLDEN / module).read_bytes())
        # the working folder (``code``), first on the path, holds the old invcodec
        env = os.environ | {"PYTHONPATH": str(generator.parent), "OMP_NUM_THREADS": "1"}
        subprocess.run([sys.executable, "-m", "golden_generator.make_golden", name, "--out", str(out), "--commit", commit],
                       env=env, cwd=code, check=True)


def check(names: list[str]) -> int:
    failed = 0
    for name in names:
        with tempfile.TemporaryDirectory() as tmp:
            if SETS[name].old_encoder:
                write_with_commit(name, manifest_commit(name), Path(tmp))
            else:
                write(name, Path(tmp), commit="(check)")
            wrong = differences(name, Path(tmp))
        failed += bool(wrong)
        print(f"{name}: " + (f"differs: {', '.join(wrong)}" if wrong else "every file reproduced byte for byte"))
    print(f"{len(names) - failed} of {len(names)} golden sets reproduced")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sets", nargs="*", metavar="SET", help=f"one of: {', '.join(SETS)} (--check: default all)")
    ap.add_argument("--check", action="store_true", help="write the sets into a temporary folder and compare with the checked-in files")
    ap.add_argument("--out", type=Path, help="output folder when writing one set (default: its folder here)")
    ap.add_argument("--commit", help=argparse.SUPPRESS)  # the commit whose code runs this (write_with_commit)
    args = ap.parse_args(argv)
    unknown = [s for s in args.sets if s not in SETS]
    if unknown:
        ap.error(f"unknown set {unknown[0]!r} (sets: {', '.join(SETS)})")
    if not args.check and len(args.sets) != 1:
        ap.error("name one set to write")
    with threadpool_limits(limits=1):  # light on a shared machine; coding is exact anyway
        if args.check:
            return check(args.sets or list(SETS))
        name, out = args.sets[0], args.out or GOLDEN / args.sets[0]
        if SETS[name].old_encoder and not args.commit:
            write_with_commit(name, manifest_commit(name), out)
        else:
            write(name, out, args.commit or checkout(clean=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
