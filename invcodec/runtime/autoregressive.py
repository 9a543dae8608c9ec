"""The autoregressive architecture: each sample's prior from its decoded neighbours.

In IDF's terms an integer autoregressive flow: the transform is the reversible colour
transform YCoCg-R (integer, exact), and each plane (Y, then Co, then Cg) is coded in
raster order, every sample under a Laplace whose mean and scale a small net computes from
that plane's causal neighbours (``CAUSAL``) and from the earlier planes around the same
position (``EARLIER``, decoded before it). The lifting flow only predicts a level
from coarser levels; this is the spatial context it lacks, at the finest grain.

The decoder needs a sample's neighbours before the sample, but not one by one: no
neighbour lies on the sample's own anti-diagonal ``2 * row + column`` (``wavefronts``), so
a wavefront is decoded at once. And the planes go side by side: at step t the decoder
decodes Y's wavefront t, Co's t - LAG and Cg's t - 2 LAG (``schedule``), since a later
plane looks at most 3 wavefronts ahead in the earlier ones; one step is a few hundred
samples of each plane in a handful of numpy calls, the three nets as one batched GEMM.

The nets run in fixed point: integer weights and inputs, every partial sum an integer
below 2**53 (checked when the model loads), so the sums are exact in any order, and the
encoder (all samples at once) and the decoder (a wavefront at a time) get the same
parameters bit for bit. Weights and activations on 2**-12 (the first layer's weights on
2**-16; activations at most ACT_LIMIT); the mean comes out on the coder's 1/16 grid, the
scale as an index into ``grid.SCALES``. The coding loops run in the native kernel
(``invcodec.native``, int64 arithmetic); ``reference_params`` is the same arithmetic in
numpy (on float64, exact below 2**53), the tests' reference for it.

The lifting flow's coarsest anchors use the same machinery (``lifting``, a model's
``top_autoregressive``): three planes, nets under another tensor prefix, wider value
ranges, and a rate input (the lossy quantizer's global step index, which the first layer
adds to its bias: its neighbours are only as exact as that step lets them be)."""

from __future__ import annotations

from typing import Mapping

import numpy as np

from .. import native
from ..entropy import grid
from ..spec import AutoregressiveSpec

# (rows up, columns left) of a plane's own neighbours used as context; all on earlier wavefronts (2 * dy + dx > 0)
CAUSAL = ((0, 1), (1, 0), (1, 1), (1, -1), (0, 2), (2, 0), (2, 1), (2, -1), (1, 2), (2, 2), (2, -2), (0, 3), (3, 0),
          (3, 1), (3, -1), (2, -3), (1, 3), (0, 4), (4, 0), (3, 2), (3, -2))
# positions of each earlier plane around the sample (any direction: the decoder runs those planes ahead)
EARLIER = ((0, 0), (0, 1), (1, 0), (0, -1), (-1, 0), (1, 1), (-1, -1))
PAD = 4  # the largest offset in either list
PLANES = 3
# the planes' value ranges after YCoCg-R (Y, Co, Cg); means are clipped to them
RANGES = ((0, 255), (-255, 255), (-255, 255))
WEIGHT_FRAC_BITS = 12
ACT_FRAC_BITS = 12
FIRST_FRAC_BITS = 16  # the first layer's weights (features / 32 need the finer grid), so its sums too
ACT_LIMIT = 2.0**22  # 1024 on the 2**-12 grid
FEATURE_LIMIT = 512.0  # |neighbour - reference| <= 510 when both lie in a plane's range (else the stream is rejected)
INPUT_SCALE = 32  # the float nets see features / 32
MEAN_GAIN = 8  # the float nets' mean output is 8 x their first output (plus the linear skip)
SCALE_BIAS = 1.0  # the float nets' natural-log scale is their second output + 1
EXACT = 2.0**53
RATE_SCALE = 64  # the float nets see the rate input (a quantizer step index, 16 per octave) / 64
LAG = 4  # wavefronts between planes in the decoder's schedule (EARLIER reaches 3 ahead)
# ln scale -> steps of the scale grid: 16 / ln 2 as a literal (no libm call, the same table everywhere)
SCALE_STEPS_PER_NEPER = 23.083120654223414


