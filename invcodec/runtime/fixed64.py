"""The fixed64 numeric format of release 0.1.0, evaluated with numpy (no torch).

Weights on the 2**-12 grid (|w| < 16), activations on 2**-8 (|a| <= 2**25), accumulators
on 2**-20; fan-in <= 2048. Every partial sum stays below 2**53, so float64 GEMM is exact
in any order. Kept so that every file written with a 0.1.0 model decodes to the same
pixels forever; new models use the faster int8 format (``int8``)."""

from __future__ import annotations

import numpy as np

from .conv import conv2d, weight_matrix
from ..spec import LATENT_INPUT_SHIFT
from .nets import LevelPrior, NetOutput

ACT_FRAC_BITS = 8
WEIGHT_FRAC_BITS = 12
ACC_FRAC_BITS = ACT_FRAC_BITS + WEIGHT_FRAC_BITS
ACT_LIMIT = 2.0**25
MAX_WEIGHT = 2.0**16
MAX_FAN_IN = 2**11
_ACC_GRID = -ACC_FRAC_BITS


def latent_input(v: np.ndarray) -> np.ndarray:
    """Integer latents -> activations on the 2**-8 grid (value v / 64)."""
    return v * 2.0 ** (ACT_FRAC_BITS - LATENT_INPUT_SHIFT)


def rate_input(global_step_index: int) -> float:
    """The rate plane of a rate-conditioned prior: log2(step) / 8 = index / 128, on 2**-8."""
    return 2.0 * global_step_index


class Conv:
    def __init__(self, weight: np.ndarray, bias: np.ndarray, name: str):
        w = np.round(weight.astype(np.float64) * 2.0**WEIGHT_FRAC_BITS)
        b = np.round(bias.astype(np.float64) * 2.0**ACC_FRAC_BITS)
        fan_in = int(np.prod(weight.shape[1:]))
        if fan_in > MAX_FAN_IN or (w.size and np.abs(w).max() >= MAX_WEIGHT) or not np.isfinite(b).all():
            raise ValueError(f"{name}: weights outside the exact fixed-point range")
        self.k = weight.shape[-1]
        self.matrix = weight_matrix(w, np.float64)
        self.bias = b

    def __call__(self, a: np.ndarray) -> np.ndarray:
        """Activations (2**-8) -> exact accumulator (2**-20)."""
        return conv2d(a, self.matrix, self.k) + self.bias


def requantize(acc: np.ndarray) -> np.ndarray:
    """Accumulator (2**-20) -> activation (2**-8), rounding down; exact."""
    return np.clip(np.floor(acc * 2.0**-WEIGHT_FRAC_BITS), -ACT_LIMIT, ACT_LIMIT)


def relu(a: np.ndarray) -> np.ndarray:
    return np.maximum(a, 0.0)


class ConvNet:
    """conv -> ReLU -> [residual blocks] -> ReLU -> conv, from 0.1.0's ``nets.ConvNet``."""

    def __init__(self, tensors: dict[str, np.ndarray], prefix: str):
        def conv(name: str) -> Conv:
            return Conv(tensors[f"{prefix}.{name}.weight"], tensors[f"{prefix}.{name}.bias"], f"{prefix}.{name}")

        self.inp = conv("inp")
        blocks = sorted({int(k.split(".")[len(prefix.split(".")) + 1]) for k in tensors if k.startswith(f"{prefix}.blocks.")})
        self.blocks = [(conv(f"blocks.{i}.conv1"), conv(f"blocks.{i}.conv2")) for i in blocks]
        self.out = conv("out")

    def __call__(self, a: np.ndarray) -> NetOutput:
        h = relu(requantize(self.inp(a)))
        for conv1, conv2 in self.blocks:
            r = requantize(conv2(relu(requantize(conv1(h)))))
            h = np.clip(h + r, -ACT_LIMIT, ACT_LIMIT)
        acc = self.out(relu(h))
        return NetOutput(acc, np.full(acc.shape[-1], _ACC_GRID))


class Nets:
    """The nets of the lifting flow in this format: couplings, priors, top-prior heads."""

    def __init__(self, tensors: dict[str, np.ndarray]):
        self.tensors = tensors

    def coupling(self, prefix: str):
        net = ConvNet(self.tensors, prefix)
        return lambda latents: net(latent_input(latents))

    def prior(self, prefix: str, heads: int, rate_conditioned: bool, checkerboard: bool = False) -> LevelPrior:
        """features(anchors, global step) and head(features, g, latents) of a level's prior:
        a trunk, then per detail channel a 3x3 conv over the features and the latents."""
        trunk = ConvNet(self.tensors, f"{prefix}.trunk")
        nets = [ConvNet(self.tensors, f"{prefix}.heads.{g}") for g in range(heads)]

        def features(anchors: np.ndarray, global_step: int | None = None) -> np.ndarray:
            a = latent_input(anchors)
            if rate_conditioned:
                a = np.concatenate([a, np.full(a.shape[:2] + (1,), rate_input(global_step or 0))], axis=2)
            return relu(requantize(trunk(a).acc))

        def head(features: np.ndarray, g: int, latents: np.ndarray) -> NetOutput:
            return nets[g](np.concatenate([features, latent_input(latents)], axis=2))

        if checkerboard:
            raise ValueError("fixed64 models have no checkerboard context")
        return LevelPrior(features, head)

    def top_head(self, prefix: str, rate_conditioned: bool):
        net = ConvNet(self.tensors, prefix)

        def run(latents: np.ndarray, global_step: int | None) -> NetOutput:
            a = latent_input(latents)
            if rate_conditioned:
                a = np.concatenate([a, np.full(a.shape[:2] + (1,), rate_input(global_step or 0))], axis=2)
            return net(a)

        return run
