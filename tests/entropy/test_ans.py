from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import torch

from invcodec.entropy import ans

GOLDEN = Path(__file__).parent / "golden" / "ans_stream.sha256"


def _chunks(seed: int = 0):
    rng = np.random.default_rng(seed)
    out = []
    for n in (1, 50, 1000):
        mean = torch.from_numpy(rng.integers(-800, 800, n) / 16.0)
        idx = torch.from_numpy(rng.integers(0, 120, n).astype(np.float64))
        scale = torch.from_numpy(ans.grid.SCALES[idx.long().numpy()])
        sym = torch.from_numpy(np.clip(np.round(rng.laplace(mean.numpy(), scale.numpy())), -4096, 4095))
        out.append((sym, mean, idx))
    return out


def test_round_trip_in_decoding_order() -> None:
    enc = ans.LatentEncoder()
    chunks = _chunks()
    for sym, mean, idx in chunks:
        enc.push(sym, mean, idx)
    payload = enc.finish()
    dec = ans.LatentDecoder(payload)
    for sym, mean, idx in chunks:
        assert torch.equal(dec.pull(mean, idx), sym)
    assert dec.exhausted()
    # the real size sits within 1% (+ one final word) of the model's estimate
    assert abs(8 * len(payload) - enc.estimated_bits) <= 0.01 * enc.estimated_bits + 64


def test_golden_bitstream() -> None:
    """The coded bytes are part of the file format. Regenerate deliberately with
    INVCODEC_REGEN_GOLDEN=1 (and bump the format version if old files break)."""
    enc = ans.LatentEncoder()
    for sym, mean, idx in _chunks(seed=7):
        enc.push(sym, mean, idx)
    digest = hashlib.sha256(enc.finish()).hexdigest()
    if os.environ.get("INVCODEC_REGEN_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(digest + "\n")
    assert digest == GOLDEN.read_text().strip()


def test_range_check() -> None:
    assert ans.in_range(torch.tensor([-4096.0, 4095.0]))
    assert not ans.in_range(torch.tensor([4096.0]))


def test_running_out_of_data_is_detected_at_once() -> None:
    enc = ans.LatentEncoder()
    sym, mean, idx = _chunks()[1]
    enc.push(sym, mean, idx)
    dec = ans.LatentDecoder(enc.finish())
    dec.pull(mean, idx)
    import pytest

    with pytest.raises(ValueError, match="ended before"):
        dec.pull(mean, idx)
