"""The hierarchical prior: probabilities of each level's factored-out latents (training).

Level l's 9 detail channels are coded conditioned on the level's 3 anchor channels
(everything coarser) and, channel by channel, on the detail channels decoded before
them: position by position, colour by colour (R, then G given R, ...). A shared trunk
reads the anchors once; a light head per channel adds the already-decoded channels.
The coarsest anchors get a small colour-conditional prior of their own. In the int8
format the heads are split (``nets_int8.QSplitHead``)."""

from __future__ import annotations

import torch
from torch import nn

from . import nets_int8
from .likelihood import PriorParams, laplace_bits
from ..spec import LATENT_INPUT_SHIFT
from .nets import ConvNet, latent_input

INITIAL_LOG2_SCALE = 3.0
RATE_INPUT_DIVISOR = 8.0  # the global log2 step enters a rate-conditioned prior as log2(step) / 8


def rate_plane(like: torch.Tensor, rate: torch.Tensor | float | None) -> torch.Tensor:
    """A constant input plane holding the global log2 step (per image, or one for all)."""
    rate = torch.as_tensor(0.0 if rate is None else rate, dtype=like.dtype, device=like.device)
    return (rate / RATE_INPUT_DIVISOR).reshape(-1, 1, 1, 1).expand(like.shape[0], 1, *like.shape[2:])


def _head(c_in: int, hidden: int) -> ConvNet:
    head = ConvNet(c_in, hidden, 2, blocks=0, out_k=1, zero_out=True)
    with torch.no_grad():
        head.out.bias[1] = INITIAL_LOG2_SCALE
    return head


def _int8_head(features: nets_int8.ActQuant, c_features: int, c_latents: int, hidden: int,
               context: bool) -> nets_int8.QSplitHead:
    head = nets_int8.QSplitHead(features, c_features, c_latents, hidden, context)
    with torch.no_grad():
        head.out.conv.bias[1] = INITIAL_LOG2_SCALE
    return head


def _int8_top_head(c_in: int, hidden: int) -> nets_int8.QConvNet:
    head = nets_int8.QConvNet(c_in, hidden, 2, blocks=0, out_k=1)
    with torch.no_grad():
        head.out.conv.bias[1] = INITIAL_LOG2_SCALE
    return head


def white_positions(height: int, width: int, device: torch.device | None = None) -> torch.Tensor:
    """(height, width) bool: the checkerboard's first half, (row + column) even (``walk``)."""
    return (torch.arange(height, device=device)[:, None] + torch.arange(width, device=device)) % 2 == 0


class ConditionalPrior(nn.Module):
    """p(details | anchors) for one level, autoregressive over the detail channels; with
    ``checkerboard``, each channel's black half also sees its white half (``walk``)."""

    def __init__(self, anchors: int, details: int, hidden: int, blocks: int, features: int, head_hidden: int,
                 rate_conditioned: bool = False, numeric: str = "fixed64", head: str = "joint", checkerboard: bool = False):
        super().__init__()
        self.rate_conditioned = rate_conditioned
        self.int8 = numeric == "int8"
        self.checkerboard = checkerboard
        if self.int8:
            if rate_conditioned or head != "split":
                raise ValueError("int8 priors have split heads and no rate input (yet)")
            self.trunk = nets_int8.QConvNet(anchors, hidden, features, blocks, zero_out=False)
            self.features_quant = nets_int8.ActQuant(signed=False)
            self.heads = nn.ModuleList(
                _int8_head(self.features_quant, features, anchors + g, head_hidden, checkerboard) for g in range(details)
            )
        else:
            if checkerboard:
                raise ValueError("checkerboard context needs int8 priors")
            if head != "joint":
                raise ValueError("fixed64 priors have joint heads")
            self.trunk = ConvNet(anchors + rate_conditioned, hidden, features, blocks=blocks, zero_out=False)
            self.heads = nn.ModuleList(_head(features + anchors + g, head_hidden) for g in range(details))

    def trunk_features(self, anchors: torch.Tensor, rate: torch.Tensor | float | None = None) -> torch.Tensor:
        """``rate``: the global log2 quantizer step (rate-conditioned priors only)."""
        if self.int8:
            return self.features_quant(self.trunk(nets_int8.latent_input(anchors)))
        a = latent_input(anchors)
        if self.rate_conditioned:
            a = torch.cat([a, rate_plane(a, rate)], dim=1)
        return torch.relu(self.trunk(a))

    def channel_params(self, features: torch.Tensor, anchors: torch.Tensor, previous: torch.Tensor, g: int) -> PriorParams:
        """Parameters of detail channel g given the anchors and ``previous`` (details 0..g-1)."""
        head = self.heads[g]
        latents = torch.cat([anchors, previous[:, :g]], dim=1)
        if self.int8:
            hidden_sum = head.hidden_sum(features, latents)
            p = PriorParams.from_output(head.output(hidden_sum), 0.0)
            p.hidden_sum = hidden_sum if self.checkerboard else None
            return p
        return PriorParams.from_output(head(torch.cat([features, latent_input(latents)], dim=1)), 0.0)

    def context_params(self, first: PriorParams, known: torch.Tensor, g: int) -> PriorParams:
        """Channel g's parameters for its black half, given its white half (``known``, zero elsewhere)."""
        return PriorParams.from_output(self.heads[g].output(first.hidden_sum, known), 0.0)

    def bits(self, anchors: torch.Tensor, details: torch.Tensor) -> torch.Tensor:
        """-log2 p(details | anchors) summed per image (teacher forcing)."""
        return self.bit_map(anchors, details).flatten(1).sum(1)

    def bit_map(self, anchors: torch.Tensor, details: torch.Tensor) -> torch.Tensor:
        """-log2 p(details | anchors) per position (B, 1, H, W), summed over the channels."""
        feats = self.trunk_features(anchors)
        total = torch.zeros_like(details[:, :1])
        white = white_positions(*details.shape[2:], details.device) if self.checkerboard else None
        for g in range(details.shape[1]):
            x = details[:, g : g + 1]
            p = self.channel_params(feats, anchors, details, g)
            bits = laplace_bits(x, p.mean, p.log2_scale)
            if white is not None:
                black = self.context_params(p, x * white, g)
                bits = torch.where(white, bits, laplace_bits(x, black.mean, black.log2_scale))
            total = total + bits
        return total


