"""Self-ensemble: the network run on flipped, transposed and shifted copies of a tile, the
results mapped back and averaged.

The restoring network is not equivariant to flips and transposes (its Haar steps, 3x3
convolutions and mixing are learned on crops in every orientation, but not tied), nor to
shifts that move its two Haar steps' 4x4 pixel grid, so its errors in these copies are
partly independent and their mean is closer to the clean image (cycle spinning, as for
wavelet denoisers). Up to 8 passes are orientations; 16 and 32 also shift the grid
diagonally by 2, or by 1, 2 and 3 pixels, in each orientation (what each gains:
docs/RESULTS.md, "Restoration"). Flips keep a JPEG's 8x8 block grid in place because tiles are padded
to multiples of 16 (``tiles.ALIGN``); shifts would move it against the grid the JPEG
model was trained on, so a caller restoring JPEGs passes ``shifts=False``."""

from __future__ import annotations

from typing import Callable

import numpy as np

PASSES = (1, 2, 4, 8, 16, 32)
ORIENTATIONS = 8
ORDER = (0, 7, 1, 6, 2, 5, 3, 4)  # 2 passes: identity and its most different copy, then fill in
GRID = 4  # two Haar steps: the network sees the image on a 4x4 pixel grid
SHIFTS = {16: (0, 2), 32: (0, 1, 2, 3)}  # diagonal grid offsets per orientation beyond 8 passes

Restore = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _orient(a: np.ndarray, k: int) -> np.ndarray:
    """Orientation k of an (H, W, C) array: bit 2 transposes, then bit 0 flips left-right, bit 1 upside down."""
    if k & 4:
        a = a.transpose(1, 0, 2)
    if k & 1:
        a = a[:, ::-1]
    if k & 2:
        a = a[::-1]
    return np.ascontiguousarray(a)


def _unorient(a: np.ndarray, k: int) -> np.ndarray:
    if k & 2:
        a = a[::-1]
    if k & 1:
        a = a[:, ::-1]
    if k & 4:
        a = a.transpose(1, 0, 2)
    return a


def _shifted(restore: Restore, x: np.ndarray, cond: np.ndarray, d: int) -> np.ndarray:
    """``restore`` with the image moved d pixels down and right on the network's grid:
    mirrored by d on top and left and by GRID - d on the other sides (sizes stay multiples
    of GRID), then cut back."""
    if d == 0:
        return restore(x, cond)
    h, w = x.shape[:2]
    pad = ((d, GRID - d), (d, GRID - d), (0, 0))
    return restore(np.pad(x, pad, mode="reflect"), np.pad(cond, pad, mode="reflect"))[d : d + h, d : d + w]


def copies(passes: int) -> list[tuple[int, int]]:
    """(orientation, grid offset) of each pass."""
    if passes <= ORIENTATIONS:
        return [(k, 0) for k in ORDER[:passes]]
    return [(k, d) for d in SHIFTS[passes] for k in ORDER]


def ensembled(restore: Restore, passes: int, shifts: bool = True) -> Restore:
    """``restore`` averaged over ``copies(passes)``; without ``shifts`` at most 8 passes."""
    if passes not in PASSES:
        raise ValueError(f"passes must be one of {', '.join(map(str, PASSES))}, not {passes}")
    if passes > ORIENTATIONS and not shifts:
        raise ValueError(f"at most {ORIENTATIONS} passes here: more would shift the image against the JPEG block grid")
    if passes == 1:
        return restore

    def run(x: np.ndarray, cond: np.ndarray) -> np.ndarray:
        total = None
        for k, d in copies(passes):
            out = _unorient(_shifted(restore, _orient(x, k), _orient(cond, k), d), k)
            total = out.astype(np.float32) if total is None else total + out
        return total / np.float32(passes)

    return run
