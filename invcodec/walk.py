"""The decoding order, owned here and nowhere else.

Bands in order: the coarsest anchors colour by colour (or, for a model with
``top_autoregressive``, sample by sample in the model's own order, each step one call of
``band`` per colour: ``chunk_values`` picks its samples), then each level from coarse to
fine, its 9 detail channels one by one; each band's prior parameters depend only on the
bands before it. A model with checkerboard context (``model.checkerboard``) codes each
detail channel as two chunks: its "white" positions ((row + column) even) under the
parameters above, then its "black" positions under parameters that also see the white
ones (He et al., CVPR 2021's checkerboard, inside each channel of each level). Callers
see chunks: ``chunk_bands`` maps each chunk to its band (the lossy quantizer's steps are
per band). Every user walks the same order and differs only in what one band does:
the lossless encoder pushes the true latents, the decoder pulls symbols, the lossy
encoder quantizes (closed loop: the prior sees what the decoder will have), training adds
a differentiable proxy, the sampler draws. The model supplies the arithmetic (exact numpy
in ``runtime``, torch in ``training``) through the methods used below, so the order
cannot drift between them."""

from __future__ import annotations

from typing import Any, Callable, Protocol, Sequence

from .spec import COLOURS

DETAILS = 3 * COLOURS

# band(index, prior parameters) -> that band's latents, as the decoder will have them
BandFn = Callable[[int, Any], Any]


class Walkable(Protocol):
    level_count: int
    block_size: int
    checkerboard: bool  # detail channels in two halves (``Checkerboard``)
    top_autoregressive: bool  # the coarsest anchors sample by sample (``TopContext``)

    def context_zeros(self, batch: int, height: int, width: int) -> Any: ...
    def cat(self, parts: Sequence[Any]) -> Any: ...
    def top_params(self, context: Any, colour: int, rate: Any) -> Any: ...
    def level_features(self, level: int, anchors: Any, rate: Any) -> Any: ...
    def detail_params(self, level: int, features: Any, anchors: Any, previous: Sequence[Any], g: int) -> Any: ...
    def level_inverse(self, level: int, anchors: Any, details: Any) -> Any: ...


class TopContext(Walkable, Protocol):
    """What a model whose coarsest anchors are coded autoregressively adds
    (``top_autoregressive`` true): the top band in its own order, ``band`` asked for each
    step's samples of a colour (params.where: their raster indices in the band)."""

    def top_band(self, band: BandFn, height: int, width: int, rate: Any) -> Any: ...


class Checkerboard(Walkable, Protocol):
    """What a model with checkerboard context adds (``checkerboard`` true)."""

    def context_params(self, level: int, first: Any, known: Any, g: int) -> Any: ...
    def half(self, t: Any, which: int) -> Any: ...
    def merge(self, white: Any, black: Any, params: Any) -> Any: ...


def band_count(levels: int) -> int:
    return COLOURS + DETAILS * levels


def chunk_values(chunk: Any, params: Any) -> Any:
    """The values of a chunk (``bands_in_order``) that ``params`` is for: all of them, or
    the samples of an autoregressive top band's step (``params.where``, else None)."""
    return chunk if params.where is None else chunk.reshape(-1)[params.where]


def chunk_bands(model: Walkable | Checkerboard) -> list[int]:
    """The band each coded chunk belongs to, in decoding order."""
    details = range(COLOURS, band_count(model.level_count))
    return list(range(COLOURS)) + [b for b in details for _ in range(2 if model.checkerboard else 1)]


def walk(model: Walkable | Checkerboard | TopContext, batch: int, height: int, width: int, band: BandFn, rate: Any = None,
         known_inputs: Sequence[Any] | None = None, stop_level: int = 0) -> Any:
    """Visit every band in decoding order and run the flow backwards: the reconstructed
    image for padded sides (height, width multiples of ``model.block_size``).

    ``known_inputs[l]`` (the lossless encoder, which has them all) is the image entering
    level l; it replaces the inverse of level l, which would give the same thing.
    ``stop_level`` k > 0 stops before level k - 1's bands (a reduced-resolution decode):
    the anchors entering level k, (height / 2**k, width / 2**k); the finer bands are
    last in the order, so they are never visited."""
    checkerboard = model.checkerboard
    if model.top_autoregressive:
        x = model.top_band(band, height // model.block_size, width // model.block_size, rate)
    else:
        zeros = model.context_zeros(batch, height // model.block_size, width // model.block_size)
        colours: list[Any] = []
        for c in range(COLOURS):
            colours.append(band(c, model.top_params(model.cat(colours) if colours else zeros, c, rate)))
        x = model.cat(colours)
    index = COLOURS
    for level in reversed(range(stop_level, model.level_count)):
        features = model.level_features(level, x, rate)
        details: list[Any] = []
        for g in range(DETAILS):
            params = model.detail_params(level, features, x, details, g)
            if not checkerboard:
                details.append(band(index, params))
                index += 1
                continue
            white = band(index, model.half(params, 0))
            known = model.merge(white, None, params)  # the black positions still zero
            black = band(index + 1, model.half(model.context_params(level, params, known, g), 1))
            details.append(model.merge(white, black, params))
            index += 2
        x = known_inputs[level] if known_inputs is not None else model.level_inverse(level, x, model.cat(details))
    return x


def bands_in_order(per_level: Sequence[tuple[Any, Any]], top: Any, channel: Callable[[Any, int], Any],
                   model: Walkable | Checkerboard | None = None) -> list[Any]:
    """An analysed image's latents as chunks in decoding order (bands; with ``model``'s
    checkerboard, each detail band as its two halves); ``channel(t, i)`` takes channel i
    of t in the caller's layout."""
    out = [channel(top, c) for c in range(COLOURS)]
    for _, details in reversed(per_level):
        for g in range(DETAILS):
            t = channel(details, g)
            out += [model.half(t, 0), model.half(t, 1)] if model is not None and model.checkerboard else [t]
    return out
