"""Self-ensemble: the network run on flipped and transposed copies of a tile, the results
mapped back and averaged.

The restoring network is not equivariant to flips and transposes (its Haar steps, 3x3
convolutions and mixing are learned on crops in every orientation, but not tied), so its
errors in the eight orientations are partly independent and their mean is closer to the
clean image: with 8 passes, Kodak PSNR +0.18 dB at sigma 25, +0.16 at sigma 50 and
+0.06 at JPEG q10 (README, "Restoration"), for 8 times the work. Flips keep a JPEG's 8x8 block grid in place because tiles are padded to
multiples of 16 (``tiles.ALIGN``)."""

from __future__ import annotations

from typing import Callable

import numpy as np

PASSES = (1, 2, 4, 8)

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


ORDER = (0, 7, 1, 6, 2, 5, 3, 4)  # 2 passes: identity and its most different copy, then fill in


def ensembled(restore: Restore, passes: int) -> Restore:
    """``restore`` averaged over the first ``passes`` orientations of ORDER."""
    if passes not in PASSES:
        raise ValueError(f"passes must be one of {', '.join(map(str, PASSES))}, not {passes}")
    if passes == 1:
        return restore

    def run(x: np.ndarray, cond: np.ndarray) -> np.ndarray:
        total = None
        for k in ORDER[:passes]:
            out = _unorient(restore(_orient(x, k), _orient(cond, k)), k)
            total = out.astype(np.float32) if total is None else total + out
        return total / np.float32(passes)

    return run
