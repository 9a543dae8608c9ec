"""The golden files' test images, from integer arithmetic only (no random number
generator, no floating point), so they come out the same on every machine and numpy
version: release 0.1.0's photo-like ``natural`` images (smooth colour gradients, a soft
blob, a hard edge, mild noise from an integer hash) and format 3's synthetic ones (flat
colours, stripes, a palette, a bilevel scan, an icon, a letterbox)."""

from __future__ import annotations

import numpy as np

_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _hash(x: np.ndarray, y: np.ndarray, c: int, seed: int) -> np.ndarray:
    """SplitMix64-style integer hash of (x, y, c, seed) -> uint64 array (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        v = (
            x.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
            + y.astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
            + np.uint64(c * 0x165667B1 + seed * 0x27D4EB2F + 1)
        ) & _M64
        v = ((v ^ (v >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _M64
        v = ((v ^ (v >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _M64
        return v ^ (v >> np.uint64(31))


def noise(h: int, w: int, c: int, seed: int, lo: int, hi: int) -> np.ndarray:
    """(h, w) int64 of integers in lo..hi, from the hash (plane c)."""
    y, x = np.mgrid[0:h, 0:w]
    return (_hash(x, y, c, seed) % np.uint64(hi - lo + 1)).astype(np.int64) + lo


def natural(h: int, w: int, channels: int, seed: int) -> np.ndarray:
    """A small photo-like (h, w, channels) uint8 image: per channel a linear gradient, a soft
    round blob, an object with a hard straight edge, and noise of +-2 levels."""
    y, x = np.mgrid[0:h, 0:w].astype(np.int64)
    out = np.empty((h, w, channels), dtype=np.uint8)
    # blob centre and radius, the edge's line, from the seed (integers only)
    cx, cy = (w * (3 + seed % 3)) // 8, (h * (2 + seed % 4)) // 8
    r2 = max(4, (min(w, h) * 3 // 8) ** 2)
    d2 = (x - cx) ** 2 + (y - cy) ** 2
    blob = np.clip(r2 - d2, 0, None) * 64 // r2  # 0..64, smooth falloff
    edge = (5 * x - 3 * y) > (w * (2 + seed % 2))  # a slanted straight edge
    for c in range(channels):
        gx = 40 + 25 * c + 3 * seed  # gradient strengths differ per channel
        gy = 90 - 30 * c
        base = 60 + 10 * c + (gx * x) // max(1, w - 1) + (gy * y) // max(1, h - 1)
        obj = np.where(edge, (-50, 45, 25, -20)[c % 4], 0)
        shade = blob * (1, -1, 2, 1)[c % 4] // 2
        out[:, :, c] = np.clip(base + obj + shade + noise(h, w, c, seed, -2, 2), 0, 255).astype(np.uint8)
    return out


def rgb(h: int, w: int, seed: int = 1) -> np.ndarray:
    return natural(h, w, 3, seed)


def grey(h: int, w: int, seed: int = 2) -> np.ndarray:
    return natural(h, w, 1, seed)


def rgba(h: int, w: int, seed: int = 3) -> np.ndarray:
    """RGB as above, alpha varying: a diagonal ramp from opaque to about 30%, a fully
    transparent notch in one corner, and +-1 noise."""
    colour = natural(h, w, 3, seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.int64)
    alpha = 255 - (180 * (x + y)) // max(1, (w - 1) + (h - 1)) + noise(h, w, 7, seed, -1, 1)
    alpha = np.where((x + 2 * y) < 6, 0, alpha)
    return np.concatenate([colour, np.clip(alpha, 0, 255).astype(np.uint8)[:, :, None]], axis=2)


def rgb_with_noise_tile(h: int, w: int, tile: int, seed: int = 4) -> np.ndarray:
    """RGB natural image whose tile (row 0, column 1) is uniform 0..255 noise: that tile
    cannot be compressed, so 0.1.0 stores it as a RAW stream."""
    img = natural(h, w, 3, seed)
    for c in range(3):
        img[0:tile, tile : 2 * tile, c] = noise(tile, tile, 10 + c, seed, 0, 255).astype(np.uint8)
    return img


def grey_constant_alpha(h: int, w: int, seed: int = 2, alpha: int = 200) -> np.ndarray:
    """Grey natural image + an alpha plane that is one value everywhere (CONSTANT stream)."""
    g = natural(h, w, 1, seed)
    return np.concatenate([g, np.full((h, w, 1), alpha, dtype=np.uint8)], axis=2)


def stripes(h: int, w: int) -> np.ndarray:
    """Synthetic: horizontal bands of three colours and a vertical rule (a classic stream)."""
    out = np.zeros((h, w, 3), np.uint8)
    y, x = np.mgrid[0:h, 0:w]
    out[(y // 3) % 3 == 0] = (200, 30, 90)
    out[(y // 3) % 3 == 1] = (20, 160, 240)
    out[x % 11 == 0] = (255, 255, 255)
    return out


def palette_image(h: int, w: int) -> np.ndarray:
    """Synthetic: 40 colours (more than 16, fewer than 256) in 2x2 blocks picked by the
    hash, so row filters do not help (a palette, unbundled)."""
    index = np.kron(noise(h // 2, w // 2, 0, 3, 0, 39), np.ones((2, 2), np.int64))
    table = np.stack([(index * 37) % 256, (index * 91 + 13) % 256, (index * 53 + 200) % 256], axis=2)
    return table.astype(np.uint8)


def bilevel(h: int, w: int) -> np.ndarray:
    """A 1-bit scan-like grey image: text-ish strokes and specks (palette, 8 indices a byte)."""
    y, x = np.mgrid[0:h, 0:w]
    ink = ((x * 7 + y * 3) % 23 < 3) & (y % 9 < 6) | (noise(h, w, 0, 5, 0, 7) == 0)
    return np.where(ink, 0, 255).astype(np.uint8)[:, :, None]


def icon(h: int, w: int) -> np.ndarray:
    """RGBA: a disc of one colour, a translucent square, transparent elsewhere (one classic
    stream of colour and alpha, the alpha slot JOINED)."""
    y, x = np.mgrid[0:h, 0:w]
    out = np.zeros((h, w, 4), np.uint8)
    out[(2 * y - h) ** 2 + (2 * x - w) ** 2 < (min(h, w) - 4) ** 2] = (40, 120, 200, 255)
    out[h // 3 : 2 * h // 3, w // 3 : 2 * w // 3] = (255, 255, 255, 200)
    return out


def letterboxed(h: int, w: int) -> np.ndarray:
    """A photo-like image between black bars, 4 tiles of 16: constant and flow streams."""
    out = np.zeros((h, w, 3), np.uint8)
    out[h // 4 : h - h // 4] = natural(h - 2 * (h // 4), w, 3, 7)
    return out


def deep(image: np.ndarray, bits: int, seed: int) -> np.ndarray:
    """A 16-bit image of ``bits`` significant bits from an 8-bit one: its samples scaled up,
    plus low bits of noise (a sensor's: mostly incompressible)."""
    channels = image.shape[2]
    low = np.stack([noise(image.shape[0], image.shape[1], c, seed, 0, (1 << (bits - 8)) - 1) for c in range(channels)], 2)
    return ((image.astype(np.int64) << (bits - 8)) + low).astype(np.uint16)
