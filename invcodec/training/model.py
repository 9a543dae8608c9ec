"""The integer flow with its hierarchical prior, as torch modules for training.

Per level: squeeze 2x2 -> rotate which position is the anchor -> lifting couplings
(predict, update) -> factor out the 9 detail channels, keep the 3 anchor channels as the
next, coarser image. ``bits`` is the training objective (the code length of the latents
under the prior, in bits). The same architecture is evaluated exactly for coding by
``invcodec.runtime.lifting``; the model also answers the walker's questions (``walk``),
so lossy training and sampling follow the decoding order."""

from __future__ import annotations

import torch
from torch import nn

from ..spec import COLOURS, LiftingSpec, anchor_order
from .flow import ChannelPermutation, LiftingCoupling, Squeeze
from .likelihood import PriorParams
from .prior import ConditionalPrior, TopPrior, white_positions


class Level(nn.Module):
    def __init__(self, cfg: LiftingSpec, index: int):
        super().__init__()
        self.flow = nn.ModuleList(
            [
                Squeeze(),
                ChannelPermutation(anchor_order(index)),
                LiftingCoupling("predict", COLOURS, cfg.coupling_hidden, cfg.coupling_blocks, cfg.numeric),
                LiftingCoupling("update", COLOURS, cfg.coupling_hidden, cfg.coupling_blocks, cfg.numeric),
            ]
        )
        self.prior = ConditionalPrior(
            COLOURS, 3 * COLOURS, cfg.prior_hidden, cfg.prior_blocks, cfg.prior_features, cfg.head_hidden,
            cfg.rate_conditioned, cfg.numeric, cfg.head, cfg.checkerboard,
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Image-like x (B,3,H,W) -> (anchors (B,3,H/2,W/2), details (B,9,H/2,W/2))."""
        h = x
        for block in self.flow:
            h = block(h)
        return h[:, :COLOURS], h[:, COLOURS:]

    def inverse(self, anchors: torch.Tensor, details: torch.Tensor) -> torch.Tensor:
        h = torch.cat([anchors, details], dim=1)
        for block in reversed(self.flow):
            h = block.inverse(h)
        return h


class IntegerFlowModel(nn.Module):
    # the walker's question (``walk``): a top band coded sample by sample is trained apart,
    # on a frozen base model (``training.top_context``)
    top_autoregressive = False

    def __init__(self, cfg: LiftingSpec = LiftingSpec()):
        super().__init__()
        if not isinstance(cfg, LiftingSpec):
            raise ValueError(f"the lifting flow's torch model takes a lifting spec, not an {cfg.architecture} one")
        if cfg.top_autoregressive:
            raise ValueError("a top_autoregressive model's top band is trained apart (python -m invcodec.training.top_context); "
                             "its torch model is the base model's")
        self.cfg = cfg
        self.levels = nn.ModuleList(Level(cfg, i) for i in range(cfg.levels))
        self.top = TopPrior(COLOURS, cfg.top_hidden, cfg.rate_conditioned, cfg.numeric, cfg.top_position)

    @property
    def block_size(self) -> int:
        """Image sides must be multiples of this (the codec pads)."""
        return 2**self.cfg.levels

    @property
    def level_count(self) -> int:
        return len(self.levels)

    def analyze(self, x: torch.Tensor) -> tuple[list[tuple[torch.Tensor, torch.Tensor]], torch.Tensor]:
        """Image -> per-level (anchors, details), finest first, and the coarsest anchors."""
        out = []
        for level in self.levels:
            anchors, details = level(x)
            out.append((anchors, details))
            x = anchors
        return out, x

    def synthesize(self, details: list[torch.Tensor], top: torch.Tensor) -> torch.Tensor:
        """Inverse of ``analyze``: details finest first, plus the coarsest anchors."""
        x = top
        for level, d in zip(reversed(self.levels), reversed(details)):
            x = level.inverse(x, d)
        return x

    # -- what the walker asks (``invcodec.walk``), in NCHW tensors -----------------------
    def context_zeros(self, batch: int, height: int, width: int) -> torch.Tensor:
        p = next(self.parameters())
        return torch.zeros(batch, 1, height, width, dtype=p.dtype, device=p.device)

    def cat(self, parts) -> torch.Tensor:
        return torch.cat(list(parts), dim=1)

    def top_params(self, context: torch.Tensor, colour: int, rate) -> PriorParams:
        return self.top.channel_params(context, colour, rate)

    def level_features(self, level: int, anchors: torch.Tensor, rate) -> torch.Tensor:
        return self.levels[level].prior.trunk_features(anchors, rate)

    def detail_params(self, level: int, features: torch.Tensor, anchors: torch.Tensor, previous, g: int) -> PriorParams:
        before = torch.cat(list(previous[:g]), dim=1) if g else anchors[:, :0]
        return self.levels[level].prior.channel_params(features, anchors, before, g)

    def level_inverse(self, level: int, anchors: torch.Tensor, details: torch.Tensor) -> torch.Tensor:
        return self.levels[level].inverse(anchors, details)

    # -- checkerboard context (``walk``), NCHW; a half is (B, 1, N, 1) ------------------
    @property
    def checkerboard(self) -> bool:
        return self.cfg.checkerboard

    def context_params(self, level: int, first: PriorParams, known: torch.Tensor, g: int) -> PriorParams:
        return self.levels[level].prior.context_params(first, known, g)

    def half(self, t, which: int):
        if isinstance(t, PriorParams):
            return PriorParams(self.half(t.mean, which), self.half(t.log2_scale, which))
        white = white_positions(*t.shape[2:], t.device)
        return t[:, :, white if which == 0 else ~white].unsqueeze(-1)

    def merge(self, white: torch.Tensor, black: torch.Tensor | None, params: PriorParams) -> torch.Tensor:
        out = params.mean.new_zeros(params.mean.shape)
        mask = white_positions(*out.shape[2:], out.device)
        out[:, :, mask] = white[..., 0].to(out.dtype)
        if black is not None:
            out[:, :, ~mask] = black[..., 0].to(out.dtype)
        return out

    def bits(self, x: torch.Tensor) -> torch.Tensor:
        """Code length in bits of each image in x (B,3,H,W, integer values 0..255)."""
        return self.latent_bits(*self.analyze(x))

    def bit_maps(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Code length in bits per latent position of each image in x: one (B, 1, h, w) map
        per level, finest first (its positions are 2**(level+1) pixels apart), then the top's."""
        per_level, top = self.analyze(x)
        return [level.prior.bit_map(a, d) for level, (a, d) in zip(self.levels, per_level)] + [self.top.bit_map(top)]

    def latent_bits(self, per_level: list[tuple[torch.Tensor, torch.Tensor]], top: torch.Tensor) -> torch.Tensor:
        """Code length in bits of ``analyze``'s latents, per image."""
        total = self.top.bits(top)
        for level, (anchors, details) in zip(self.levels, per_level):
            total = total + level.prior.bits(anchors, details)
        return total
