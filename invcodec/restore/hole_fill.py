"""A smooth first guess for the pixels of a hole: push-pull interpolation (mask-weighted
2x2 averages down a pyramid until nothing is missing, then back up, each level filling
only its missing pixels from the coarser one, slightly smoothed). The inpainting network
starts from this instead of a flat grey, so its invertible layers only have to add what
a smooth fill cannot know (edges, texture) rather than move values across the hole.
~25 ms for a Kodak image; numpy only."""

from __future__ import annotations

import numpy as np


def _smooth(x: np.ndarray) -> np.ndarray:
    """Separable [1, 2, 1] / 4 blur with edge replication."""
    p = np.pad(x, ((1, 1), (0, 0), (0, 0)), mode="edge")
    x = 0.25 * p[:-2] + 0.5 * p[1:-1] + 0.25 * p[2:]
    p = np.pad(x, ((0, 0), (1, 1), (0, 0)), mode="edge")
    return 0.25 * p[:, :-2] + 0.5 * p[:, 1:-1] + 0.25 * p[:, 2:]


def push_pull(image: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """image float32 (H, W, C), missing bool (H, W) -> image with the missing pixels filled."""
    known = ~missing
    if known.all():
        return image
    if not known.any():
        return np.full_like(image, 0.5)
    h, w = missing.shape
    if h == 1 and w == 1:
        return image
    ph, pw = h + h % 2, w + w % 2
    weight = np.pad(known.astype(np.float32), ((0, ph - h), (0, pw - w)))
    values = np.pad(image * known[..., None], ((0, ph - h), (0, pw - w), (0, 0)))
    wsum = weight[0::2, 0::2] + weight[0::2, 1::2] + weight[1::2, 0::2] + weight[1::2, 1::2]
    vsum = values[0::2, 0::2] + values[0::2, 1::2] + values[1::2, 0::2] + values[1::2, 1::2]
    coarse = push_pull(vsum / np.maximum(wsum, 1e-6)[..., None], wsum == 0)
    up = _smooth(np.repeat(np.repeat(coarse, 2, axis=0), 2, axis=1))[:h, :w]
    return np.where(missing[..., None], up, image).astype(image.dtype)


def prefilled(samples: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """uint8 (H, W, C) -> uint8 with the missing pixels push-pull filled: the inpainting
    network's input, in training and at run time alike."""
    filled = push_pull(samples.astype(np.float32), missing)
    return np.clip(np.rint(filled), 0, 255).astype(np.uint8)
