"""Space-to-depth: (B, C, H, W) -> (B, 4C, H/2, W/2), done by reshaping."""

from __future__ import annotations

import torch

from .base import InvertibleBlock


class Squeeze(InvertibleBlock):
    """Each 2x2 block becomes 4C channels, ordered (position, channel):
    channel ``p * C + c`` holds colour c of position p in (top-left, top-right,
    bottom-left, bottom-right)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        if h % 2 or w % 2:
            raise ValueError(f"Squeeze needs even height and width, got {h}x{w}")
        x = x.reshape(b, c, h // 2, 2, w // 2, 2)
        return x.permute(0, 3, 5, 1, 2, 4).reshape(b, 4 * c, h // 2, w // 2)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        b, c4, h, w = y.shape
        c = c4 // 4
        y = y.reshape(b, 2, 2, c, h, w)
        return y.permute(0, 3, 4, 1, 5, 2).reshape(b, c, 2 * h, 2 * w)
