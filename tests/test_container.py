from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invcodec import container
from invcodec.container import Header, Stream, StreamKind
from invcodec.errors import InvalidFileError
from invcodec.quantizer import global_step_index
from invcodec.spec import MAX_LEVELS
from invcodec.walk import band_count


GOLDEN_V1 = Path(__file__).parent / "golden" / "v0.1.0"


def _sample() -> bytes:
    header = Header(width=40, height=20, channels=4, tile_size=32, model_id=bytes(range(16)), pixel_crc32=0xDEADBEEF)
    streams = [Stream(StreamKind.FLOW, b"\1\2\3\4"), Stream(StreamKind.CONSTANT, b"\xff"),
               Stream(StreamKind.RAW, b"\0" * 24), Stream(StreamKind.CONSTANT, b"\x07")]
    return container.pack(header, streams)


def test_round_trip() -> None:
    data = _sample()
    header, streams = container.unpack(data)
    assert header.version == container.FORMAT_VERSION == 3
    assert (header.width, header.height, header.channels, header.tile_size) == (40, 20, 4, 32)
    assert header.model_id == bytes(range(16)) and header.pixel_crc32 == 0xDEADBEEF
    assert [s.kind for s in streams] == [StreamKind.FLOW, StreamKind.CONSTANT, StreamKind.RAW, StreamKind.CONSTANT]
    assert streams[2].payload == b"\0" * 24
    assert header.tiles() == [(0, 0, 20, 32), (0, 32, 20, 8)] and header.tile_count == 2
    # magic, version, flags, channels, width, height, tile, model id, pixel CRC, 4 x (kind, length), header CRC
    assert len(data) == 8 + 1 + 1 + 1 + 1 + 1 + 1 + 16 + 4 + 4 * 2 + 4 + 30


def test_the_model_id_is_stored_only_for_flow_streams() -> None:
    """A file of constant, raw and classic streams needs no model: its header has no id
    (a one-colour image is 29 bytes in all)."""
    header = Header(width=256, height=256, channels=3, tile_size=512, model_id=bytes(range(16)), pixel_crc32=7)
    data = container.pack(header, [Stream(StreamKind.CONSTANT, b"abc")])
    assert len(data) == 29 and container.unpack(data)[0].model_id == b""
    with pytest.raises(ValueError, match="model id"):
        container.pack(Header(4, 4, 3, 16, b"", 0), [Stream(StreamKind.FLOW, b"\0")])


def test_the_adaptive_prior_flag_is_kept_with_flow_streams_only() -> None:
    header = Header(width=8, height=8, channels=3, tile_size=16, model_id=bytes(16), pixel_crc32=1, adaptive_prior=True)
    flow = container.pack(header, [Stream(StreamKind.FLOW, b"\1\2\3\4")])
    assert flow[9] & container.Flags.ADAPTIVE_PRIOR and container.unpack(flow)[0].adaptive_prior
    plain = container.pack(header, [Stream(StreamKind.CONSTANT, b"abc")])  # nothing to adapt: no flag
    assert not plain[9] & container.Flags.ADAPTIVE_PRIOR and not container.unpack(plain)[0].adaptive_prior
    header.adaptive_prior = False
    assert not container.unpack(container.pack(header, [Stream(StreamKind.FLOW, b"\1\2\3\4")]))[0].adaptive_prior


@pytest.mark.parametrize("value", [0, 1, 127, 128, 300, 65536, 1 << 28, (1 << 35) - 1])
def test_numbers_are_leb128(value: int) -> None:
    encoded = container._varint(value)
    assert len(encoded) == max(1, -(-value.bit_length() // 7))
    assert container._Source(encoded).varint() == value


@pytest.mark.parametrize("encoded, message", [(b"\x80\x00", "padded"), (b"\xff" * 5 + b"\x01", "too long"),
                                               (b"\x80", "truncated")])
def test_malformed_numbers_are_refused(encoded: bytes, message: str) -> None:
    with pytest.raises(InvalidFileError, match=message):
        container._Source(encoded).varint()


def _v3(flags: int = 0, channels: int = 3, width: bytes = b"\x04", height: bytes = b"\x04", tile: int = 1,
        rest: bytes = b"\0\0\0\0", table: bytes = b"\x01\x30", payload: bytes = b"\0" * 48) -> bytes:
    """A version-3 file assembled field by field, with a correct header CRC."""
    head = container.MAGIC + bytes([3, flags, channels]) + width + height + bytes([tile]) + rest + table
    return head + struct.pack("<I", zlib.crc32(head)) + payload


def test_the_field_by_field_file_is_valid() -> None:
    header, streams = container.unpack(_v3())
    assert (header.width, header.height, header.tile_size, streams[0].kind) == (4, 4, 16, StreamKind.RAW)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: b"PNG" + d[3:], "magic"),
        (lambda d: d[:20], "truncated"),
        (lambda d: d[:-1], "length"),
        (lambda d: d + b"\0", "length"),
        (lambda d: d[:len(d) - 30 - 5] + bytes([d[-35] ^ 1]) + d[-34:], "checksum"),  # header CRC not updated
        (lambda d: d[:8] + b"\x02" + d[9:], "version"),  # 2: only ever in development builds
        (lambda d: d[:8] + b"\x04" + d[9:], "version"),
    ],
)
def test_malformed_headers_are_rejected_with_a_reason(mutate, message: str) -> None:
    with pytest.raises(InvalidFileError, match=message):
        container.unpack(mutate(_sample()))


