"""What every stream owner implements, and the context it codes in."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar, Protocol

import numpy as np

from ..model_file import CodingModel
from ..options import ADAPTING_EFFORTS, DEFAULT_EFFORT, LATENT_SEARCH_EFFORTS, CodingOptions
from ..tile_coder import LossyParams


@dataclass(frozen=True)
class StreamContext:
    """What a tile's planes are coded with, shared by every owner."""

    model: CodingModel | None  # None only when decoding a file without flow streams
    lossy: LossyParams | None  # None: lossless (alpha planes always are)
    adaptive: bool  # flow streams carry the adaptive prior's offsets (the file's flag)
    classic: bool = True  # the encoder may try the classic path (lossless only)
    effort: int = DEFAULT_EFFORT  # the encoder's (``options.EFFORTS``)
    bit_depth: int = 8  # 16: a tile's streams are those of its high bytes, then those of its low bytes (``table``)

    def lossless(self) -> StreamContext:
        return self if self.lossy is None else replace(self, lossy=None)


def needs_torch(model: CodingModel, options: CodingOptions) -> bool:
    """Whether the encoder fine-tunes ``model`` on each tile (ADAPTED streams) or searches
    its lossy latents (``tile_coder.LossyTileCoder``): its training side's work."""
    if options.lossy:
        return options.effort in LATENT_SEARCH_EFFORTS and model.architecture.latent_search is not None
    return options.effort in ADAPTING_EFFORTS and model.architecture.adapted_coder is not None


@dataclass
class Candidate:
    payload: bytes
    decoded: np.ndarray  # the planes as the decoder will produce them


class StreamOwner(Protocol):
    """One stream kind's coding. ``encode`` gets (h, w, n) uint8 planes and ``budget``, the
    size of the smallest candidate so far (None for the first), and returns a candidate or
    None when the kind does not apply or cannot do better; ``decode`` raises
    ``InvalidFileError`` for a payload that is not one of its kind. ``conclusive``: a
    candidate of this kind is taken without trying the kinds after it."""

    conclusive: ClassVar[bool]

    def encode(self, planes: np.ndarray, context: StreamContext, budget: int | None) -> Candidate | None: ...

    def decode(self, payload: bytes, height: int, width: int, planes: int, context: StreamContext) -> np.ndarray: ...
