"""Training side of the int8 numeric format: conv nets with quantization in the loop.

Every weight is an integer of at most 8 bits times a power of two per output channel,
every hidden activation a 9-bit integer (0..255 after a ReLU, -255..255 on a residual
stream) times a power of two per site, and net inputs are latents clamped to +-1023 on
the 2**-6 grid. Bounds are chosen so that every partial sum of every convolution is an
integer below 2**24: float32 adds them exactly in any order, which lets the coding
runtime (``invcodec.runtime``) use ordinary float32 GEMM (BLAS) and still reproduce
these nets bit for bit. Rounding is a floor on a power-of-two grid, with a
straight-through gradient here; the conv arithmetic itself is exact in float32/64.

The exponents of the activation grids are fixed per site (buffers), set once by
``calibrate`` from the activations the model actually produces; the weight exponents
follow the weights (recomputed every step, stored when a model is exported)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

ACC_LIMIT = 2**24 - 2**20  # |sum of weight x activation| stays below this ...
BIAS_LIMIT = 2**20  # ... and the bias below this, so acc + bias < 2**24: exact in float32
WEIGHT_BITS_LIMIT = 127  # int8
ACT_LIMIT = 255  # 9-bit activations: 0..255 after ReLU, -255..255 on a residual stream
PART_LIMIT = 1023  # each part of a split head's sum is clamped to this before adding
LATENT_LIMIT = 1023  # latents enter the nets clamped to this ...
LATENT_EXP = -6  # ... on the 2**-6 grid (pixel value 64 -> 1.0), as in the fixed64 format
DEFAULT_ACT_EXP = -5  # before calibration: activations on a 1/32 grid, up to ~8
MIN_WEIGHT_EXP = -24  # an all-zero (or nearly) output channel gets this weight exponent


def weight_limit(fan_in: int, in_limit: int) -> int:
    """Largest integer weight for which fan_in * |w| * |a| < ACC_LIMIT."""
    return max(1, min(WEIGHT_BITS_LIMIT, ACC_LIMIT // (fan_in * in_limit)))


def floor_ste(x: torch.Tensor) -> torch.Tensor:
    return x + (torch.floor(x) - x).detach()


def round_ste(x: torch.Tensor) -> torch.Tensor:
    return x + (torch.floor(x + 0.5) - x).detach()


def latent_input(v: torch.Tensor) -> torch.Tensor:
    """Integer latents -> net input (clamped, on the 2**-6 grid)."""
    return v.clamp(-LATENT_LIMIT, LATENT_LIMIT) * 2.0**LATENT_EXP


class ActQuant(nn.Module):
    """Floor onto the grid 2**exp and clamp to [lo, hi] integer units.

    While ``calibrating``, it passes values through and remembers the largest magnitude
    seen (its 99.99th percentile per call); ``finish_calibration`` sets ``exp`` so that
    this fits in ACT_LIMIT units."""

    def __init__(self, signed: bool):
        super().__init__()
        self.signed = signed
        self.register_buffer("exp", torch.tensor(DEFAULT_ACT_EXP, dtype=torch.int64))
        self.calibrating = False
        self._seen = 0.0

    @property
    def lo(self) -> int:
        return -ACT_LIMIT if self.signed else 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.calibrating:
            sample = x.detach().abs().flatten()
            if sample.numel() > 1_000_000:
                sample = sample[:: sample.numel() // 1_000_000]
            self._seen = max(self._seen, float(torch.quantile(sample.float(), 0.9999)))
            return x.clamp(min=self.lo)
        scale = 2.0 ** float(self.exp)
        return floor_ste(x / scale).clamp(self.lo, ACT_LIMIT) * scale

    def finish_calibration(self) -> None:
        self.calibrating = False
        if self._seen > 0:
            self.exp.fill_(math.ceil(math.log2(self._seen / ACT_LIMIT)))


class QConv(nn.Module):
    """A conv whose weights are int8 x 2**e (per output channel) and whose bias sits on
    the accumulator grid. ``in_limit`` bounds the integer inputs; ``in_exp`` is their grid,
    read from the activation quantizer that feeds this conv (or LATENT_EXP)."""

    def __init__(self, c_in: int, c_out: int, k: int, in_limit: int, source: ActQuant | None = None):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, k, padding=k // 2)
        self.in_limit = in_limit
        self.w_limit = weight_limit(c_in * k * k, in_limit)
        self._source = [source]  # a list, so the source is not registered twice as a submodule

    @property
    def in_exp(self) -> int:
        source = self._source[0]
        return LATENT_EXP if source is None else int(source.exp)

    def weight_exponents(self) -> torch.Tensor:
        """Per output channel: the smallest e >= MIN_WEIGHT_EXP with max|w| <= w_limit * 2**e."""
        w = self.conv.weight.detach()
        peak = w.abs().flatten(1).amax(1).clamp(min=2.0**-60)
        return torch.ceil(torch.log2(peak.double() / self.w_limit)).clamp(min=MIN_WEIGHT_EXP).to(w.dtype)

    def quantized(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(integer weights, integer bias, weight exponents, accumulator exponents)."""
        e = self.weight_exponents()
        w = self.conv.weight
        w_int = round_ste(w / torch.exp2(e).view(-1, 1, 1, 1)).clamp(-self.w_limit, self.w_limit)
        acc_exp = e + self.in_exp
        b_int = round_ste(self.conv.bias / torch.exp2(acc_exp)).clamp(-BIAS_LIMIT, BIAS_LIMIT)
        return w_int, b_int, e, acc_exp

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Real-valued pre-activation (exactly (acc + bias) * 2**acc_exp)."""
        w_int, b_int, e, acc_exp = self.quantized()
        w = w_int * torch.exp2(e).view(-1, 1, 1, 1)
        b = b_int * torch.exp2(acc_exp)
        return F.conv2d(x, w, b, padding=self.conv.padding)


class QResBlock(nn.Module):
    """a + conv2(relu(conv1(a))), the sum floored onto a's grid and clamped."""

    def __init__(self, channels: int, stream: ActQuant):
        super().__init__()
        self.hidden = ActQuant(signed=False)
        self.conv1 = QConv(channels, channels, 3, ACT_LIMIT, stream)
        self.conv2 = QConv(channels, channels, 3, ACT_LIMIT, self.hidden)
        self._stream = [stream]

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        stream = self._stream[0]
        r = self.conv2(self.hidden(self.conv1(a)))
        if stream.calibrating:
            out = a + r
            stream(out)
            return out
        scale = 2.0 ** float(stream.exp)
        return (a + floor_ste(r / scale) * scale).clamp(-ACT_LIMIT * scale, ACT_LIMIT * scale)


