"""Run a restoration model over an image of any size in overlapping tiles.

Each tile is the core region plus ``margin`` pixels of context on every side (clipped at
the image border), padded by reflection to a multiple of 16; only the core of each
result is kept, so memory is bounded by the tile size, not the image's. Tile origins
stay on multiples of 16, which keeps a JPEG's 8x8 (and 16x16 chroma) block grid where
the model saw it in training. Tiles run in parallel threads, each matrix product on one
BLAS thread: the pixels do not depend on the thread count (a BLAS split of one product
can round differently), and threads inside a product only slow it down here."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..tiling import map_tiles

TILE = 1024  # core side: a Kodak image (768 x 512) is one tile, so no seams there
MARGIN = 48  # context on each side: seams stay below one 8-bit level on average (tests/restore/test_tiles.py)
ALIGN = 16


def _padded(a: np.ndarray, height: int, width: int) -> np.ndarray:
    h, w = a.shape[:2]
    if (h, w) == (height, width):
        return a
    mode = "reflect" if h > 1 and w > 1 and height - h < h and width - w < w else "edge"
    return np.pad(a, ((0, height - h), (0, width - w), (0, 0)), mode=mode)


def tiles(height: int, width: int, tile: int = TILE) -> list[tuple[int, int, int, int]]:
    """Core regions (top, left, bottom, right) covering the image, row by row."""
    return [(t, l, min(t + tile, height), min(l + tile, width))
            for t in range(0, height, tile) for l in range(0, width, tile)]


def run_tiled(restore: Callable[[np.ndarray, np.ndarray], np.ndarray], image: np.ndarray, cond: float | np.ndarray,
              tile: int = TILE, margin: int = MARGIN, progress: bool = False, threads: int | None = None) -> np.ndarray:
    """``restore`` over ``image`` (H, W, 3) in tiles. ``cond`` is one value for every pixel
    or an (H, W) map. A uint8 image is handed over as float32 in [0, 1] one tile at a
    time and the result comes back as uint8 (rounded, clipped), so a big image costs its
    8-bit copies plus one tile's float work per thread; a float image gives a float result.
    ``threads``: tiles at once (None: ``tiling.default_threads()``)."""
    if tile % ALIGN or margin % ALIGN:
        raise ValueError(f"tile and margin must be multiples of {ALIGN}")
    height, width = image.shape[:2]
    as_bytes = image.dtype == np.uint8
    out = np.empty((height, width, 3), np.uint8 if as_bytes else np.float32)

    def one(top: int, left: int, bottom: int, right: int) -> None:
        t0, l0 = max(0, top - margin), max(0, left - margin)
        t1, l1 = min(height, bottom + margin), min(width, right + margin)
        h, w = t1 - t0, l1 - l0
        ph, pw = -(-h // ALIGN) * ALIGN, -(-w // ALIGN) * ALIGN
        x = image[t0:t1, l0:l1].astype(np.float32)
        if as_bytes:
            x /= 255
        c = np.full((h, w, 1), cond, np.float32) if np.isscalar(cond) else cond[t0:t1, l0:l1, None].astype(np.float32)
        result = restore(_padded(x, ph, pw), _padded(c, ph, pw))[top - t0 : bottom - t0, left - l0 : right - l0]
        out[top:bottom, left:right] = np.clip(np.rint(result * 255), 0, 255) if as_bytes else result

    map_tiles(one, tiles(height, width, tile), threads, progress)
    return out
