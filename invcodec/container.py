"""The .inv container: format version 3 (written since 0.2.0) and version 1 (0.1.0,
still read). See docs/FORMAT.md.

Version 3 is version 1 made compact: sizes and stream lengths are LEB128 numbers, the
model id is present only when a flow stream needs it, and flags say which optional blocks
follow, so a small synthetic image is not mostly header (a one-colour image: 29 bytes
instead of 60). All fixed-size integers are little-endian. Every field is validated before
anything is allocated from it, and every failure is an ``InvalidFileError`` naming what is
wrong."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from enum import IntEnum, IntFlag
from typing import BinaryIO

from .errors import InvalidFileError
from .spec import MAX_LEVELS
from .walk import COLOURS, DETAILS, band_count

MAGIC = b"\x89INV\r\n\x1a\n"
FORMAT_VERSION = 3  # what the encoder writes
V1 = 1  # 0.1.0's fixed-width layout, read forever (version 2 existed only in 0.2.0 development builds)
READ_VERSIONS = (V1, FORMAT_VERSION)
MAX_ICC_BYTES = 1 << 22  # 4 MiB: the largest profile stored (real ones are 0.5-60 KB)
MAX_SIDE = 1 << 16  # 65536 px
MAX_PIXELS = 1 << 28  # 268 megapixels
MIN_TILE, MAX_TILE = 16, 512  # the tile bounds the decoder's memory (about 0.5 GB at 512)
# bounds the stream table and the decoder's per-tile work by the image's size; the encoder's
# smallest own tile size (64, ``flat_tiles``) cuts any image into at most 66 560 tiles
MAX_TILES = 1 << 17
PIL_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}  # what the channel count means
MODEL_ID_BYTES = 16

_FIXED = struct.Struct("<8sBBBBIII16sII")  # version 1: magic..n_streams
_STREAM = struct.Struct("<BI")  # version 1: kind, length
_U32 = struct.Struct("<I")
_META_ENTRY = struct.Struct("<BI")  # tag, length of the zlib-compressed value
_MAX_VARINT_BYTES = 5  # 35 bits: more than any length a valid file can hold
_MAX_ENTRY_BYTES = 1 + _MAX_VARINT_BYTES  # a stream-table entry: kind, length


class Flags(IntFlag):
    """Version 3's flag byte: which optional header parts follow."""

    LOSSY = 1  # a quantizer block (lossy mode)
    MODEL_ID = 2  # the 16-byte model id (present exactly when a flow stream is)
    ICC_PROFILE = 4  # a metadata block with the input's ICC profile
    ADAPTIVE_PRIOR = 8  # flow streams carry per-band mean and scale offsets (``entropy.adapt``); only with MODEL_ID


class MetadataTag(IntEnum):
    ICC_PROFILE = 1  # the input's ICC colour profile, byte for byte


class Mode(IntEnum):
    LOSSLESS = 0
    LOSSY = 1  # adds the quantizer block after the fixed header


MAX_LOSSY_BANDS = band_count(MAX_LEVELS)  # bounds the quantizer block before anything is read from it
_QUANT = struct.Struct("<BBB")  # quality, reconstruction offset (1/256 step), band count


@dataclass(frozen=True)
class Quantizer:
    """What a lossy file records, all the decoder needs to dequantize: the quality (the
    decoder derives the model's rate input, ``global_step``, from it), the reconstruction
    offset (1/256 steps towards the mean) and a step index per band in decoding order.
    What only the encoder chooses is ``quantizer.EncoderChoices``."""

    quality: int
    recon_offset: int
    steps: tuple[int, ...]

    @property
    def global_step(self) -> int:
        """The quality's step index: the rate input of the model's priors."""
        from .quantizer import global_step_index  # here, not above: reading a lossless header needs no numpy

        return global_step_index(self.quality)


