"""JOINED: a tile's alpha inside its colour stream, one classic stream of all the
channels (icons, UI with transparency: the shapes are shared). It stands in the colour
slot as a CLASSIC stream; the alpha slot holds an empty JOINED one (``container`` checks
that placement when it reads the stream table)."""

from __future__ import annotations

import numpy as np

from .. import classic_coder
from ..container import StreamKind
from .base import Candidate, StreamContext


class JoinedStream:
    conclusive = False
    joins = StreamKind.CLASSIC  # tried on a tile whose colour and alpha streams are both of this kind

    def encode(self, planes: np.ndarray, context: StreamContext, budget: int | None) -> Candidate | None:
        """``planes``: all of the tile's channels; ``budget``: its colour and alpha streams' sizes."""
        if context.lossy is not None or not context.classic or budget is None:
            return None
        payload = classic_coder.encode(planes, budget, synthetic=True)  # both parts were classic: synthetic
        return None if payload is None else Candidate(payload, planes)

    def decode(self, payload: bytes, height: int, width: int, planes: int, context: StreamContext) -> np.ndarray:
        return classic_coder.decode(payload, height, width, planes)
