"""An autoregressive model as a generative model, without torch: images drawn sample by
sample from the priors the decoder would use, and the exact code length as the score."""

from __future__ import annotations

import numpy as np

from ..entropy import grid
from .autoregressive import AutoregressiveModel, inverse_colour


def load(model) -> AutoregressiveModel:
    """The evaluator of a ``CodingModel`` (what this module's functions take)."""
    return model.evaluator


def sample(model: AutoregressiveModel, count: int, size: int, temperature: float, seed: int) -> np.ndarray:
    """(count, size, size, 3) uint8: each sample drawn from its prior (the Laplace's scale
    times ``temperature``; 0: the most likely value) given the ones drawn before it, in the
    decoder's order. The priors are the nets': a model's online stage learns from real
    images' errors, which drawn samples do not have (the score, ``bits_per_dim``, counts it)."""
    rng = np.random.default_rng(seed)
    lo, hi = model.lo[:, None], model.hi[:, None]
    images = []
    for _ in range(count):
        def draw(mean: np.ndarray, index: np.ndarray, parts) -> np.ndarray:
            noise = rng.laplace(0.0, grid.SCALES[index] * temperature) if temperature > 0 else 0.0
            values = np.floor(mean + noise + 0.5)  # a continuous Laplace rounded: the quantized one
            plane = np.concatenate([np.full(where.size, p) for p, where in parts])
            return np.clip(values, lo[plane, 0], hi[plane, 0])

        planes = model.decode_planes(draw, size, size)
        images.append(np.clip(inverse_colour(planes), 0, 255).astype(np.uint8))
    return np.stack(images)


def bits_per_dim(model: AutoregressiveModel, image: np.ndarray) -> float:
    """Exact code length of the (H, W, 3) image under the model's own priors, per sub-pixel
    (the streams' scale offsets and the container's header are not counted)."""
    return model.code_length(image.astype(np.int64)) / image.size



def bit_map(model: AutoregressiveModel, image: np.ndarray) -> np.ndarray:
    """``bits_per_dim``'s code length per pixel, in bits (H, W): the bits of its three samples."""
    return model.code_length_map(image.astype(np.int64))