@pytest.mark.parametrize("fields, message", [
    (dict(flags=8), "flags"),
    (dict(channels=5), "channel"),
    (dict(width=b"\x00"), "size"),
    (dict(width=b"\x80\x80\x05"), "size"),  # 81920 > 65536
    (dict(tile=0), "tile"),
    (dict(tile=33), "tile"),
    (dict(height=b"\x14"), "checksum"),  # 2 tiles want 2 streams; the table has one, so the CRC is read as one
    (dict(table=b"\x07\x30"), "stream kind"),
    (dict(flags=2, rest=bytes(16) + b"\0\0\0\0"), "model id"),  # an id without a flow stream
    (dict(flags=8), "adaptive prior without flow"),  # offsets for flow streams there are not
    (dict(table=b"\x00\x30"), "model id"),  # a flow stream without one
    (dict(channels=4, table=b"\x03\x30\x04\x01", payload=b"\0" * 49), "joined"),  # a joined stream is empty
    (dict(channels=4, table=b"\x04\x00\x03\x30", payload=b"\0" * 48), "joined"),
    (dict(table=b"\x04\x00"), "joined"),  # no alpha, nothing to join
])
def test_bad_v3_fields_are_rejected_with_a_reason(fields: dict, message: str) -> None:
    with pytest.raises(InvalidFileError, match=message):
        container.unpack(_v3(**fields))


def test_a_joined_alpha_stream_follows_a_classic_one() -> None:
    _, streams = container.unpack(_v3(channels=4, table=b"\x03\x05\x04\x00", payload=b"\x02abcd"))
    assert [s.kind for s in streams] == [StreamKind.CLASSIC, StreamKind.JOINED] and streams[1].payload == b""


def _golden_v1() -> bytes:
    return (GOLDEN_V1 / "photo-v1_rgba_40x24_t16.inv").read_bytes()


def _reheader(data: bytes, **fields) -> bytes:
    """Rewrite version-1 fixed header fields and fix the header CRC, to test field validation."""
    names = ["magic", "version", "mode", "channels", "bit_depth", "width", "height", "tile", "model_id", "crc", "n"]
    values = dict(zip(names, container._FIXED.unpack_from(data)))
    table_end = container._FIXED.size + values["n"] * 5
    values.update(fields)
    head = container._FIXED.pack(*[values[n] for n in names]) + data[container._FIXED.size : table_end]
    return head + struct.pack("<I", zlib.crc32(head)) + data[table_end + 4 :]


def test_version_1_files_are_still_read() -> None:
    header, streams = container.unpack(_golden_v1())
    assert (header.version, header.width, header.height, header.channels, header.tile_size) == (1, 40, 24, 4, 16)
    assert len(streams) == 12 and len(header.model_id) == 16
    assert container.read(io.BytesIO(_golden_v1())) == _golden_v1()
    with pytest.raises(InvalidFileError, match="padded"):
        container.read(io.BytesIO(_golden_v1() + b"\0"))


@pytest.mark.parametrize(
    "fields, message",
    [
        (dict(mode=7), "mode"),
        (dict(bit_depth=16), "bit depth"),
        (dict(width=0), "size"),
        (dict(width=70000), "size"),
        (dict(channels=5), "channel"),
        (dict(tile=17), "tile"),
        (dict(height=200, n=12), "stream count"),
    ],
)
def test_malformed_version_1_headers_are_rejected_with_a_reason(fields: dict, message: str) -> None:
    with pytest.raises(InvalidFileError, match=message):
        container.unpack(_reheader(_golden_v1(), **fields))
    data = bytearray(_golden_v1())
    data[13] ^= 1  # width changed, CRC not updated
    with pytest.raises(InvalidFileError, match="checksum"):
        container.unpack(bytes(data))


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
                    quantizer=container.Quantizer(quality, 51, steps))
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


