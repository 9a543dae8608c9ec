"""The int8 numeric format, evaluated by the native kernel's integer convolutions (no torch).

Weights are int8 with a power-of-two exponent per output channel, activations 9-bit
integers (0..255 after a ReLU, -255..255 on a residual stream) on a power-of-two grid per
site, net inputs latents clamped to +-1023. A model file stores the integers and the
exponents (written by ``invcodec.training.export``); loading checks that every
convolution keeps fan_in * max|w| * max|input| + max|bias| below 2**24, which makes every
partial sum an exact int32 (and an exact float32: the training side's float path gives the
same integers). ``invcodec.native.Int8Conv`` does a layer: the sums, then the floor onto
the next grid and the clamps (docs/NATIVE.md). The training side, with the same bounds and
rounding, is ``invcodec.training.nets_int8``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..native import Int8Conv
from .checkerboard import take_half
from .nets import NetOutput, check_exponents

EXACT_LIMIT = 2**24
ACT_LIMIT = 255
PART_LIMIT = 1023  # a split head's two parts are each clamped to this before they are added
LATENT_LIMIT = 1023


def latent_input(v: np.ndarray) -> np.ndarray:
    """Latents (integers in float64) as a net's int16 input, clamped."""
    return np.clip(v, -LATENT_LIMIT, LATENT_LIMIT).astype(np.int16)


class Conv:
    """Integer weights (O, I, k, k), integer bias and accumulator exponents per channel,
    on channels-last int16 inputs (H, W, I) within +-``in_limit``."""

    def __init__(self, w: np.ndarray, b: np.ndarray, grid: np.ndarray, name: str, in_limit: int):
        fan_in = int(np.prod(w.shape[1:]))
        w_peak = np.abs(w.astype(np.int64)).reshape(w.shape[0], -1).max(axis=1, initial=0)
        if (fan_in * w_peak * in_limit + np.abs(b.astype(np.int64))).max(initial=0) >= EXACT_LIMIT:
            raise ValueError(f"{name}: weights outside the exact range")
        grid = grid.astype(np.int64)
        check_exponents(grid, name)
        self.weights = np.ascontiguousarray(w, dtype=np.int8)
        self.bias = np.ascontiguousarray(b, dtype=np.int32)
        self.grid = grid
        self.in_limit = in_limit
        self.out_channels, self.in_channels, self.k = w.shape[0], w.shape[1], w.shape[-1]
        self.kernel = Int8Conv(self.weights, self.bias, self.out_channels, self.in_channels, self.k, in_limit)

    @classmethod
    def load(cls, tensors: dict[str, np.ndarray], name: str, in_limit: int) -> "Conv":
        return cls(tensors[f"{name}.w"], tensors[f"{name}.b"], tensors[f"{name}.grid"], name, in_limit)

    @classmethod
    def stacked(cls, convs: list["Conv"], name: str) -> "Conv":
        """One conv giving the outputs of ``convs`` (on the same input) side by side: one pass."""
        return cls(np.concatenate([c.weights for c in convs]), np.concatenate([c.bias for c in convs]),
                   np.concatenate([c.grid for c in convs]), name, max(c.in_limit for c in convs))

    def __call__(self, x: np.ndarray) -> NetOutput:
        """The sums: an int32 accumulator on the grid 2**grid."""
        h, w = x.shape[:2]
        acc = np.empty((h, w, self.out_channels), np.int32)
        self.kernel.sums(np.ascontiguousarray(x, dtype=np.int16), h, w, acc)
        return NetOutput(acc, self.grid)

    def activation(self, x: np.ndarray, exp: int | np.ndarray, lo: int = 0, hi: int = ACT_LIMIT,
                   residual: np.ndarray | None = None, sum_limit: int = ACT_LIMIT, residual_offset: int = 0) -> np.ndarray:
        """The sums floored onto the grid 2**exp (per channel, or one for all) and clamped to
        [lo, hi] (int16); with a ``residual`` (its channels from ``residual_offset`` on),
        residual + that, clamped to +-sum_limit."""
        h, w = x.shape[:2]
        out = np.empty((h, w, self.out_channels), np.int16)
        shift = (self.grid - exp).astype(np.int32)
        channels = self.out_channels
        if residual is not None:
            residual = np.ascontiguousarray(residual, dtype=np.int16)
            channels = residual.shape[-1]
        self.kernel.activate(np.ascontiguousarray(x, dtype=np.int16), h, w, shift, lo, hi, out, residual, -sum_limit, sum_limit,
                             channels, residual_offset)
        return out


class ConvNet:
    """conv -> ReLU -> [residual blocks] -> ReLU -> conv (``nets_int8.QConvNet``)."""

    def __init__(self, tensors: dict[str, np.ndarray], prefix: str):
        self.stream_exp = int(tensors[f"{prefix}.stream.exp"][0])
        self.inp = Conv.load(tensors, f"{prefix}.inp", LATENT_LIMIT)
        blocks = sorted({int(k.split(".")[len(prefix.split(".")) + 1]) for k in tensors if k.startswith(f"{prefix}.blocks.")})
        self.blocks = [(Conv.load(tensors, f"{prefix}.blocks.{i}.conv1", ACT_LIMIT), int(tensors[f"{prefix}.blocks.{i}.hidden.exp"][0]),
                        Conv.load(tensors, f"{prefix}.blocks.{i}.conv2", ACT_LIMIT)) for i in blocks]
        self.out = Conv.load(tensors, f"{prefix}.out", ACT_LIMIT)

    def hidden(self, latents: np.ndarray) -> np.ndarray:
        """What the output conv reads: the residual stream after its ReLU (int16)."""
        h = self.inp.activation(latent_input(latents), self.stream_exp)
        for conv1, hidden_exp, conv2 in self.blocks:
            # h + r clamped to +-255, r floored onto the stream's grid and clamped to +-2**24
            h = conv2.activation(conv1.activation(h, hidden_exp), self.stream_exp, -EXACT_LIMIT, EXACT_LIMIT, h)
        return np.maximum(h, 0)

    def __call__(self, latents: np.ndarray) -> NetOutput:
        return self.out(self.hidden(latents))


