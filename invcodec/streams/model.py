"""FLOW: the model's ANS stream of a tile's 3 planes (``tile_coder``); one plane is coded
as three equal ones."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidFileError
from ..tile_coder import coder_for
from .base import Candidate, StreamContext


class ModelStream:
    conclusive = False

    def encode(self, planes: np.ndarray, context: StreamContext, budget: int | None) -> Candidate | None:
        three = planes if planes.shape[2] == 3 else np.repeat(planes, 3, axis=2)
        tile = coder_for(context.model, context.lossy, context.adaptive).encode(three)
        if tile is None or (budget is not None and len(tile.payload) >= budget):
            return None
        return Candidate(tile.payload, tile.decoded[:, :, : planes.shape[2]])

    def decode(self, payload: bytes, height: int, width: int, planes: int, context: StreamContext,
               levels: int = 0) -> np.ndarray:
        """``levels`` k > 0: the tile at 1/2**k from its coarse levels alone (only for a
        coder whose ``no_reduction`` is None: ``codec.decode_scaled`` checks)."""
        try:
            coder = coder_for(context.model, context.lossy, context.adaptive)
            three = coder.decode(payload, height, width, levels) if levels else coder.decode(payload, height, width)
        except Exception as e:  # whatever a corrupted stream makes the coder raise, it is a bad file
            raise InvalidFileError(f"corrupted flow stream ({e})") from None
        return three[:, :, :planes]
