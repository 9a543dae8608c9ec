"""The hierarchical prior: probabilities of each level's factored-out latents.

Level l's 9 detail channels are coded conditioned on the level's 3 anchor channels
(everything coarser) and, channel by channel, on the detail channels decoded before
them: position by position, colour by colour (R, then G given R, ...). A shared trunk
reads the anchors once; a light head per channel adds the already-decoded channels.
The coarsest anchors get a small colour-conditional prior of their own."""

from __future__ import annotations

import torch
from torch import nn

from . import fixedpoint as fp
from .entropy import grid
from .nets import ConvNet

INITIAL_LOG2_SCALE = 3.0
RATE_INPUT_DIVISOR = 8.0  # the global log2 step enters a rate-conditioned prior as log2(step) / 8


def rate_plane(like: torch.Tensor, rate: torch.Tensor | float | None, exact: bool) -> torch.Tensor:
    """A constant input plane holding the global log2 step (per image, or one for all).

    In coding, the step is 2**(index / 16), so the exact activation log2(step) / 8 on the
    2**-8 grid is the integer 2 * index: no rounding anywhere."""
    rate = torch.as_tensor(0.0 if rate is None else rate, dtype=like.dtype, device=like.device)
    value = rate * (2.0**fp.ACT_FRAC_BITS / RATE_INPUT_DIVISOR) if exact else rate / RATE_INPUT_DIVISOR
    return value.reshape(-1, 1, 1, 1).expand(like.shape[0], 1, *like.shape[2:])


def _head(c_in: int, hidden: int) -> ConvNet:
    head = ConvNet(c_in, hidden, 2, blocks=0, out_k=1, zero_out=True)
    with torch.no_grad():
        head.out.bias[1] = INITIAL_LOG2_SCALE
    return head


class PriorParams:
    """Per-latent Laplace parameters: continuous (training) or snapped (coding)."""

    def __init__(self, mean: torch.Tensor, log2_scale: torch.Tensor | None = None, scale_index: torch.Tensor | None = None):
        self.mean = mean
        self.log2_scale = log2_scale
        self.scale_index = scale_index

    @staticmethod
    def from_output(out: torch.Tensor, base: torch.Tensor | float) -> "PriorParams":
        return PriorParams(grid.mean_from_output(out[:, :1], base), log2_scale=grid.log2_scale_from_output(out[:, 1:]))

    @staticmethod
    def from_acc(acc: torch.Tensor, base: torch.Tensor | float) -> "PriorParams":
        return PriorParams(grid.mean_from_acc(acc[:, :1], base), scale_index=grid.scale_index_from_acc(acc[:, 1:]))


class ConditionalPrior(nn.Module):
    """p(details | anchors) for one level, autoregressive over the detail channels."""

    def __init__(self, anchors: int, details: int, hidden: int, blocks: int, features: int, head_hidden: int,
                 rate_conditioned: bool = False):
        super().__init__()
        self.rate_conditioned = rate_conditioned
        self.trunk = ConvNet(anchors + rate_conditioned, hidden, features, blocks=blocks, zero_out=False)
        self.heads = nn.ModuleList(_head(features + anchors + g, head_hidden) for g in range(details))

    def trunk_features(self, anchors: torch.Tensor, exact: bool, rate: torch.Tensor | float | None = None) -> torch.Tensor:
        """``rate``: the global log2 quantizer step (rate-conditioned priors only)."""
        if exact:
            a = fp.latent_to_act(anchors)
            if self.rate_conditioned:
                a = torch.cat([a, rate_plane(a, rate, exact=True)], dim=1)
            return torch.relu(fp.requantize(self.trunk.forward_exact(a)))
        a = anchors * 2.0**-fp.LATENT_INPUT_SHIFT
        if self.rate_conditioned:
            a = torch.cat([a, rate_plane(a, rate, exact=False)], dim=1)
        return torch.relu(self.trunk(a))

    def channel_params(
        self, features: torch.Tensor, anchors: torch.Tensor, previous: torch.Tensor, g: int, exact: bool
    ) -> PriorParams:
        """Parameters of detail channel g given the anchors and details 0..g-1."""
        head = self.heads[g]
        if exact:
            a = torch.cat([features, fp.latent_to_act(anchors), fp.latent_to_act(previous[:, :g])], dim=1)
            return PriorParams.from_acc(head.forward_exact(a), 0.0)
        x = torch.cat([features, (torch.cat([anchors, previous[:, :g]], dim=1)) * 2.0**-fp.LATENT_INPUT_SHIFT], dim=1)
        return PriorParams.from_output(head(x), 0.0)

    def bits(self, anchors: torch.Tensor, details: torch.Tensor) -> torch.Tensor:
        """Training: -log2 p(details | anchors) summed per image (teacher forcing)."""
        feats = self.trunk_features(anchors, exact=False)
        total = details.new_zeros(details.shape[0])
        for g in range(details.shape[1]):
            p = self.channel_params(feats, anchors, details, g, exact=False)
            total = total + grid.laplace_bits(details[:, g : g + 1], p.mean, p.log2_scale).flatten(1).sum(1)
        return total


class TopPrior(nn.Module):
    """p(coarsest anchors): colour by colour, each colour predicted from the previous ones
    (its mean starts from the previous colour's value)."""

    def __init__(self, colours: int, hidden: int, rate_conditioned: bool = False):
        super().__init__()
        self.rate_conditioned = rate_conditioned
        self.heads = nn.ModuleList(_head(max(c, 1) + rate_conditioned, hidden) for c in range(colours))
        with torch.no_grad():  # start colour 0 at mid-grey
            self.heads[0].out.bias[0] = 128.0 * 2.0**-fp.LATENT_INPUT_SHIFT

    def channel_params(self, x: torch.Tensor, c: int, exact: bool, rate: torch.Tensor | float | None = None) -> PriorParams:
        inputs = x[:, :c] if c > 0 else torch.zeros_like(x[:, :1])
        base = x[:, c - 1 : c] if c > 0 else 0.0
        a = fp.latent_to_act(inputs) if exact else inputs * 2.0**-fp.LATENT_INPUT_SHIFT
        if self.rate_conditioned:
            a = torch.cat([a, rate_plane(a, rate, exact)], dim=1)
        if exact:
            return PriorParams.from_acc(self.heads[c].forward_exact(a), base)
        return PriorParams.from_output(self.heads[c](a), base)

    def bits(self, x: torch.Tensor) -> torch.Tensor:
        total = x.new_zeros(x.shape[0])
        for c in range(x.shape[1]):
            p = self.channel_params(x, c, exact=False)
            total = total + grid.laplace_bits(x[:, c : c + 1], p.mean, p.log2_scale).flatten(1).sum(1)
        return total
