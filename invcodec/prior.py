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

    def __init__(self, anchors: int, details: int, hidden: int, blocks: int, features: int, head_hidden: int):
        super().__init__()
        self.trunk = ConvNet(anchors, hidden, features, blocks=blocks, zero_out=False)
        self.heads = nn.ModuleList(_head(features + anchors + g, head_hidden) for g in range(details))

    def trunk_features(self, anchors: torch.Tensor, exact: bool) -> torch.Tensor:
        if exact:
            return torch.relu(fp.requantize(self.trunk.forward_exact(fp.latent_to_act(anchors))))
        return torch.relu(self.trunk(anchors * 2.0**-fp.LATENT_INPUT_SHIFT))

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

    def __init__(self, colours: int, hidden: int):
        super().__init__()
        self.heads = nn.ModuleList(_head(max(c, 1), hidden) for c in range(colours))
        with torch.no_grad():  # start colour 0 at mid-grey
            self.heads[0].out.bias[0] = 128.0 * 2.0**-fp.LATENT_INPUT_SHIFT

    def channel_params(self, x: torch.Tensor, c: int, exact: bool) -> PriorParams:
        inputs = x[:, :c] if c > 0 else torch.zeros_like(x[:, :1])
        base = x[:, c - 1 : c] if c > 0 else 0.0
        if exact:
            return PriorParams.from_acc(self.heads[c].forward_exact(fp.latent_to_act(inputs)), base)
        return PriorParams.from_output(self.heads[c](inputs * 2.0**-fp.LATENT_INPUT_SHIFT), base)

    def bits(self, x: torch.Tensor) -> torch.Tensor:
        total = x.new_zeros(x.shape[0])
        for c in range(x.shape[1]):
            p = self.channel_params(x, c, exact=False)
            total = total + grid.laplace_bits(x[:, c : c + 1], p.mean, p.log2_scale).flatten(1).sum(1)
        return total
