"""The classical path for synthetic content: row prediction, then LZMA or deflate.

Screenshots, charts, flat colours and 1-bit scans are what the flow codes worst (it was
trained on photos) and what dictionary coders code best. A tile's planes are predicted
row by row, as PNG does, with the filter that leaves the smallest residuals: none, left
(``x - a``), up (``x - b``) or gradient (``x - a - b + c``; a = left, b = up, c = up-left,
each of the same sample's plane, 0 outside); clearly synthetic tiles also try no filter
at all and a palette, each packed for real. The filter bytes and residual bytes then go
through LZMA2 (raw format, 1 MiB dictionary; the literal-context and position settings
travel in the LZMA2 stream, so the encoder may pick them per tile) or, for small tiles,
zlib level 9 if smaller. Paeth and
average are left out on purpose: every filter kept decodes with whole rows at once (a
cumulative sum along the row), so decoding stays vectorised. Python's own ``lzma`` and
``zlib`` do the coding: no new dependency.

Payload (``StreamKind.CLASSIC``, n = 1..4 planes: grey, colour, or all of a tile's
channels when its alpha stream is JOINED): one method byte (1 = zlib, 2 = LZMA2 raw;
plus 0x10 for a palette, plus 0x20 with it for bundled indices, or 0x40 without it when
green was subtracted: planes 0 and 2 hold R - G and B - G, mod 256), then the compressed
bytes of ``h`` filter bytes followed by ``h * w * n`` residual bytes (row-major,
plane-interleaved, uint8, mod 256). With a palette (at most 256 colours: pixel art, UI,
icons; on one plane only when bundled), the compressed bytes are: colours - 1 (one
byte), the colour table (colours x n bytes, sorted), then the filter and residual bytes
of the one-plane index image, whose rows are first bundled (``bundle``: 8, 4 or 2
indices per byte for at most 2, 4 or 16 colours) when the bundle flag is set."""

from __future__ import annotations

import lzma
import zlib

import numpy as np

from .errors import InvalidFileError

ZLIB, LZMA = 1, 2
PALETTE = 0x10  # method flag: the data is a colour table and filtered indices
BUNDLED = 0x20  # with PALETTE: 2, 4 or 8 indices per byte (at most 16, 4 or 2 colours), as WebP's pixel bundling
SUBTRACT_GREEN = 0x40  # without PALETTE, 3-4 planes: planes 0 and 2 hold R - G and B - G (WebP's transform of that name)
_FLAGS = PALETTE | BUNDLED | SUBTRACT_GREEN
_LZMA_FILTERS = [{"id": lzma.FILTER_LZMA2, "dict_size": 1 << 20}]  # all the decoder needs: LZMA2 chunks carry lc/lp/pb
# The encoder's settings (record: results/encoder-choices.md). Synthetic tiles: no literal context, no position bits
# (a pixel is 1 or 3 bytes, not 2^pb) and the slowest match finder, fast on such data. Same stream format.
_LZMA_PHOTO = [{"id": lzma.FILTER_LZMA2, "preset": 6, "dict_size": 1 << 20}]
_LZMA_SYNTHETIC = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME, "dict_size": 1 << 20, "lc": 0, "pb": 0}]
NONE, LEFT, UP, GRADIENT = 0, 1, 2, 3
# LZMA codes photo tiles a little below a fast deflate probe, so a tile whose probe is 10 % over
# the budget is left alone; well under the budget it is synthetic, and the slower variants are worth trying.
PROBE_WORTH = 1.1
PROBE_BAND, PROBE_EVERY = 32, 4  # the probe codes every 4th band of 32 rows
SYNTHETIC = 0.5
# Rendered gradients: nearly every row-filter residual is -1, 0 or 1 (photos: far fewer), and LZMA's long matches
# code them far below the deflate probe's estimate, so the probe would wrongly stop there.
SMOOTH = 0.9
SMALL = 1 << 16  # below this, deflate is tried beside LZMA (cheap, and smaller on tiny data)


