"""One 3-plane tile <-> one ANS stream: the lossless and the lossy way of coding a lifting
flow's latents, and the autoregressive model's (lossless) way.

The two lifting coders walk the one decoding order (``walk``) over the model's exact
evaluator and differ only in what a band does, as CompressAI's latent codecs do:
``LosslessTileCoder`` codes each latent under its prior; ``LossyTileCoder`` codes it as a
quantized residual about the prior's mean (closed loop: the encoder runs the decoder's
walk, so it knows the exact pixels the decoder will produce, and the file's checksum is
taken over them). ``AutoregressiveTileCoder`` follows its architecture's own schedule.
The model's architecture and the file's mode pick the coder (``coder_for``)."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import quantizer, weight_delta
from .container import Quantizer
from .entropy import adapt, ans
from .options import DEFAULT_EFFORT, LATENT_SEARCH_EFFORTS
from .quantizer import EncoderChoices
from .runtime import autoregressive
from .reduce import box_reduce
from .walk import COLOURS, bands_in_order, chunk_bands, chunk_values, walk

if TYPE_CHECKING:  # (the model file's loader imports the coders through ``architectures``)
    from .model_file import CodingModel

# A reduced decode skips at most this many of the finest levels: the bands above the 1/4
# level alone make a poor 1/8 image, and decoding them costs little (results/reduced-decode.md).
REDUCED_DECODE_LEVELS = 2


@dataclass
class EncodedTile:
    payload: bytes
    decoded: np.ndarray  # (h, w, 3) uint8: exactly what the decoder will produce


@dataclass
class _Coded:
    """A lossy tile as its encoder made it: the tile, the symbols of each call of the walk's
    ``band`` and (when asked) the residuals they quantized (in steps, about the prior's
    mean), the reconstruction before clipping (padded)."""

    tile: EncodedTile | None = None
    symbols: list[np.ndarray] = field(default_factory=list)
    residuals: list[np.ndarray] = field(default_factory=list)
    decoded: np.ndarray | None = None


@dataclass(frozen=True)
class LossyParams:
    """A lossy tile's parameters: what the file records and, for the encoder, how it rounds
    and its effort (the decoder's defaults, which it never uses)."""

    quantizer: Quantizer
    choices: EncoderChoices = EncoderChoices()
    effort: int = DEFAULT_EFFORT  # LATENT_SEARCH_EFFORTS: search the latents (torch)


def pad_to_block(pixels: np.ndarray, block: int) -> np.ndarray:
    """Edge-pad the sides up to multiples of the flow's block size."""
    h, w = pixels.shape[:2]
    return np.pad(pixels, ((0, -h % block), (0, -w % block), (0, 0)), mode="edge")


def _channel(t: np.ndarray, i: int) -> np.ndarray:
    return t[..., i : i + 1]


def _to_pixels(x: np.ndarray, height: int, width: int) -> np.ndarray:
    return np.clip(x[:height, :width], 0, 255).astype(np.uint8)


class LosslessTileCoder:
    """``adaptive``: the stream carries the adaptive prior's corrections (``entropy.adapt``),
    as every file written since the flag exists does; False: as older files."""

    # why ``decode`` has no reduced resolution (``LossyTileCoder.decode`` has; None there)
    no_reduction = ("the coarse bands of a lossless lifting file are a learned latent, far from a small image "
                    "even with the finer levels predicted (results/reduced-decode.md)")

    def __init__(self, model: CodingModel, adaptive: bool = True):
        self.flow = model.evaluator
        self.adaptive = adaptive

    def encode(self, pixels: np.ndarray) -> EncodedTile | None:
        """(h, w, 3) uint8 -> the stream; None if a latent falls outside the coder's range
        (the caller then stores the tile raw: IDF's escape hatch)."""
        padded = pad_to_block(pixels, self.flow.block_size).astype(np.float64)
        per_level, top = self.flow.analyze(padded)
        bands = bands_in_order(per_level, top, _channel, self.flow)
        if not all(ans.in_range(b) for b in bands):
            return None
        enc = ans.LatentEncoder(self.adaptive)

        def band(i: int, p) -> np.ndarray:
            values = chunk_values(bands[i], p)
            enc.push(values, p.mean, p.scale_index)
            return values

        # the encoder has every level's input already: no need to run the flow backwards
        inputs = [padded] + [anchors for anchors, _ in per_level[:-1]]
        walk(self.flow, 1, *padded.shape[:2], band, known_inputs=inputs)
        return EncodedTile(enc.finish(), pixels)

    def decode(self, payload: bytes, height: int, width: int) -> np.ndarray:
        """The stream -> (height, width, 3) uint8. Raises ValueError on a corrupted stream."""
        block = self.flow.block_size
        dec = ans.LatentDecoder(payload, self.adaptive)
        x = walk(self.flow, 1, height + (-height % block), width + (-width % block),
                 lambda i, p: dec.pull(p.mean, p.scale_index))
        if not dec.exhausted():
            raise ValueError("ANS stream has data left over after the last latent")
        out = x[:height, :width]
        if out.size and (out.min() < 0 or out.max() > 255):
            raise ValueError("decoded pixels out of the 8-bit range")
        return out.astype(np.uint8)


class LossyTileCoder:
    """``lossy.quantizer`` must fit the model (``CodingModel.lossy_band_count``): the caller checks it
    once per file."""

    no_reduction = None

    def __init__(self, model: CodingModel, lossy: LossyParams, adaptive: bool = True):
        self.model = model
        self.flow = model.evaluator
        self.lossy = lossy
        self.adaptive = adaptive
        self.chunk_steps = [lossy.quantizer.steps[b] for b in chunk_bands(model.evaluator)]  # a step per band, not per chunk

    def encode(self, pixels: np.ndarray) -> EncodedTile:
        """The tile's latents quantized by the encoder's choices (RDOQ); at a latent-search
        effort, the candidates of the architecture's ``latent_search`` too, each rounded,
        and the one of the lowest bits + lambda * squared error kept (``quantizer.distortion_weight``)."""
        searches = self.lossy.effort in LATENT_SEARCH_EFFORTS and self.model.architecture.latent_search is not None
        coded = self._encode(pixels, keep_residuals=searches)
        if not searches:
            return coded.tile
        weight = quantizer.distortion_weight(self.lossy.quantizer.global_step,
                                             self.lossy.choices.rdo_weight or quantizer.HIGH_RATE_WEIGHT)
        details = len(self.chunk_steps) - COLOURS  # the last calls of ``band``, one per detail chunk
        found = self.model.architecture.load_latent_search()(self.model, self.lossy.quantizer, weight, pixels,
                                                              coded.decoded, coded.residuals[-details:], self.lossy.effort)
        tiles = [coded.tile] + [self._encode(pixels, coded.symbols[:-details] + symbols).tile for symbols in found]
        return min(tiles, key=lambda t: rd_cost(t, pixels, weight))

    def _encode(self, pixels: np.ndarray, symbols: list[np.ndarray] | None = None, keep_residuals: bool = False) -> _Coded:
        """The tile coded with ``symbols``, those of each call of the walk's ``band`` in order;
        None: its latents quantized by the encoder's choices (``keep_residuals``: and their
        residuals kept)."""
        q, choices = self.lossy.quantizer, self.lossy.choices
        h, w = pixels.shape[:2]
        padded = pad_to_block(pixels, self.flow.block_size).astype(np.float64)
        bands = None if symbols is not None else bands_in_order(*self.flow.analyze(padded), _channel, self.flow)
        steps = self.chunk_steps
        enc = ans.LatentEncoder(self.adaptive)
        coded = _Coded()

        def band(i: int, p) -> np.ndarray:
            scale_index = quantizer.residual_scale_index(p.scale_index, steps[i])
            if symbols is None:
                residual = chunk_values(bands[i], p) - p.mean
                chosen = np.clip(choices.quantize(residual, steps[i], scale_index), ans.SYMBOL_MIN, ans.SYMBOL_MAX)
                if keep_residuals:
                    coded.residuals.append(residual / quantizer.step_value(steps[i]))
            else:
                chosen = symbols[len(coded.symbols)]
            coded.symbols.append(chosen)
            enc.push(chosen, 0.0, scale_index)
            return quantizer.dequantize(p.mean, chosen, steps[i], q.recon_offset)

        coded.decoded = walk(self.flow, 1, *padded.shape[:2], band, rate=q.global_step)
        coded.tile = EncodedTile(enc.finish(), _to_pixels(coded.decoded, h, w))
        return coded

    def decode(self, payload: bytes, height: int, width: int, levels: int = 0) -> np.ndarray:
        """The stream -> (height, width, 3) uint8; with ``levels`` k > 0 the tile at 1/2**k
        (``reduce.box_reduce``'s size) from its coarse levels alone: those coarser than
        min(k, REDUCED_DECODE_LEVELS). The bands of the finer levels come last in the
        stream and are never decoded; their latents are taken as zero (the anchors' own
        prediction of the details), the flow run back to full size and the result
        box-reduced (the anchors themselves are a learned latent, not a small image)."""
        q = self.lossy.quantizer
        block = self.flow.block_size
        dec = ans.LatentDecoder(payload, self.adaptive)

        steps = self.chunk_steps

        def band(i: int, p) -> np.ndarray:
            symbols = dec.pull(0.0, quantizer.residual_scale_index(p.scale_index, steps[i]))
            return quantizer.dequantize(p.mean, symbols, steps[i], q.recon_offset)

        skipped = min(levels, REDUCED_DECODE_LEVELS, self.flow.level_count)
        x_hat = walk(self.flow, 1, height + (-height % block), width + (-width % block), band, rate=q.global_step,
                     stop_level=skipped)
        if levels:
            for level in reversed(range(skipped)):
                x_hat = self.flow.level_inverse_without_details(level, x_hat)
            return box_reduce(_to_pixels(x_hat, height, width), levels)
        if not dec.exhausted():
            raise ValueError("ANS stream has data left over after the last latent")
        return _to_pixels(x_hat, height, width)


def rd_cost(tile: EncodedTile, pixels: np.ndarray, weight: float) -> float:
    """bits + ``weight`` * squared error of a coded tile against its pixels."""
    error = tile.decoded.astype(np.float64) - pixels
    return 8 * len(tile.payload) + weight * float(np.sum(error * error))


class AutoregressiveTileCoder:
    """Lossless tiles of an autoregressive model (``runtime.autoregressive``): the colour
    transform's planes, each sample under the prior its decoded neighbours give, in the
    decoder's order. The stream starts with each plane's scale offsets (one per bin of
    ``entropy.adapt``, all sent: the decoder learns the scales only as it goes), which
    recalibrate the model to the tile (record: results/encoder-choices.md). ``evaluator``:
    the model's (``autoregressive.AutoregressiveModel``)."""

    no_reduction = "an autoregressive model codes each tile as one raster-order stream, with no coarse image in it"

    def __init__(self, evaluator: autoregressive.AutoregressiveModel):
        self.model = evaluator

    def encode(self, pixels: np.ndarray) -> EncodedTile:
        h, w = pixels.shape[:2]
        planes = autoregressive.forward_colour(pixels)
        enc = ans.LatentEncoder()
        means, indices = [], []
        for plane in range(autoregressive.PLANES):
            mean, scale_index = self.model.stream_params(planes, plane)
            offsets = adapt.scale_offsets(planes[plane], mean, scale_index)
            enc.push(offsets, 0.0, np.full(offsets.size, adapt.OFFSET_SCALE_INDEX))
            means.append(mean)
            indices.append(adapt.moved_indices(offsets)[scale_index])
        order = autoregressive.encode_order(h, w)
        enc.push(planes.reshape(-1)[order], np.concatenate(means)[order], np.concatenate(indices)[order])
        return EncodedTile(enc.finish(), pixels)

    def decode(self, payload: bytes, height: int, width: int) -> np.ndarray:
        dec = ans.LatentDecoder(payload)
        offsets = [dec.pull(0.0, np.full(adapt.BINS, adapt.OFFSET_SCALE_INDEX)) for _ in range(autoregressive.PLANES)]
        moved = np.stack([adapt.moved_indices(o) for o in offsets])
        planes = self.model.decode_stream(dec.coder, height, width, moved)
        if not dec.exhausted():
            raise ValueError("ANS stream has data left over after the last sample")
        out = autoregressive.inverse_colour(planes)
        if out.size and (out.min() < 0 or out.max() > 255):
            raise ValueError("decoded pixels out of the 8-bit range")
        return out.astype(np.uint8)


class AdaptedTileCoder:
    """Lossless tiles of an autoregressive model adapted to each: the stream is the length
    (u32, little-endian) and bytes of a ``weight_delta``, then an ``AutoregressiveTileCoder``
    stream under the model plus that delta. The encoder fine-tunes the model on the tile
    at ``effort`` (``training.per_image``, torch); the decoder only adds the delta."""

    def __init__(self, model: CodingModel, effort: int):
        self.model = model
        self.base = model.evaluator.tensors
        self.effort = effort

    def encode(self, pixels: np.ndarray) -> EncodedTile:
        """The smallest stream of the adapter's candidates (the architecture's ``adapter``)."""
        best = None
        for tensors, log2_steps in self.model.architecture.load_adapter()(self.base, pixels, self.effort):
            delta = weight_delta.encode(self.base, tensors, log2_steps)
            tile = AutoregressiveTileCoder(self._adapted(delta)).encode(pixels)
            payload = _DELTA_LENGTH.pack(len(delta)) + delta + tile.payload
            if best is None or len(payload) < len(best.payload):
                best = EncodedTile(payload, tile.decoded)
        return best

    def decode(self, payload: bytes, height: int, width: int) -> np.ndarray:
        if len(payload) < _DELTA_LENGTH.size:
            raise ValueError("adapted stream shorter than its delta's length")
        (length,) = _DELTA_LENGTH.unpack_from(payload)
        if length > len(payload) - _DELTA_LENGTH.size:
            raise ValueError("adapted stream shorter than its weight delta")
        delta = payload[_DELTA_LENGTH.size : _DELTA_LENGTH.size + length]
        return AutoregressiveTileCoder(self._adapted(delta)).decode(payload[_DELTA_LENGTH.size + length :], height, width)

    def _adapted(self, delta: bytes) -> autoregressive.AutoregressiveModel:
        """The evaluator of the model plus ``delta`` (ValueError: not a delta of this model,
        or weights the exact arithmetic cannot hold)."""
        return autoregressive.AutoregressiveModel(weight_delta.apply(self.base, delta), online=self.model.evaluator.online)


_DELTA_LENGTH = struct.Struct("<I")
TileCoder = LosslessTileCoder | LossyTileCoder | AutoregressiveTileCoder | AdaptedTileCoder


def lifting_coder(model: CodingModel, lossy: LossyParams | None, adaptive: bool) -> TileCoder:
    """A lifting model's coder: ``adaptive``, each band's prior is corrected by offsets in
    the stream (the file's adaptive-prior flag)."""
    return LosslessTileCoder(model, adaptive) if lossy is None else LossyTileCoder(model, lossy, adaptive)


def autoregressive_coder(model: CodingModel, lossy: LossyParams | None, adaptive: bool) -> TileCoder:
    """An autoregressive model's coder (each sample has its own prior: the adaptive-prior
    flag means nothing to it)."""
    if lossy is not None:
        raise ValueError(f"{model.name} codes lossless only (an autoregressive model)")
    return AutoregressiveTileCoder(model.evaluator)


def coder_for(model: CodingModel, lossy: LossyParams | None, adaptive: bool) -> TileCoder:
    return model.architecture.tile_coder(model, lossy, adaptive)
