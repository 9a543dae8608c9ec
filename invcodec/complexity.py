"""An image's complexity as a generic lossless compressor measures it, and the density
score corrected by it (Serrà et al., ICLR 2020, "Input complexity and out-of-distribution
detection with likelihood-based generative models"): S(x) = bits of x under the model −
bits of x under the reference compressor. Simple images (flat, smooth) are cheap under
every model, which is why a model often finds an unfamiliar simple image more likely
than its own data; what the model saves beyond what any compressor saves is what it
knows about its data. Higher S: more anomalous.

The references: a lossless model's exact code length (the default, photo-v7: what this
project's codec spends, torch-free), or the whole file of PNG (Pillow, optimize) or
JPEG-XL (lossless, effort 7, pillow-jxl-plugin), with the settings of the benchmarks'
baselines."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

from . import generative
from .registry import DEFAULT_MODEL, get_model, shipped_models

FILE_REFERENCES = ("png", "jpeg-xl")


@dataclass(frozen=True)
class Reference:
    """A lossless compressor as a measure of complexity: ``bits(image)`` for an (H, W, 3) uint8 image."""

    name: str
    bits: Callable[[np.ndarray], float]


def _file_bits(fmt: str, **options) -> Callable[[np.ndarray], float]:
    def bits(image: np.ndarray) -> float:
        buf = io.BytesIO()
        Image.fromarray(image).save(buf, fmt, **options)
        return 8.0 * len(buf.getvalue())

    return bits


def reference(name: str = DEFAULT_MODEL) -> Reference:
    """The reference compressor ``name``: "png", "jpeg-xl", or a lossless model (shipped name
    or file) whose exact code length or likelihood is used; ValueError (one line) if it
    cannot be had."""
    if name == "png":
        return Reference("PNG (optimize)", _file_bits("PNG", optimize=True))
    if name == "jpeg-xl":
        try:
            import pillow_jxl  # noqa: F401  (registers JPEG-XL with Pillow)
        except ImportError:
            raise ValueError("the jpeg-xl reference needs pillow-jxl-plugin: pip install pillow-jxl-plugin") from None
        return Reference("JPEG-XL lossless (effort 7)", _file_bits("JXL", lossless=True, effort=7))
    if name not in shipped_models() and not Path(name).is_file():
        raise ValueError(f"unknown reference {name!r}: png, jpeg-xl, or a lossless model (shipped name or file; "
                         f"{DEFAULT_MODEL} is the default lossless model)")
    model = get_model(name)
    bits_per_dim = generative.scorer(model)
    return Reference(model.name, lambda image: bits_per_dim(image) * image.size)


@dataclass(frozen=True)
class Score:
    """One image's scores, in bits per sub-pixel: under the model, under the reference, and
    the corrected score (their difference)."""

    bits_per_dim: float
    reference_bits_per_dim: float

    @property
    def corrected(self) -> float:
        return self.bits_per_dim - self.reference_bits_per_dim


def corrected_scorer(model_bits_per_dim: Callable[[np.ndarray], float], ref: Reference) -> Callable[[np.ndarray], Score]:
    """A function of an (H, W, 3) uint8 image: its ``Score`` under the model's bits per
    sub-pixel (``generative.scorer``) corrected by ``ref``."""
    return lambda image: Score(model_bits_per_dim(image), ref.bits(image) / image.size)
