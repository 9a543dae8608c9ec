"""Exact fixed-point evaluation of the small conv nets inside the codec.

Lossless decoding only works if the decoder recomputes every coupling shift and every
prior parameter bit for bit. Ordinary float convolutions do not guarantee that across
machines or thread counts (the order of the additions changes the rounding). Here every
weight, bias and activation is an integer on a fixed binary grid, and the convolutions
run in float64 on those integers: all products and partial sums stay below 2**53, so
float64 adds them *exactly*, in any order, on any CPU or GPU. Rescaling is a
multiplication by a power of two followed by ``floor``, which is exact as well.

Real value  = integer * 2**-frac_bits, with
  activations  ACT_FRAC_BITS     (2**-8),
  weights      WEIGHT_FRAC_BITS  (2**-12),
  accumulators ACC_FRAC_BITS     (2**-20) = activation grid * weight grid.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

ACT_FRAC_BITS = 8
WEIGHT_FRAC_BITS = 12
ACC_FRAC_BITS = ACT_FRAC_BITS + WEIGHT_FRAC_BITS

# Bounds that keep every accumulator below 2**53 (checked when a model is loaded):
# fan_in * max|w| * max|a| = 2**11 * 2**16 * 2**25 < 2**53.
ACT_LIMIT = 2.0**25
MAX_WEIGHT = 2.0**16  # integer units, i.e. |w| < 16
MAX_FAN_IN = 2**11

# Latents enter the nets scaled by 2**-LATENT_INPUT_SHIFT (pixel 64 -> activation 1.0).
LATENT_INPUT_SHIFT = 6


def quantize_conv(weight: torch.Tensor, bias: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Float conv parameters -> integer-valued float64 tensors on the fixed grids."""
    w = torch.round(weight.detach().double() * 2.0**WEIGHT_FRAC_BITS)
    b = torch.round(bias.detach().double() * 2.0**ACC_FRAC_BITS)
    fan_in = weight.shape[1] * weight.shape[2] * weight.shape[3]
    if fan_in > MAX_FAN_IN or (w.numel() and w.abs().max() >= MAX_WEIGHT) or not torch.isfinite(b).all():
        raise ValueError("weights outside the exact fixed-point range")
    return w, b


def conv_acc(a: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Integer activations (2**-8 grid) -> exact integer accumulator (2**-20 grid)."""
    pad = w.shape[-1] // 2
    return F.conv2d(a, w, padding=pad) + b.view(1, -1, 1, 1)


def requantize(acc: torch.Tensor) -> torch.Tensor:
    """Accumulator (2**-20) -> activation (2**-8), rounding down; exact."""
    return torch.floor(acc * 2.0**-WEIGHT_FRAC_BITS).clamp_(-ACT_LIMIT, ACT_LIMIT)


def latent_to_act(v: torch.Tensor) -> torch.Tensor:
    """Integer latents -> activations on the 2**-8 grid (value v / 64)."""
    return v * 2.0 ** (ACT_FRAC_BITS - LATENT_INPUT_SHIFT)


def round_acc(acc: torch.Tensor, frac_bits: int) -> torch.Tensor:
    """Round an accumulator to the grid 2**-frac_bits, returned in those integer units.

    Half-way cases round up (floor(x + 1/2)), as ``round_half_up`` does in training."""
    return torch.floor(acc * 2.0 ** (frac_bits - ACC_FRAC_BITS) + 0.5)
