"""The ANS coder (constriction) for integer latents under snapped Laplace parameters.

constriction's ``AnsCoder`` is a stack: the encoder pushes chunks in the reverse of the
order the decoder pops them. ``LatentEncoder`` takes chunks in *decoding* order and does
the reversal, so callers write encoder and decoder loops in the same order."""

from __future__ import annotations

import constriction
import numpy as np
import torch

from . import grid

SYMBOL_MIN = -4096
SYMBOL_MAX = 4095
_FAMILY = constriction.stream.model.QuantizedLaplace(SYMBOL_MIN, SYMBOL_MAX)


def _params(mean: torch.Tensor, scale_index: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    means = mean.reshape(-1).to(torch.float64).numpy()
    scales = grid.SCALES[scale_index.reshape(-1).to(torch.int64).numpy()]
    return np.ascontiguousarray(means), np.ascontiguousarray(scales)


def in_range(values: torch.Tensor) -> bool:
    return bool(values.numel() == 0 or (values.min() >= SYMBOL_MIN and values.max() <= SYMBOL_MAX))


class LatentEncoder:
    def __init__(self) -> None:
        self._chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.estimated_bits = 0.0

    def push(self, symbols: torch.Tensor, mean: torch.Tensor, scale_index: torch.Tensor) -> None:
        """Queue one chunk; chunks are decoded in the order they are pushed."""
        means, scales = _params(mean, scale_index)
        syms = symbols.reshape(-1).to(torch.int64).numpy().astype(np.int32)
        self._chunks.append((syms, means, scales))
        log2_scale = torch.from_numpy(np.log2(scales))
        self.estimated_bits += float(
            grid.laplace_bits(torch.from_numpy(syms.astype(np.float64)), torch.from_numpy(means), log2_scale).sum()
        )

    def finish(self) -> bytes:
        coder = constriction.stream.stack.AnsCoder()
        for syms, means, scales in reversed(self._chunks):
            coder.encode_reverse(syms, _FAMILY, means, scales)
        return coder.get_compressed().astype("<u4").tobytes()


class LatentDecoder:
    def __init__(self, payload: bytes):
        if len(payload) % 4:
            raise ValueError("ANS stream length is not a multiple of 4 bytes")
        words = np.frombuffer(payload, dtype="<u4").astype(np.uint32)
        self._coder = constriction.stream.stack.AnsCoder(words)

    def pull(self, mean: torch.Tensor, scale_index: torch.Tensor) -> torch.Tensor:
        # Every coded symbol moves the coder off its initial state (no probability is
        # exactly 1), so an empty coder with symbols still to come is a truncated or forged
        # stream: stop now instead of decoding garbage for the rest of the image.
        if mean.numel() and self._coder.is_empty():
            raise ValueError("ANS stream ended before the last latent")
        means, scales = _params(mean, scale_index)
        symbols = self._coder.decode(_FAMILY, means, scales)
        return torch.from_numpy(symbols.astype(np.float64)).reshape(mean.shape)

    def exhausted(self) -> bool:
        return self._coder.is_empty()
