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
        acc = conv2d(a, self.matrix, self.k)
        acc += self.bias
        return NetOutput(acc, self.grid)

    def rescaled(self, exp: int) -> "Conv":
        """The same conv with its output on the grid 2**exp: weights and bias times
        2**(grid - exp), a power of two per output channel, so every partial sum keeps its
        significant bits (below 2**24) and stays exact. Saves a pass over the output when
        the consumer floors onto that grid anyway (``activation``)."""
        scaled = object.__new__(Conv)
        scale = np.exp2(self.grid - exp).astype(np.float32)
        scaled.k, scaled.matrix, scaled.bias = self.k, self.matrix * scale, self.bias * scale
        scaled.grid = np.full_like(self.grid, exp)
        return scaled


def activation(out: NetOutput, exp: int, lo: int = 0, hi: int = ACT_LIMIT) -> np.ndarray:
    """Floor onto the grid 2**exp and clamp to [lo, hi]: float32 integers, exactly.
    Works in place on the accumulator (which is not used again)."""
    a = out.acc
    if (out.grid != exp).any():  # (a ``rescaled`` conv's output is on the grid already)
        a *= np.exp2(out.grid - exp).astype(np.float32)  # powers of two: the product is exact
    np.floor(a, out=a)
    return np.clip(a, lo, hi, out=a)


class ConvNet:
    """conv -> ReLU -> [residual blocks] -> ReLU -> conv (``nets_int8.QConvNet``)."""

    def __init__(self, tensors: dict[str, np.ndarray], prefix: str, out_exp: int | None = None):
        """``out_exp``: the grid the output is floored onto next, if the caller knows it."""
        self.stream_exp = int(tensors[f"{prefix}.stream.exp"][0])
        self.inp = Conv(tensors, f"{prefix}.inp", LATENT_LIMIT).rescaled(self.stream_exp)
        blocks = sorted({int(k.split(".")[len(prefix.split(".")) + 1]) for k in tensors if k.startswith(f"{prefix}.blocks.")})
        self.blocks = []
        for i in blocks:
            hidden_exp = int(tensors[f"{prefix}.blocks.{i}.hidden.exp"][0])
            self.blocks.append((Conv(tensors, f"{prefix}.blocks.{i}.conv1", ACT_LIMIT).rescaled(hidden_exp), hidden_exp,
                                Conv(tensors, f"{prefix}.blocks.{i}.conv2", ACT_LIMIT).rescaled(self.stream_exp)))
        self.out = Conv(tensors, f"{prefix}.out", ACT_LIMIT)
        if out_exp is not None:
            self.out = self.out.rescaled(out_exp)

    def __call__(self, latents: np.ndarray) -> NetOutput:
        h = activation(self.inp(latent_input(latents)), self.stream_exp)
        for conv1, hidden_exp, conv2 in self.blocks:
            r = activation(conv2(activation(conv1(h), hidden_exp)), self.stream_exp, -EXACT_LIMIT, EXACT_LIMIT)
            h = np.clip(h + r, -ACT_LIMIT, ACT_LIMIT)  # |r| beyond 2**24 clips the same way
        return self.out(np.maximum(h, 0))


class SplitPrior:
    """A level's prior: trunk features, then per detail channel a split head (1x1 conv of
    the features + 3x3 conv of the latents, each floored onto the hidden grid and clamped,
    summed, ReLU, 1x1 conv; ``nets_int8.QSplitHead``). The heads' feature parts depend on
    the features alone, so they are done once per level, one GEMM per head (faster than
    one wide GEMM floored in slices: results/implementation-choices.md)."""

    def __init__(self, tensors: dict[str, np.ndarray], prefix: str, heads: int, checkerboard: bool = False):
        self.features_exp = int(tensors[f"{prefix}.features_quant.exp"][0])
        self.trunk = ConvNet(tensors, f"{prefix}.trunk", out_exp=self.features_exp)
        names = [f"{prefix}.heads.{g}" for g in range(heads)]
        self.hidden_exps = [int(tensors[f"{n}.hidden.exp"][0]) for n in names]
        self.from_features = [Conv(tensors, f"{n}.from_features", ACT_LIMIT).rescaled(e)
                              for n, e in zip(names, self.hidden_exps)]
        self.from_latents = [Conv(tensors, f"{n}.from_latents", LATENT_LIMIT).rescaled(e)
                             for n, e in zip(names, self.hidden_exps)]
        self.out = [Conv(tensors, f"{n}.out", ACT_LIMIT) for n in names]
        # Checkerboard context: a third part, a 3x3 conv of the channel's white half (zero on
        # the black half), wanted at black positions only. There the centre and the corners
        # are black, so only the 4 edge taps meet non-zero values: those 4 weights give the
        # same integer sums (rows 1, 3, 5, 7 of the (ky, kx) weight matrix: up, left, right,
        # down) at a ninth of the im2col, on half the positions.
        self.context = None
        if checkerboard:
            convs = [Conv(tensors, f"{n}.from_context", LATENT_LIMIT).rescaled(e) for n, e in zip(names, self.hidden_exps)]
            self.context = [(np.ascontiguousarray(c.matrix[[1, 3, 5, 7]]), c.bias, c.grid) for c in convs]

    def features(self, anchors: np.ndarray) -> list[np.ndarray]:
        """Each head's feature part, floored onto its hidden grid and clamped."""
        features = activation(self.trunk(anchors), self.features_exp)
        return [activation(conv(features), exp, -PART_LIMIT, PART_LIMIT)
                for conv, exp in zip(self.from_features, self.hidden_exps)]

    def head(self, features: list[np.ndarray], g: int, latents: np.ndarray) -> NetOutput:
        v = self.head_sum(features, g, latents)
        return self.out[g](np.clip(v, 0, ACT_LIMIT, out=v))

    def head_sum(self, features: list[np.ndarray], g: int, latents: np.ndarray) -> np.ndarray:
        """The head's hidden layer before its ReLU: feature part + latent part."""
        v = activation(self.from_latents[g](latent_input(latents)), self.hidden_exps[g], -PART_LIMIT, PART_LIMIT)
        v += features[g]
        return v

    def white_output(self, g: int, hidden_sum: np.ndarray, white: np.ndarray) -> NetOutput:
        """The head's output at the white positions (``white``: a mask), (N, 2)."""
        h = hidden_sum[white]  # a copy: ``hidden_sum`` stays for the black half
        return self._output(g, np.clip(h, 0, ACT_LIMIT, out=h))

    def black_output(self, g: int, hidden_sum: np.ndarray, known: np.ndarray, white: np.ndarray) -> NetOutput:
        """The head's output at the black positions, with the context part of ``known``
        (the channel's white half, zero on the black positions), (N, 2)."""
        black = ~white
        padded = np.pad(latent_input(known[..., 0]), 1)
        neighbours = np.stack([padded[:-2, 1:-1][black], padded[1:-1, :-2][black],
                               padded[1:-1, 2:][black], padded[2:, 1:-1][black]], axis=1)  # up, left, right, down
        taps, bias, grid = self.context[g]
        acc = neighbours @ taps
        acc += bias
        h = hidden_sum[black]
        h += activation(NetOutput(acc, grid), self.hidden_exps[g], -PART_LIMIT, PART_LIMIT)
        return self._output(g, np.clip(h, 0, ACT_LIMIT, out=h))

    def _output(self, g: int, hidden: np.ndarray) -> NetOutput:
        out = self.out[g](hidden[:, None, :])  # the 1x1 output conv on (N, 1, hidden)
        return NetOutput(out.acc[:, 0, :], out.grid)


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
