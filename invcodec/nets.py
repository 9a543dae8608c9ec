"""The small conv nets that steer the flow (coupling shifts) and the prior (parameters).

Each net has two evaluations of the same weights:
* ``forward(x)``: float, differentiable, for training;
* ``forward_exact(a)``: exact fixed-point (see ``fixedpoint``), for coding.
Both take the input in activation units and return the output in real units
(float) or as an exact accumulator on the 2**-20 grid (exact)."""

from __future__ import annotations

import torch
from torch import nn

from . import fixedpoint as fp


def _conv(c_in: int, c_out: int, k: int) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, k, padding=k // 2)


class ResBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = _conv(channels, channels, 3)
        self.conv2 = _conv(channels, channels, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(torch.relu(self.conv1(x)))

    def forward_exact(self, a: torch.Tensor) -> torch.Tensor:
        h = torch.relu(fp.requantize(fp.conv_acc(a, *fp.quantize_conv(self.conv1.weight, self.conv1.bias))))
        return (a + fp.requantize(fp.conv_acc(h, *fp.quantize_conv(self.conv2.weight, self.conv2.bias)))).clamp_(
            -fp.ACT_LIMIT, fp.ACT_LIMIT
        )


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

    def features_exact(self, a: torch.Tensor) -> torch.Tensor:
        h = torch.relu(fp.requantize(fp.conv_acc(a, *fp.quantize_conv(self.inp.weight, self.inp.bias))))
        for block in self.blocks:
            h = block.forward_exact(h)
        return torch.relu(h)

    def forward_exact(self, a: torch.Tensor) -> torch.Tensor:
        return fp.conv_acc(self.features_exact(a), *fp.quantize_conv(self.out.weight, self.out.bias))