class QConvNet(nn.Module):
    """conv(3x3) -> ReLU -> [QResBlock ...] -> ReLU -> conv(out_k), on latent inputs.
    Returns the output conv's real-valued pre-activation."""

    def __init__(self, c_in: int, hidden: int, c_out: int, blocks: int, out_k: int = 3, zero_out: bool = True):
        super().__init__()
        self.stream = ActQuant(signed=True)
        self.inp = QConv(c_in, hidden, 3, LATENT_LIMIT)
        self.blocks = nn.ModuleList(QResBlock(hidden, self.stream) for _ in range(blocks))
        self.out = QConv(hidden, c_out, out_k, ACT_LIMIT, self.stream)
        if zero_out:
            nn.init.zeros_(self.out.conv.weight)
            nn.init.zeros_(self.out.conv.bias)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stream(torch.relu(self.inp(x)))
        for block in self.blocks:
            h = block(h)
        return torch.relu(h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.features(x))


class QSplitHead(nn.Module):
    """A prior head: 1x1 conv of the trunk features + 3x3 conv of the latents it conditions
    on (anchors, earlier channels), each floored onto the hidden grid, summed, ReLU, then a
    1x1 conv to (mean, log2 scale). Splitting the input conv keeps the features' 3x3 cost
    out of every head and gives each input its own range. With ``context`` (checkerboard
    models), a third part, a 3x3 conv of the channel's own decoded white half, is added
    for its black half (zero at first: the head starts as the one without it)."""

    def __init__(self, features: ActQuant, c_features: int, c_latents: int, hidden: int, context: bool = False):
        super().__init__()
        self.hidden = ActQuant(signed=False)
        self.from_features = QConv(c_features, hidden, 1, ACT_LIMIT, features)
        self.from_latents = QConv(c_latents, hidden, 3, LATENT_LIMIT)
        self.from_context = QConv(1, hidden, 3, LATENT_LIMIT) if context else None
        self.out = QConv(hidden, 2, 1, ACT_LIMIT, self.hidden)
        zeroed = [self.out] + ([self.from_context] if context else [])
        for conv in zeroed:
            nn.init.zeros_(conv.conv.weight)
            nn.init.zeros_(conv.conv.bias)

    def _part(self, pre: torch.Tensor) -> torch.Tensor:
        """A part of the hidden layer, floored onto its grid (in grid units) and clamped."""
        if self.hidden.calibrating:
            return pre
        return floor_ste(pre / 2.0 ** float(self.hidden.exp)).clamp(-PART_LIMIT, PART_LIMIT)

    def hidden_sum(self, features: torch.Tensor, latents: torch.Tensor) -> torch.Tensor:
        """Feature part + latent part (grid units; real values while calibrating)."""
        return self._part(self.from_features(features)) + self._part(self.from_latents(latent_input(latents)))

    def output(self, hidden_sum: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        """(mean, log2 scale) from ``hidden_sum``, plus the context part if ``context`` is given."""
        if context is not None:
            hidden_sum = hidden_sum + self._part(self.from_context(latent_input(context)))
        if self.hidden.calibrating:
            return self.out(self.hidden(hidden_sum))
        return self.out(hidden_sum.clamp(0, ACT_LIMIT) * 2.0 ** float(self.hidden.exp))

    def forward(self, features: torch.Tensor, latents: torch.Tensor) -> torch.Tensor:
        return self.output(self.hidden_sum(features, latents))


def calibrate(model: nn.Module, run) -> None:
    """Set every activation grid from one pass of ``run()`` without quantized activations."""
    quants = [m for m in model.modules() if isinstance(m, ActQuant)]
    for q in quants:
        q.calibrating, q._seen = True, 0.0
    with torch.no_grad():
        run()
    for q in quants:
        q.finish_calibration()
