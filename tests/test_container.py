from __future__ import annotations

import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invcodec import container
from invcodec.container import Header, Stream, StreamKind
from invcodec.errors import InvalidFileError


def _sample() -> bytes:
    header = Header(width=40, height=20, channels=4, tile_size=32, model_id=bytes(range(16)), pixel_crc32=0xDEADBEEF)
    streams = [Stream(StreamKind.FLOW, b"\1\2\3\4"), Stream(StreamKind.CONSTANT, b"\xff"),
               Stream(StreamKind.RAW, b"\0" * 24), Stream(StreamKind.CONSTANT, b"\x07")]
    return container.pack(header, streams)


def test_round_trip() -> None:
    header, streams = container.unpack(_sample())
    assert (header.width, header.height, header.channels, header.tile_size) == (40, 20, 4, 32)
    assert header.model_id == bytes(range(16)) and header.pixel_crc32 == 0xDEADBEEF
    assert [s.kind for s in streams] == [StreamKind.FLOW, StreamKind.CONSTANT, StreamKind.RAW, StreamKind.CONSTANT]
    assert streams[2].payload == b"\0" * 24
    assert header.tiles() == [(0, 0, 20, 32), (0, 32, 20, 8)] and header.tile_count == 2


def _reheader(data: bytes, **fields) -> bytes:
    """Rewrite fixed header fields and fix the header CRC, to test field validation."""
    names = ["magic", "version", "mode", "channels", "bit_depth", "width", "height", "tile", "model_id", "crc", "n"]
    values = dict(zip(names, container._FIXED.unpack_from(data)))
    values.update(fields)
    fixed = container._FIXED.pack(*[values[n] for n in names])
    n = values["n"]
    table_end = container._FIXED.size + n * 5
    head = fixed + data[container._FIXED.size : table_end]
    return head + struct.pack("<I", zlib.crc32(head)) + data[table_end + 4 :]


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: b"PNG" + d[3:], "magic"),
        (lambda d: d[:20], "truncated"),
        (lambda d: d[:-1], "length"),
        (lambda d: d + b"\0", "length"),
        (lambda d: d[:13] + bytes([d[13] ^ 1]) + d[14:], "checksum"),  # width changed, CRC not updated
        (lambda d: _reheader(d, version=3), "version"),
        (lambda d: _reheader(d, mode=7), "mode"),
        (lambda d: _reheader(d, bit_depth=16), "bit depth"),
        (lambda d: _reheader(d, width=0), "size"),
        (lambda d: _reheader(d, width=70000), "size"),
        (lambda d: _reheader(d, channels=5), "channel"),
        (lambda d: _reheader(d, tile=17), "tile"),
        (lambda d: _reheader(d, height=200), "stream count"),
    ],
)
def test_malformed_headers_are_rejected_with_a_reason(mutate, message: str) -> None:
    with pytest.raises(InvalidFileError, match=message):
        container.unpack(mutate(_sample()))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_only_ever_raise_invalid_file(data: bytes) -> None:
    try:
        container.unpack(data)
    except InvalidFileError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 200), st.integers(0, 255))
def test_any_single_byte_change_is_detected_or_harmless(position: int, value: int) -> None:
    data = bytearray(_sample())
    position %= len(data)
    if data[position] == value:
        return
    data[position] = value
    try:
        header, streams = container.unpack(bytes(data))
    except InvalidFileError:
        return
    # Only payload bytes can change unnoticed here; the pixel CRC catches them at decode.
    assert position >= len(data) - sum(len(s.payload) for s in streams)


def _lossy(quality: int = 40, steps: tuple[int, ...] = (0, 1, 2) + (30,) * 9) -> bytes:
    header = Header(width=40, height=20, channels=3, tile_size=32, model_id=bytes(16), pixel_crc32=1,
                    mode=container.Mode.LOSSY, quantizer=container.Quantizer(quality, 51, steps))
    return container.pack(header, [Stream(StreamKind.FLOW, b"\1\2\3\4"), Stream(StreamKind.RAW, b"\0" * 8)])


def test_lossy_header_round_trip() -> None:
    header, streams = container.unpack(_lossy())
    assert header.mode == container.Mode.LOSSY
    assert header.quantizer == container.Quantizer(40, 51, (0, 1, 2) + (30,) * 9)
    assert streams[1].payload == b"\0" * 8


