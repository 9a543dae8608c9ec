"""Mutation fuzzing of the decoder: every mutated .inv must be rejected with
InvalidFileError or decode to the original pixels -- never crash, hang or lie.

    invcodec bench fuzz --model photo-v1 --cases 10000 --out results/fuzz.json

Seeds are small images of every kind (RGB, grey, RGBA, LA, multi-tile, raw-stored noise,
RGB with an ICC profile, synthetic stripes: a classic stream, an icon: one classic stream of
colour and alpha, a bilevel scan: palette indices 8 to a byte, grey-ish UI: green
subtracted) coded
with --model, and lossy files of --lossy-model (for those, "the original" is what the
unmutated file decodes to). Shipped models are found by the file's model id, as
``invcodec decompress`` does; a model given as a file is passed to the decoder.
Mutations: bit flips, random bytes, truncation, insertion, deletion, and header-field
changes with the header CRC recomputed (so they reach the deeper checks). A case taking
longer than --timeout seconds counts as a hang. Everything runs on one thread."""

from __future__ import annotations

import argparse
import signal
import struct
import time
import zlib
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from invcodec import classic_coder, container
from invcodec.codec import compress_samples, decompress_samples
from invcodec.errors import InvalidFileError
from invcodec.registry import DEFAULT_LOSSY_MODEL, DEFAULT_MODEL, get_model, shipped_models
from invcodec.model_file import CodingModel

from .report import check_model, emit


