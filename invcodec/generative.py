"""The models as generative models: sample, interpolate, score, with whichever model has
what the tool needs (its architecture's ``Generative``), or one line that says why not.

A lifting flow (lossless) samples and interpolates in its latent space and scores by its
likelihood (torch, ``training.latent_space``); an autoregressive model samples pixel by
pixel and scores by its exact code length (no torch, ``runtime.autoregressive_sampling``)."""

from __future__ import annotations

import functools
import importlib.util
import math
from typing import Any, Callable

import numpy as np
from PIL import Image

from .model_file import CodingModel


def _module(model: CodingModel, tool: str) -> Any:
    """The module that runs ``tool`` for ``model``; ValueError (one line) if it cannot."""
    support = model.architecture.generative(model.spec)
    if support.needs_torch and tool not in support.refused and importlib.util.find_spec("torch") is None:
        raise ValueError(f"{tool} with {model.name} needs torch; install it with: pip install 'invcodec[torch]'")
    return support.implementation(tool, model.name)


def _implementation(model: CodingModel, tool: str) -> tuple[Any, Any]:
    """(the module that runs ``tool`` for ``model``, the model as that module takes it)."""
    module = _module(model, tool)
    return module, module.load(model)


def sample(model: CodingModel, count: int, size: int, temperature: float, seed: int) -> np.ndarray:
    """``count`` new (size, size, 3) uint8 images drawn from the model's prior."""
    module, native = _implementation(model, "sample")
    return module.sample(native, count, size, temperature, seed)


def interpolate(model: CodingModel, first: np.ndarray, second: np.ndarray, steps: int, space: str) -> np.ndarray:
    """``steps`` frames from ``first`` to ``second`` (same-size uint8 RGB images), both included."""
    module, native = _implementation(model, "interpolate")
    return module.interpolate(native, first, second, steps, space)


def image_grid(images: np.ndarray, columns: int | None = None, gap: int = 2) -> Image.Image:
    """Tile (N, H, W, 3) images into one picture, white gaps between them."""
    n, h, w, _ = images.shape
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    canvas = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap, 3), 255, dtype=np.uint8)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        canvas[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = image
    return Image.fromarray(canvas)


def scorer(model: CodingModel) -> Callable[[np.ndarray], float]:
    """A function of an (H, W, 3) uint8 image: its negative log-likelihood under the model,
    in bits per sub-pixel (the model loaded once, for many images)."""
    module, native = _implementation(model, "score")
    return functools.partial(module.bits_per_dim, native)


def surprise(model: CodingModel) -> Callable[[np.ndarray], np.ndarray]:
    """A function of an (H, W, 3) uint8 image: its negative log-likelihood per pixel, in
    bits (H, W), summing to ``scorer``'s bits per sub-pixel times the image's sub-pixels."""
    module, native = _implementation(model, "score")
    return functools.partial(module.bit_map, native)


# inferno's colours at 0, 1/4, ..., 1: dark where a pixel is cheap, bright where it is costly
_HEAT = np.array([[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]], dtype=np.float64)
RAW_BITS_PER_PIXEL = 24.0  # three 8-bit samples stored as they are: the top of the heat map's scale


def heat_map(bits: np.ndarray, top: float = RAW_BITS_PER_PIXEL) -> Image.Image:
    """An (H, W) map of bits per pixel as an RGB picture, 0 bits black to ``top`` (and
    above) pale yellow, on a fixed scale so that maps of different images compare."""
    t = np.clip(np.nan_to_num(bits / top), 0.0, 1.0) * (len(_HEAT) - 1)
    low = np.minimum(t.astype(np.int64), len(_HEAT) - 2)
    frac = (t - low)[..., None]
    return Image.fromarray(np.round(_HEAT[low] * (1 - frac) + _HEAT[low + 1] * frac).astype(np.uint8))


def check(model: CodingModel, tool: str) -> None:
    """ValueError (one line) unless ``model`` can run ``tool``, before any work is done."""
    _module(model, tool)
