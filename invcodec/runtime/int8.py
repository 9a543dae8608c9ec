"""The int8 numeric format, evaluated with numpy float32 GEMM (no torch).

Weights are int8 with a power-of-two exponent per output channel, activations 9-bit
integers (0..255 after a ReLU, -255..255 on a residual stream) on a power-of-two grid per
site, net inputs latents clamped to +-1023. A model file stores the integers and the
exponents (written by ``invcodec.training.export``); loading checks that every
convolution keeps fan_in * max|w| * max|input| + max|bias| below 2**24, which makes every
partial sum an integer that float32 holds exactly, whatever order BLAS adds in. So the
fast float32 path is bit-identical on every machine. The training side, with the same
bounds and rounding, is ``invcodec.training.nets_int8``."""

from __future__ import annotations

import numpy as np

from .conv import conv2d, weight_matrix
from .nets import NetOutput, check_exponents

EXACT_LIMIT = 2**24
ACT_LIMIT = 255
PART_LIMIT = 1023  # a split head's two parts are each clamped to this before they are added
LATENT_LIMIT = 1023


def latent_input(v: np.ndarray) -> np.ndarray:
    return np.clip(v, -LATENT_LIMIT, LATENT_LIMIT).astype(np.float32)


class Conv:
    """Integer weights (O, I, k, k), integer bias and accumulator exponents per channel."""

    def __init__(self, tensors: dict[str, np.ndarray], name: str, in_limit: int):
        w, b, grid = tensors[f"{name}.w"], tensors[f"{name}.b"], tensors[f"{name}.grid"].astype(np.int64)
        fan_in = int(np.prod(w.shape[1:]))
        peak = fan_in * int(np.abs(w.astype(np.int64)).max(initial=0)) * in_limit + int(np.abs(b.astype(np.int64)).max(initial=0))
        if peak >= EXACT_LIMIT:
            raise ValueError(f"{name}: weights outside the exact float32 range")
        check_exponents(grid, name)
        self.k = w.shape[-1]
        self.matrix = weight_matrix(w, np.float32)
        self.bias = b.astype(np.float32)
        self.grid = grid

    def __call__(self, a: np.ndarray) -> NetOutput:
        return NetOutput(conv2d(a, self.matrix, self.k) + self.bias, self.grid)


def activation(out: NetOutput, exp: int, lo: int = 0, hi: int = ACT_LIMIT) -> np.ndarray:
    """Floor onto the grid 2**exp and clamp to [lo, hi]: float32 integers, exactly."""
    scale = np.exp2(out.grid - exp).astype(np.float32)  # powers of two: the product is exact
    return np.clip(np.floor(out.acc * scale), lo, hi)


class ConvNet:
    """conv -> ReLU -> [residual blocks] -> ReLU -> conv (``nets_int8.QConvNet``)."""

    def __init__(self, tensors: dict[str, np.ndarray], prefix: str):
        self.stream_exp = int(tensors[f"{prefix}.stream.exp"][0])
        self.inp = Conv(tensors, f"{prefix}.inp", LATENT_LIMIT)
        blocks = sorted({int(k.split(".")[len(prefix.split(".")) + 1]) for k in tensors if k.startswith(f"{prefix}.blocks.")})
        self.blocks = [
            (Conv(tensors, f"{prefix}.blocks.{i}.conv1", ACT_LIMIT), int(tensors[f"{prefix}.blocks.{i}.hidden.exp"][0]),
             Conv(tensors, f"{prefix}.blocks.{i}.conv2", ACT_LIMIT))
            for i in blocks
        ]
        self.out = Conv(tensors, f"{prefix}.out", ACT_LIMIT)

    def __call__(self, latents: np.ndarray) -> NetOutput:
        h = activation(self.inp(latent_input(latents)), self.stream_exp)
        for conv1, hidden_exp, conv2 in self.blocks:
            r = activation(conv2(activation(conv1(h), hidden_exp)), self.stream_exp, -EXACT_LIMIT, EXACT_LIMIT)
            h = np.clip(h + r, -ACT_LIMIT, ACT_LIMIT)  # |r| beyond 2**24 clips the same way
        return self.out(np.maximum(h, 0))


class SplitHead:
    """1x1 conv of the trunk features + 3x3 conv of the latents, each floored onto the
    hidden grid, summed, ReLU, 1x1 conv (``nets_int8.QSplitHead``)."""

    def __init__(self, tensors: dict[str, np.ndarray], prefix: str):
        self.hidden_exp = int(tensors[f"{prefix}.hidden.exp"][0])
        self.from_features = Conv(tensors, f"{prefix}.from_features", ACT_LIMIT)
        self.from_latents = Conv(tensors, f"{prefix}.from_latents", LATENT_LIMIT)
        self.out = Conv(tensors, f"{prefix}.out", ACT_LIMIT)

    def __call__(self, features: np.ndarray, latents: np.ndarray) -> NetOutput:
        f = activation(self.from_features(features), self.hidden_exp, -PART_LIMIT, PART_LIMIT)
        v = activation(self.from_latents(latent_input(latents)), self.hidden_exp, -PART_LIMIT, PART_LIMIT)
        return self.out(np.clip(f + v, 0, ACT_LIMIT))


class Nets:
    """The four kinds of net the lifting flow uses, in this format."""

    def __init__(self, tensors: dict[str, np.ndarray]):
        self.tensors = tensors

    def coupling(self, prefix: str):
        return ConvNet(self.tensors, prefix)

    def trunk(self, prefix: str, rate_conditioned: bool):
        if rate_conditioned:
            raise ValueError("int8 models have no rate-conditioned prior (yet)")
        net = ConvNet(self.tensors, prefix)
        exp = int(self.tensors[f"{prefix.rsplit('.', 1)[0]}.features_quant.exp"][0])
        return lambda anchors, global_step: activation(net(anchors), exp)

    def head(self, prefix: str):
        return SplitHead(self.tensors, prefix)

    def top_head(self, prefix: str, rate_conditioned: bool):
        if rate_conditioned:
            raise ValueError("int8 models have no rate-conditioned prior (yet)")
        net = ConvNet(self.tensors, prefix)
        return lambda latents, global_step: net(latents)
