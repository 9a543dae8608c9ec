"""When an image is also coded in small tiles: flat areas (letterbox bars, plain
backgrounds) inside a big tile cost a photo model's prior about a bit per sample (it never
saw exactly flat pixels), while a small tile that is flat is a constant stream. The
thresholds were measured on the synthetic set's letterboxed photos and Kodak (record:
results/encoder-choices.md)."""

from __future__ import annotations

import numpy as np

from .model_file import CodingModel

FLAT_TILE_SIZE = 64
FLAT_BLOCK, FLAT_SHARE = 16, 0.10  # a 16-pixel block is flat when it holds one colour; 10 % of them trigger


def flat_share(samples: np.ndarray, block: int = FLAT_BLOCK) -> float:
    """The share of the image's whole ``block``-square blocks that hold one colour."""
    h, w, c = samples.shape
    rows, cols = h // block, w // block
    if not rows or not cols:
        return 0.0
    blocks = samples[: rows * block, : cols * block].reshape(rows, block, cols, block, c)
    return float((blocks == blocks[:, :1, :, :1]).all(axis=(1, 3, 4)).mean())


def worth_small_tiles(samples: np.ndarray, model: CodingModel, file_bytes: int, flow_bytes: int) -> bool:
    """Whether a lossless file of ``samples`` in big tiles (``file_bytes``, of which
    ``flow_bytes`` in flow streams) is worth coding again in FLAT_TILE_SIZE tiles: it
    looks like a photo (flow streams, or at least a bit per sample; graphics the classic
    path codes in far less gain nothing), has flat areas, and its model pays for them."""
    photo_like = flow_bytes or 8 * file_bytes >= samples.size
    return bool(photo_like) and flat_share(samples) >= FLAT_SHARE and model.small_tiles_pay
