"""Files are forever: every file written by an earlier release decodes to the same pixels.

``tests/golden/v0.1.0`` holds files written by release 0.1.0 (all four shipped models,
lossless and lossy, RAW/CONSTANT/FLOW streams, grey, alpha, several tiles) with the
pixels 0.1.0 decoded from them. ``golden/make_golden.py`` holds every set's sources and
writes (``--check``: rewrites and compares) each set.
``tests/golden/format-3`` holds files in format 3 (0.2.0's compact header) with the
stream kinds 0.2.0 added: 3-plane constants, classic streams (filtered, palette,
bundled), JOINED alpha, photo-v2's int8 flow, an ICC profile, a lossy file.
``tests/golden/format-3-adaptive-prior`` holds flow files with the adaptive-prior flag (mean
and scale offsets in every flow stream) for both numeric formats, lossless and lossy;
``tests/golden/format-3-models-v3`` files of the models added after it (photo-v3, and
photo-lossy-v2, the first int8 lossy model); ``tests/golden/format-3-rdoq`` lossy files
written with RDOQ (the manifest records the weight) by the model added with it;
``tests/golden/format-3-checkerboard`` those of photo-lossy-v4, the first model with
checkerboard context (each detail channel coded in two halves);
``tests/golden/format-3-top-position`` those of faces-v2, the first model whose top
prior sees the tile's borders; ``tests/golden/format-3-faces-v3`` those of faces-v3;
``tests/golden/format-3-lossy-v5`` those of photo-lossy-v5, one tuned for MS-SSIM;
``tests/golden/format-3-autoregressive`` those of photo-v4, the first autoregressive model;
``tests/golden/format-3-top-autoregressive`` those of photo-lossy-v6, the first lifting
model whose coarsest anchors are coded autoregressively; ``tests/golden/format-3-lossy-v7``
those of photo-lossy-v7; ``tests/golden/format-3-adapted`` photo-v4 at effort 8, the first
ADAPTED stream (the model fine-tuned on the tile, the weight delta in the stream);
``tests/golden/format-3-photo-v5`` and ``-photo-v5-adapted`` those of photo-v5 (64 hidden units), plain and at effort 8;
``tests/golden/format-3-photo-v6`` and ``-photo-v6-adapted`` those of photo-v6, the first model
with the online LMS stage, plain and at effort 8;
``tests/golden/format-3-photo-v7`` and ``-photo-v7-adapted`` those of photo-v7 (96 hidden units), plain and at effort 8;
``tests/golden/format-3-16bit`` 16-bit files (grey, grey + alpha, RGB, RGBA; their PNGs
are read at their depth) and metadata blocks with EXIF and XMP."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from invcodec import codec, container, pixels
from invcodec.codec import compress_samples, decompress_samples
from invcodec.container import StreamKind
from invcodec.registry import get_model, shipped_models

from .golden.make_golden import sources

GOLDEN = Path(__file__).parent / "golden"
CASES = [
    (release.name, entry)
    for release in sorted(p for p in GOLDEN.iterdir() if (p / "MANIFEST.json").exists())
    for entry in json.loads((release / "MANIFEST.json").read_text())["files"]
]


def _png_samples(path: Path) -> np.ndarray:
    """The PNG's samples at its depth (Pillow reads 16-bit colour as 8-bit: the codec's intake does not)."""
    return pixels.intake(path, "golden").samples


def test_every_shipped_release_has_golden_files() -> None:
    releases = {release for release, _ in CASES}
    assert "v0.1.0" in releases
    models = {entry["model"] for _, entry in CASES}
    assert set(shipped_models()) <= models  # every shipped model, so a retrained file under its name fails here
    assert {entry["mode"] for _, entry in CASES} == {"lossless", "lossy"}


@pytest.mark.parametrize("release, entry", CASES, ids=[f"{r}/{e['name']}" for r, e in CASES])
def test_golden_file_decodes_to_the_same_pixels(release: str, entry: dict) -> None:
    folder = GOLDEN / release
    data = (folder / entry["name"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == entry["inv_sha256"]
    out = decompress_samples(data, threads=1)
    assert out.shape == (entry["height"], entry["width"], entry["channels"])
    assert hashlib.sha256(out.tobytes()).hexdigest() == entry["decoded_sha256"]
    assert np.array_equal(out, _png_samples(folder / entry["png"]))


# (an ADAPTED stream's weights come from a float fine-tuning: its pixels are forever, its bytes may differ by machine)
LOSSLESS = [(r, e) for r, e in CASES if e["mode"] == "lossless" and "ADAPTED" not in e["streams"]]


@pytest.mark.parametrize("release, entry", LOSSLESS, ids=[f"{r}/{e['name']}" for r, e in LOSSLESS])
def test_old_models_still_encode_the_same_flow_streams(release: str, entry: dict) -> None:
    """The flow encoder of an old model is unchanged (lossless: the source is the PNG):
    every stream is the old one byte for byte, or a classic stream (added in 0.2.0) that
    replaced it because it is smaller; the file is never larger."""
    folder = GOLDEN / release
    samples = _png_samples(folder / entry["png"])
    flow_only = release != "v0.1.0" and {k.split(":")[0] for k in entry["streams"]} == {"FLOW"}  # written with classic=False
    data, _ = compress_samples(samples, get_model(entry["model"]), entry["tile_size"], threads=1, classic=not flow_only,
                               adaptive_prior=_adaptive(folder / entry["name"]))
    _same_streams_or_smaller_classic(data, folder / entry["name"], entry)


def _adaptive(path: Path) -> bool:
    """Whether the golden file's flow streams carry prior corrections (written since the flag exists)."""
    return container.unpack(path.read_bytes())[0].adaptive_prior


