"""The autoregressive architecture: each sample's prior from its decoded neighbours.

In IDF's terms an integer autoregressive flow: the transform is the reversible colour
transform YCoCg-R (integer, exact), and each plane (Y, then Co, then Cg) is coded in
raster order, every sample under a Laplace whose mean and scale a small net computes from
that plane's causal neighbours (``CAUSAL``) and from the earlier planes around the same
position (``EARLIER``, all of it decoded already). The lifting flow only predicts a level
from coarser levels; this is the spatial context it lacks, at the finest grain.

The decoder needs a sample's neighbours before the sample, but not one by one: no
neighbour lies on the sample's own anti-diagonal ``2 * row + column`` (``wavefronts``), so
a wavefront is decoded at once, a few hundred samples per numpy call.

The nets run in fixed point on float64 (as ``fixed64``): integer weights and inputs, every
partial sum an integer below 2**53, so GEMM is exact in any order and batch shape, and the
encoder (all samples at once) and the decoder (a wavefront at a time) get the same
parameters bit for bit. Weights and activations on 2**-12 (the first layer's weights on 2**-16;
activations at most ACT_LIMIT); the mean
comes out on the coder's 1/16 grid, the scale as an index into ``grid.SCALES``."""

from __future__ import annotations

import numpy as np

from ..entropy import grid

# (rows up, columns left) of a plane's own neighbours used as context; all on earlier wavefronts (2 * dy + dx > 0)
CAUSAL = ((0, 1), (1, 0), (1, 1), (1, -1), (0, 2), (2, 0), (2, 1), (2, -1), (1, 2), (2, 2), (2, -2), (0, 3), (3, 0))
# positions of each earlier plane around the sample (any direction: those planes are complete)
EARLIER = ((0, 0), (0, 1), (1, 0), (0, -1), (-1, 0), (1, 1), (-1, -1))
PAD = 3  # the largest offset in either list
PLANES = 3
# the planes' value ranges after YCoCg-R (Y, Co, Cg); means are clipped to them
RANGES = ((0, 255), (-255, 255), (-255, 255))
WEIGHT_FRAC_BITS = 12
ACT_FRAC_BITS = 12
FIRST_FRAC_BITS = 16  # the first layer's weights (features / 32 need the finer grid), so its sums too
ACT_LIMIT = 2.0**22  # 1024 on the 2**-12 grid
FEATURE_LIMIT = 512.0  # |neighbour - reference| <= 510 when both lie in a plane's range (the decoder checks)
INPUT_SCALE = 32  # the float nets see features / 32
MEAN_GAIN = 8  # the float nets' mean output is 8 x their first output (plus the linear skip)
SCALE_BIAS = 1.0  # the float nets' natural-log scale is their second output + 1
EXACT = 2.0**53
CHUNK = 8192  # samples per batch where a whole plane is known
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


def padded(plane: np.ndarray) -> np.ndarray:
    """A plane inside a zero border of PAD samples (what every neighbour outside the tile reads)."""
    return np.pad(plane, PAD)


def feature_count(plane: int) -> int:
    return len(CAUSAL) + len(EARLIER) * plane


def _reference(west: np.ndarray, north: np.ndarray) -> np.ndarray:
    return np.floor((west + north) * 0.5)  # (decode_planes inlines it)


