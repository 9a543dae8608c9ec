"""Decoding in another process, with another thread count, gives identical pixels: for
photo-v1 (the fixed64 format: float64 GEMM) and a tiny int8 model (float32 GEMM), whose
exactness must not depend on the order in which BLAS adds, nor on how tiles are spread
over threads."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from invcodec import container
from invcodec.codec import compress_samples, decompress_samples
from invcodec.container import StreamKind
from invcodec.registry import get_model

from .conftest import smooth_image, tiny_model_file

# Small enough that the tiny random model's prior codes the test images below their raw
# size, so the files hold flow streams and decoding runs the model (conftest's default
# noise makes them raw, which decodes without it).
FLOW_NOISE = 0.03
TILE = 32  # 96 x 80 -> 9 tiles, so two threads really share them

DECODE = """
import hashlib, sys
from invcodec.codec import decompress_samples
from invcodec.registry import get_model
threads, path, model = int(sys.argv[1]), sys.argv[2], sys.argv[3]
out = decompress_samples(open(path, "rb").read(), get_model(model), threads=threads)
print(hashlib.sha256(out.tobytes()).hexdigest())
"""


@pytest.fixture(scope="module")
def int8_model_file(tmp_path_factory) -> Path:
    return tiny_model_file(f"tiny-int8-noise{FLOW_NOISE}", tmp_path_factory.mktemp("int8"), "tiny-int8")


@pytest.fixture(params=["photo-v1", "tiny-int8"])
def model_name(request, int8_model_file) -> str:
    """A shipped fixed64 model by name, or the int8 model's file."""
    return str(int8_model_file) if request.param == "tiny-int8" else request.param


def decode_elsewhere(path: Path, model: str, threads: int) -> str:
    """sha256 of the pixels a fresh process decodes with ``threads`` tile threads and as
    many BLAS / OpenMP threads."""
    env = os.environ | {name: str(threads) for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    r = subprocess.run([sys.executable, "-c", DECODE, str(threads), str(path), model], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def flow_streams(data: bytes) -> int:
    return sum(s.kind == StreamKind.FLOW for s in container.unpack(data)[1])


def test_decode_in_other_process_and_thread_count(tmp_path, model_name) -> None:
    model = get_model(model_name)
    samples = smooth_image(96, 80, 3, seed=3)
    data, _ = compress_samples(samples, model, tile_size=TILE, threads=2, classic=False)
    assert flow_streams(data) >= 5  # most of the 9 tiles go through the model
    path = tmp_path / "x.inv"
    path.write_bytes(data)
    expected = hashlib.sha256(samples.tobytes()).hexdigest()
    for threads in (1, 2):
        assert decode_elsewhere(path, model_name, threads) == expected, threads


def test_encoding_is_deterministic_across_thread_counts(model_name) -> None:
    model = get_model(model_name)
    samples = smooth_image(64, 64, 4, seed=4)  # RGBA: colour and alpha jobs per tile
    one = compress_samples(samples, model, tile_size=TILE, threads=1, classic=False)[0]
    two = compress_samples(samples, model, tile_size=TILE, threads=2, classic=False)[0]
    assert flow_streams(one) >= 4
    assert one == two
    assert np.array_equal(decompress_samples(two, model, threads=2), samples)


def test_lossy_decode_in_other_process_and_thread_count(tmp_path) -> None:
    model_path = str(tiny_model_file("tiny-lossy", tmp_path, "lossy"))
    model = get_model(model_path)
    samples = smooth_image(80, 72, 3, seed=5)
    data, _ = compress_samples(samples, model, tile_size=TILE, quality=35, threads=2)
    assert flow_streams(data) >= 5
    path = tmp_path / "x.inv"
    path.write_bytes(data)
    decoded = decompress_samples(data, model, threads=1)  # the file's pixel CRC is the encoder's closed-loop output
    assert not np.array_equal(decoded, samples)  # really lossy
    expected = hashlib.sha256(decoded.tobytes()).hexdigest()
    for threads in (1, 2):
        assert decode_elsewhere(path, model_path, threads) == expected, threads
