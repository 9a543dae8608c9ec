"""One registration per model architecture: what the codec, the file loader, the
exporters and the generative tools may ask of it, as typed fields.

A new architecture is its spec (``spec``), its exact evaluator and tile coder (a runtime
module), its training module, and one ``Architecture`` added to ``ARCHITECTURES``."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from . import spec, tile_coder, walk
from .runtime import autoregressive, lifting
from .spec import AutoregressiveSpec, LiftingSpec, Spec

GENERATIVE_TOOLS = ("sample", "interpolate", "score")


@dataclass(frozen=True)
class Generative:
    """How ``sample``, ``interpolate`` and ``score`` work with a model: ``module`` has
    ``load(coding_model)`` and, for each tool not in ``refused``, ``sample(model, count,
    size, temperature, seed)``, ``interpolate(model, a, b, steps, space)``,
    ``bits_per_dim(model, image)`` and ``bit_map(model, image)`` (score: the same bits per
    pixel); ``refused`` says in a line why a tool cannot be used."""

    module: str
    refused: Mapping[str, str] = field(default_factory=dict)
    needs_torch: bool = False

    def implementation(self, tool: str, name: str) -> Any:
        """The module that runs ``tool`` for the model ``name``; ValueError (one line, the
        reason) if it cannot."""
        if tool in self.refused:
            raise ValueError(self.refused[tool].format(name=name))
        return importlib.import_module(self.module)


@dataclass(frozen=True)
class Architecture:
    name: str
    spec: type
    # (spec, coding tensors) -> the exact evaluator; KeyError for a missing tensor
    evaluator: Callable[[Any, Mapping[str, np.ndarray]], Any]
    # (coding model, lossy parameters or None, adaptive prior) -> the tile coder of its streams
    tile_coder: Callable[..., Any]
    # band layout: the lossy quantizer's bands for a spec (one step each); None: lossless only
    lossy_bands: Callable[[Any], int | None]
    # the multiple of which a tile's sides are padded to (a generated image's side must be one)
    block_size: Callable[[Any], int]
    # tile policy: whether images with flat areas are also tried in small tiles
    small_tiles_pay: bool
    # "module:function" of the training side (torch) that turns a trained model into the file's tensors
    exporter: str
    generative: Callable[[Any], Generative]
    # (coding model, effort) -> the coder of ADAPTED streams (the model fine-tuned on each
    # tile, the change in the stream); None: the architecture is never adapted
    adapted_coder: Callable[..., Any] | None = None
    # "module:function" of the training side (torch) that fine-tunes the model's tensors on
    # a tile: (tensors, pixels, effort) -> [(tensors, the delta's log2 step per changed tensor)]
    adapter: str | None = None
    # "module:function" of the training side (torch) that searches a lossy tile's latents
    # (``tile_coder.LossyTileCoder``); None: the lossy encoder only rounds
    latent_search: str | None = None

    def load_exporter(self) -> Callable[..., dict[str, np.ndarray]]:
        return _load(self.exporter)

    def load_adapter(self) -> Callable[..., list[tuple[dict[str, np.ndarray], dict[str, int]]]]:
        return _load(self.adapter)

    def load_latent_search(self) -> Callable[..., list[list[np.ndarray]]]:
        return _load(self.latent_search)


def _load(target: str) -> Callable[..., Any]:
    module, function = target.split(":")
    return getattr(importlib.import_module(module), function)


_LOSSY_PRIOR = ("{name} is a lossy model: its prior is of quantized latents at a rate, not of images; "
                "use a lossless one (photo-v3, faces-v3, cifar10-v1)")


def _lifting_generative(spec: LiftingSpec) -> Generative:
    if spec.rate_conditioned or spec.top_autoregressive:
        return Generative("invcodec.training.latent_space", {tool: _LOSSY_PRIOR for tool in GENERATIVE_TOOLS})
    return Generative("invcodec.training.latent_space", needs_torch=True)


def _autoregressive_generative(spec: AutoregressiveSpec) -> Generative:
    return Generative("invcodec.runtime.autoregressive_sampling", {
        "interpolate": "{name} is autoregressive: it has no latent space to interpolate in; "
                       "use a flow (photo-v3, faces-v3, cifar10-v1)"})


LIFTING = Architecture(
    name=LiftingSpec.architecture, spec=LiftingSpec, evaluator=lifting.LiftingFlow,
    tile_coder=tile_coder.lifting_coder, lossy_bands=lambda spec: walk.band_count(spec.levels),
    block_size=lambda spec: spec.block_size,
    small_tiles_pay=True, exporter="invcodec.training.weights:file_tensors", generative=_lifting_generative,
    latent_search="invcodec.training.latent_search:candidates",
)
AUTOREGRESSIVE = Architecture(
    name=AutoregressiveSpec.architecture, spec=AutoregressiveSpec, evaluator=autoregressive.AutoregressiveModel.from_spec,
    tile_coder=tile_coder.autoregressive_coder, lossy_bands=lambda spec: None, block_size=lambda spec: 1,
    # it predicts flat areas from their neighbours: they cost next to nothing inside big tiles
    small_tiles_pay=False, exporter="invcodec.training.autoregressive:file_tensors",
    generative=_autoregressive_generative, adapted_coder=tile_coder.AdaptedTileCoder,
    adapter="invcodec.training.per_image:candidates",
)
ARCHITECTURES: dict[str, Architecture] = {a.name: a for a in (LIFTING, AUTOREGRESSIVE)}


def parse_spec(config_json: str) -> Spec:
    """A model file's config text -> the spec of one of ``ARCHITECTURES`` (``spec.parse``)."""
    return spec.parse(config_json, {name: a.spec for name, a in ARCHITECTURES.items()})


def spec_from_dict(values: Mapping[str, object]) -> Spec:
    return spec.from_dict(values, {name: a.spec for name, a in ARCHITECTURES.items()})
