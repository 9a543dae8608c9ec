"""The ANS coder wrapper: round trips in decoding order, a golden bitstream, stream checks."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from invcodec.entropy import ans, grid

GOLDEN = Path(__file__).parent.parent / "golden" / "ans_stream.sha256"
GOLDEN_ADAPTIVE = Path(__file__).parent.parent / "golden" / "ans_stream_adaptive.sha256"


def _chunks(seed: int = 0) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(symbols, mean, scale index) chunks of 1, 50 and 1000 latents."""
    rng = np.random.default_rng(seed)
    out = []
    for n in (1, 50, 1000):
        mean = rng.integers(-800, 800, n) / 16.0
        idx = rng.integers(0, 120, n)
        scale = grid.SCALES[idx]
        sym = np.clip(np.round(rng.laplace(mean, scale)), ans.SYMBOL_MIN, ans.SYMBOL_MAX)
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
        assert not dec.exhausted()
        got = dec.pull(mean, idx)
        assert got.dtype == np.float64 and np.array_equal(got, sym)
    assert dec.exhausted()
    # the real size sits within 1% (+ one final word) of the ideal code length
    ideal = sum(grid.laplace_bits(sym, mean, grid.SCALES[idx]).sum() for sym, mean, idx in chunks)
    assert abs(8 * len(payload) - ideal) <= 0.01 * ideal + 64


def test_shapes_and_a_scalar_mean() -> None:
    """Lossy mode codes residuals with one mean (0) for all; symbols keep the index's shape."""
    rng = np.random.default_rng(3)
    sym = rng.integers(-20, 21, (4, 5, 1)).astype(np.float64)
    idx = np.full((4, 5, 1), 80)
    enc = ans.LatentEncoder()
    enc.push(sym, 0.0, idx)
    dec = ans.LatentDecoder(enc.finish())
    got = dec.pull(0.0, idx)
    assert got.shape == (4, 5, 1) and np.array_equal(got, sym) and dec.exhausted()


@pytest.mark.parametrize("adaptive", [False, True], ids=["plain", "adaptive"])
def test_golden_bitstream(adaptive: bool) -> None:
    """The coded bytes are part of the file format (and, adaptive, the encoder's choice of
    mean and scale offsets). Regenerate deliberately with INVCODEC_REGEN_GOLDEN=1 (and bump the
    format version if old files break)."""
    enc = ans.LatentEncoder(adaptive)
    for sym, mean, idx in _chunks(seed=7):
        enc.push(sym, mean, idx)
    digest = hashlib.sha256(enc.finish()).hexdigest()
    golden = GOLDEN_ADAPTIVE if adaptive else GOLDEN
    if os.environ.get("INVCODEC_REGEN_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(digest + "\n")
    assert digest == golden.read_text().strip()


def test_range_check() -> None:
    assert ans.in_range(np.array([float(ans.SYMBOL_MIN), float(ans.SYMBOL_MAX)]))
    assert not ans.in_range(np.array([ans.SYMBOL_MAX + 1.0]))
    assert not ans.in_range(np.array([ans.SYMBOL_MIN - 1.0]))
    assert ans.in_range(np.zeros(0))


def test_running_out_of_data_is_detected_at_once() -> None:
    enc = ans.LatentEncoder()
    sym, mean, idx = _chunks()[1]
    enc.push(sym, mean, idx)
    dec = ans.LatentDecoder(enc.finish())
    assert np.array_equal(dec.pull(mean, idx), sym)
    with pytest.raises(ValueError, match="ended before"):
        dec.pull(mean, idx)


def test_data_left_over_and_odd_lengths_are_visible() -> None:
    enc = ans.LatentEncoder()
    for sym, mean, idx in _chunks()[1:]:
        enc.push(sym, mean, idx)
    payload = enc.finish()
    dec = ans.LatentDecoder(payload)
    dec.pull(*_chunks()[1][1:])
    assert not dec.exhausted()  # the 1000-latent chunk is still in there
    with pytest.raises(ValueError, match="multiple of 4"):
        ans.LatentDecoder(payload[:-1])
