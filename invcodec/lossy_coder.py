"""Lossy coding of one 3-plane tile: quantized latents -> ANS, and the inverse flow back.

The encoder runs the decoder's walk (``decoding_walk``) itself, so it knows the exact pixels
the decoder will produce (the file's checksum is taken over them). Every quantity that
reaches the coder or the inverse flow is computed with exact arithmetic (fixed-point
nets, integer latents, steps from a libm-free table), so the decode is bit-identical on
every machine."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from . import quantizer
from .entropy import ans
from .latent_coder import pad_to_block
from .decoding_walk import bands_in_order, walk
from .model import IntegerFlowModel
from .prior import PriorParams


@dataclass(frozen=True)
class LossySettings:
    steps: tuple[int, ...]  # step index per band, decoding order (stored in the file)
    recon_offset: int  # dequantization pull towards the mean, in 1/256 steps (stored in the file)
    global_step: int = 0  # the quality's step index (from the quality stored in the file)
    deadzone: float = 0.0  # encoder only

    @property
    def rate(self) -> float:
        """The global log2 step that a rate-conditioned prior sees (exact: index / 16)."""
        return self.global_step / quantizer.STEPS_PER_OCTAVE


@dataclass
class LossyTile:
    payload: bytes
    estimated_bits: float
    decoded: np.ndarray  # (h, w, 3) uint8: exactly what the decoder will produce


def _to_pixels(x: torch.Tensor, height: int, width: int) -> np.ndarray:
    return x[0, :, :height, :width].clamp(0, 255).numpy().transpose(1, 2, 0).astype(np.uint8)


def _check_bands(model: IntegerFlowModel, settings: LossySettings) -> None:
    if len(settings.steps) != quantizer.band_count(len(model.levels)):
        raise ValueError(f"{len(settings.steps)} quantizer steps for a model with {quantizer.band_count(len(model.levels))} bands")


@torch.inference_mode()
def encode_tile(model: IntegerFlowModel, pixels: np.ndarray, settings: LossySettings) -> LossyTile:
    _check_bands(model, settings)
    h, w = pixels.shape[:2]
    padded = pad_to_block(pixels, model.block_size)
    x = torch.from_numpy(padded.transpose(2, 0, 1).astype(np.float64))[None]
    bands = bands_in_order(model, x, exact=True)
    enc = ans.LatentEncoder()

    def band(i: int, p: PriorParams) -> torch.Tensor:
        step = settings.steps[i]
        q = quantizer.quantize(bands[i] - p.mean, step, settings.deadzone).clamp_(ans.SYMBOL_MIN, ans.SYMBOL_MAX)
        enc.push(q, torch.zeros_like(q), quantizer.residual_scale_index(p.scale_index, step))
        return quantizer.dequantize(p.mean, q, step, settings.recon_offset)

    x_hat = walk(model, 1, x.shape[2], x.shape[3], band, exact=True, rate=settings.rate)
    return LossyTile(enc.finish(), enc.estimated_bits, _to_pixels(x_hat, h, w))


@torch.inference_mode()
def decode_tile(model: IntegerFlowModel, payload: bytes, height: int, width: int, settings: LossySettings) -> np.ndarray:
    """ANS payload -> (height, width, 3) uint8. Raises ValueError on a corrupted payload."""
    _check_bands(model, settings)
    block = model.block_size
    dec = ans.LatentDecoder(payload)

    def band(i: int, p: PriorParams) -> torch.Tensor:
        step = settings.steps[i]
        q = dec.pull(torch.zeros_like(p.mean), quantizer.residual_scale_index(p.scale_index, step))
        return quantizer.dequantize(p.mean, q, step, settings.recon_offset)

    x_hat = walk(model, 1, height + (-height % block), width + (-width % block), band, exact=True, rate=settings.rate)
    if not dec.exhausted():
        raise ValueError("ANS stream has data left over after the last latent")
    return _to_pixels(x_hat, height, width)