@dataclass
class FeatureParts:
    """Every head's feature part side by side, (H, W, the heads' hidden widths) int16;
    ``[g]`` is head g's (a view)."""

    parts: np.ndarray
    starts: np.ndarray  # head g's channels are starts[g]:starts[g + 1]

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __getitem__(self, g: int) -> np.ndarray:
        return self.parts[..., self.starts[g] : self.starts[g + 1]]


class SplitPrior:
    """A level's prior: trunk features, then per detail channel a split head (1x1 conv of
    the features + 3x3 conv of the latents, each floored onto the hidden grid and clamped,
    summed, ReLU, 1x1 conv; ``nets_int8.QSplitHead``). The heads' feature parts depend on
    the features alone, so they are done once per level, in one conv."""

    def __init__(self, tensors: dict[str, np.ndarray], prefix: str, heads: int, checkerboard: bool = False):
        self.features_exp = int(tensors[f"{prefix}.features_quant.exp"][0])
        self.trunk = ConvNet(tensors, f"{prefix}.trunk")
        names = [f"{prefix}.heads.{g}" for g in range(heads)]
        self.hidden_exps = [int(tensors[f"{n}.hidden.exp"][0]) for n in names]
        # every head's 1x1 conv of the features in one pass, each channel floored onto its head's grid
        from_features = [Conv.load(tensors, f"{n}.from_features", ACT_LIMIT) for n in names]
        self.from_features = Conv.stacked(from_features, f"{prefix}.heads.from_features")
        self.feature_exps = np.repeat(self.hidden_exps, [c.out_channels for c in from_features])
        self.feature_starts = np.cumsum([0] + [c.out_channels for c in from_features])
        self.from_latents = [Conv.load(tensors, f"{n}.from_latents", LATENT_LIMIT) for n in names]
        self.out = [Conv.load(tensors, f"{n}.out", ACT_LIMIT) for n in names]
        # Checkerboard context: a third part, a 3x3 conv of the channel's white half (zero on
        # the black half), wanted at black positions only (the kernel does all positions:
        # cheaper than gathering the neighbours of half of them).
        self.context = None
        if checkerboard:
            self.context = [Conv.load(tensors, f"{n}.from_context", LATENT_LIMIT) for n in names]

    def features(self, anchors: np.ndarray) -> FeatureParts:
        """Each head's feature part, floored onto its hidden grid and clamped."""
        features = self.trunk.out.activation(self.trunk.hidden(anchors), self.features_exp)
        return FeatureParts(self.from_features.activation(features, self.feature_exps, -PART_LIMIT, PART_LIMIT),
                            self.feature_starts)

    def head(self, features: FeatureParts, g: int, latents: np.ndarray) -> NetOutput:
        v = self.head_sum(features, g, latents)
        return self.out[g](np.clip(v, 0, ACT_LIMIT, out=v))

    def head_sum(self, features: FeatureParts, g: int, latents: np.ndarray) -> np.ndarray:
        """The head's hidden layer before its ReLU: feature part + latent part (int16)."""
        return self.from_latents[g].activation(latent_input(latents), self.hidden_exps[g], -PART_LIMIT, PART_LIMIT,
                                               features.parts, 2 * PART_LIMIT, int(features.starts[g]))

    def white_output(self, g: int, hidden_sum: np.ndarray) -> NetOutput:
        """The head's output at the white positions (``runtime.checkerboard``), (N, 2)."""
        h = take_half(hidden_sum, 0)  # a copy: ``hidden_sum`` stays for the black half
        return self._output(g, np.clip(h, 0, ACT_LIMIT, out=h))

    def black_output(self, g: int, hidden_sum: np.ndarray, known: np.ndarray) -> NetOutput:
        """The head's output at the black positions, with the context part of ``known``
        (the channel's white half, zero on the black positions), (N, 2)."""
        h = take_half(self.context[g].activation(latent_input(known), self.hidden_exps[g], -PART_LIMIT, PART_LIMIT,
                                                 hidden_sum, 2 * PART_LIMIT), 1)
        return self._output(g, np.clip(h, 0, ACT_LIMIT, out=h))

    def _output(self, g: int, hidden: np.ndarray) -> NetOutput:
        out = self.out[g](hidden[None])  # the 1x1 output conv on (1, N, hidden)
        return NetOutput(out.acc[0], out.grid)


class Nets:
    """The nets of the lifting flow in this format: couplings, priors, top-prior heads."""

    def __init__(self, tensors: dict[str, np.ndarray]):
        self.tensors = tensors

    def coupling(self, prefix: str):
        return ConvNet(self.tensors, prefix)

    def prior(self, prefix: str, heads: int, rate_conditioned: bool, checkerboard: bool = False) -> SplitPrior:
        if rate_conditioned:
            raise ValueError("int8 models have no rate-conditioned prior (yet)")
        return SplitPrior(self.tensors, prefix, heads, checkerboard)

    def top_head(self, prefix: str, rate_conditioned: bool):
        if rate_conditioned:
            raise ValueError("int8 models have no rate-conditioned prior (yet)")
        net = ConvNet(self.tensors, prefix)
        return lambda latents, global_step: net(latents)
