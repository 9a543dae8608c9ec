"""The small conv nets of the fixed64 format (release 0.1.0's models), for training.

They train in plain float; the coding runtime evaluates the same weights exactly in
fixed point (``invcodec.runtime.fixed64``). Inputs are in activation units (latents / 64)."""

from __future__ import annotations

import torch
from torch import nn

from ..spec import LATENT_INPUT_SHIFT



def _conv(c_in: int, c_out: int, k: int) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, k, padding=k // 2)


class ResBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = _conv(channels, channels, 3)
        self.conv2 = _conv(channels, channels, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(torch.relu(self.conv1(x)))


class ConvNet(nn.Module):
    """conv(k) -> ReLU -> [ResBlock -> ...] -> ReLU -> conv(out_k).

    ``zero_out`` starts the output layer at zero so that a fresh coupling is the identity."""

    def __init__(self, c_in: int, hidden: int, c_out: int, blocks: int = 1, out_k: int = 3, zero_out: bool = True):
        super().__init__()
        self.inp = _conv(c_in, hidden, 3)
        self.blocks = nn.ModuleList(ResBlock(hidden) for _ in range(blocks))
        self.out = _conv(hidden, c_out, out_k)
        if zero_out:
            nn.init.zeros_(self.out.weight)
            nn.init.zeros_(self.out.bias)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.inp(x))
        for block in self.blocks:
            h = block(h)
        return torch.relu(h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.features(x))


def latent_input(v: torch.Tensor) -> torch.Tensor:
    return v * 2.0**-LATENT_INPUT_SHIFT