class StreamKind(IntEnum):
    """The format's stream kinds; each one's coding is its owner's in ``invcodec.streams``."""

    FLOW = 0  # ANS-coded latents of the integer flow (3 planes; 1 plane is stored as 3 equal ones)
    RAW = 1  # the planes' bytes, row-major, plane-interleaved
    CONSTANT = 2  # one byte per plane: every pixel has this value (one plane only before 0.2.0)
    CLASSIC = 3  # row prediction + LZMA2 or deflate, for synthetic content (invcodec.classic_coder)
    JOINED = 4  # (alpha only, empty) the tile's alpha is inside its colour stream, a CLASSIC one of all channels
    ADAPTED = 5  # a FLOW stream of an autoregressive model adapted to the tile: the weight delta, then the stream


# the kinds coded by the file's model (the header names it exactly when there are some)
MODEL_KINDS = frozenset({StreamKind.FLOW, StreamKind.ADAPTED})


@dataclass
class Header:
    width: int
    height: int
    channels: int  # 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA
    tile_size: int
    model_id: bytes  # empty when read from a version-3 file without flow streams
    pixel_crc32: int
    quantizer: Quantizer | None = None  # lossy files only: what the mode is
    bit_depth: int = 8
    version: int = FORMAT_VERSION  # as read; ``pack`` always writes FORMAT_VERSION
    icc_profile: bytes | None = None  # kept from the input, handed to the decoded image
    # flow streams carry mean and scale offsets (``entropy.adapt``): every file written since the
    # flag exists; False in older files. ``pack`` writes the flag only with flow streams.
    adaptive_prior: bool = False

    @property
    def mode(self) -> Mode:
        return Mode.LOSSLESS if self.quantizer is None else Mode.LOSSY

    @property
    def colour_planes(self) -> int:
        return 1 if self.channels <= 2 else 3

    @property
    def has_alpha(self) -> bool:
        return self.channels in (2, 4)

    def tiles(self) -> list[tuple[int, int, int, int]]:
        """(top, left, height, width) of every tile, in raster order."""
        t = self.tile_size
        return [
            (top, left, min(t, self.height - top), min(t, self.width - left))
            for top in range(0, self.height, t)
            for left in range(0, self.width, t)
        ]

    @property
    def tile_count(self) -> int:
        return _tile_count(self.width, self.height, self.tile_size)

    @property
    def streams_per_tile(self) -> int:
        return 2 if self.has_alpha else 1


@dataclass
class Stream:
    kind: StreamKind
    payload: bytes = field(repr=False)


def validate_geometry(width: int, height: int, channels: int, tile_size: int) -> None:
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE) or width * height > MAX_PIXELS:
        raise InvalidFileError(f"image size {width}x{height} is outside the supported range (sides 1..{MAX_SIDE}, at most {MAX_PIXELS} pixels)")
    if channels not in (1, 2, 3, 4):
        raise InvalidFileError(f"unsupported channel count {channels}")
    if not (MIN_TILE <= tile_size <= MAX_TILE) or tile_size % MIN_TILE:
        raise InvalidFileError(f"invalid tile size {tile_size}")
    if _tile_count(width, height, tile_size) > MAX_TILES:
        smallest = next(t for t in range(MIN_TILE, MAX_TILE + 1, MIN_TILE) if _tile_count(width, height, t) <= MAX_TILES)
        raise InvalidFileError(f"tile size {tile_size} cuts a {width}x{height} image into "
                               f"{_tile_count(width, height, tile_size)} tiles, more than {MAX_TILES} "
                               f"(its smallest tile size is {smallest})")