def _with_fixed_crc(data: bytearray, table_end: int) -> bytes:
    data[table_end : table_end + 4] = struct.pack("<I", zlib.crc32(bytes(data[:table_end])))
    return bytes(data)


@pytest.mark.parametrize("field, value", [(0, 0), (0, 101), (2, 4), (2, 0), (3, 250)])
def test_invalid_quantizer_block_is_rejected(field, value) -> None:
    data = bytearray(_lossy())
    start = container._FIXED.size
    data[start + field] = value  # quality, -, band count, first step
    table_end = start + 3 + 12 + 2 * container._STREAM.size
    with pytest.raises(InvalidFileError):
        container.unpack(_with_fixed_crc(data, table_end))


def test_lossless_header_cannot_carry_a_quantizer() -> None:
    header = Header(width=4, height=4, channels=3, tile_size=32, model_id=bytes(16), pixel_crc32=1,
                    quantizer=container.Quantizer(50, 0, (0,) * 12))
    with pytest.raises(ValueError):
        container.pack(header, [Stream(StreamKind.RAW, b"\0" * 48)])


def test_read_stops_where_the_header_says_the_file_ends() -> None:
    import io

    data = _sample()
    assert container.read(io.BytesIO(data)) == data
    for bad, message in ((data[:-1], "truncated"), (data + b"\0", "padded"), (data[:10], "truncated header"),
                         (b"\0" * 100, "bad magic"), (b"", "bad magic")):
        with pytest.raises(InvalidFileError, match=message):
            container.read(io.BytesIO(bad))
    header, _, _ = container.unpack_header(data + b"trailing", whole_file=False)  # header alone: length not checked
    assert header.width == 40


def _with_icc(icc: bytes = b"an ICC profile, byte for byte" * 3) -> bytes:
    header = Header(width=8, height=8, channels=3, tile_size=16, model_id=bytes(16), pixel_crc32=1, icc_profile=icc)
    return container.pack(header, [Stream(StreamKind.RAW, b"\0" * 192)])


def test_an_icc_profile_makes_a_version_2_file() -> None:
    import io

    data = _with_icc()
    header, streams = container.unpack(data)
    assert header.version == 2 and header.icc_profile == b"an ICC profile, byte for byte" * 3
    assert streams[0].payload == b"\0" * 192 and container.read(io.BytesIO(data)) == data
    with pytest.raises(InvalidFileError, match="padded"):
        container.read(io.BytesIO(data + b"more"))
    assert container.unpack(_sample())[0].version == 1 and container.unpack(_sample())[0].icc_profile is None


def _rewrite_metadata(entry: bytes) -> bytes:
    """A version-2 file whose metadata block is ``entry`` (the header CRC recomputed)."""
    fixed = _with_icc()[: container._FIXED.size]
    head = fixed + entry + container._STREAM.pack(StreamKind.RAW, 192)
    return head + struct.pack("<I", zlib.crc32(head)) + b"\0" * 192


@pytest.mark.parametrize("entry, message", [
    (b"\x02" + container._META_ENTRY.pack(1, 3) + b"abc", "entry count"),
    (b"\x01" + container._META_ENTRY.pack(9, 3) + b"abc", "unknown metadata tag"),
    (b"\x01" + container._META_ENTRY.pack(1, 3) + b"abc", "corrupted ICC"),
    (b"\x01" + container._META_ENTRY.pack(1, 1 << 30), "too large"),
    (b"\x01" + container._META_ENTRY.pack(1, len(zlib.compress(b"\0" * (5 << 20))))
     + zlib.compress(b"\0" * (5 << 20)), "corrupted ICC"),  # inflates beyond 4 MiB: a zip bomb is refused
    (b"\x01" + container._META_ENTRY.pack(1, len(zlib.compress(b""))) + zlib.compress(b""), "corrupted ICC"),
])
def test_a_bad_metadata_block_is_refused(entry: bytes, message: str) -> None:
    import io

    data = _rewrite_metadata(entry)
    with pytest.raises(InvalidFileError, match=message):
        container.unpack(data)
    with pytest.raises(InvalidFileError, match=message):
        container.read(io.BytesIO(data))


def test_the_header_crc_covers_the_icc_profile() -> None:
    data = bytearray(_with_icc())
    data[container._FIXED.size + 7] ^= 0x10  # inside the compressed profile
    with pytest.raises(InvalidFileError, match="checksum"):
        container.unpack(bytes(data))
