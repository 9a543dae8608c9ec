"""The integer flow with its hierarchical prior: the whole learned part of the codec.

Per level: squeeze 2x2 -> rotate which position is the anchor -> lifting couplings
(predict, update) -> factor out the 9 detail channels, keep the 3 anchor channels as the
next, coarser image. ``bits`` is the training objective (the exact code length of the
latents under the prior, in bits); the coding path lives in ``latent_coder``."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

import torch
from torch import nn

from .flow import ChannelPermutation, LiftingCoupling, Squeeze
from .prior import ConditionalPrior, TopPrior

COLOURS = 3


@dataclass(frozen=True)
class ModelConfig:
    levels: int = 4
    coupling_hidden: int = 32
    coupling_blocks: int = 1
    prior_hidden: int = 64
    prior_blocks: int = 2
    prior_features: int = 32
    head_hidden: int = 32
    top_hidden: int = 16
    # Lossy models: the prior also sees the global quantizer step (coarser context at low
    # rates makes its predictions less certain). Left out of the JSON when off, so the
    # lossless models' ids stay what they were.
    rate_conditioned: bool = False

    def to_json(self) -> str:
        fields = dataclasses.asdict(self)
        if not self.rate_conditioned:
            del fields["rate_conditioned"]
        return json.dumps(fields, sort_keys=True)

    @staticmethod
    def from_json(text: str) -> "ModelConfig":
        fields = {f.name for f in dataclasses.fields(ModelConfig)}
        values = json.loads(text)
        unknown = set(values) - fields
        if unknown:
            raise ValueError(f"unknown model config fields: {sorted(unknown)}")
        return ModelConfig(**values)


def _anchor_order(level: int) -> list[int]:
    """Channel order that puts position (level mod 4) first, as the level's anchor."""
    positions = [(level + k) % 4 for k in range(4)]
    return [p * COLOURS + c for p in positions for c in range(COLOURS)]


class Level(nn.Module):
    def __init__(self, cfg: ModelConfig, index: int):
        super().__init__()
        self.flow = nn.ModuleList(
            [
                Squeeze(),
                ChannelPermutation(_anchor_order(index)),
                LiftingCoupling("predict", COLOURS, cfg.coupling_hidden, cfg.coupling_blocks),
                LiftingCoupling("update", COLOURS, cfg.coupling_hidden, cfg.coupling_blocks),
            ]
        )
        self.prior = ConditionalPrior(
            COLOURS, 3 * COLOURS, cfg.prior_hidden, cfg.prior_blocks, cfg.prior_features, cfg.head_hidden,
            cfg.rate_conditioned,
        )

    def forward(self, x: torch.Tensor, exact: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Image-like x (B,3,H,W) -> (anchors (B,3,H/2,W/2), details (B,9,H/2,W/2))."""
        h = x
        for block in self.flow:
            h = block(h, exact)
        return h[:, :COLOURS], h[:, COLOURS:]

    def inverse(self, anchors: torch.Tensor, details: torch.Tensor, exact: bool = False) -> torch.Tensor:
        h = torch.cat([anchors, details], dim=1)
        for block in reversed(self.flow):
            h = block.inverse(h, exact)
        return h


class IntegerFlowModel(nn.Module):
    def __init__(self, cfg: ModelConfig = ModelConfig()):
        super().__init__()
        self.cfg = cfg
        self.levels = nn.ModuleList(Level(cfg, i) for i in range(cfg.levels))
        self.top = TopPrior(COLOURS, cfg.top_hidden, cfg.rate_conditioned)

    @property
    def block_size(self) -> int:
        """Image sides must be multiples of this (the codec pads)."""
        return 2**self.cfg.levels

    def analyze(self, x: torch.Tensor, exact: bool = False) -> tuple[list[tuple[torch.Tensor, torch.Tensor]], torch.Tensor]:
        """Image -> per-level (anchors, details), finest first, and the coarsest anchors."""
        out = []
        for level in self.levels:
            anchors, details = level(x, exact)
            out.append((anchors, details))
            x = anchors
        return out, x

    def synthesize(self, details: list[torch.Tensor], top: torch.Tensor, exact: bool = False) -> torch.Tensor:
        """Inverse of ``analyze``: details finest first, plus the coarsest anchors."""
        x = top
        for level, d in zip(reversed(self.levels), reversed(details)):
            x = level.inverse(x, d, exact)
        return x

    def bits(self, x: torch.Tensor) -> torch.Tensor:
        """Code length in bits of each image in x (B,3,H,W, integer values 0..255)."""
        per_level, top = self.analyze(x)
        total = self.top.bits(top)
        for level, (anchors, details) in zip(self.levels, per_level):
            total = total + level.prior.bits(anchors, details)
        return total
