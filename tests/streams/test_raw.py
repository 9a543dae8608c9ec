"""RAW: the planes' bytes."""

from __future__ import annotations

import numpy as np
import pytest

from invcodec.errors import InvalidFileError
from invcodec.streams.raw import RawStream


def test_raw_round_trips_any_planes(lossless) -> None:
    planes = np.random.default_rng(0).integers(0, 256, (6, 5, 3), dtype=np.uint8)
    candidate = RawStream().encode(planes, lossless, None)
    assert candidate.payload == planes.tobytes()
    assert np.array_equal(RawStream().decode(candidate.payload, 6, 5, 3, lossless), planes)


def test_raw_offers_nothing_when_something_smaller_is_known(lossless) -> None:
    planes = np.zeros((4, 4, 1), np.uint8)
    assert RawStream().encode(planes, lossless, 16) is None and RawStream().encode(planes, lossless, 17) is not None


@pytest.mark.parametrize("length", [0, 47, 49])
def test_a_raw_payload_of_the_wrong_length_is_invalid(lossless, length: int) -> None:
    with pytest.raises(InvalidFileError, match="raw stream"):
        RawStream().decode(bytes(length), 4, 4, 3, lossless)
