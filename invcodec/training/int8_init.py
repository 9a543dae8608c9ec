"""Start an int8 model from a trained fixed64 (0.1.0) model, before quantization-aware
fine-tuning: the couplings and the top prior copy their weights; the prior trunk keeps
its first blocks (a residual block left out is close to the identity); each split head
takes the latent part of the joint head's 3x3 conv as it is and the feature part as the
sum of its taps (the trunk's features vary slowly). Then every activation grid is
calibrated on ``calibration`` crops."""

from __future__ import annotations

import numpy as np
import torch

from . import nets_int8
from .model import IntegerFlowModel
from .nets import ConvNet


def _copy_conv(target: nets_int8.QConv, source: torch.nn.Conv2d) -> None:
    target.conv.weight.copy_(source.weight)
    target.conv.bias.copy_(source.bias)


def _copy_net(target: nets_int8.QConvNet, source: ConvNet) -> None:
    _copy_conv(target.inp, source.inp)
    for t, s in zip(target.blocks, source.blocks):  # extra source blocks are dropped
        _copy_conv(t.conv1, s.conv1)
        _copy_conv(t.conv2, s.conv2)
    _copy_conv(target.out, source.out)


@torch.no_grad()
def int8_from_fixed64(source: IntegerFlowModel, target: IntegerFlowModel,
                      calibration: np.ndarray | None = None) -> IntegerFlowModel:
    if len(source.levels) != len(target.levels):
        raise ValueError("the int8 model needs the source's number of levels")
    for s_level, t_level in zip(source.levels, target.levels):
        for s_block, t_block in zip(s_level.flow, t_level.flow):
            if hasattr(t_block, "net"):
                _copy_net(t_block.net, s_block.net)
        _copy_net(t_level.prior.trunk, s_level.prior.trunk)
        features = s_level.prior.trunk.out.out_channels
        for t_head, s_head in zip(t_level.prior.heads, s_level.prior.heads):
            w, b = s_head.inp.weight, s_head.inp.bias
            t_head.from_features.conv.weight.copy_(w[:, :features].sum(dim=(2, 3), keepdim=True))
            t_head.from_features.conv.bias.copy_(b)
            t_head.from_latents.conv.weight.copy_(w[:, features:])
            t_head.from_latents.conv.bias.zero_()
            _copy_conv(t_head.out, s_head.out)
    for t_head, s_head in zip(target.top.heads, source.top.heads):
        _copy_net(t_head, s_head)
    if calibration is not None:
        x = torch.from_numpy(calibration).float()
        nets_int8.calibrate(target, lambda: target.bits(x))
    return target
