"""The lossy training objective: rate + lambda * distortion over a range of qualities.

Every crop in a batch draws its own global step (log-uniform), so one model learns every
rate; lambda follows the step by high-rate theory (lambda = 6 / (ln 2 * step**2) bits per
unit of squared error, per sub-pixel, makes ``step`` the right step for that lambda; the
rate is counted per pixel, i.e. over 3 sub-pixels, hence the factor 3). Quantization proxy,
as usual for learned codecs: additive uniform noise for the rate, rounding with a
straight-through gradient for what the inverse flow sees. The walk is the decoder's
(``invcodec.walk``), so training sees the same closed loop as coding."""

from __future__ import annotations

import math

import torch
from torch import nn

from .. import quantizer
from ..entropy import grid
from ..walk import bands_in_order, chunk_bands, walk
from .flow.coupling import round_half_up
from .likelihood import PriorParams, laplace_bits
from .model import IntegerFlowModel


HIGH_RATE_LAMBDA = 6.0  # bits per unit of squared error per sub-pixel, times ln 2 * step**2
SUB_PIXELS = 3  # bpp counts the 3 colour samples of a pixel


def initial_offsets(levels: int) -> list[float]:
    """log2 step of each band relative to the global step, from the Haar synthesis gains:
    an anchor at depth d stands for 4**d pixels (step / 2**d), a detail at level l ~ 0.75 * 4**l."""
    top = [-float(levels)] * 3
    details = []
    for li in reversed(range(levels)):
        details += [-li + 0.2] * 9
    return top + details


def offsets_for_file(band_offsets: torch.Tensor) -> list[int]:
    """Learned log2 band offsets (a checkpoint's ``band_offsets``) on the quantizer's 1/16-octave grid."""
    return [round(float(o) * quantizer.STEPS_PER_OCTAVE) for o in band_offsets.detach()]


class RateDistortion(nn.Module):
    """Mean of bpp + lambda * MSE over a batch; also reports bpp and PSNR."""

    def __init__(self, model: IntegerFlowModel, log2_step_range: tuple[float, float] = (0.5, 8.5)):
        super().__init__()
        self.model = model
        self.log2_step_range = log2_step_range
        self.band_offsets = nn.Parameter(torch.tensor(initial_offsets(len(model.levels))))

    def offsets_for_file(self) -> list[int]:
        """The learned offsets on the quantizer's 1/16-octave grid."""
        return offsets_for_file(self.band_offsets)

    def forward(self, batch: torch.Tensor, log2_step: torch.Tensor | None = None, noise: bool = True):
        x = batch.float()
        b, _, h, w = x.shape
        if log2_step is None:
            lo, hi = self.log2_step_range
            log2_step = lo + (hi - lo) * torch.rand(b, device=x.device)
        bands = bands_in_order(*self.model.analyze(x), lambda t, i: t[:, i : i + 1], self.model)
        offsets = self.band_offsets[chunk_bands(self.model)]  # one offset per band, not per chunk
        bits = x.new_zeros(b)

        def band(i: int, p: PriorParams) -> torch.Tensor:
            nonlocal bits
            z = bands[i]
            log2_band_step = (log2_step.view(b, 1, 1, 1) + offsets[i]).clamp(min=0.0)
            step = torch.exp2(log2_band_step)
            r = (z - p.mean) / step
            symbols = r + (torch.rand_like(r) - 0.5) if noise else torch.round(r)
            log2_scale = (p.log2_scale - log2_band_step).clamp(grid.LOG2_SCALE_MIN, grid.LOG2_SCALE_MAX)
            bits = bits + laplace_bits(symbols, torch.zeros_like(symbols), log2_scale).flatten(1).sum(1)
            return round_half_up(p.mean + round_half_up(r) * step)

        x_hat = walk(self.model, b, h, w, band, rate=log2_step)
        mse = ((x_hat.clamp(0, 255) - x) ** 2).flatten(1).mean(1)
        bpp = bits / (h * w)
        lam = SUB_PIXELS * HIGH_RATE_LAMBDA / (math.log(2) * torch.exp2(2 * log2_step))
        loss = (bpp + lam * mse).mean()
        psnr = 10 * torch.log10(255.0**2 / mse.clamp(min=1e-6))
        return loss, bpp.detach(), psnr.detach()