def causal_features(pad: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(features (n, len(CAUSAL)), reference (n,)) at the given samples of a padded plane:
    the neighbours minus the reference floor((west + north) / 2)."""
    near = np.stack([pad[rows + PAD - dy, cols + PAD - dx] for dy, dx in CAUSAL], axis=-1)
    ref = _reference(near[:, 0], near[:, 1])
    return near - ref[:, None], ref


def earlier_features(pads: list[np.ndarray], rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """(n, len(EARLIER) * len(pads)): each earlier plane around the samples, minus its own reference."""
    parts = []
    for pad in pads:
        near = np.stack([pad[rows + PAD - dy, cols + PAD - dx] for dy, dx in EARLIER], axis=-1)
        parts.append(near - _reference(pad[rows + PAD, cols + PAD - 1], pad[rows + PAD - 1, cols + PAD])[:, None])
    return np.concatenate(parts, axis=-1) if parts else np.zeros((rows.size, 0))


def plane_features(planes: np.ndarray, plane: int) -> tuple[np.ndarray, np.ndarray]:
    """(features (h * w, feature_count(plane)), reference (h * w,)) of every sample of a
    plane, raster order: the encoder's (and training's) view of what the decoder sees."""
    h, w = planes.shape[1:]
    rows, cols = (a.ravel() for a in np.indices((h, w)))
    own, ref = causal_features(padded(planes[plane]), rows, cols)
    other = earlier_features([padded(p) for p in planes[:plane]], rows, cols)
    return np.concatenate([own, other], axis=-1), ref


def wavefronts(h: int, w: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(rows, columns) of each anti-diagonal 2 * row + column = t, t = 0, 1, ...: a sample's
    CAUSAL neighbours all lie on earlier ones."""
    rows, cols = np.indices((h, w))
    t = (2 * rows + cols).ravel()
    order = np.argsort(t, kind="stable")
    bounds = np.searchsorted(t[order], np.arange(t.max() + 2 if t.size else 1))
    r, c = rows.ravel()[order], cols.ravel()[order]
    return [(r[a:b], c[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


class PlaneNet:
    """One plane's net in fixed point: features -> (mean, scale index), exact.

    Float net (training): hidden = relu(W1 f / 32 + b1), hidden2 = relu(W2 hidden + b2),
    (o0, o1) = W3 hidden2 + b3; mean = reference + 8 o0 + skip . f + skip_bias;
    ln scale = o1 + 1. The first layer carries the skip as one more column; its rows for
    the earlier planes' features (after the first ``split``) are applied to a whole plane
    at once (``earlier_part``), the rest a wavefront at a time (``params``)."""

    def __init__(self, tensors: dict[str, np.ndarray], prefix: str, plane: int):
        w1, b1 = tensors[f"{prefix}.w1"], tensors[f"{prefix}.b1"]
        w2, b2 = tensors[f"{prefix}.w2"], tensors[f"{prefix}.b2"]
        w3, b3 = tensors[f"{prefix}.w3"], tensors[f"{prefix}.b3"]
        skip, skip_bias = tensors[f"{prefix}.skip"], tensors[f"{prefix}.skip_bias"]
        n, hidden = feature_count(plane), w1.shape[0]
        if w1.shape != (hidden, n) or skip.shape != (n,) or w2.shape != (hidden, hidden) or w3.shape != (2, hidden):
            raise ValueError(f"{prefix}: tensor shapes do not fit plane {plane}")
        one = 2.0**WEIGHT_FRAC_BITS
        out = one * 2.0**ACT_FRAC_BITS  # output accumulators: 2**-24 of a sixteenth / of a scale step
        gains = np.array([MEAN_GAIN * grid.MEAN_STEPS, SCALE_STEPS_PER_NEPER])
        self.plane, self.split, self.hidden = plane, len(CAUSAL), hidden
        self.lo, self.hi = RANGES[plane]
        # first layer, features (integers) -> 2**-16; last column: the skip on the output grid
        first = 2.0**FIRST_FRAC_BITS
        self.w1 = np.concatenate([np.round(w1.T.astype(np.float64) / INPUT_SCALE * first),
                                  np.round(skip.astype(np.float64)[:, None] * grid.MEAN_STEPS * out)], axis=1)
        b3 = b3.astype(np.float64) * gains
        self.b1 = np.append(np.round(b1.astype(np.float64) * first),
                            np.round((b3[0] + skip_bias.item() * grid.MEAN_STEPS) * out))
        self.w2 = np.round(w2.T.astype(np.float64) * one)  # 2**-12 activations -> 2**-24
        self.b2 = np.round(b2.astype(np.float64) * out)
        self.w3 = np.round(w3.T.astype(np.float64) * gains * one)
        self.scale_bias = np.round(
            (b3[1] + SCALE_BIAS * SCALE_STEPS_PER_NEPER - grid.LOG2_SCALE_MIN * grid.SCALE_STEPS_PER_OCTAVE) * out)
        # every accumulator, for any valid input, an integer below 2**53 (else refuse the model)
        first = np.abs(self.w1).sum(0) * FEATURE_LIMIT + np.abs(self.b1)
        bounds = [first, np.abs(self.w2).sum(0) * ACT_LIMIT + np.abs(self.b2),
                  np.abs(self.w3).sum(0) * ACT_LIMIT + [first[-1], abs(self.scale_bias)]]  # the mean adds the skip
        if not all(np.isfinite(b).all() and b.max() < EXACT for b in bounds):
            raise ValueError(f"{prefix}: weights outside the exact fixed-point range")

    def earlier_part(self, other: np.ndarray) -> np.ndarray:
        """First-layer sums (hidden + skip column, biases included) of ``earlier_features``."""
        return other @ self.w1[self.split :] + self.b1

    def params(self, own: np.ndarray, ref: np.ndarray, first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mean (n,) on the 1/16 grid, clipped to the plane's range; scale index (n,) int64)
        from the own-plane features and ``earlier_part``'s sums for the same samples."""
        acc = own @ self.w1[: self.split]
        acc += first
        a1 = acc[:, : self.hidden]
        np.maximum(a1, 0.0, out=a1)
        a1 *= 2.0 ** (ACT_FRAC_BITS - FIRST_FRAC_BITS)  # 2**-16 -> 2**-12
        np.floor(a1, out=a1)
        np.minimum(a1, ACT_LIMIT, out=a1)
        a2 = a1 @ self.w2
        a2 += self.b2
        np.maximum(a2, 0.0, out=a2)
        a2 *= 2.0**-WEIGHT_FRAC_BITS  # 2**-24 -> 2**-12
        np.floor(a2, out=a2)
        np.minimum(a2, ACT_LIMIT, out=a2)
        out = a2 @ self.w3
        out[:, 0] += acc[:, self.hidden]
        out[:, 1] += self.scale_bias
        out *= 2.0 ** -(WEIGHT_FRAC_BITS + ACT_FRAC_BITS)
        out += 0.5
        np.floor(out, out=out)
        mean = np.minimum(np.maximum(ref + out[:, 0] * (1.0 / grid.MEAN_STEPS), self.lo), self.hi)
        index = np.minimum(np.maximum(out[:, 1], 0), grid.N_SCALES - 1).astype(np.int64)
        return mean, index


class AutoregressiveModel:
    """The architecture's exact evaluator (``CodingModel.flow`` of such a model)."""

    def __init__(self, config: dict, tensors: dict[str, np.ndarray]):
        self.config = config
        self.nets = [PlaneNet(tensors, f"plane{p}", p) for p in range(PLANES)]

    def encode_params(self, planes: np.ndarray, plane: int) -> tuple[np.ndarray, np.ndarray]:
        """Every sample's (mean, scale index) of one plane, raster order, from the whole planes."""
        features, ref = plane_features(planes, plane)
        net = self.nets[plane]
        means, indices = np.empty(ref.size), np.empty(ref.size, dtype=np.int64)
        for a in range(0, ref.size, CHUNK):  # in cache-sized chunks: 3x faster than the whole plane at once
            part = features[a : a + CHUNK]
            means[a : a + CHUNK], indices[a : a + CHUNK] = net.params(
                part[:, : net.split], ref[a : a + CHUNK], net.earlier_part(part[:, net.split :]))
        return means, indices

    def decode_planes(self, pull, h: int, w: int) -> np.ndarray:
        """(3, h, w) planes from ``pull(mean, scale_index) -> symbols``, called once per
        plane and wavefront in the order ``encode_order`` gives the encoder."""
        pads = np.zeros((PLANES, h + 2 * PAD, w + 2 * PAD))
        fronts = wavefronts(h, w)
        order = np.concatenate([r * w + c for r, c in fronts]) if h * w else np.zeros(0, dtype=np.int64)
        bounds = np.cumsum([0] + [r.size for r, _ in fronts])
        stride = w + 2 * PAD
        at = (order // w + PAD) * stride + order % w + PAD  # each sample's place in a padded plane, decoding order
        near = np.array([-(dy * stride + dx) for dy, dx in CAUSAL])
        rows, cols = order // w, order % w
        for plane, net in enumerate(self.nets):
            other = earlier_features(list(pads[:plane]), rows, cols)
            first = np.concatenate([net.earlier_part(other[a : a + CHUNK]) for a in range(0, max(other.shape[0], 1), CHUNK)])
            flat = pads[plane].reshape(-1)
            for a, b in zip(bounds[:-1], bounds[1:]):
                spots = at[a:b]
                own = flat[spots[:, None] + near]
                ref = np.floor((own[:, 0] + own[:, 1]) * 0.5)  # as _reference: west, north
                own -= ref[:, None]
                mean, index = net.params(own, ref, first[a:b])
                flat[spots] = pull(mean, index)
            if h * w and not self.nets[plane].lo <= flat.min() <= flat.max() <= self.nets[plane].hi:
                # (a corrupted stream; the nets' exactness bound assumes samples in range)
                raise ValueError("decoded samples out of their plane's range")
        return pads[:, PAD:-PAD, PAD:-PAD]


def encode_order(h: int, w: int) -> np.ndarray:
    """Raster indices of a plane's samples in decoding order (wavefront by wavefront)."""
    return np.concatenate([r * w + c for r, c in wavefronts(h, w)]) if h * w else np.zeros(0, dtype=np.int64)
