"""The ANS coder for integer latents under snapped Laplace parameters: constriction
encodes; the native kernel decodes, exactly as constriction would (invcodec.native).

constriction's ``AnsCoder`` is a stack: the encoder pushes chunks in the reverse of the
order the decoder pops them. ``LatentEncoder`` takes chunks in *decoding* order and does
the reversal, so callers write encoder and decoder loops in the same order."""

from __future__ import annotations

import constriction
import numpy as np

from .. import native
from . import adapt, grid

SYMBOL_MIN = -4096
SYMBOL_MAX = 4095
FAMILY = constriction.stream.model.QuantizedLaplace(SYMBOL_MIN, SYMBOL_MAX)  # the encoder's model; the native decoder's reference


def _means(mean: np.ndarray | float, size: int) -> np.ndarray:
    mean = np.asarray(mean, dtype=np.float64)
    return np.full(size, float(mean)) if mean.ndim == 0 else np.ascontiguousarray(mean.reshape(-1))


def _indices(scale_index: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(scale_index, dtype=np.int64).reshape(-1))


def in_range(values: np.ndarray) -> bool:
    return bool(values.size == 0 or (values.min() >= SYMBOL_MIN and values.max() <= SYMBOL_MAX))


class LatentEncoder:
    def __init__(self, adaptive: bool = False) -> None:
        self._chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.adaptive = adaptive

    def push(self, symbols: np.ndarray, mean: np.ndarray | float, scale_index: np.ndarray) -> None:
        """Queue one chunk; chunks are decoded in the order they are pushed. ``mean`` is an
        array of the symbols' shape, or one number for all."""
        if self.adaptive and adapt.adapted(scale_index):
            coded = adapt.coded_bins(scale_index)
            correction = adapt.choose(symbols, mean, scale_index, coded)
            sent = correction[np.concatenate([[True], coded])]  # the mean offset, then the coded bins' scale offsets
            self._push(sent, 0.0, np.full(sent.size, adapt.OFFSET_SCALE_INDEX))
            mean, scale_index = adapt.apply(mean, scale_index, correction)
        self._push(symbols, mean, scale_index)

    def _push(self, symbols: np.ndarray, mean: np.ndarray | float, scale_index: np.ndarray) -> None:
        syms = np.asarray(symbols).reshape(-1).astype(np.int32)
        self._chunks.append((syms, _means(mean, syms.size), grid.SCALES[_indices(scale_index)]))

    def finish(self) -> bytes:
        coder = constriction.stream.stack.AnsCoder()
        for syms, means, scales in reversed(self._chunks):
            coder.encode_reverse(syms, FAMILY, means, scales)
        return coder.get_compressed().astype("<u4").tobytes()


class LatentDecoder:
    """Decodes with the native ``AnsDecoder``: constriction's decoding reimplemented
    exactly, without the GIL (tests/native/test_ans.py holds it to constriction)."""

    def __init__(self, payload: bytes, adaptive: bool = False):
        self.adaptive = adaptive
        self.coder = native.AnsDecoder(payload, grid.SCALES)  # ValueError: a length not a multiple of 4, a zero last word

    def pull(self, mean: np.ndarray | float, scale_index: np.ndarray) -> np.ndarray:
        """Symbols of scale_index's shape, as float64."""
        if self.adaptive and adapt.adapted(scale_index):
            sent = np.concatenate([[True], adapt.coded_bins(scale_index)])
            correction = np.zeros(1 + adapt.BINS, dtype=np.int64)
            correction[sent] = self._pull(0.0, np.full(int(sent.sum()), adapt.OFFSET_SCALE_INDEX))
            mean, scale_index = adapt.apply(mean, scale_index, correction)
        return self._pull(mean, scale_index)

    def _pull(self, mean: np.ndarray | float, scale_index: np.ndarray) -> np.ndarray:
        # Every coded symbol moves the coder off its initial state (no probability is
        # exactly 1), so an empty coder with symbols still to come is a truncated or forged
        # stream: stop now instead of decoding garbage for the rest of the image.
        shape = np.shape(scale_index)
        if np.size(scale_index) and self.coder.exhausted():
            raise ValueError("ANS stream ended before the last latent")
        values = np.empty(shape)
        self.coder.decode(_means(mean, values.size), _indices(scale_index), values)
        return values

    def exhausted(self) -> bool:
        return self.coder.exhausted()