def top_inputs(c: int, position: bool) -> int:
    """Input channels of the top prior's head for colour c: the colours before it, the
    ones plane with ``position``, and a zero plane for colour 0 without it (0.1.0)."""
    return c + 1 if position else max(c, 1)


def top_inputs_of(x: torch.Tensor, c: int, position: bool) -> torch.Tensor:
    """What the top prior's head for colour c reads of the coarsest anchors x (NCHW)."""
    if position:
        return torch.cat([torch.full_like(x[:, :1], 2.0**LATENT_INPUT_SHIFT), x[:, :c]], dim=1)
    return x[:, :c] if c > 0 else torch.zeros_like(x[:, :1])


class TopPrior(nn.Module):
    """p(coarsest anchors): colour by colour, each colour predicted from the previous ones
    (its mean starts from the previous colour's value). With ``position``, every head also
    reads a plane of ones, first: through the convs' zero padding it sees the borders."""

    def __init__(self, colours: int, hidden: int, rate_conditioned: bool = False, numeric: str = "fixed64",
                 position: bool = False):
        super().__init__()
        self.rate_conditioned = rate_conditioned
        self.position = position
        self.int8 = numeric == "int8"
        if self.int8 and rate_conditioned:
            raise ValueError("int8 priors have no rate input (yet)")
        make = _int8_top_head if self.int8 else _head
        self.heads = nn.ModuleList(make(top_inputs(c, position) + rate_conditioned, hidden) for c in range(colours))
        with torch.no_grad():  # start colour 0 at mid-grey
            out = self.heads[0].out.conv if self.int8 else self.heads[0].out
            out.bias[0] = 128.0 * 2.0**-LATENT_INPUT_SHIFT

    def channel_params(self, x: torch.Tensor, c: int, rate: torch.Tensor | float | None = None) -> PriorParams:
        inputs = top_inputs_of(x, c, self.position)
        base = x[:, c - 1 : c] if c > 0 else 0.0
        if self.int8:
            return PriorParams.from_output(self.heads[c](nets_int8.latent_input(inputs)), base)
        a = latent_input(inputs)
        if self.rate_conditioned:
            a = torch.cat([a, rate_plane(a, rate)], dim=1)
        return PriorParams.from_output(self.heads[c](a), base)

    def bits(self, x: torch.Tensor) -> torch.Tensor:
        return self.bit_map(x).flatten(1).sum(1)

    def bit_map(self, x: torch.Tensor) -> torch.Tensor:
        """-log2 p(x) per position (B, 1, H, W), summed over the colours."""
        total = torch.zeros_like(x[:, :1])
        for c in range(x.shape[1]):
            p = self.channel_params(x, c)
            total = total + laplace_bits(x[:, c : c + 1], p.mean, p.log2_scale)
        return total
