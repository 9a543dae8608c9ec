"""The decoding order, owned here and nowhere else.

Bands in order: the coarsest anchors colour by colour, then each level from coarse to
fine, its 9 detail channels one by one; each band's prior parameters depend only on the
bands before it. Every user walks the same order and differs only in what one band does:
the lossless encoder pushes the true latents, the decoder pulls symbols, the lossy
encoder quantizes (closed loop: the prior sees what the decoder will have), training adds
a differentiable proxy, the sampler draws. The model supplies the arithmetic (exact numpy
in ``runtime``, torch in ``training``) through the methods used below, so the order
cannot drift between them."""

from __future__ import annotations

from typing import Any, Callable, Protocol, Sequence

COLOURS = 3
DETAILS = 3 * COLOURS

# band(index, prior parameters) -> that band's latents, as the decoder will have them
BandFn = Callable[[int, Any], Any]


class Walkable(Protocol):
    level_count: int
    block_size: int

    def context_zeros(self, batch: int, height: int, width: int) -> Any: ...
    def cat(self, parts: Sequence[Any]) -> Any: ...
    def top_params(self, context: Any, colour: int, rate: Any) -> Any: ...
    def level_features(self, level: int, anchors: Any, rate: Any) -> Any: ...
    def detail_params(self, level: int, features: Any, anchors: Any, previous: Sequence[Any], g: int) -> Any: ...
    def level_inverse(self, level: int, anchors: Any, details: Any) -> Any: ...


def band_count(levels: int) -> int:
    return COLOURS + DETAILS * levels


def walk(model: Walkable, batch: int, height: int, width: int, band: BandFn, rate: Any = None,
         known_inputs: Sequence[Any] | None = None) -> Any:
    """Visit every band in decoding order and run the flow backwards: the reconstructed
    image for padded sides (height, width multiples of ``model.block_size``).

    ``known_inputs[l]`` (the lossless encoder, which has them all) is the image entering
    level l; it replaces the inverse of level l, which would give the same thing."""
    zeros = model.context_zeros(batch, height // model.block_size, width // model.block_size)
    colours: list[Any] = []
    for c in range(COLOURS):
        colours.append(band(c, model.top_params(model.cat(colours) if colours else zeros, c, rate)))
    x = model.cat(colours)
    index = COLOURS
    for level in reversed(range(model.level_count)):
        features = model.level_features(level, x, rate)
        details: list[Any] = []
        for g in range(DETAILS):
            details.append(band(index, model.detail_params(level, features, x, details, g)))
            index += 1
        x = known_inputs[level] if known_inputs is not None else model.level_inverse(level, x, model.cat(details))
    return x


def bands_in_order(per_level: Sequence[tuple[Any, Any]], top: Any, channel: Callable[[Any, int], Any]) -> list[Any]:
    """An analysed image's latents as bands in decoding order; ``channel(t, i)`` takes
    channel i of t in the caller's layout."""
    out = [channel(top, c) for c in range(COLOURS)]
    for _, details in reversed(per_level):
        out += [channel(details, g) for g in range(DETAILS)]
    return out
