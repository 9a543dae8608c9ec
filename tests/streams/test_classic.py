"""CLASSIC: synthetic content, lossless only."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from invcodec.errors import InvalidFileError
from invcodec.streams.classic import ClassicStream

from .conftest import icon


def test_synthetic_planes_round_trip_below_the_budget(lossless) -> None:
    planes = icon()[:, :, :3]
    candidate = ClassicStream().encode(planes, lossless, planes.size)
    assert candidate is not None and len(candidate.payload) < planes.size
    assert np.array_equal(ClassicStream().decode(candidate.payload, 32, 32, 3, lossless), planes)
    assert ClassicStream().encode(planes, lossless, 2) is None  # nothing that small


def test_classic_is_not_tried_in_lossy_mode_nor_when_the_encoder_says_not(lossless, lossy) -> None:
    planes = icon()[:, :, :3]
    assert ClassicStream().encode(planes, lossy, planes.size) is None
    assert ClassicStream().encode(planes, dataclasses.replace(lossless, classic=False), planes.size) is None


@pytest.mark.parametrize("payload", [b"", b"\x07garbage", b"\x02" + bytes(20)])
def test_a_bad_classic_payload_is_invalid(lossless, payload: bytes) -> None:
    with pytest.raises(InvalidFileError, match="classic stream"):
        ClassicStream().decode(payload, 8, 8, 3, lossless)
