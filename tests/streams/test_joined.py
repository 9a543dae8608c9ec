"""JOINED: all of a tile's channels in one classic stream."""

from __future__ import annotations

import numpy as np
import pytest

from invcodec.errors import InvalidFileError
from invcodec.streams.joined import JoinedStream

from .conftest import icon


def test_an_icon_round_trips_as_one_stream_of_all_channels(lossless) -> None:
    region = icon()
    candidate = JoinedStream().encode(region, lossless, region.size)
    assert candidate is not None and candidate.decoded is region
    assert np.array_equal(JoinedStream().decode(candidate.payload, 32, 32, 4, lossless), region)
    assert JoinedStream().encode(region, lossless, 2) is None


def test_joined_is_lossless_only(lossy) -> None:
    assert JoinedStream().encode(icon(), lossy, 4096) is None


def test_a_bad_joined_payload_is_invalid(lossless) -> None:
    with pytest.raises(InvalidFileError, match="classic stream"):
        JoinedStream().decode(b"\x01not zlib", 32, 32, 4, lossless)
