"""What a model file's config says, as typed values: one spec per architecture.

The runtime (``architectures``: numpy, exact) and training (torch) both build a model
from its spec, so the two cannot read a config differently. A spec's JSON is part of the
model id: ``to_json`` gives back exactly the text the exporters have always written
(sorted keys; fields added after a release left out while they hold their default), and
``parse`` refuses what this release does not know in one line that says so."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import ClassVar, Mapping, Union

DEFAULT_ARCHITECTURE = "lifting"  # configs of release 0.1.0 name none
MAX_LEVELS = 8  # the deepest lifting flow: bounds a model before it is built and a lossy file's band count
# sizes are bounded before anything is built from them
INT_RANGES = {"levels": (1, MAX_LEVELS)}
DEFAULT_INT_RANGE = (0, 4096)


class ConfigError(ValueError):
    """A model config this release cannot use (unknown architecture, field or value)."""


class BaseSpec:
    """What every architecture's spec (a frozen dataclass of ints, bools and strings) has."""

    architecture: ClassVar[str]
    OMITTED_AT: ClassVar[dict[str, object]]
    CHOICES: ClassVar[dict[str, tuple[str, ...]]]

    def to_json(self) -> str:
        """The config text a model file stores for this spec (hashed into the model id)."""
        fields = dataclasses.asdict(self)
        for name, value in self.OMITTED_AT.items():
            if fields[name] == value:
                del fields[name]
        if self.architecture != DEFAULT_ARCHITECTURE:
            fields["architecture"] = self.architecture
        return json.dumps(fields, sort_keys=True)


@dataclass(frozen=True)
class LiftingSpec(BaseSpec):
    """The integer lifting flow with its hierarchical prior (``runtime.lifting``,
    ``training.model``)."""

    architecture: ClassVar[str] = "lifting"
    # Fields at these values are left out of the JSON: they came after release 0.1.0, whose
    # models' ids must stay what they were.
    OMITTED_AT: ClassVar[dict[str, object]] = {
        "rate_conditioned": False, "numeric": "fixed64", "head": "joint", "checkerboard": False,
        "top_position": False, "top_autoregressive": False,
    }
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {"numeric": ("fixed64", "int8"), "head": ("joint", "split")}

    levels: int = 4
    coupling_hidden: int = 32
    coupling_blocks: int = 1
    prior_hidden: int = 64
    prior_blocks: int = 2
    prior_features: int = 32
    head_hidden: int = 32
    top_hidden: int = 16
    # the prior also sees the lossy quantizer's global step (lossy models)
    rate_conditioned: bool = False
    # "fixed64": 2**-12 weights in float64 (release 0.1.0); "int8": int8 weights, exact in float32
    numeric: str = "fixed64"
    # prior heads: "joint" (one 3x3 conv over features and latents) or "split" (1x1 + 3x3, int8 only)
    head: str = "joint"
    # checkerboard context inside each detail channel (``walk``)
    checkerboard: bool = False
    # the coarsest anchors' prior also reads a plane of ones (its padding shows the borders)
    top_position: bool = False
    # the coarsest anchors coded sample by sample under autoregressive nets (``top_ar.*`` tensors)
    top_autoregressive: bool = False

    @property
    def block_size(self) -> int:
        return 2**self.levels


@dataclass(frozen=True)
class AutoregressiveSpec(BaseSpec):
    """Every sample's prior from its decoded neighbours (``runtime.autoregressive``,
    ``training.autoregressive``)."""

    architecture: ClassVar[str] = "autoregressive"
    OMITTED_AT: ClassVar[dict[str, object]] = {"online": "none"}
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {"numeric": ("fixed-point-float64",), "online": ("none", "lms")}

    hidden: int = 32
    # weights on 2**-12 / 2**-16 grids, arithmetic exact in float64
    numeric: str = "fixed-point-float64"
    # "lms": the stream's means pass the kernel's online LMS stage (native/ar_online.h)
    online: str = "none"


# The lifting architecture's layout, which the runtime and training both follow:
COLOURS = 3
LATENT_INPUT_SHIFT = 6  # nets see latents / 64; their outputs x 64 are in latent units


def anchor_order(level: int) -> list[int]:
    """A level's channel order after the 2x2 squeeze: position (level mod 4) first, as the
    level's anchor (channel p * COLOURS + c is colour c of position p)."""
    positions = [(level + k) % 4 for k in range(4)]
    return [p * COLOURS + c for p in positions for c in range(COLOURS)]


def predict_net(level: int) -> str:
    """Tensor-name prefix of a level's predict coupling net (the torch module path)."""
    return f"levels.{level}.flow.2.net"


def update_net(level: int) -> str:
    return f"levels.{level}.flow.3.net"


def level_prior(level: int) -> str:
    return f"levels.{level}.prior"


def top_head(colour: int) -> str:
    return f"top.heads.{colour}"


Spec = Union[LiftingSpec, AutoregressiveSpec]


def parse(config_json: str, specs: Mapping[str, type]) -> Spec:
    """A model file's config text -> its spec, one of ``specs`` (architecture name -> spec
    type: ``architectures.SPECS``); ``ConfigError`` (one line) if this release cannot use it."""
    try:
        values = json.loads(config_json)
    except (TypeError, ValueError):
        raise ConfigError("the model config is not JSON") from None
    if not isinstance(values, dict):
        raise ConfigError("the model config is not a JSON object")
    return from_dict(values, specs)


def from_dict(values: Mapping[str, object], specs: Mapping[str, type]) -> Spec:
    """A config as a dict (a parsed file config, or a trainer's ``--config``) -> its spec."""
    if not isinstance(values, Mapping):
        raise ConfigError("the model config is not a JSON object")
    values = dict(values)
    architecture = values.pop("architecture", DEFAULT_ARCHITECTURE)
    if architecture not in specs:
        raise ConfigError(f"unknown model architecture {architecture!r} (this release reads: {', '.join(specs)}); "
                          "a newer invcodec may read it")
    spec_type = specs[architecture]
    fields = {f.name: f for f in dataclasses.fields(spec_type)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ConfigError(f"the {architecture} model config has fields this release does not know: "
                          f"{', '.join(unknown)}; a newer invcodec may read it")
    for name, value in values.items():
        expected = type(fields[name].default)
        if type(value) is not expected:  # bool is not an int here, nor an int a bool
            raise ConfigError(f"model config field {name!r} must be {expected.__name__}, not {value!r}")
        lo, hi = INT_RANGES.get(name, DEFAULT_INT_RANGE)
        if expected is int and not lo <= value <= hi:
            raise ConfigError(f"model config field {name!r} is {value}, outside {lo}..{hi}")
        if name in spec_type.CHOICES and value not in spec_type.CHOICES[name]:
            raise ConfigError(f"model config field {name!r} is {value!r}, not one of {', '.join(spec_type.CHOICES[name])}")
    return spec_type(**values)
