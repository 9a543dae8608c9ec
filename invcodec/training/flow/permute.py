"""A fixed channel permutation, inverted exactly with ``argsort``."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .base import InvertibleBlock


class ChannelPermutation(InvertibleBlock):
    def __init__(self, order: Sequence[int]):
        super().__init__()
        order_t = torch.as_tensor(list(order), dtype=torch.long)
        if sorted(order_t.tolist()) != list(range(len(order_t))):
            raise ValueError(f"not a permutation: {list(order)}")
        self.register_buffer("order", order_t, persistent=False)
        self.register_buffer("inverse_order", torch.argsort(order_t), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, self.order]

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        return y[:, self.inverse_order]
