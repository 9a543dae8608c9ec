"""The lifting flow with its hierarchical prior, evaluated exactly (architecture "lifting").

Per level: squeeze 2x2 -> rotate which position is the anchor -> two integer lifting
couplings (predict the 9 detail channels from the 3 anchor channels, then update the
anchors from the details) -> factor out the details; the anchors are the next, coarser
image. The nets (couplings, prior trunk and heads) come from the model's numeric format
(``fixed64`` or ``int8``); everything else is integer arithmetic on float64 arrays.
Images are channels-last (H, W, C), one tile at a time.

With ``top_autoregressive`` the coarsest anchors are not coded colour by colour under
one small net, but sample by sample under the autoregressive architecture's machinery
(``autoregressive``: each sample's prior from its decoded neighbours, wavefront by
wavefront), with the lossy quantizer's global step as a rate input."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np

from .. import quantizer
from ..entropy import grid
from ..spec import LATENT_INPUT_SHIFT, LiftingSpec, anchor_order, level_prior, predict_net, top_head, update_net
from ..walk import COLOURS, DETAILS
from . import fixed64, int8
from .checkerboard import put_half, take_half
from .autoregressive import AutoregressiveModel

MAX_CORRECTION = 128.0  # bound of a coupling's learned shift (latents stay in the coder's range)
NUMERIC_FORMATS = {"fixed64": fixed64.Nets, "int8": int8.Nets}
# The coarsest anchors' values with top_autoregressive: a photo's stay within about
# -300..400 (four levels of local means plus the couplings' bounded shifts, at most
# -900..1160), and a lossy decoder's within a step (<= 1024) of them; a stream that
# decodes outside is rejected.
TOP_RANGE = (-2048, 2303)
TOP_PREFIX = "top_ar."
ZERO_PROBE = 64  # side of the all-zero details whose update shift stands for every size's


@dataclass
class Laplace:
    """Snapped prior parameters of one band: mean on the 1/16 grid, index into grid.SCALES.
    With checkerboard context, the parameters of one half (``half``: 0 white, 1 black) as
    (N, 1), and the head's hidden layer before its ReLU (``hidden_sum``, (H, W, hidden)),
    which the black half reuses and which gives the band's shape."""

    mean: np.ndarray
    scale_index: np.ndarray
    hidden_sum: np.ndarray | None = None
    half: int | None = None
    where: np.ndarray | None = None  # an autoregressive top band's step: the raster indices it covers


