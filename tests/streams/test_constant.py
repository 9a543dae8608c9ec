"""CONSTANT: one byte per plane."""

from __future__ import annotations

import numpy as np
import pytest

from invcodec.errors import InvalidFileError
from invcodec.streams.constant import ConstantStream


def test_a_one_colour_tile_round_trips_in_a_byte_per_plane(lossless) -> None:
    owner = ConstantStream()
    planes = np.full((5, 7, 3), (9, 80, 250), np.uint8)
    candidate = owner.encode(planes, lossless, None)
    assert candidate.payload == bytes([9, 80, 250]) and candidate.decoded is planes
    assert np.array_equal(owner.decode(candidate.payload, 5, 7, 3, lossless), planes)
    assert owner.conclusive  # nothing after it is tried


def test_a_tile_of_two_colours_is_not_constant(lossless) -> None:
    planes = np.zeros((4, 4, 1), np.uint8)
    planes[3, 3] = 1
    assert ConstantStream().encode(planes, lossless, None) is None


@pytest.mark.parametrize("payload", [b"", b"\1\2", b"\1\2\3\4"])
def test_a_payload_of_another_length_than_the_planes_is_invalid(lossless, payload: bytes) -> None:
    with pytest.raises(InvalidFileError, match="constant"):
        ConstantStream().decode(payload, 4, 4, 3, lossless)
