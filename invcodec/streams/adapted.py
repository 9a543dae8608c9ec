"""ADAPTED: a tile's model stream under the model fine-tuned on that tile, the change in
the stream (``tile_coder.AdaptedTileCoder``); the encoder offers it at the adapting
efforts and it is kept only when smaller than the plain model stream, delta included."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidFileError
from ..options import ADAPTING_EFFORTS
from .base import Candidate, StreamContext


class AdaptedStream:
    conclusive = False

    def encode(self, planes: np.ndarray, context: StreamContext, budget: int | None) -> Candidate | None:
        coder = context.model.architecture.adapted_coder if context.model is not None else None
        if coder is None or context.lossy is not None or context.effort not in ADAPTING_EFFORTS:
            return None
        three = planes if planes.shape[2] == 3 else np.repeat(planes, 3, axis=2)
        tile = coder(context.model, context.effort).encode(three)
        if budget is not None and len(tile.payload) >= budget:
            return None
        return Candidate(tile.payload, tile.decoded[:, :, : planes.shape[2]])

    def decode(self, payload: bytes, height: int, width: int, planes: int, context: StreamContext) -> np.ndarray:
        coder = context.model.architecture.adapted_coder if context.model is not None else None
        if coder is None or context.lossy is not None:
            raise InvalidFileError("an adapted stream in a file whose model cannot be adapted")
        try:
            three = coder(context.model, context.effort).decode(payload, height, width)
        except Exception as e:  # whatever a corrupted stream makes the coder raise, it is a bad file
            raise InvalidFileError(f"corrupted adapted stream ({e})") from None
        return three[:, :, :planes]
