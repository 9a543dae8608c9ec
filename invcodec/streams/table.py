"""The one table of stream owners, and the tile-level choice the encoder and the decoder
make through it: per tile, the colour planes and, apart, the alpha plane each get the
smallest candidate of the plane owners in ``ENCODE_ORDER`` (a later one only when
strictly smaller; a conclusive one ends the search), then a tile with alpha may be one
JOINED stream of all its channels when that is smaller still. A 16-bit tile is two 8-bit
tiles, its high bytes then its low bytes, each coded so (the high bytes of a photo are
an 8-bit photo for the model; the low bytes are mostly noise, which raw or classic take)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..container import Stream, StreamKind
from ..reduce import box_reduce
from .adapted import AdaptedStream
from .base import StreamContext, StreamOwner
from .classic import ClassicStream
from .constant import ConstantStream
from .joined import JoinedStream
from .model import ModelStream
from .raw import RawStream

_JOINED = JoinedStream()
_MODEL = ModelStream()
OWNERS: dict[StreamKind, StreamOwner] = {
    StreamKind.CONSTANT: ConstantStream(),
    StreamKind.RAW: RawStream(),
    StreamKind.FLOW: _MODEL,
    StreamKind.CLASSIC: ClassicStream(),
    StreamKind.JOINED: _JOINED,
    StreamKind.ADAPTED: AdaptedStream(),
}
# the plane owners in the order the encoder tries them (JOINED codes whole tiles)
ENCODE_ORDER = (StreamKind.CONSTANT, StreamKind.RAW, StreamKind.FLOW, StreamKind.ADAPTED, StreamKind.CLASSIC)


@dataclass
class EncodedPlanes:
    stream: Stream
    decoded: np.ndarray  # the planes as the decoder will produce them


def encode_planes(planes: np.ndarray, context: StreamContext) -> EncodedPlanes:
    """(h, w, 1 or 3) uint8 -> the smallest stream the owners offer."""
    best = None
    for kind in ENCODE_ORDER:
        owner = OWNERS[kind]
        candidate = owner.encode(planes, context, None if best is None else len(best.stream.payload))
        if candidate is not None and (best is None or len(candidate.payload) < len(best.stream.payload)):
            best = EncodedPlanes(Stream(kind, candidate.payload), candidate.decoded)
            if owner.conclusive:
                break
    return best


def split_bytes(region: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """uint16 samples -> their high and low bytes, as two uint8 arrays of the same shape."""
    return (region >> 8).astype(np.uint8), (region & 0xFF).astype(np.uint8)


def join_bytes(high: np.ndarray, low: np.ndarray) -> np.ndarray:
    return (high.astype(np.uint16) << 8) | low


def encode_tile(region: np.ndarray, colour: int, context: StreamContext) -> list[EncodedPlanes]:
    """A tile's streams: colour, then alpha if there is any (always lossless); for 16-bit
    samples, those of the high bytes, then those of the low bytes."""
    if region.dtype == np.uint16:
        high, low = split_bytes(region)
        return encode_tile(high, colour, context) + encode_tile(low, colour, context)
    parts = [encode_planes(region[:, :, :colour], context)]
    if region.shape[2] == colour:
        return parts
    parts.append(encode_planes(region[:, :, colour:], context.lossless()))
    if all(p.stream.kind == _JOINED.joins for p in parts):
        candidate = _JOINED.encode(region, context, sum(len(p.stream.payload) for p in parts))
        if candidate is not None:
            return [EncodedPlanes(Stream(_JOINED.joins, candidate.payload), region[:, :, :colour]),
                    EncodedPlanes(Stream(StreamKind.JOINED, b""), region[:, :, colour:])]
    return parts


def decode_tile(streams: list[Stream], height: int, width: int, colour: int, context: StreamContext,
                levels: int = 0) -> np.ndarray:
    """A tile's streams (colour, then alpha if any) -> its (height, width, channels)
    samples; ``levels`` k > 0: at 1/2**k, a flow stream from its coarse levels alone
    (the file's coder reduces: ``codec.decode_scaled`` checks), the others decoded in full
    and box-reduced. 16-bit: the high bytes' streams, then the low bytes' (lossless: never
    reduced from coarse levels)."""
    if context.bit_depth == 16:
        half = len(streams) // 2
        return box_reduce(join_bytes(*(decode_tile(part, height, width, colour, replace(context, bit_depth=8))
                                       for part in (streams[:half], streams[half:]))), levels)
    if len(streams) == 2 and streams[1].kind == StreamKind.JOINED:  # the colour slot holds every channel
        return box_reduce(_JOINED.decode(streams[0].payload, height, width, colour + 1, context), levels)
    planes = [_decode_planes(streams[0], height, width, colour, context, levels)]
    if len(streams) == 2:
        planes.append(_decode_planes(streams[1], height, width, 1, context.lossless(), levels))
    return np.concatenate(planes, axis=2) if len(planes) == 2 else planes[0]


def _decode_planes(stream: Stream, height: int, width: int, planes: int, context: StreamContext, levels: int) -> np.ndarray:
    if levels and stream.kind == StreamKind.FLOW:
        return _MODEL.decode(stream.payload, height, width, planes, context, levels)
    return box_reduce(OWNERS[stream.kind].decode(stream.payload, height, width, planes, context), levels)
