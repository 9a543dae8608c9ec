"""The .inv container, format versions 1 and 2 (2 = 1 with an ICC profile; see docs/FORMAT.md).

All integers little-endian. Every field is validated before anything is allocated from
it, and every failure is an ``InvalidFileError`` naming what is wrong."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from enum import IntEnum
from typing import BinaryIO

from .errors import InvalidFileError

MAGIC = b"\x89INV\r\n\x1a\n"
FORMAT_VERSION = 1  # files without metadata: unchanged since 0.1.0
METADATA_VERSION = 2  # version 1 plus a metadata block (an ICC profile); written only when there is one
READ_VERSIONS = (FORMAT_VERSION, METADATA_VERSION)
MAX_ICC_BYTES = 1 << 22  # 4 MiB: the largest profile stored (real ones are 0.5-60 KB)
MAX_SIDE = 1 << 16  # 65536 px
MAX_PIXELS = 1 << 28  # 268 megapixels
MIN_TILE, MAX_TILE = 16, 512  # the tile bounds the decoder's memory (about 0.5 GB at 512)
PIL_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}  # what the channel count means

_FIXED = struct.Struct("<8sBBBBIII16sII")  # magic..n_streams
_STREAM = struct.Struct("<BI")
_CRC = struct.Struct("<I")
_META_ENTRY = struct.Struct("<BI")  # tag, length of the zlib-compressed value


class MetadataTag(IntEnum):
    ICC_PROFILE = 1  # the input's ICC colour profile, byte for byte


class Mode(IntEnum):
    LOSSLESS = 0
    LOSSY = 1  # adds the quantizer block after the fixed header


MAX_LOSSY_BANDS = 3 + 9 * 8  # an 8-level flow; bounds the block before anything is read from it
_QUANT = struct.Struct("<BBB")  # quality, reconstruction offset (1/256 step), band count


@dataclass(frozen=True)
class Quantizer:
    """What the lossy decoder needs to dequantize: a step index per band (decoding order)
    and the reconstruction offset; the quality is recorded for information."""

    quality: int
    recon_offset: int
    steps: tuple[int, ...]


class StreamKind(IntEnum):
    FLOW = 0  # ANS-coded latents of the integer flow (3 planes; 1 plane is stored as 3 equal ones)
    RAW = 1  # the planes' bytes, row-major, plane-interleaved
    CONSTANT = 2  # one byte per plane: every pixel has this value (one plane only before 0.2.0)
    CLASSIC = 3  # row prediction + LZMA2 or deflate, for synthetic content (invcodec.classic_coder)


@dataclass
class Header:
    width: int
    height: int
    channels: int  # 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA
    tile_size: int
    model_id: bytes
    pixel_crc32: int
    mode: Mode = Mode.LOSSLESS
    quantizer: Quantizer | None = None  # lossy mode only
    bit_depth: int = 8
    version: int = FORMAT_VERSION  # as read; ``pack`` writes METADATA_VERSION exactly when there is metadata
    icc_profile: bytes | None = None  # kept from the input, handed to the decoded image

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
        t = self.tile_size
        return -(-self.height // t) * -(-self.width // t)

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


def _pack_quantizer(q: Quantizer) -> bytes:
    return _QUANT.pack(q.quality, q.recon_offset, len(q.steps)) + bytes(q.steps)


def _unpack_quantizer(data: bytes, offset: int) -> tuple[Quantizer, int]:
    if len(data) < offset + _QUANT.size:
        raise InvalidFileError("truncated header")
    quality, recon_offset, n = _QUANT.unpack_from(data, offset)
    if not 1 <= quality <= 100:
        raise InvalidFileError(f"invalid lossy quality {quality}")
    if not 3 <= n <= MAX_LOSSY_BANDS or (n - 3) % 9:
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
    """The metadata block of a version-2 header: (the compressed ICC profile, offset after
    the block). It is inflated only after the header CRC has been checked."""
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


def pack(header: Header, streams: list[Stream]) -> bytes:
    if (header.mode == Mode.LOSSY) != (header.quantizer is not None):
        raise ValueError("a lossy header needs a quantizer, a lossless one must not have one")
    version = FORMAT_VERSION if header.icc_profile is None else METADATA_VERSION
    parts = [
        _FIXED.pack(
            MAGIC, version, header.mode, header.channels, header.bit_depth, header.width, header.height,
            header.tile_size, header.model_id, header.pixel_crc32, len(streams),
        )
    ]
    if header.quantizer is not None:
        parts.append(_pack_quantizer(header.quantizer))
    if header.icc_profile is not None:
        parts.append(_pack_metadata(header.icc_profile))
    parts += [_STREAM.pack(s.kind, len(s.payload)) for s in streams]
    head = b"".join(parts)
    return head + _CRC.pack(zlib.crc32(head)) + b"".join(s.payload for s in streams)


def _fixed_fields(data: bytes) -> tuple:
    """The fixed header's fields, after the magic, its length and the version are checked."""
    if len(data) < len(MAGIC) or data[: len(MAGIC)] != MAGIC:
        raise InvalidFileError("not an invcodec file (bad magic)")
    if len(data) < _FIXED.size:
        raise InvalidFileError("truncated header")
    fields = _FIXED.unpack_from(data)
    if fields[1] not in READ_VERSIONS:
        raise InvalidFileError(f"unsupported format version {fields[1]} (this invcodec reads versions "
                               f"{', '.join(map(str, READ_VERSIONS))})")
    return fields