def _shifted(x: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """x moved down by dy rows and right by dx pixels, zeros where nothing moved in."""
    out = np.zeros_like(x)
    out[dy:, dx:] = x[: x.shape[0] - dy, : x.shape[1] - dx]
    return out


def filter_rows(planes: np.ndarray) -> bytes:
    """(h, w, n) uint8 -> h filter bytes + the residuals, each row with its best filter."""
    a, b, c = _shifted(planes, 0, 1), _shifted(planes, 1, 0), _shifted(planes, 1, 1)
    candidates = np.stack([planes, planes - a, planes - b, planes - a - b + c])  # uint8 arithmetic: mod 256
    signed = candidates.view(np.int8).astype(np.int16)
    cost = np.abs(signed).sum(axis=(2, 3))  # (4, h): PNG's heuristic, the sum of |signed residual|
    best = cost.argmin(axis=0)
    residuals = candidates[best, np.arange(planes.shape[0])]
    return best.astype(np.uint8).tobytes() + residuals.tobytes()


def unfilter_rows(data: bytes, h: int, w: int, n: int) -> np.ndarray:
    kinds = np.frombuffer(data, dtype=np.uint8, count=h)
    if (kinds > GRADIENT).any():
        raise InvalidFileError("classic stream: unknown row filter")
    residuals = np.frombuffer(data, dtype=np.uint8, offset=h).reshape(h, w, n)
    out = np.empty((h, w, n), dtype=np.uint8)
    up = np.zeros((w, n), dtype=np.uint8)
    for y in range(h):
        r, kind = residuals[y], kinds[y]
        if kind == NONE:
            row = r
        elif kind == UP:
            row = r + up
        else:  # left: x = cumsum(r); gradient: x - b = cumsum(r)
            row = np.cumsum(r, axis=0, dtype=np.uint8)
            if kind == GRADIENT:
                row += up
        out[y] = row
        up = out[y]
    return out


def _palette(planes: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(colours (k, n), indices (h, w, 1)) if the planes hold at most 256 colours."""
    h, w, n = planes.shape
    keys = np.zeros((h, w), dtype=np.uint32)
    for c in range(n):
        keys = (keys << 8) | planes[:, :, c]
    colours, indices = np.unique(keys, return_inverse=True)
    if len(colours) > 256:
        return None
    table = np.stack([(colours >> (8 * (n - 1 - c))) & 0xFF for c in range(n)], 1).astype(np.uint8)
    return table, indices.reshape(h, w, 1).astype(np.uint8)


def _pack(data: bytes, filters: list[dict]) -> bytes:
    """method byte + the smaller of deflate and LZMA2 (deflate only on small data, where it can win)."""
    packed = bytes([LZMA]) + lzma.compress(data, format=lzma.FORMAT_RAW, filters=filters)
    return min(bytes([ZLIB]) + zlib.compress(data, 9), packed, key=len) if len(data) <= SMALL else packed


def encode(planes: np.ndarray, budget: int, synthetic: bool | None = None) -> bytes | None:
    """The classic payload of (h, w, n) planes if it is smaller than ``budget`` bytes.
    ``synthetic``: what the caller already knows of the content (None: probe for it)."""
    if synthetic is None:
        h = planes.shape[0]
        bands = (np.arange(h) // PROBE_BAND) % PROBE_EVERY == 0  # a quarter of the rows, in bands
        sample = filter_rows(planes[bands])
        residuals = np.frombuffer(sample, dtype=np.uint8, offset=int(bands.sum()))
        if residuals.size and np.mean((residuals + np.uint8(1)) <= 2) >= SMOOTH:  # residuals -1, 0, 1 (mod 256)
            synthetic = True
        else:
            probe = len(zlib.compress(sample, 1)) * h / bands.sum()
            if probe > PROBE_WORTH * budget:  # fast deflate on a sample: photo tiles stop here, cheaply
                return None
            synthetic = probe < SYNTHETIC * budget
    candidates = [(0, filter_rows(planes))]  # (method flag, data)
    if synthetic:  # clearly synthetic: no row filters at all, green subtracted, or a palette, may do better
        candidates.append((0, _unfiltered(planes)))
        if planes.shape[2] >= 3:  # grey-ish UI and text: R - G and B - G are mostly 0
            minus_green = subtract_green(planes)
            candidates += [(SUBTRACT_GREEN, filter_rows(minus_green)), (SUBTRACT_GREEN, _unfiltered(minus_green))]
        palette = _palette(planes)
        if palette is not None:  # few colours (pixel art, UI, scans): code the indices; the table travels with them
            table, indices = palette
            head = bytes([len(table) - 1]) + table.tobytes()
            if len(table) <= 16:  # several indices per byte: LZ sees 2-8 pixels per symbol
                flag, indices = PALETTE | BUNDLED, bundle(indices[:, :, 0], _index_bits(len(table)))[:, :, None]
            elif planes.shape[2] > 1:
                flag = PALETTE
            else:  # one plane of many values: a palette would only rename them
                flag = None
            if flag is not None:
                candidates += [(flag, head + filter_rows(indices)), (flag, head + _unfiltered(indices))]
    # every candidate packed for real: LZMA's long matches rank them differently from a deflate estimate
    filters = _LZMA_SYNTHETIC if synthetic else _LZMA_PHOTO
    packed = [(flag, _pack(data, filters)) for flag, data in candidates]
    best = min((bytes([p[0] | flag]) + p[1:] for flag, p in packed), key=len)
    return best if len(best) < budget else None


def subtract_green(planes: np.ndarray) -> np.ndarray:
    out = planes.copy()
    out[:, :, 0] -= planes[:, :, 1]  # uint8: mod 256
    out[:, :, 2] -= planes[:, :, 1]
    return out


def add_green(planes: np.ndarray) -> np.ndarray:
    out = planes.copy()
    out[:, :, 0] += planes[:, :, 1]
    out[:, :, 2] += planes[:, :, 1]
    return out


def _index_bits(colours: int) -> int:
    return 1 if colours <= 2 else 2 if colours <= 4 else 4


def bundle(indices: np.ndarray, bits: int) -> np.ndarray:
    """(h, w) indices < 2^bits -> (h, ceil(w * bits / 8)) bytes, the first pixel in the low bits."""
    h, w = indices.shape
    per = 8 // bits
    groups = np.pad(indices, ((0, 0), (0, -w % per))).reshape(h, -1, per).astype(np.uint8)
    return np.bitwise_or.reduce(groups << (bits * np.arange(per, dtype=np.uint8)), axis=2).astype(np.uint8)


def unbundle(packed: np.ndarray, bits: int, w: int) -> np.ndarray:
    per = 8 // bits
    shifts = bits * np.arange(per, dtype=np.uint8)
    return ((packed[:, :, None] >> shifts) & ((1 << bits) - 1)).reshape(packed.shape[0], -1)[:, :w]


def _unfiltered(planes: np.ndarray) -> bytes:
    return bytes(planes.shape[0]) + planes.tobytes()  # every row with filter 0 (LZ finds the repeats itself)


def _inflate(method: int, packed: bytes, limit: int) -> bytes:
    inflate = zlib.decompressobj() if method == ZLIB else \
        lzma.LZMADecompressor(format=lzma.FORMAT_RAW, filters=_LZMA_FILTERS)
    try:
        data = inflate.decompress(packed, limit + 1)
    except (zlib.error, lzma.LZMAError):
        raise InvalidFileError("classic stream: corrupted") from None
    if len(data) > limit or not inflate.eof or inflate.unused_data:
        raise InvalidFileError("classic stream: wrong length")
    return data


def decode(payload: bytes, h: int, w: int, n: int) -> np.ndarray:
    method = payload[0] if payload else 0
    if method & ~_FLAGS not in (ZLIB, LZMA) or (method & BUNDLED and not method & PALETTE) or \
            (method & SUBTRACT_GREEN and (method & PALETTE or n < 3)):
        raise InvalidFileError("classic stream: unknown method")
    inflate = method & ~_FLAGS
    if not method & PALETTE:
        data = _inflate(inflate, payload[1:], h + h * w * n)
        if len(data) != h + h * w * n:
            raise InvalidFileError("classic stream: wrong length")
        planes = unfilter_rows(data, h, w, n)
        return add_green(planes) if method & SUBTRACT_GREEN else planes
    wide = w
    if method & BUNDLED:  # the colour count (first byte) fixes the bits per index
        data = _inflate(inflate, payload[1:], 1 + 16 * n + h + h * w)
        bits = _index_bits(data[0] + 1) if data else 8
        wide = -(-w * bits // 8)
    else:
        data = _inflate(inflate, payload[1:], 1 + 256 * n + h + h * w)
    count = data[0] + 1 if data else 0
    start = 1 + count * n
    if not data or len(data) != start + h + h * wide or (method & BUNDLED and count > 16):
        raise InvalidFileError("classic stream: wrong length")
    table = np.frombuffer(data, dtype=np.uint8, count=count * n, offset=1).reshape(count, n)
    indices = unfilter_rows(data[start:], h, wide, 1)[:, :, 0]
    if method & BUNDLED:
        indices = unbundle(indices, bits, w)
    if indices.max(initial=0) >= count:
        raise InvalidFileError("classic stream: palette index out of range")
    return table[indices]
