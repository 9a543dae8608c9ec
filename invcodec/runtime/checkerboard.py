"""The checkerboard split of a band: its white positions, (row + column) even, coded
first, and its black ones, coded given the white (lifting flows with checkerboard
context). A half is the band's values at those positions in raster order, (N, ...)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=16)
def white_positions(height: int, width: int) -> np.ndarray:
    """(height, width) bool: the white positions (cached: every channel of a level asks
    for the same one; read-only)."""
    mask = (np.add.outer(np.arange(height), np.arange(width)) % 2) == 0
    mask.flags.writeable = False
    return mask


def take_half(t: np.ndarray, which: int) -> np.ndarray:
    """The white (0) or black (1) half of ``t`` (H, W, ...): ``t[mask]``, a copy, by strided
    copies where every row holds half of the positions (an even width)."""
    h, w = t.shape[:2]
    if w % 2:
        white = white_positions(h, w)
        return t[white if which == 0 else ~white]
    out = np.empty((h, w // 2) + t.shape[2:], t.dtype)
    out[0::2] = t[0::2, which::2]  # even rows: white at even columns
    out[1::2] = t[1::2, 1 - which::2]
    return out.reshape((h * (w // 2),) + t.shape[2:])


def put_half(out: np.ndarray, values: np.ndarray, which: int) -> None:
    """``out[mask] = values``: the inverse of ``take_half``."""
    h, w = out.shape[:2]
    if w % 2:
        white = white_positions(h, w)
        out[white if which == 0 else ~white] = values
        return
    rows = values.reshape((h, w // 2) + out.shape[2:])
    out[0::2, which::2] = rows[0::2]
    out[1::2, 1 - which::2] = rows[1::2]