def forward_colour(rgb: np.ndarray) -> np.ndarray:
    """(h, w, 3) integers -> (3, h, w) float64 planes Y, Co, Cg (YCoCg-R, lossless)."""
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    co = r - b
    t = b + (co >> 1)
    cg = g - t
    y = t + (cg >> 1)
    return np.stack([y, co, cg]).astype(np.float64)


def inverse_colour(planes: np.ndarray) -> np.ndarray:
    """(3, h, w) Y, Co, Cg -> (h, w, 3) int64 RGB."""
    y, co, cg = (p.astype(np.int64) for p in planes)
    t = y - (cg >> 1)
    g = cg + t
    b = t - (co >> 1)
    r = b + co
    return np.stack([r, g, b], axis=-1)


def feature_count(plane: int) -> int:
    return len(CAUSAL) + len(EARLIER) * plane


FEATURES = feature_count(PLANES - 1)  # every plane's features padded to the last plane's count
# Columns of a plane's features: its own CAUSAL neighbours, then EARLIER around the sample in
# each earlier plane; each group minus its own plane's reference floor((west + north) / 2).
_GROUP = np.repeat(np.arange(PLANES), [len(CAUSAL)] + [len(EARLIER)] * (PLANES - 1))
_WEST_NORTH = (CAUSAL.index((0, 1)), CAUSAL.index((1, 0)), EARLIER.index((0, 1)), EARLIER.index((1, 0)))
_WEST = np.array([_WEST_NORTH[0]] + [len(CAUSAL) + len(EARLIER) * q + _WEST_NORTH[2] for q in range(PLANES - 1)])
_NORTH = np.array([_WEST_NORTH[1]] + [len(CAUSAL) + len(EARLIER) * q + _WEST_NORTH[3] for q in range(PLANES - 1)])


def _columns(plane: int, stride: int, plane_size: int) -> np.ndarray:
    """(FEATURES,) flat offsets, from a sample's place in its padded plane, of what each
    feature column reads in the stacked padded planes. Columns a plane does not use (groups
    of planes not before it) read the sample's own place: any finite value will do, their
    weights are zero."""
    own = [plane * plane_size - (dy * stride + dx) for dy, dx in CAUSAL]
    earlier = [q * plane_size - (dy * stride + dx) if q < plane else plane * plane_size
               for q in range(PLANES - 1) for dy, dx in EARLIER]
    return np.array(own + earlier)


