"""The table of owners and the choice the encoder and decoder make through it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from invcodec.container import Stream, StreamKind
from invcodec.errors import InvalidFileError
from invcodec.registry import get_model
from invcodec.streams.table import ENCODE_ORDER, OWNERS, decode_tile, encode_planes, encode_tile

from ..conftest import smooth_image
from .conftest import icon

pytestmark = pytest.mark.usefixtures("single_thread")


def test_every_stream_kind_has_one_owner() -> None:
    assert set(OWNERS) == set(StreamKind) and set(ENCODE_ORDER) == set(StreamKind) - {StreamKind.JOINED}
    assert ENCODE_ORDER[0] == StreamKind.CONSTANT  # conclusive: a flat tile is never coded twice


def _kind(planes: np.ndarray, context) -> StreamKind:
    encoded = encode_planes(planes, context)
    assert np.array_equal(OWNERS[encoded.stream.kind].decode(encoded.stream.payload, *planes.shape, context),
                          encoded.decoded)
    return encoded.stream.kind


def test_each_kind_wins_where_it_is_smallest(lossless) -> None:
    flow_only = dataclasses.replace(lossless, model=get_model("photo-v1"), classic=False)  # (the tiny model loses to raw)
    assert _kind(np.full((16, 16, 3), 7, np.uint8), lossless) == StreamKind.CONSTANT
    assert _kind(np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8), lossless) == StreamKind.RAW
    assert _kind(smooth_image(32, 32), flow_only) == StreamKind.FLOW
    assert _kind(icon()[:, :, :3], lossless) == StreamKind.CLASSIC


def test_an_icon_tile_is_one_joined_stream_and_decodes_back(lossless) -> None:
    region = icon()
    parts = encode_tile(region, 3, lossless)
    assert [p.stream.kind for p in parts] == [StreamKind.CLASSIC, StreamKind.JOINED] and parts[1].stream.payload == b""
    assert np.array_equal(decode_tile([p.stream for p in parts], 32, 32, 3, lossless), region)


def test_a_lossy_tile_keeps_its_alpha_exact(lossy) -> None:
    region = np.concatenate([smooth_image(32, 32, seed=2), smooth_image(32, 32, 1, seed=3)], axis=2)
    parts = encode_tile(region, 3, lossy)
    decoded = decode_tile([p.stream for p in parts], 32, 32, 3, lossy)
    assert np.array_equal(decoded, np.concatenate([p.decoded for p in parts], axis=2))
    assert np.array_equal(decoded[:, :, 3], region[:, :, 3]) and not np.array_equal(decoded[:, :, :3], region[:, :, :3])


def test_a_bad_stream_in_a_tile_is_invalid(lossless) -> None:
    with pytest.raises(InvalidFileError, match="raw stream"):
        decode_tile([Stream(StreamKind.RAW, b"\0" * 10)], 4, 4, 3, lossless)
    with pytest.raises(InvalidFileError, match="constant"):
        decode_tile([Stream(StreamKind.RAW, b"\0" * 48), Stream(StreamKind.CONSTANT, b"\0\0")], 4, 4, 3, lossless)
