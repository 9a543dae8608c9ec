"""Decoding in another process, with another thread count, gives identical pixels."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import torch

from invcodec.codec import compress_samples

from .conftest import smooth_image

DECODE = """
import sys, hashlib, torch
torch.set_num_threads(int(sys.argv[1]))
from invcodec.codec import decompress_samples
out = decompress_samples(open(sys.argv[2], 'rb').read())
print(hashlib.sha256(out.tobytes()).hexdigest())
"""


def test_decode_in_other_process_and_thread_count(tmp_path) -> None:
    import hashlib

    samples = smooth_image(96, 80, 3, seed=3)
    torch.set_num_threads(2)
    data, _ = compress_samples(samples)
    path = tmp_path / "x.inv"
    path.write_bytes(data)
    expected = hashlib.sha256(samples.tobytes()).hexdigest()
    for threads in (1, 2):
        result = subprocess.run([sys.executable, "-c", DECODE, str(threads), str(path)], capture_output=True, text=True, check=True)
        assert result.stdout.strip() == expected


def test_encoding_is_deterministic_across_thread_counts() -> None:
    samples = smooth_image(64, 64, 3, seed=4)
    old = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = compress_samples(samples)[0]
        torch.set_num_threads(2)
        two = compress_samples(samples)[0]
    finally:
        torch.set_num_threads(old)
    assert one == two
    assert np.frombuffer(one, np.uint8).size > 0


DECODE_WITH_MODEL = """
import sys, hashlib, torch
torch.set_num_threads(int(sys.argv[1]))
from invcodec.codec import decompress_samples
from invcodec.weights import load_model
out = decompress_samples(open(sys.argv[2], 'rb').read(), load_model(sys.argv[3]))
print(hashlib.sha256(out.tobytes()).hexdigest())
"""


def test_lossy_decode_in_other_process_and_thread_count(tmp_path) -> None:
    import hashlib

    from invcodec.codec import decompress_samples
    from invcodec.weights import load_model, save_model

    from .conftest import make_tiny_lossy_model

    save_model(make_tiny_lossy_model(), tmp_path / "lossy.safetensors")
    model = load_model(tmp_path / "lossy.safetensors")
    samples = smooth_image(80, 72, 3, seed=5)
    data, _ = compress_samples(samples, model, quality=35)
    path = tmp_path / "x.inv"
    path.write_bytes(data)
    decoded = decompress_samples(data, model)
    assert not np.array_equal(decoded, samples)  # really lossy
    expected = hashlib.sha256(decoded.tobytes()).hexdigest()
    for threads in (1, 2):
        result = subprocess.run([sys.executable, "-c", DECODE_WITH_MODEL, str(threads), str(path), str(tmp_path / "lossy.safetensors")],
                                capture_output=True, text=True, check=True)
        assert result.stdout.strip() == expected
