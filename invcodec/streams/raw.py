"""RAW: the planes' bytes, row-major, plane-interleaved; the bound on every tile's size."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidFileError
from .base import Candidate, StreamContext


class RawStream:
    conclusive = False

    def encode(self, planes: np.ndarray, context: StreamContext, budget: int | None) -> Candidate | None:
        payload = np.ascontiguousarray(planes).tobytes()
        return Candidate(payload, planes) if budget is None or len(payload) < budget else None

    def decode(self, payload: bytes, height: int, width: int, planes: int, context: StreamContext) -> np.ndarray:
        if len(payload) != height * width * planes:
            raise InvalidFileError("raw stream has the wrong length")
        return np.frombuffer(payload, dtype=np.uint8).reshape(height, width, planes)
