"""Integer additive couplings (Integer Discrete Flows, Hoogeboom et al. 2019).

``x_b <- x_b + shift(x_a)`` with an integer shift is exactly invertible on integers:
``x_b <- x_b - shift(x_a)``. The shift here is a fixed integer lifting step (the Haar
predict / update pair, so a fresh model already decorrelates like an integer wavelet)
plus a learned, rounded correction from a small conv net."""

from __future__ import annotations

import torch

from .. import nets_int8
from ..nets import LATENT_INPUT_SHIFT, ConvNet, latent_input
from .base import InvertibleBlock

MAX_CORRECTION = 128.0  # bounds the learned part of a shift, so latents stay in the coder's range


def round_half_up(x: torch.Tensor) -> torch.Tensor:
    """floor(x + 1/2) with a straight-through gradient."""
    return x + (torch.floor(x + 0.5) - x).detach()


def floor_ste(x: torch.Tensor) -> torch.Tensor:
    """floor(x) with a straight-through gradient."""
    return x + (torch.floor(x) - x).detach()


class LiftingCoupling(InvertibleBlock):
    """One lifting step on the (position, colour) channels of a squeezed 3-colour level.

    ``predict``: the 9 detail channels (positions 1-3) get minus the anchor colour
    (position 0) plus a correction from the anchor: details become prediction residuals.
    ``update``: the anchor gets floor(sum of the 3 detail residuals / 4) plus a correction
    from the details: the anchor becomes the rounded mean of the 2x2 block."""

    def __init__(self, kind: str, colours: int, hidden: int, blocks: int, numeric: str = "fixed64"):
        super().__init__()
        if kind not in ("predict", "update"):
            raise ValueError(kind)
        self.kind = kind
        self.colours = colours
        c_anchor, c_detail = colours, 3 * colours
        c_in, c_out = (c_anchor, c_detail) if kind == "predict" else (c_detail, c_anchor)
        self.int8 = numeric == "int8"
        self.net = nets_int8.QConvNet(c_in, hidden, c_out, blocks) if self.int8 else ConvNet(c_in, hidden, c_out, blocks=blocks)

    def _fixed_shift(self, source: torch.Tensor) -> torch.Tensor:
        c = self.colours
        if self.kind == "predict":
            return -source.repeat(1, 3, 1, 1)
        total = source[:, :c] + source[:, c : 2 * c] + source[:, 2 * c :]
        return floor_ste(total * 0.25)

    def _shift(self, source: torch.Tensor) -> torch.Tensor:
        to_input = nets_int8.latent_input if self.int8 else latent_input
        learned = round_half_up(self.net(to_input(source)) * 2.0**LATENT_INPUT_SHIFT)
        return self._fixed_shift(source) + learned.clamp(-MAX_CORRECTION, MAX_CORRECTION)

    def _couple(self, x: torch.Tensor, sign: float) -> torch.Tensor:
        c = self.colours
        anchor, detail = x[:, :c], x[:, c:]
        if self.kind == "predict":
            detail = detail + sign * self._shift(anchor)
        else:
            anchor = anchor + sign * self._shift(detail)
        return torch.cat([anchor, detail], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._couple(x, 1.0)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        return self._couple(y, -1.0)
