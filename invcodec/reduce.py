"""Reduced-resolution decoding's two shared pieces: the scales a file can be decoded at
and the box reduction that defines every reduced image's size and, wherever a tile is
decoded in full first, its pixels.

A 1/2**k image is ceil(height / 2**k) x ceil(width / 2**k) (as libjpeg's scaled decoding
and Pillow's ``Image.reduce`` size it), each sample the mean of its 2**k x 2**k block,
rounded half up, over the samples the block has (fewer at the right and bottom edges,
where Pillow's reduce rounds approximately: so it is not used). What a lossy flow tile
gives at that size without its finer bands is ``tile_coder.LossyTileCoder.decode``'s to say."""

from __future__ import annotations

from fractions import Fraction
from numbers import Real

import numpy as np

# the scales a file decodes at -> their levels (halvings)
SCALES = {Fraction(1): 0, Fraction(1, 2): 1, Fraction(1, 4): 2, Fraction(1, 8): 3}


def check_scale(scale: object) -> int:
    """``scale`` (1, 1/2, 1/4 or 1/8: a number, a ``Fraction`` or text such as "1/4") ->
    the levels it skips; a ValueError of one line otherwise."""
    try:
        value = Fraction(scale) if isinstance(scale, (Real, str)) and not isinstance(scale, bool) else None
    except (ValueError, ZeroDivisionError):
        value = None
    if value not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(map(str, SCALES))}, got {scale!r}")
    return SCALES[value]


def reduced_side(side: int, levels: int) -> int:
    return -(-side >> levels)


def box_reduce(samples: np.ndarray, levels: int) -> np.ndarray:
    """(H, W, C) uint8 or uint16 -> the 1/2**levels image, of the same type (module docstring)."""
    if not levels:
        return samples
    f = 1 << levels
    h, w, c = samples.shape
    rows, cols = reduced_side(h, levels), reduced_side(w, levels)
    sums = np.zeros((rows * f, cols * f, c), np.int64)
    sums[:h, :w] = samples
    sums = sums.reshape(rows, f, cols, f, c).sum(axis=(1, 3))
    counts = np.outer(np.minimum(f, h - f * np.arange(rows)), np.minimum(f, w - f * np.arange(cols)))[..., None]
    return ((2 * sums + counts) // (2 * counts)).astype(samples.dtype)