def _tile_count(width: int, height: int, tile_size: int) -> int:
    return -(-width // tile_size) * -(-height // tile_size)


def _pack_quantizer(q: Quantizer) -> bytes:
    return _QUANT.pack(q.quality, q.recon_offset, len(q.steps)) + bytes(q.steps)


def _unpack_quantizer(data: bytes, offset: int) -> tuple[Quantizer, int]:
    if len(data) < offset + _QUANT.size:
        raise InvalidFileError("truncated header")
    quality, recon_offset, n = _QUANT.unpack_from(data, offset)
    if not 1 <= quality <= 100:
        raise InvalidFileError(f"invalid lossy quality {quality}")
    if not COLOURS <= n <= MAX_LOSSY_BANDS or (n - COLOURS) % DETAILS:
        raise InvalidFileError(f"invalid quantizer band count {n}")
    end = offset + _QUANT.size + n
    if len(data) < end:
        raise InvalidFileError("truncated header")
    steps = tuple(data[offset + _QUANT.size : end])
    from .quantizer import MAX_STEP_INDEX  # here, not above: reading a lossless header needs no numpy

    if max(steps) > MAX_STEP_INDEX:
        raise InvalidFileError("quantizer step out of range")
    return Quantizer(quality, recon_offset, steps), end


def _pack_metadata(icc_profile: bytes) -> bytes:
    if len(icc_profile) > MAX_ICC_BYTES:
        raise ValueError(f"the ICC profile has {len(icc_profile)} bytes; at most {MAX_ICC_BYTES} are stored")
    value = zlib.compress(icc_profile, 9)
    return bytes([1]) + _META_ENTRY.pack(MetadataTag.ICC_PROFILE, len(value)) + value


def _unpack_metadata(data: bytes, offset: int) -> tuple[bytes, int]:
    """A metadata block: (the compressed ICC profile, offset after the block). It is
    inflated only after the header CRC has been checked."""
    if len(data) < offset + 1:
        raise InvalidFileError("truncated header")
    count, offset = data[offset], offset + 1
    if count != 1:
        raise InvalidFileError(f"invalid metadata entry count {count}")
    if len(data) < offset + _META_ENTRY.size:
        raise InvalidFileError("truncated header")
    tag, length = _META_ENTRY.unpack_from(data, offset)
    offset += _META_ENTRY.size
    if tag != MetadataTag.ICC_PROFILE:
        raise InvalidFileError(f"unknown metadata tag {tag} (written by a newer invcodec?)")
    if length > _max_packed(MAX_ICC_BYTES):
        raise InvalidFileError(f"metadata entry of {length} bytes is too large")
    if len(data) < offset + length:
        raise InvalidFileError("truncated header")
    return data[offset : offset + length], offset + length


def _inflate_icc(packed: bytes) -> bytes:
    inflate = zlib.decompressobj()
    try:
        icc = inflate.decompress(packed, MAX_ICC_BYTES + 1)
    except zlib.error:
        raise InvalidFileError("corrupted ICC profile") from None
    if not inflate.eof or inflate.unconsumed_tail or inflate.unused_data or len(icc) > MAX_ICC_BYTES or not icc:
        raise InvalidFileError("corrupted ICC profile")
    return icc


def _max_packed(n: int) -> int:
    return n + n // 1000 + 64  # zlib's worst case for n incompressible bytes, with room


def _varint(value: int) -> bytes:
    """Unsigned LEB128: 7 bits per byte, low bits first, high bit = more bytes follow."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def pack(header: Header, streams: list[Stream]) -> bytes:
    """A version-3 file: header, stream table, header CRC, payloads."""
    flow = any(s.kind in MODEL_KINDS for s in streams)
    if flow and len(header.model_id) != MODEL_ID_BYTES:
        raise ValueError(f"a file with flow streams needs a {MODEL_ID_BYTES}-byte model id")
    flags = (Flags.LOSSY if header.quantizer else 0) | (Flags.MODEL_ID if flow else 0) | \
        (Flags.ICC_PROFILE if header.icc_profile is not None else 0) | \
        (Flags.ADAPTIVE_PRIOR if flow and header.adaptive_prior else 0)
    parts = [MAGIC, bytes([FORMAT_VERSION, flags, header.channels]), _varint(header.width), _varint(header.height),
             bytes([header.tile_size // MIN_TILE]), header.model_id if flow else b"", _U32.pack(header.pixel_crc32)]
    if header.quantizer is not None:
        parts.append(_pack_quantizer(header.quantizer))
    if header.icc_profile is not None:
        parts.append(_pack_metadata(header.icc_profile))
    parts += [bytes([s.kind]) + _varint(len(s.payload)) for s in streams]
    head = b"".join(parts)
    return head + _U32.pack(zlib.crc32(head)) + b"".join(s.payload for s in streams)


class _Source:
    """The bytes of a header as it is parsed: from a buffer, or pulled from a file only as
    far as the header goes (so an endless input costs nothing)."""

    def __init__(self, data: bytes, fp: BinaryIO | None = None):
        self.data, self.fp, self.pos = bytearray(data), fp, 0  # bytearray: appending is amortised O(1)

    def take(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.data) and self.fp is not None:
            self.data += _read_exactly(self.fp, end - len(self.data))
        if end > len(self.data):
            raise InvalidFileError("truncated header")
        out, self.pos = bytes(self.data[self.pos : end]), end
        return out

    def fill(self, n: int) -> None:
        """Have up to ``n`` bytes after the position at hand (fewer at the input's end)."""
        end = self.pos + n
        if end > len(self.data) and self.fp is not None:
            self.data += _read_exactly(self.fp, end - len(self.data))

    def u8(self) -> int:
        return self.take(1)[0]

    def varint(self) -> int:
        value = 0
        for i in range(_MAX_VARINT_BYTES):
            byte = self.u8()
            value |= (byte & 0x7F) << (7 * i)
            if not byte & 0x80:
                if byte == 0 and i:
                    raise InvalidFileError("malformed number in the header (padded)")
                return value
        raise InvalidFileError("malformed number in the header (too long)")


def _check_magic(data: bytes) -> int:
    """The format version, after the magic is checked."""
    if len(data) < len(MAGIC) or data[: len(MAGIC)] != MAGIC:
        raise InvalidFileError("not an invcodec file (bad magic)")
    if len(data) <= len(MAGIC):
        raise InvalidFileError("truncated header")
    version = data[len(MAGIC)]
    if version not in READ_VERSIONS:
        raise InvalidFileError(f"unsupported format version {version} (this invcodec reads versions "
                               f"{', '.join(map(str, READ_VERSIONS))})")
    return version


def _stream_table(header: Header, kinds: list[int], lengths: list[int]) -> list[tuple[StreamKind, int]]:
    """Kinds checked, all at once: known, and JOINED only as an empty alpha stream after a
    classic colour stream."""
    import numpy as np

    kind, length = np.asarray(kinds, np.int64), np.asarray(lengths, np.int64)
    unknown = np.flatnonzero(kind > max(StreamKind))
    if unknown.size:
        raise InvalidFileError(f"unknown stream kind {kind[unknown[0]]}")
    joined = np.flatnonzero(kind == StreamKind.JOINED)
    if joined.size and not (header.has_alpha and (joined % 2).all() and (length[joined] == 0).all()
                            and (kind[joined - 1] == StreamKind.CLASSIC).all()):
        raise InvalidFileError("a joined stream must be an empty alpha stream after a classic colour stream")
    return list(zip(map(_KINDS.__getitem__, kind.tolist()), length.tolist()))


_KINDS = list(StreamKind)  # a stream kind by its number


def _table_entries(src: _Source, count: int) -> tuple[list[int], list[int]]:
    """The kinds and lengths of ``count`` stream-table entries (a kind byte, a LEB128
    length), parsed in bulk: the cost is numpy's per byte, not Python's per entry."""
    import numpy as np

    kinds: list[int] = []
    lengths: list[int] = []
    while len(kinds) < count:
        left = count - len(kinds)
        src.fill(2 * left)  # every entry takes at least 2 bytes: never read past the table
        window = np.frombuffer(src.data[src.pos : src.pos + _MAX_ENTRY_BYTES * left], np.uint8)
        k, n, used = _bulk_entries(window, left)
        kinds += k
        lengths += n
        src.pos += used
        if not k:  # a malformed entry, or one the window cuts: read alone, it is refused or completed
            kind, length = src.u8(), src.varint()
            if kind > max(StreamKind):  # (a kind byte of 0x80 or more breaks the bulk parse at each entry)
                raise InvalidFileError(f"unknown stream kind {kind}")
            kinds.append(kind)
            lengths.append(length)
    return kinds, lengths


def _bulk_entries(window, most: int) -> tuple[list[int], list[int], int]:
    """Up to ``most`` entries from the start of ``window``, as far as they are well formed:
    (kinds, lengths, bytes used). A well-formed entry's kind byte is below 0x80 and its
    length ends at its first byte below 0x80, so such bytes alternate kind, last length byte."""
    import numpy as np

    low = np.flatnonzero(window < 0x80)
    m = min(most, low.size // 2)
    starts, ends = low[0 : 2 * m : 2], low[1 : 2 * m : 2]
    size = ends - starts  # the length's bytes
    ok = (size <= _MAX_VARINT_BYTES) & ((size == 1) | (window[ends] != 0))  # not too long, not padded
    ok[1:] &= starts[1:] == ends[:-1] + 1  # each entry starts where the one before it ends
    if m:
        ok[0] &= starts[0] == 0
    m = int(ok.argmin()) if not ok.all() else m
    starts, size = starts[:m], size[:m]
    shift = np.arange(_MAX_VARINT_BYTES)
    at = np.minimum(starts[:, None] + 1 + shift, window.size - 1)
    digits = np.where(shift < size[:, None], window[at].astype(np.int64) & 0x7F, 0)
    lengths = (digits << (7 * shift)).sum(axis=1)
    used = int(ends[m - 1]) + 1 if m else 0
    return window[starts].tolist(), lengths.tolist(), used


def _parse_v3(src: _Source) -> tuple[Header, list[tuple[StreamKind, int]], bytes | None]:
    """Header and stream table of a version-3 file, up to and including the header CRC
    (checked); the ICC profile is returned compressed, still to be inflated."""
    src.take(len(MAGIC) + 1)  # magic and version: checked by the caller
    flags, channels = src.u8(), src.u8()
    if flags & ~sum(Flags):
        raise InvalidFileError(f"unknown header flags {flags:#04x} (written by a newer invcodec?)")
    if flags & Flags.ADAPTIVE_PRIOR and not flags & Flags.MODEL_ID:
        raise InvalidFileError("header flags adaptive prior without flow streams")
    width, height = src.varint(), src.varint()
    tile = src.u8() * MIN_TILE
    validate_geometry(width, height, channels, tile)
    model_id = src.take(MODEL_ID_BYTES) if flags & Flags.MODEL_ID else b""
    (crc,) = _U32.unpack(src.take(_U32.size))
    quant = None
    if flags & Flags.LOSSY:
        block = src.take(_QUANT.size)
        quant = _unpack_quantizer(block + src.take(block[-1]), 0)[0]
    packed_icc = None
    if flags & Flags.ICC_PROFILE:
        entry = src.take(1 + _META_ENTRY.size)
        length = _META_ENTRY.unpack_from(entry, 1)[1]
        if length > _max_packed(MAX_ICC_BYTES):
            raise InvalidFileError(f"metadata entry of {length} bytes is too large")
        packed_icc = _unpack_metadata(entry + src.take(length), 0)[0]
    header = Header(width, height, channels, tile, model_id, crc, quant, version=FORMAT_VERSION,
                    adaptive_prior=bool(flags & Flags.ADAPTIVE_PRIOR))
    kinds, lengths = _table_entries(src, header.tile_count * header.streams_per_tile)
    end = src.pos
    (stored_crc,) = _U32.unpack(src.take(_U32.size))
    if zlib.crc32(src.data[:end]) != stored_crc:
        raise InvalidFileError("header checksum mismatch (the file is corrupted)")
    table = _stream_table(header, kinds, lengths)
    if any(kind in MODEL_KINDS for kind, _ in table) != bool(model_id):
        raise InvalidFileError("the model id must be present exactly when there are flow streams")
    return header, table, packed_icc


def _parse_v1(data: bytes) -> tuple[Header, list[tuple[StreamKind, int]], int]:
    """0.1.0's fixed-width header: (header, table, offset of the first payload)."""
    if len(data) < _FIXED.size:
        raise InvalidFileError("truncated header")
    (_, version, mode, channels, bit_depth, width, height, tile, model_id, crc, n_streams) = _FIXED.unpack_from(data)
    if mode not in Mode.__members__.values():
        raise InvalidFileError(f"unknown mode {mode}")
    quant, table_start = _unpack_quantizer(data, _FIXED.size) if mode == Mode.LOSSY else (None, _FIXED.size)
    table_end = table_start + n_streams * _STREAM.size
    if len(data) < table_end + _U32.size:
        raise InvalidFileError("truncated header")
    (stored_crc,) = _U32.unpack_from(data, table_end)
    if zlib.crc32(data[:table_end]) != stored_crc:
        raise InvalidFileError("header checksum mismatch (the file is corrupted)")
    if bit_depth != 8:
        raise InvalidFileError(f"unsupported bit depth {bit_depth}")
    validate_geometry(width, height, channels, tile)
    header = Header(width, height, channels, tile, model_id, crc, quant, bit_depth, version)
    expected = header.tile_count * header.streams_per_tile
    if n_streams != expected:
        raise InvalidFileError(f"stream count {n_streams} does not match the geometry (expected {expected})")
    import numpy as np

    entries = np.frombuffer(data, np.dtype([("kind", "u1"), ("length", "<u4")]), n_streams, table_start)  # _STREAM
    kinds, lengths = entries["kind"].tolist(), entries["length"].tolist()
    return header, _stream_table(header, kinds, lengths), table_end + _U32.size


def unpack_header(data: bytes, whole_file: bool = True) -> tuple[Header, list[tuple[StreamKind, int]], int]:
    """Parse and validate the header: (header, [(kind, length)], offset of the first payload).
    ``whole_file``: ``data`` is the whole file, so its length must match the stream table."""
    if _check_magic(data) == V1:
        header, table, offset = _parse_v1(data)
    else:
        src = _Source(data)
        header, table, packed_icc = _parse_v3(src)
        header.icc_profile = _inflate_icc(packed_icc) if packed_icc is not None else None
        offset = src.pos
    if whole_file and offset + sum(length for _, length in table) != len(data):
        raise InvalidFileError("file length does not match the stream table (truncated or padded)")
    return header, table, offset


def _read_exactly(fp: BinaryIO, n: int) -> bytes:
    parts, left = [], n
    while left > 0:
        chunk = fp.read(left)
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _read_v1_header(fp: BinaryIO, data: bytes) -> bytes:
    """The rest of a version-1 header and its stream table (``data``: magic and version)."""
    data += _read_exactly(fp, _FIXED.size - len(data))
    if len(data) < _FIXED.size:
        raise InvalidFileError("truncated header")
    (_, _, mode, channels, _, width, height, tile, _, _, n_streams) = _FIXED.unpack_from(data)
    validate_geometry(width, height, channels, tile)
    shape = Header(width, height, channels, tile, b"", 0)
    if n_streams != shape.tile_count * shape.streams_per_tile:
        raise InvalidFileError(f"stream count {n_streams} does not match the geometry")
    if mode == Mode.LOSSY:
        data += _read_exactly(fp, _QUANT.size)
        if len(data) == _FIXED.size + _QUANT.size:
            data += _read_exactly(fp, data[-1])
    return data + _read_exactly(fp, n_streams * _STREAM.size + _U32.size)


def read(fp: BinaryIO) -> bytes:
    """The bytes of one .inv file from ``fp``, reading no more than its header declares
    (so an endless or huge input costs nothing): the header is read and checked first,
    then exactly the declared payload. The payload may not exceed the image's raw size
    (the encoder never writes more: it stores raw bytes instead), so a file of any origin
    costs at most that much memory."""
    data = _read_exactly(fp, len(MAGIC) + 1)
    if _check_magic(data) == V1:
        data = _read_v1_header(fp, data)
        header, table, offset = _parse_v1(data)
    else:  # parsed once, as it arrives
        src = _Source(data, fp)
        header, table, packed_icc = _parse_v3(src)
        if packed_icc is not None:
            _inflate_icc(packed_icc)  # a corrupted profile is refused before the payload is read
        data, offset = bytes(src.data), src.pos
    payload = sum(length for _, length in table)
    raw = header.width * header.height * header.channels
    if payload > raw:
        raise InvalidFileError(f"the stream table declares {payload} bytes, more than the raw pixels ({raw} bytes)")
    data += _read_exactly(fp, payload)
    if len(data) < offset + payload or fp.read(1):
        raise InvalidFileError("file length does not match the stream table (truncated or padded)")
    return data


def unpack(data: bytes) -> tuple[Header, list[Stream]]:
    header, table, offset = unpack_header(data)
    streams = []
    for kind, length in table:
        streams.append(Stream(kind, data[offset : offset + length]))
        offset += length
    return header, streams
