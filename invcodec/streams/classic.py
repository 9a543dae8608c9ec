"""CLASSIC: row prediction + LZMA2 or deflate (``classic_coder``), for synthetic content;
lossless only, and only when the encoder is allowed to try it."""

from __future__ import annotations

import numpy as np

from .. import classic_coder
from .base import Candidate, StreamContext


class ClassicStream:
    conclusive = False

    def encode(self, planes: np.ndarray, context: StreamContext, budget: int | None) -> Candidate | None:
        if context.lossy is not None or not context.classic or budget is None:
            return None
        payload = classic_coder.encode(planes, budget)
        return None if payload is None else Candidate(payload, planes)

    def decode(self, payload: bytes, height: int, width: int, planes: int, context: StreamContext) -> np.ndarray:
        return classic_coder.decode(payload, height, width, planes)