def _smooth(h: int, w: int, c: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    planes = [128 + 60 * np.sin(xx / (5 + k)) * np.cos(yy / (7 + k)) + rng.normal(0, 3, (h, w)) for k in range(c)]
    return np.clip(np.stack(planes, 2), 0, 255).astype(np.uint8)


def _decoder_model(name: str) -> CodingModel | None:
    """None for a shipped model (the decoder finds it by id), else the model itself."""
    return None if name in shipped_models() else get_model(name)


def seeds(model: str, lossy_model: str) -> list[tuple[str, np.ndarray, bytes, CodingModel | None]]:
    """(name, the pixels a correct decode gives, the file, the model to pass the decoder)."""
    noise = np.random.default_rng(9).integers(0, 256, (12, 12, 3), dtype=np.uint8)
    images = {
        "rgb": (_smooth(24, 20, 3, 0), 512),
        "grey": (_smooth(8, 40, 1, 1), 512),
        "rgba": (_smooth(17, 15, 4, 2), 512),
        "la": (_smooth(16, 16, 2, 3), 512),
        "tiles": (_smooth(40, 36, 3, 4), 16),
        "noise-raw": (noise, 512),
        "1x1": (_smooth(1, 1, 3, 5), 512),
        "corrected": (_smooth(128, 128, 3, 8), 512),  # level 0's bands hold 4096 latents: the adaptive prior's corrections
    }
    lossless, lossy = get_model(model), get_model(lossy_model)
    out = [(name, img, compress_samples(img, lossless, tile_size=tile, threads=1, classic=False)[0], _decoder_model(model))
           for name, (img, tile) in images.items()]
    stripes = np.zeros((30, 41, 3), np.uint8)
    stripes[::3] = (200, 30, 90)  # synthetic content: coded the classic way
    out.append(("classic", stripes, compress_samples(stripes, lossless, threads=1)[0], _decoder_model(model)))
    icon = np.zeros((24, 24, 4), np.uint8)
    icon[4:20, 4:20] = (40, 90, 200, 255)
    icon[8:16, 8:16] = (255, 255, 255, 200)
    out.append(("joined", icon, compress_samples(icon, lossless, threads=1)[0], _decoder_model(model)))
    scan = np.where(np.random.default_rng(11).random((40, 50, 1)) < 0.1, 0, 255).astype(np.uint8)
    out.append(("bundled", scan, compress_samples(scan, lossless, threads=1)[0], _decoder_model(model)))
    rng = np.random.default_rng(12)  # grey-ish UI, one classic stream with green subtracted (made directly: the
    grey = np.kron(rng.integers(0, 256, (8, 8)), np.ones((6, 6), int))[:, :, None]  # encoder would pick the flow)
    ui = np.clip(grey + rng.integers(0, 3, (48, 48, 3)) * (rng.random((48, 48, 1)) < 0.1), 0, 255).astype(np.uint8)
    stream = container.Stream(container.StreamKind.CLASSIC, classic_coder.encode(ui, 1 << 30, synthetic=True))
    assert stream.payload[0] & classic_coder.SUBTRACT_GREEN
    header = container.Header(48, 48, 3, 512, b"", zlib.crc32(ui.tobytes()))
    out.append(("minus-green", ui, container.pack(header, [stream]), None))
    icc = b"a colour profile, kept byte for byte " * 20
    with_icc = compress_samples(images["rgb"][0], lossless, threads=1, icc_profile=icc, classic=False)[0]
    out.append(("rgb-icc", images["rgb"][0], with_icc, _decoder_model(model)))
    for name, img, tile, quality in (("lossy-rgb", _smooth(40, 36, 3, 6), 512, 30),
                                     ("lossy-rgba-tiles", _smooth(33, 40, 4, 7), 16, 70)):
        data = compress_samples(img, lossy, tile_size=tile, quality=quality, threads=1)[0]
        out.append((name, decompress_samples(data, lossy, threads=1), data, _decoder_model(lossy_model)))
    return out


def _layout(data: bytes) -> list[tuple[str, int, int]] | None:
    """(field, start, end) of each header field of a version-3 file, in order, ending with
    the header CRC; None if the header does not parse that far."""
    src = container._Source(data)
    fields = []

    def field(name: str, read) -> int:
        begin = src.pos
        value = read()
        fields.append((name, begin, src.pos))
        return value

    try:
        src.take(len(container.MAGIC) + 1)
        flags = field("u8", src.u8)
        field("u8", src.u8)  # channels
        width, height = field("varint", src.varint), field("varint", src.varint)
        tile = field("u8", src.u8) * container.MIN_TILE
        if flags & container.Flags.MODEL_ID:
            field("bytes", lambda: src.take(container.MODEL_ID_BYTES))
        field("u32", lambda: src.take(4))  # pixel CRC
        if flags & container.Flags.LOSSY:
            field("u8", src.u8), field("u8", src.u8)  # quality, reconstruction offset
            for _ in range(field("u8", src.u8)):  # band count, then the steps
                field("u8", src.u8)
        if flags & container.Flags.METADATA:
            for _ in range(field("u8", src.u8)):  # entry count, then per entry its tag, length and value
                field("u8", src.u8)
                length = field("u32", lambda: struct.unpack("<I", src.take(4))[0])
                field("bytes", lambda: src.take(length))  # the compressed value
        streams = -(-width // tile) * -(-height // tile) * (2 if data[10] in (2, 4) else 1) if tile else 0
        fields.append(("table", src.pos, src.pos))  # a marker: the stream table starts here
        for _ in range(min(streams, 4096)):
            field("u8", src.u8), field("varint", src.varint)  # kind, length
        fields.append(("crc", src.pos, src.pos + 4))
    except (container.InvalidFileError, IndexError):
        return None
    return fields


def _with_field(d: bytearray, fields: list, i: int, value: int, rng: np.random.Generator) -> bytearray:
    """Field i set to ``value`` (in its own encoding), the header CRC recomputed."""
    kind, begin, end = fields[i]
    new = {"u8": lambda: bytes([value % 256]), "u32": lambda: struct.pack("<I", value % 2**32),
           "varint": lambda: container._varint(value),
           "bytes": lambda: bytes(rng.integers(0, 256, end - begin, dtype=np.uint8))}[kind]()
    d[begin:end] = new
    crc_at = fields[-1][1] + len(new) - (end - begin)
    if crc_at + 4 <= len(d):
        struct.pack_into("<I", d, crc_at, zlib.crc32(bytes(d[:crc_at])))
    return d


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    d = bytearray(data)
    kind = rng.integers(7)
    fields = _layout(data) if kind >= 5 else None
    if kind == 0:  # bit flips anywhere
        for _ in range(rng.integers(1, 9)):
            i = rng.integers(len(d))
            d[i] ^= 1 << int(rng.integers(8))
    elif kind == 1:  # random bytes anywhere
        for _ in range(rng.integers(1, 5)):
            d[rng.integers(len(d))] = rng.integers(256)
    elif kind == 2:  # truncation
        d = d[: rng.integers(len(d))]
    elif kind == 3:  # insertion
        i = rng.integers(len(d) + 1)
        d[i:i] = rng.integers(0, 256, rng.integers(1, 16), dtype=np.uint8).tobytes()
    elif kind == 4:  # deletion
        i = rng.integers(len(d))
        del d[i : i + int(rng.integers(1, 16))]
    elif fields:  # a header field (5) or a stream table entry (6) changed, the header CRC recomputed
        table = next(i for i, f in enumerate(fields) if f[0] == "table")
        pool = list(range(table)) if kind == 5 else list(range(table + 1, len(fields) - 1))
        if not pool:
            return bytes(d)
        value = int(rng.choice([0, 1, 2, 3, 4, 5, 15, 16, 17, 255, 256, 511, 512, 513, 65535, 65536, 2**31, 2**32 - 1]))
        i = int(rng.choice(pool))
        if kind == 6 and fields[i][0] == "varint":  # a length nudged, not replaced
            value = max(0, container._Source(bytes(d[fields[i][1] : fields[i][2]])).varint() + int(rng.integers(-8, 9)))
        d = _with_field(d, fields, i, value, rng)
    return bytes(d)


class _Timeout(BaseException):  # not an Exception: the codec must not swallow it
    pass


def _alarm(signum, frame):
    raise _Timeout


def run(cases: int, seed: int, timeout: float, model: str = DEFAULT_MODEL, lossy_model: str = DEFAULT_LOSSY_MODEL) -> dict:
    with threadpool_limits(limits=1):  # tiny files; and timings free of BLAS thread contention
        report = _run(cases, seed, timeout, seeds(model, lossy_model))
    return {"models": {"lossless": get_model(model).name, "lossy": get_model(lossy_model).name}, **report}


def _run(cases: int, seed: int, timeout: float, corpus: list) -> dict:
    rng = np.random.default_rng(seed)
    counts = {"rejected": 0, "decoded_exact": 0, "wrong_pixels": 0, "crashes": 0, "hangs": 0}
    examples: dict[str, list[str]] = {"wrong_pixels": [], "crashes": [], "hangs": []}
    slowest = 0.0
    signal.signal(signal.SIGALRM, _alarm)
    start = time.time()
    for case in range(cases):
        name, original, data, decoder_model = corpus[case % len(corpus)]
        mutated = mutate(data, rng)
        t0 = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            out = decompress_samples(mutated, decoder_model, threads=1)
            signal.setitimer(signal.ITIMER_REAL, 0)
            if out.shape == original.shape and np.array_equal(out, original):
                counts["decoded_exact"] += 1
            else:
                counts["wrong_pixels"] += 1
                examples["wrong_pixels"].append(f"case {case} ({name})")
        except InvalidFileError:
            signal.setitimer(signal.ITIMER_REAL, 0)
            counts["rejected"] += 1
        except _Timeout:
            counts["hangs"] += 1
            examples["hangs"].append(f"case {case} ({name})")
        except Exception as e:  # noqa: BLE001 - this is what we are counting
            signal.setitimer(signal.ITIMER_REAL, 0)
            counts["crashes"] += 1
            examples["crashes"].append(f"case {case} ({name}): {type(e).__name__}: {e}")
        slowest = max(slowest, time.perf_counter() - t0)
    return {"cases": cases, "seed": seed, "timeout_s": timeout, "seconds": round(time.time() - start, 1),
            "slowest_case_s": round(slowest, 3), **counts, "examples": {k: v[:20] for k, v in examples.items()}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="invcodec bench fuzz", description=__doc__.splitlines()[0])
    p.add_argument("--model", default=DEFAULT_MODEL, help="lossless seeds' model, name or file [default: %(default)s]")
    p.add_argument("--lossy-model", default=DEFAULT_LOSSY_MODEL, help="lossy seeds' model [default: %(default)s]")
    p.add_argument("--cases", type=int, default=10000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timeout", type=float, default=5.0)
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    for name in (args.model, args.lossy_model):
        check_model(p.prog, name)
    report = run(args.cases, args.seed, args.timeout, args.model, args.lossy_model)
    emit("fuzz", report, args.out, coding_threads=1)
    return 0 if report["crashes"] == report["hangs"] == report["wrong_pixels"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