def _features(flat: np.ndarray, at: np.ndarray, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(features (..., n, FEATURES), reference (..., n)) of the samples at flat places ``at``
    (..., n) of the stacked padded planes, through ``columns`` (..., FEATURES)."""
    near = flat[at[..., None] + columns[..., None, :]]
    refs = np.floor((near[..., _WEST] + near[..., _NORTH]) * 0.5)
    near -= refs[..., _GROUP]
    return near, refs[..., 0]


def _stacked(planes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(the planes stacked with their zero borders, flat; every sample's place in its padded
    plane, raster order; each plane's feature ``_columns``)."""
    h, w = planes.shape[1:]
    stacked = np.pad(planes, ((0, 0), (PAD, PAD), (PAD, PAD)))
    stride, size = w + 2 * PAD, stacked[0].size
    at = ((np.arange(h)[:, None] + PAD) * stride + np.arange(w) + PAD).reshape(-1)
    return stacked.reshape(-1), at, np.stack([_columns(p, stride, size) for p in range(PLANES)])


def plane_features(planes: np.ndarray, plane: int) -> tuple[np.ndarray, np.ndarray]:
    """(features (h * w, feature_count(plane)), reference (h * w,)) of every sample of a
    plane, raster order: what the decoder sees (training's view; the encoder takes them
    in chunks); outside the tile every plane reads 0."""
    flat, at, columns = _stacked(planes)
    features, ref = _features(flat, at, columns[plane])
    return features[:, : feature_count(plane)], ref


def wavefronts(h: int, w: int) -> list[np.ndarray]:
    """Raster indices of each anti-diagonal 2 * row + column = t, t = 0, 1, ...: a sample's
    CAUSAL neighbours all lie on earlier ones."""
    t = (2 * np.arange(h)[:, None] + np.arange(w)).reshape(-1)
    order = np.argsort(t, kind="stable")
    bounds = np.searchsorted(t[order], np.arange(t.max() + 2 if t.size else 1))
    return [order[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def schedule(h: int, w: int) -> list[list[np.ndarray]]:
    """The decoder's steps: at step t, plane p's wavefront t - p LAG (raster indices, empty
    when there is none). A later plane's EARLIER neighbours lie at most 3 wavefronts ahead
    of its own, all decoded in earlier steps."""
    fronts = wavefronts(h, w)
    none = np.zeros(0, dtype=np.int64)
    return [[fronts[t - p * LAG] if 0 <= t - p * LAG < len(fronts) else none for p in range(PLANES)]
            for t in range(len(fronts) + (PLANES - 1) * LAG if fronts else 0)]


def encode_order(h: int, w: int) -> np.ndarray:
    """Indices into the (3, h, w) planes, flattened, in the order the decoder decodes them."""
    parts = [p * h * w + front for step in schedule(h, w) for p, front in enumerate(step)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _plane_weights(tensors: dict[str, np.ndarray], prefix: str, plane: int, feature_limit: float,
                   max_rate: int) -> list[np.ndarray]:
    """One plane's float net -> its fixed-point matrices, padded to FEATURES inputs:
    [w1 (FEATURES, hidden + 1), b1, w2, b2, w3 (hidden, 2), output bias (2,), rate row (hidden + 1,)].

    Float net (training): hidden = relu(W1 f / 32 + w_rate rate / RATE_SCALE + b1),
    hidden2 = relu(W2 hidden + b2), (o0, o1) = W3 hidden2 + b3; mean = reference + 8 o0 +
    skip . f + skip_bias; ln scale = o1 + 1. The first layer carries the skip as one more
    column; ``w_rate`` is optional (absent: no rate input)."""
    prefix = f"{prefix}plane{plane}"
    w1, b1 = tensors[f"{prefix}.w1"], tensors[f"{prefix}.b1"]
    w2, b2 = tensors[f"{prefix}.w2"], tensors[f"{prefix}.b2"]
    w3, b3 = tensors[f"{prefix}.w3"], tensors[f"{prefix}.b3"]
    skip, skip_bias = tensors[f"{prefix}.skip"], tensors[f"{prefix}.skip_bias"]
    n, hidden = feature_count(plane), w1.shape[0]
    if (w1.shape != (hidden, n) or b1.shape != (hidden,) or w2.shape != (hidden, hidden) or b2.shape != (hidden,)
            or w3.shape != (2, hidden) or b3.shape != (2,) or skip.shape != (n,) or skip_bias.shape != (1,)):
        raise ValueError(f"{prefix}: tensor shapes do not fit plane {plane}")
    first, one = 2.0**FIRST_FRAC_BITS, 2.0**WEIGHT_FRAC_BITS
    out = one * 2.0**ACT_FRAC_BITS  # output accumulators: 2**-24 of a sixteenth / of a scale step
    gains = np.array([MEAN_GAIN * grid.MEAN_STEPS, SCALE_STEPS_PER_NEPER])
    q1 = np.zeros((FEATURES, hidden + 1))  # features (integers) -> 2**-16; last column: the skip, on the output grid
    q1[:n, :hidden] = np.round(w1.T.astype(np.float64) / INPUT_SCALE * first)
    q1[:n, hidden] = np.round(skip.astype(np.float64) * grid.MEAN_STEPS * out)
    b3 = b3.astype(np.float64) * gains
    qb1 = np.append(np.round(b1.astype(np.float64) * first), np.round((b3[0] + skip_bias.item() * grid.MEAN_STEPS) * out))
    q2 = np.round(w2.T.astype(np.float64) * one)  # 2**-12 activations -> 2**-24
    qb2 = np.round(b2.astype(np.float64) * out)
    q3 = np.round(w3.T.astype(np.float64) * gains * one)
    qb3 = np.array([0.0, np.round((b3[1] + SCALE_BIAS * SCALE_STEPS_PER_NEPER
                                   - grid.LOG2_SCALE_MIN * grid.SCALE_STEPS_PER_OCTAVE) * out)])
    q_rate = np.zeros(hidden + 1)
    if f"{prefix}.w_rate" in tensors:
        w_rate = tensors[f"{prefix}.w_rate"]
        if w_rate.shape != (hidden,):
            raise ValueError(f"{prefix}: tensor shapes do not fit plane {plane}")
        q_rate[:hidden] = np.round(w_rate.astype(np.float64) / RATE_SCALE * first)
    # every accumulator, for any valid input, an integer below 2**53 (else refuse the model)
    sums = np.abs(q1).sum(0) * feature_limit + np.abs(qb1) + np.abs(q_rate) * max_rate
    bounds = [sums, np.abs(q2).sum(0) * ACT_LIMIT + np.abs(qb2),
              np.abs(q3).sum(0) * ACT_LIMIT + np.abs(qb3) + [sums[-1], 0]]  # the mean adds the skip column
    if not all(np.isfinite(b).all() and b.max() < EXACT for b in bounds):
        raise ValueError(f"{prefix}: weights outside the exact fixed-point range")
    return [q1, qb1, q2, qb2, q3, qb3, q_rate]


class AutoregressiveModel:
    """The architecture's exact evaluator (``CodingModel.evaluator`` of such a model): the three
    planes' nets stacked, so that one GEMM serves a step of all three. ``prefix``,
    ``ranges``, ``feature_limit`` and ``max_rate`` are for other planes than YCoCg pixels
    (the lifting flow's coarsest anchors): ``feature_limit`` bounds |neighbour - reference|
    for values in ``ranges`` (|hi - lo| or more), ``max_rate`` the rate input. ``online``:
    a lossless stream's means pass the kernel's online LMS stage (``stream_params``)."""

    def __init__(self, tensors: Mapping[str, np.ndarray], prefix: str = "",
                 ranges: tuple[tuple[int, int], ...] = RANGES, feature_limit: float = FEATURE_LIMIT, max_rate: int = 0,
                 online: bool = False):
        self.tensors = dict(tensors)  # the float weights it was made of (what a tile's adaptation changes)
        self.online = online
        per_plane = [_plane_weights(tensors, prefix, p, feature_limit, max_rate) for p in range(PLANES)]
        hidden = {w[0].shape[1] for w in per_plane}
        if len(hidden) != 1:
            raise ValueError("the planes' nets differ in width")
        self.hidden = hidden.pop() - 1
        self.w1, self.b1, self.w2, self.b2, self.w3, self.b3, self.w_rate = (np.stack(ws) for ws in zip(*per_plane))
        self.max_rate = max_rate
        self.lo = np.array([lo for lo, _ in ranges], dtype=np.float64)
        self.hi = np.array([hi for _, hi in ranges], dtype=np.float64)
        # the native kernel's arguments (tests also build it with vector=0: the portable path, 1: AVX2)
        self.kernel_args = dict(
            w1=_fitting(self.w1[..., : self.hidden], np.int32), skip=_fitting(self.w1[..., self.hidden], np.int32),
            b1=_fitting(self.b1, np.int64), w_rate=_fitting(self.w_rate, np.int64), w2=_fitting(self.w2, np.int32),
            b2=_fitting(self.b2, np.int64), w3=_fitting(self.w3, np.int32), b3=_fitting(self.b3, np.int64),
            lo=self.lo.astype(np.int64), hi=self.hi.astype(np.int64),
            used=np.array([feature_count(p) for p in range(PLANES)], dtype=np.int32),
            causal=np.array(CAUSAL, dtype=np.int32), earlier=np.array(EARLIER, dtype=np.int32), west_north=_WEST_NORTH,
            shifts=(FIRST_FRAC_BITS - ACT_FRAC_BITS, WEIGHT_FRAC_BITS, WEIGHT_FRAC_BITS + ACT_FRAC_BITS),
            act_limit=int(ACT_LIMIT), mean_steps=grid.MEAN_STEPS, n_scales=grid.N_SCALES, pad=PAD, lag=LAG,
            feature_limit=float(feature_limit), max_rate=max_rate)
        self._kernel = native.ArNet(**self.kernel_args)

    @classmethod
    def from_spec(cls, spec: AutoregressiveSpec, tensors: Mapping[str, np.ndarray]) -> "AutoregressiveModel":
        """A model file's evaluator (YCoCg pixel planes, no rate input)."""
        model = cls(tensors, online=spec.online == "lms")
        if model.hidden != spec.hidden:
            raise ValueError(f"the nets are {model.hidden} wide where the config says {spec.hidden}")
        return model

    def reference_params(self, features: np.ndarray, ref: np.ndarray, plane: int, rate: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """The native kernel's arithmetic in numpy, the tests' reference (coding uses the
        kernel): (mean on the 1/16 grid, clipped to the plane's range; scale index, int64)
        of samples with ``features`` (n, FEATURES) and references ``ref`` (n,). ``rate``:
        the rate input, 0..max_rate."""
        acc = features @ self.w1[plane]
        acc += self.b1[plane]
        if rate:
            if not 0 < rate <= self.max_rate:
                raise ValueError(f"rate input {rate} outside 0..{self.max_rate}")
            acc += self.w_rate[plane] * rate
        a1 = acc[..., : self.hidden]
        np.maximum(a1, 0.0, out=a1)
        a1 *= 2.0 ** (ACT_FRAC_BITS - FIRST_FRAC_BITS)  # 2**-16 -> 2**-12
        np.floor(a1, out=a1)
        np.minimum(a1, ACT_LIMIT, out=a1)
        a2 = a1 @ self.w2[plane]
        a2 += self.b2[plane]
        np.maximum(a2, 0.0, out=a2)
        a2 *= 2.0**-WEIGHT_FRAC_BITS  # 2**-24 -> 2**-12
        np.floor(a2, out=a2)
        np.minimum(a2, ACT_LIMIT, out=a2)
        out = a2 @ self.w3[plane]
        out += self.b3[plane]
        out[..., 0] += acc[..., self.hidden]
        out *= 2.0 ** -(WEIGHT_FRAC_BITS + ACT_FRAC_BITS)
        out += 0.5
        np.floor(out, out=out)
        mean = np.minimum(np.maximum(ref + out[..., 0] * (1.0 / grid.MEAN_STEPS), self.lo[plane]), self.hi[plane])
        index = np.minimum(np.maximum(out[..., 1], 0), grid.N_SCALES - 1).astype(np.int64)
        return mean, index

    def encode_params(self, planes: np.ndarray, plane: int, rate: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Every sample's (mean, scale index) of one plane, raster order, from the whole
        planes (3, h, w): integers within the model's ranges (else ValueError)."""
        h, w = planes.shape[1:]
        if planes.size and not (np.abs(planes).max() < 2**30 and np.array_equal(np.floor(planes), planes)):
            raise ValueError("samples out of their plane's range")
        means, indices = np.empty(h * w), np.empty(h * w, dtype=np.int64)
        self._kernel.plane_params(np.ascontiguousarray(planes, dtype=np.int32), h, w, plane, rate, means, indices)
        return means, indices

    def stream_params(self, planes: np.ndarray, plane: int) -> tuple[np.ndarray, np.ndarray]:
        """Every sample's (mean, scale index) of one plane as a lossless stream codes it:
        ``encode_params``, the means then through the online stage if the model has one."""
        mean, index = self.encode_params(planes, plane)
        if not self.online:
            return mean, index
        h, w = planes.shape[1:]
        corrected = np.empty(h * w, dtype=np.int64)
        self._kernel.online_means(np.ascontiguousarray(planes[plane].reshape(-1), dtype=np.int64), h, w, plane,
                                  (mean * grid.MEAN_STEPS).astype(np.int64), index, corrected)
        return corrected * (1.0 / grid.MEAN_STEPS), index

    def code_length(self, rgb: np.ndarray) -> float:
        """Bits of one tile, (h, w, 3) integers, under the model's own priors (before any
        recalibration): what training validates and ``bench bpd`` reports."""
        return float(self.code_length_map(rgb).sum())

    def code_length_map(self, rgb: np.ndarray) -> np.ndarray:
        """``code_length`` per pixel, (h, w): the bits of its three planes' samples."""
        planes = forward_colour(rgb)
        bits = np.zeros(planes.shape[1:])
        for plane in range(PLANES):
            mean, index = self.stream_params(planes, plane)
            bits += grid.laplace_bits(planes[plane].reshape(-1), mean, grid.SCALES[index]).reshape(bits.shape)
        return bits

    def decode_planes(self, pull, h: int, w: int, moved: np.ndarray | None = None, rate: int = 0) -> np.ndarray:
        """(3, h, w) planes from ``pull(mean, scale_index, parts) -> values``, called once
        per step of ``schedule`` with the step's samples in ``encode_order``; ``parts``
        says whose they are: (plane, raster indices) in that order. ``moved``
        (3, N_SCALES): where each plane's scale indices go before they reach ``pull``
        (the encoder's recalibration); None: nowhere. ValueError if a value is not an
        integer in its plane's range (a corrupted stream)."""
        decoder = self._decoder(h, w, moved, rate)
        for t, step in enumerate(schedule(h, w)):
            size = sum(front.size for front in step)
            if not size:
                continue  # (tiles narrower than LAG wavefronts have steps with nothing to do)
            mean, index = np.empty(size), np.empty(size, dtype=np.int64)  # fresh: ``pull`` may keep them
            decoder.params(t, mean, index)
            values = pull(mean, index, [(p, front) for p, front in enumerate(step) if front.size])
            decoder.store(t, np.ascontiguousarray(values, dtype=np.float64).reshape(-1))
        return _planes(decoder, h, w)

    def decode_stream(self, coder: native.AnsDecoder, h: int, w: int, moved: np.ndarray | None = None) -> np.ndarray:
        """``decode_planes`` with every step's values off ``coder`` (over ``grid.SCALES``):
        the whole loop in the kernel, without the GIL. ValueError if the stream ends early
        or a value falls outside its plane's range (a corrupted stream)."""
        decoder = self._decoder(h, w, moved, 0)
        decoder.run(coder, self.online)
        return _planes(decoder, h, w)

    def _decoder(self, h: int, w: int, moved: np.ndarray | None, rate: int):
        moved = np.tile(np.arange(grid.N_SCALES), (PLANES, 1)) if moved is None else moved
        return self._kernel.decoder(h, w, rate, np.ascontiguousarray(moved, dtype=np.int64))


def _planes(decoder, h: int, w: int) -> np.ndarray:
    planes = np.empty((PLANES, h, w), dtype=np.int32)
    decoder.planes(planes)
    return planes.astype(np.float64)


def _fitting(weights: np.ndarray, dtype) -> np.ndarray:
    """Integer-valued float weights as ``dtype`` for the native kernel (ValueError if they do not fit)."""
    info = np.iinfo(dtype)
    if weights.size and not (info.min < weights.min() and weights.max() < info.max):
        raise ValueError("weights outside the native kernel's integer range")
    return np.ascontiguousarray(weights, dtype=dtype)