def test_the_mode_is_whether_the_header_has_a_quantizer() -> None:
    """One representation of lossy mode: the quantizer; a header cannot say otherwise."""
    quantizer = container.Quantizer(50, 0, (0,) * 12)
    header = Header(width=4, height=4, channels=3, tile_size=32, model_id=bytes(16), pixel_crc32=1, quantizer=quantizer)
    assert header.mode == container.Mode.LOSSY
    assert container.unpack(container.pack(header, [Stream(StreamKind.RAW, b"\0" * 48)]))[0].mode == container.Mode.LOSSY
    assert Header(width=4, height=4, channels=3, tile_size=32, model_id=b"", pixel_crc32=1).mode == container.Mode.LOSSLESS
    assert quantizer.global_step == global_step_index(50)  # the decoder's rate input, from the recorded quality


def test_the_band_limit_is_walks_band_layout() -> None:
    assert container.MAX_LOSSY_BANDS == band_count(MAX_LEVELS) == 3 + 9 * 8


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


def test_an_icc_profile_is_kept_in_the_header() -> None:
    data = _with_icc()
    header, streams = container.unpack(data)
    assert header.version == 3 and header.icc_profile == b"an ICC profile, byte for byte" * 3
    assert streams[0].payload == b"\0" * 192 and container.read(io.BytesIO(data)) == data
    with pytest.raises(InvalidFileError, match="padded"):
        container.read(io.BytesIO(data + b"more"))
    assert container.unpack(_sample())[0].icc_profile is None


def _rewrite_metadata(entry: bytes) -> bytes:
    """A file with an ICC flag whose metadata block is ``entry`` (the header CRC recomputed)."""
    return _v3(flags=container.Flags.ICC_PROFILE, width=b"\x08", height=b"\x08", rest=bytes(4) + entry,
               table=b"\x01\xc0\x01", payload=b"\0" * 192)


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
    data[8 + 3 + 3 + 4 + 1 + 5 + 2] ^= 0x10  # inside the compressed profile
    with pytest.raises(InvalidFileError, match="checksum"):
        container.unpack(bytes(data))


# --- the stream table: parsed in bulk, its size bounded by the image's ------------------------


class _CountingReader(io.BytesIO):
    """A file that records how far it was read."""

    def read(self, n: int = -1) -> bytes:
        out = super().read(n)
        self.furthest = max(getattr(self, "furthest", 0), self.tell())
        return out


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([0, 1, 127, 128, 300, 16383, 16384, 1 << 21, (1 << 28) + 5]), min_size=1, max_size=40))
def test_the_bulk_table_parse_gives_the_lengths_packed_and_reads_no_further(lengths: list[int]) -> None:
    header = Header(16 * len(lengths), 16, 3, 16, b"", 0)
    table = b"".join(bytes([StreamKind.RAW]) + container._varint(n) for n in lengths)
    reader = _CountingReader(table + b"\xff" * 64)  # what follows must stay unread
    kinds, got = container._table_entries(container._Source(b"", reader), header.tile_count)
    assert got == lengths and kinds == [StreamKind.RAW] * len(lengths) and reader.furthest == len(table)


@pytest.mark.parametrize("entry, message", [(b"\x01\x80\x00", "padded"), (b"\x01" + b"\xff" * 5 + b"\x01", "too long"),
                                            (b"\x85\x03", "stream kind 133"), (b"\x01\x80", "truncated")])
def test_a_malformed_table_entry_among_good_ones_is_refused(entry: bytes, message: str) -> None:
    table = b"\x01\x30" * 5 + entry + b"\x01\x30" * 4
    with pytest.raises(InvalidFileError, match=message):
        container._table_entries(container._Source(table[: len(table) - (4 * 2 if message == "truncated" else 0)]), 10)


def test_a_tile_size_that_makes_more_tiles_than_the_limit_is_refused_before_the_table_is_read() -> None:
    """2**20 tiles of 16 pixels declared in a header of a few bytes: refused at once, with
    the smallest tile size the image may have; every image the encoder's own tile sizes
    cut fits (at most 66 560 tiles of 64 pixels, at 4097 x 65520)."""
    head = container.MAGIC + bytes([3, 0, 4]) + container._varint(16384) * 2 + bytes([1])
    with pytest.raises(InvalidFileError, match=r"1048576 tiles, more than 131072 \(its smallest tile size is 48\)"):
        container.read(io.BytesIO(head + b"\0" * 4))  # the table is not there: the geometry is refused first
    container.validate_geometry(4097, 65520, 4, 64)
    container.validate_geometry(65536, 4096, 4, 64)
    assert Header(4097, 65520, 4, 64, b"", 0).tile_count == 66560 < container.MAX_TILES
