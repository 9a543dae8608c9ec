"""The decoding order, walked band by band: the lossless decoder, and lossy training,
encoding and decoding all use it.

Lossy mode codes every latent as a quantized residual about the prior's mean, and the
prior of each band is conditioned on what the *decoder* will have: the dequantized
coarser levels and earlier channels, not the encoder's exact latents (closed loop).
So the encoder runs the decoder's walk too, and the three callers differ only in what
one band does: training adds a differentiable proxy, the encoder quantizes and pushes
symbols, the decoder pulls them."""

from __future__ import annotations

from typing import Callable

import torch

from .model import COLOURS, IntegerFlowModel
from .prior import PriorParams

# band(index, prior params) -> that band's dequantized latents (B, 1, h, w)
BandFn = Callable[[int, PriorParams], torch.Tensor]


def bands_in_order(model: IntegerFlowModel, x: torch.Tensor, exact: bool) -> list[torch.Tensor]:
    """The image's latents as bands, in decoding order."""
    per_level, top = model.analyze(x, exact)
    out = [top[:, c : c + 1] for c in range(COLOURS)]
    for _, details in reversed(per_level):
        out += [details[:, g : g + 1] for g in range(details.shape[1])]
    return out


def walk(
    model: IntegerFlowModel, batch: int, height: int, width: int, band: BandFn, exact: bool,
    rate: torch.Tensor | float | None = None, dtype=torch.float64,
) -> torch.Tensor:
    """Decode every band in order and run the flow backwards: the reconstructed image
    (B, 3, height, width) for padded sides, before clipping to 8 bits. ``rate`` is the
    global log2 step, seen by rate-conditioned priors."""
    scale = model.block_size
    zeros = torch.zeros(batch, 1, height // scale, width // scale, dtype=dtype)
    colours: list[torch.Tensor] = []
    for c in range(COLOURS):
        context = torch.cat(colours, dim=1) if colours else zeros
        colours.append(band(c, model.top.channel_params(context, c, exact, rate)))
    x = torch.cat(colours, dim=1)
    index = COLOURS
    for level in reversed(model.levels):
        features = level.prior.trunk_features(x, exact, rate)
        details: list[torch.Tensor] = []
        for g in range(3 * COLOURS):
            previous = torch.cat(details, dim=1) if details else x[:, :0]
            details.append(band(index, level.prior.channel_params(features, x, previous, g, exact)))
            index += 1
        x = level.inverse(x, torch.cat(details, dim=1), exact)
    return x
