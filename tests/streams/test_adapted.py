"""ADAPTED: a tile's stream under the model fine-tuned on it, the weight delta first."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from invcodec.errors import InvalidFileError
from invcodec.streams.adapted import AdaptedStream
from invcodec.streams.base import StreamContext
from invcodec.streams.model import ModelStream

from ..conftest import HAVE_TORCH, smooth_image

pytestmark = pytest.mark.usefixtures("single_thread")
needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="the adapting encoder needs torch")


@pytest.fixture
def adapting(tiny_coding_models, monkeypatch) -> StreamContext:
    if HAVE_TORCH:
        from invcodec.training import per_image

        monkeypatch.setattr(per_image, "PLANS", {8: (("head", 30),), 9: (("head", 30), ("all", 20))})
        monkeypatch.setattr(per_image, "MIN_PIXELS_PER_WEIGHT", {"head": 0, "all": 0})  # a test's worth
    return StreamContext(tiny_coding_models["autoregressive"], None, adaptive=True, effort=8)


@needs_torch
@pytest.mark.parametrize("planes", [1, 3])
def test_planes_round_trip_exactly(adapting, planes: int) -> None:
    pixels = smooth_image(40, 48, planes, seed=planes)
    candidate = AdaptedStream().encode(pixels, adapting, None)
    assert candidate is not None and np.array_equal(candidate.decoded, pixels)
    assert np.array_equal(AdaptedStream().decode(candidate.payload, 40, 48, planes, adapting), pixels)
    assert AdaptedStream().encode(pixels, adapting, len(candidate.payload)) is None  # not smaller than the budget


@needs_torch
def test_the_smallest_plan_is_kept(adapting) -> None:
    """Effort 9 (here) tries effort 8's plan and another, and keeps the smaller."""
    pixels = smooth_image(40, 48, seed=4)
    sizes = {e: len(AdaptedStream().encode(pixels, StreamContext(adapting.model, None, True, effort=e), None).payload)
             for e in (8, 9)}
    assert sizes[9] <= sizes[8]


@needs_torch
def test_the_delta_changes_the_model(adapting) -> None:
    """The stream after the delta is the plain coder's under other weights: not the FLOW stream."""
    pixels = smooth_image(40, 48, seed=3)
    payload = AdaptedStream().encode(pixels, adapting, None).payload
    (length,) = struct.unpack_from("<I", payload)
    assert length > 0 and payload[4 + length :] != ModelStream().encode(pixels, adapting, None).payload


def test_other_efforts_models_and_lossy_tiles_are_not_adapted(tiny_coding_models, adapting, lossy) -> None:
    pixels = smooth_image(16, 16)
    assert AdaptedStream().encode(pixels, StreamContext(adapting.model, None, True, effort=7), None) is None
    assert AdaptedStream().encode(pixels, StreamContext(tiny_coding_models["fixed64"], None, True, effort=9), None) is None
    assert AdaptedStream().encode(pixels, lossy, None) is None


@pytest.mark.parametrize("payload, message", [
    (b"\x01\x00", "shorter than its delta's length"),
    (struct.pack("<I", 1000) + b"\x00" * 10, "shorter than its weight delta"),
    (struct.pack("<I", 3) + b"abc" + b"\x00" * 40, "weight delta"),
])
def test_a_corrupted_adapted_stream_is_invalid(adapting, payload: bytes, message: str) -> None:
    with pytest.raises(InvalidFileError, match=f"corrupted adapted stream.*{message}"):
        AdaptedStream().decode(payload, 8, 8, 3, adapting)


def test_a_model_that_cannot_adapt_refuses_the_stream(tiny_coding_models) -> None:
    context = StreamContext(tiny_coding_models["fixed64"], None, adaptive=True)
    with pytest.raises(InvalidFileError, match="cannot be adapted"):
        AdaptedStream().decode(b"\x00" * 8, 8, 8, 3, context)


@needs_torch
def test_a_delta_beyond_the_exact_range_is_invalid(adapting) -> None:
    """A delta the encoder never writes (weights the fixed-point sums cannot hold) is refused."""
    from invcodec import weight_delta

    base = adapting.model.evaluator.tensors
    huge = {name: value + 2.0**-1 * 127 for name, value in base.items()}
    delta = weight_delta.encode(base, huge, {name: -1 for name in base})
    payload = struct.pack("<I", len(delta)) + delta
    with pytest.raises(InvalidFileError, match="corrupted adapted stream"):
        AdaptedStream().decode(payload, 8, 8, 3, adapting)