def unpack_header(data: bytes, whole_file: bool = True) -> tuple[Header, list[tuple[StreamKind, int]], int]:
    """Parse and validate the header: (header, [(kind, length)], offset of the first payload).
    ``whole_file``: ``data`` is the whole file, so its length must match the stream table."""
    (_, version, mode, channels, bit_depth, width, height, tile, model_id, crc, n_streams) = _fixed_fields(data)
    if mode not in Mode.__members__.values():
        raise InvalidFileError(f"unknown mode {mode}")
    quant, table_start = _unpack_quantizer(data, _FIXED.size) if mode == Mode.LOSSY else (None, _FIXED.size)
    packed_icc, table_start = _unpack_metadata(data, table_start) if version == METADATA_VERSION else (None, table_start)
    table_end = table_start + n_streams * _STREAM.size
    if len(data) < table_end + _CRC.size:
        raise InvalidFileError("truncated header")
    (stored_crc,) = _CRC.unpack_from(data, table_end)
    if zlib.crc32(data[:table_end]) != stored_crc:
        raise InvalidFileError("header checksum mismatch (the file is corrupted)")
    if bit_depth != 8:
        raise InvalidFileError(f"unsupported bit depth {bit_depth}")
    validate_geometry(width, height, channels, tile)
    icc = _inflate_icc(packed_icc) if packed_icc is not None else None
    header = Header(width, height, channels, tile, model_id, crc, Mode(mode), quant, bit_depth, version, icc)
    expected = header.tile_count * header.streams_per_tile
    if n_streams != expected:
        raise InvalidFileError(f"stream count {n_streams} does not match the geometry (expected {expected})")
    table = []
    for i in range(n_streams):
        kind, length = _STREAM.unpack_from(data, table_start + i * _STREAM.size)
        if kind not in StreamKind.__members__.values():
            raise InvalidFileError(f"unknown stream kind {kind}")
        table.append((StreamKind(kind), length))
    offset = table_end + _CRC.size
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


def read(fp: BinaryIO) -> bytes:
    """The bytes of one .inv file from ``fp``, reading no more than its header declares
    (so an endless or huge input costs nothing): the fixed header is read and checked
    first, then the stream table, then exactly the declared payload. The payload may not
    exceed the image's raw size (the encoder never writes more: it stores raw bytes
    instead), so a file of any origin costs at most that much memory."""
    data = _read_exactly(fp, _FIXED.size)
    (_, version, mode, channels, _, width, height, tile, _, _, n_streams) = _fixed_fields(data)
    validate_geometry(width, height, channels, tile)
    shape = Header(width, height, channels, tile, b"", 0)
    if n_streams != shape.tile_count * shape.streams_per_tile:
        raise InvalidFileError(f"stream count {n_streams} does not match the geometry")
    if mode == Mode.LOSSY:
        data += _read_exactly(fp, _QUANT.size)
        if len(data) == _FIXED.size + _QUANT.size:
            data += _read_exactly(fp, data[-1])
    if version == METADATA_VERSION:
        entry = _read_exactly(fp, 1 + _META_ENTRY.size)
        data += entry
        if len(entry) == 1 + _META_ENTRY.size:
            length = _META_ENTRY.unpack_from(entry, 1)[1]
            if length > _max_packed(MAX_ICC_BYTES):
                raise InvalidFileError(f"metadata entry of {length} bytes is too large")
            data += _read_exactly(fp, length)
    data += _read_exactly(fp, n_streams * _STREAM.size + _CRC.size)
    header, table, offset = unpack_header(data, whole_file=False)
    payload = sum(length for _, length in table)
    raw = width * height * channels
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
