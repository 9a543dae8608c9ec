"""FLOW: the model's stream of a tile's 3 planes (one plane coded as three equal ones)."""

from __future__ import annotations

import numpy as np
import pytest

from invcodec.errors import InvalidFileError
from invcodec.streams.model import ModelStream

from ..conftest import smooth_image

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.mark.parametrize("planes", [1, 3])
def test_lossless_planes_round_trip(lossless, planes: int) -> None:
    pixels = smooth_image(32, 32, planes, seed=planes)
    candidate = ModelStream().encode(pixels, lossless, None)
    assert candidate is not None and candidate.decoded.shape == pixels.shape
    assert np.array_equal(ModelStream().decode(candidate.payload, 32, 32, planes, lossless), pixels)
    assert ModelStream().encode(pixels, lossless, len(candidate.payload)) is None  # not smaller than the budget


def test_lossy_planes_decode_to_what_the_encoder_said(lossy) -> None:
    pixels = smooth_image(32, 32, seed=5)
    candidate = ModelStream().encode(pixels, lossy, None)
    decoded = ModelStream().decode(candidate.payload, 32, 32, 3, lossy)
    assert np.array_equal(decoded, candidate.decoded) and not np.array_equal(decoded, pixels)


def test_a_corrupted_model_stream_is_invalid(lossless) -> None:
    payload = ModelStream().encode(smooth_image(32, 32), lossless, None).payload
    with pytest.raises(InvalidFileError, match="corrupted flow stream"):
        ModelStream().decode(payload[: len(payload) // 2], 32, 32, 3, lossless)
