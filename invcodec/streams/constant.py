"""CONSTANT: one byte per plane, every pixel of the tile that colour."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidFileError
from .base import Candidate, StreamContext


class ConstantStream:
    conclusive = True  # nothing is smaller, nor decodes faster

    def encode(self, planes: np.ndarray, context: StreamContext, budget: int | None) -> Candidate | None:
        if not (planes == planes[:1, :1]).all():
            return None
        return Candidate(planes[0, 0].tobytes(), planes)

    def decode(self, payload: bytes, height: int, width: int, planes: int, context: StreamContext) -> np.ndarray:
        if len(payload) != planes:
            raise InvalidFileError("invalid constant stream")
        return np.broadcast_to(np.frombuffer(payload, dtype=np.uint8), (height, width, planes))