def squeeze(x: np.ndarray) -> np.ndarray:
    """(H, W, C) -> (H/2, W/2, 4C), channel p*C + c = colour c of position p (TL, TR, BL, BR)."""
    h, w, c = x.shape
    return x.reshape(h // 2, 2, w // 2, 2, c).transpose(0, 2, 1, 3, 4).reshape(h // 2, w // 2, 4 * c)


def unsqueeze(y: np.ndarray) -> np.ndarray:
    h, w, c4 = y.shape
    c = c4 // 4
    return y.reshape(h, w, 2, 2, c).transpose(0, 2, 1, 3, 4).reshape(2 * h, 2 * w, c)


def _snapped(out, base) -> tuple[np.ndarray, np.ndarray]:
    """A prior head's output (mean x 64, log2 scale) snapped to the coder's grids: (mean, scale index)."""
    mean = base + out.rounded(grid.MEAN_FRAC_BITS + LATENT_INPUT_SHIFT, slice(0, 1)) * 2.0**-grid.MEAN_FRAC_BITS
    index = out.rounded(grid.SCALE_FRAC_BITS, slice(1, 2)) - grid.LOG2_SCALE_MIN * grid.SCALE_STEPS_PER_OCTAVE
    return mean, np.clip(index, 0, grid.N_SCALES - 1).astype(np.int64)


def _params(out, base) -> Laplace:
    return Laplace(*_snapped(out, base))


class LiftingFlow:
    def __init__(self, spec: LiftingSpec, tensors: Mapping[str, np.ndarray]):
        nets = NUMERIC_FORMATS[spec.numeric](tensors)
        self.level_count = spec.levels
        self.block_size = spec.block_size
        self.rate_conditioned = spec.rate_conditioned
        self.checkerboard = spec.checkerboard
        self.top_position = spec.top_position
        self.top_autoregressive = spec.top_autoregressive
        rc = self.rate_conditioned
        self._order = [np.array(anchor_order(i)) for i in range(self.level_count)]
        self._predict = [nets.coupling(predict_net(i)) for i in range(self.level_count)]
        self._update = [nets.coupling(update_net(i)) for i in range(self.level_count)]
        self._priors = [nets.prior(level_prior(i), DETAILS, rc, self.checkerboard) for i in range(self.level_count)]
        if self.top_autoregressive:
            self._top_ar = AutoregressiveModel(tensors, TOP_PREFIX, (TOP_RANGE,) * COLOURS,
                                               TOP_RANGE[1] - TOP_RANGE[0] + 1, quantizer.global_step_index(1))
        else:
            self._top = [nets.top_head(top_head(c), rc) for c in range(COLOURS)]

    # -- the flow ---------------------------------------------------------------------
    def _learned_shift(self, net, source: np.ndarray) -> np.ndarray:
        return np.clip(net(source).rounded(LATENT_INPUT_SHIFT), -MAX_CORRECTION, MAX_CORRECTION)

    def _predict_shift(self, level: int, anchor: np.ndarray) -> np.ndarray:
        return -np.tile(anchor, (1, 1, 3)) + self._learned_shift(self._predict[level], anchor)

    def _update_shift(self, level: int, detail: np.ndarray) -> np.ndarray:
        total = detail[..., :COLOURS] + detail[..., COLOURS : 2 * COLOURS] + detail[..., 2 * COLOURS :]
        return np.floor(total * 0.25) + self._learned_shift(self._update[level], detail)

    def level_forward(self, level: int, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Image-like x (H, W, 3) -> (anchors (H/2, W/2, 3), details (H/2, W/2, 9))."""
        h = squeeze(x)[..., self._order[level]]
        anchor, detail = h[..., :COLOURS], h[..., COLOURS:]
        detail = detail + self._predict_shift(level, anchor)
        anchor = anchor + self._update_shift(level, detail)
        return anchor, detail

    def level_inverse(self, level: int, anchors: np.ndarray, details: np.ndarray) -> np.ndarray:
        anchor = anchors - self._update_shift(level, details)
        detail = details - self._predict_shift(level, anchor)
        h = np.concatenate([anchor, detail], axis=2)[..., np.argsort(self._order[level])]
        return unsqueeze(h)

    def level_inverse_without_details(self, level: int, anchors: np.ndarray) -> np.ndarray:
        """``level_inverse`` with every detail latent zero: the level's image as its
        anchors alone predict it (a reduced-resolution decode's finer levels)."""
        anchor = anchors - self._zero_update_shift(level, *anchors.shape[:2])
        detail = -self._predict_shift(level, anchor)
        return unsqueeze(np.concatenate([anchor, detail], axis=2)[..., np.argsort(self._order[level])])

    def _zero_update_shift(self, level: int, height: int, width: int) -> np.ndarray:
        """The update shift of all-zero details. Zero padding makes it the same everywhere
        beyond the net's reach from a border, so the ZERO_PROBE square's (``_zero_probe``)
        stands for any size: its corner and edge bands copied, its centre repeated."""
        probe = self._zero_probe(level)
        if probe is None or height < ZERO_PROBE or width < ZERO_PROBE:
            return self._update_shift(level, np.zeros((height, width, DETAILS)))
        half = ZERO_PROBE // 2

        def index(side: int) -> np.ndarray:
            return np.concatenate([np.arange(half), np.full(side - ZERO_PROBE, half), np.arange(half, ZERO_PROBE)])

        return probe[np.ix_(index(height), index(width))]

    @lru_cache(maxsize=None)
    def _zero_probe(self, level: int) -> np.ndarray | None:
        """The update shift of zeros on a ZERO_PROBE square, or None when its centre is not
        constant (a net that reaches further than ZERO_PROBE / 2 - 1: then sized each time)."""
        shift = self._update_shift(level, np.zeros((ZERO_PROBE, ZERO_PROBE, DETAILS)))
        c = ZERO_PROBE // 2
        centre = shift[c - 2 : c + 2, c - 2 : c + 2]
        return shift if (centre == shift[c, c]).all() else None

    def analyze(self, x: np.ndarray) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray]:
        """Image (H, W, 3) -> per level (anchors, details), finest first, and the coarsest anchors."""
        out = []
        for level in range(self.level_count):
            anchors, details = self.level_forward(level, x)
            out.append((anchors, details))
            x = anchors
        return out, x

    # -- the prior, as the walker asks for it -----------------------------------------
    def context_zeros(self, batch: int, height: int, width: int) -> np.ndarray:
        return np.zeros((height, width, 1))

    def cat(self, parts: Sequence[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts, axis=2)

    def top_params(self, context: np.ndarray, colour: int, rate: int | None) -> Laplace:
        """``rate``: the global quantizer step index (lossy files), seen by rate-conditioned priors."""
        if self.top_position:  # a plane of ones first (in latent units): the padding shows the borders
            ones = np.full(context.shape[:2] + (1,), 2.0**LATENT_INPUT_SHIFT)
            inputs = np.concatenate([ones, context[..., :colour]], axis=2)
        else:
            inputs = context[..., :colour] if colour > 0 else np.zeros_like(context[..., :1])
        base = context[..., colour - 1 : colour] if colour > 0 else 0.0
        return _params(self._top[colour](inputs, rate), base)

    def top_band(self, band, height: int, width: int, rate: int | None) -> np.ndarray:
        """The coarsest anchors (height, width, 3) of a ``top_autoregressive`` model:
        ``band(colour, params)`` is asked for each step's samples of a colour (``params.where``
        says which), in the decoding order of ``autoregressive.schedule``."""

        def pull(mean: np.ndarray, index: np.ndarray, parts) -> np.ndarray:
            out, a = [], 0
            for colour, where in parts:
                n = where.size
                out.append(np.reshape(band(colour, Laplace(mean[a : a + n], index[a : a + n], where=where)), -1))
                a += n
            return np.concatenate(out)

        return self._top_ar.decode_planes(pull, height, width, rate=rate or 0).transpose(1, 2, 0)

    def level_features(self, level: int, anchors: np.ndarray, rate: int | None):
        """What the level's heads read from the anchors (the format decides what that is)."""
        prior = self._priors[level]
        return prior.features(anchors, rate) if self.rate_conditioned else prior.features(anchors)

    def detail_params(self, level: int, features, anchors: np.ndarray, previous: Sequence[np.ndarray], g: int) -> Laplace:
        prior = self._priors[level]
        latents = np.concatenate([anchors, *previous[:g]], axis=2)
        if not self.checkerboard:
            return _params(prior.head(features, g, latents), 0.0)
        # only the white half's parameters are computed here: the black half gets its own
        hidden_sum = prior.head_sum(features, g, latents)
        return Laplace(*_snapped(prior.white_output(g, hidden_sum), 0.0), hidden_sum, 0)

    # -- checkerboard context (``walk``) ------------------------------------------------
    def context_params(self, level: int, first: Laplace, known: np.ndarray, g: int) -> Laplace:
        """Channel g's black half's parameters given its white half (``known``, zero on the black half)."""
        out = self._priors[level].black_output(g, first.hidden_sum, known)
        return Laplace(*_snapped(out, 0.0), first.hidden_sum, 1)

    def half(self, t, which: int):
        """The white (0) or black (1) positions of a band's values, as (N, 1); parameters
        come as one half already (``detail_params``, ``context_params``)."""
        if isinstance(t, Laplace):
            if t.half != which:
                raise ValueError(f"parameters of half {t.half} asked for half {which}")
            return t
        return take_half(t, which)

    def merge(self, white: np.ndarray, black: np.ndarray | None, params: Laplace) -> np.ndarray:
        """A band (of the shape of ``params.hidden_sum``) from its halves; None: zeros there."""
        out = np.zeros(params.hidden_sum.shape[:2] + (1,))
        put_half(out, white, 0)
        if black is not None:
            put_half(out, black, 1)
        return out