def _same_streams_or_smaller_classic(data: bytes, old_file: Path, entry: dict) -> None:
    """Since 0.2.0 files are written in format version 3 (a compact header), so the bytes
    differ; what must not: the header's fields, and every stream, unless a classic stream
    (or a tile's joined classic stream of all channels) replaced it because it is smaller."""
    old = old_file.read_bytes()
    (new_header, new_streams), (old_header, old_streams) = container.unpack(data), container.unpack(old)
    assert new_header.version == container.FORMAT_VERSION and old_header.version in container.READ_VERSIONS
    assert len(data) <= len(old)
    for name in ("width", "height", "channels", "tile_size", "pixel_crc32", "mode", "quantizer"):
        assert getattr(new_header, name) == getattr(old_header, name), name
    assert new_header.model_id in (old_header.model_id, b"")  # present exactly when a flow stream is
    assert len(new_streams) == len(old_streams)
    per_tile = new_header.streams_per_tile
    for i in range(0, len(new_streams), per_tile):
        new, previous = new_streams[i : i + per_tile], old_streams[i : i + per_tile]
        if [(n.kind, n.payload) for n in new] == [(p.kind, p.payload) for p in previous]:
            continue
        if new[-1].kind == StreamKind.JOINED:
            assert new[0].kind == StreamKind.CLASSIC and len(new[0].payload) < sum(len(p.payload) for p in previous)
            continue
        for n, p in zip(new, previous):
            assert (n.kind, n.payload) == (p.kind, p.payload) or \
                (n.kind == StreamKind.CLASSIC and len(n.payload) < len(p.payload))


LOSSY = [e for r, e in CASES if r == "v0.1.0" and e["mode"] == "lossy"]


def _quantizer_of(entry: dict, monkeypatch) -> None:
    """Re-encode with the quantizer the golden file was written with: RDOQ with the weight
    its manifest records, or dead-zone rounding (no record: written before RDOQ)."""
    monkeypatch.setattr(codec, "RDO_WEIGHT", entry.get("rdo_weight", 0.0))


@pytest.mark.parametrize("entry", LOSSY, ids=[e["name"] for e in LOSSY])
def test_old_lossy_model_still_encodes_the_same_flow_streams(entry: dict, monkeypatch) -> None:
    _quantizer_of(entry, monkeypatch)
    samples = sources("v0.1.0")[entry["name"]]
    assert hashlib.sha256(np.ascontiguousarray(samples).tobytes()).hexdigest() == entry["source_sha256"]
    data, _ = compress_samples(samples, get_model(entry["model"]), entry["tile_size"], quality=entry["quality"], threads=1,
                               adaptive_prior=False)
    _same_streams_or_smaller_classic(data, GOLDEN / "v0.1.0" / entry["name"], entry)  # alpha may go classic


LOSSY_FORMAT3 = [(r, e) for r, e in CASES if r != "v0.1.0" and e["mode"] == "lossy"]


@pytest.mark.parametrize("release, entry", LOSSY_FORMAT3, ids=[f"{r}/{e['name']}" for r, e in LOSSY_FORMAT3])
def test_lossy_models_still_encode_the_same_files(release: str, entry: dict, monkeypatch) -> None:
    """A lossy encoder (the model, its quantizer offsets, its dead zone or RDOQ, the step
    tuning the manifest names) is unchanged: the golden source codes to the golden file's
    streams again."""
    _quantizer_of(entry, monkeypatch)
    samples = sources(release)[entry["name"]]
    assert hashlib.sha256(np.ascontiguousarray(samples).tobytes()).hexdigest() == entry["source_sha256"]
    data, _ = compress_samples(samples, get_model(entry["model"]), entry["tile_size"], quality=entry["quality"], threads=1,
                               classic=False, adaptive_prior=_adaptive(GOLDEN / release / entry["name"]),
                               tune=entry.get("tune", "psnr"))  # (no record: written before tunings, for PSNR)
    _same_streams_or_smaller_classic(data, GOLDEN / release / entry["name"], entry)
