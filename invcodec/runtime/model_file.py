"""Model files (safetensors, never pickle) -> models ready to code, and their ids.

A file's metadata holds the architecture's config (JSON) and, for lossy models, the
encoder's default quantizer offsets and, optionally, the dead zone the encoder should use
with this model (tuned on held-out photos; encoder only, not in the model id). The model
id, recorded in every .inv file, is a hash of what coding depends on:
* fixed64 files (release 0.1.0): SHA-256 over the config and every tensor's name, shape
  and float32 bytes, exactly as 0.1.0 computed it (those files' ids never change);
* int8 files: SHA-256 over a format tag, the config and every coding tensor's name,
  dtype, shape and bytes. They also carry the float weights they were exported from,
  under ``train.`` (for fine-tuning); those do not enter the id."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import safe_open

from .autoregressive import AutoregressiveModel
from .lifting import LiftingFlow

MODEL_ID_BYTES = 16
FILE_FORMAT = "invcodec-model"
TRAINING_PREFIX = "train."
ARCHITECTURES = {"lifting": LiftingFlow, "autoregressive": AutoregressiveModel}  # a new architecture: one module and one line here


@dataclass
class CodingModel:
    """An exact model and what the codec needs to know about it."""

    name: str
    model_id: bytes
    config: dict
    flow: Any  # the architecture's exact evaluator (``LiftingFlow``)
    lossy_band_offsets: list[int] | None = None
    lossy_deadzone: float | None = None  # None: the codec's default
    metadata: dict = field(default_factory=dict, repr=False)

    @property
    def numeric(self) -> str:
        return self.config.get("numeric", "fixed64")


def model_id(config_json: str, tensors: dict[str, np.ndarray]) -> bytes:
    config = json.loads(config_json)
    if config.get("numeric", "fixed64") == "fixed64":
        h = hashlib.sha256(config_json.encode())
        for name in sorted(tensors):
            t = np.ascontiguousarray(tensors[name], dtype=np.float32)
            h.update(name.encode() + b"\0" + repr(tuple(t.shape)).encode() + b"\0")
            h.update(t.tobytes())
        return h.digest()[:MODEL_ID_BYTES]
    h = hashlib.sha256(b"invcodec-int8\0" + config_json.encode())
    for name in sorted(tensors):
        if name.startswith(TRAINING_PREFIX):
            continue
        t = np.ascontiguousarray(tensors[name])
        h.update(f"{name}\0{t.dtype.str}\0{t.shape}\0".encode() + t.tobytes())
    return h.digest()[:MODEL_ID_BYTES]


def read(path: str | Path) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    """(metadata, tensors) of a model file; ValueError if it is not one."""
    try:
        with safe_open(str(path), framework="numpy") as f:
            meta = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as e:  # safetensors raises several types for a file that is not one
        raise ValueError(f"{path} is not an invcodec model file ({e})") from None
    if meta.get("format") != FILE_FORMAT or "config" not in meta:
        raise ValueError(f"{path} is not an invcodec model file")
    return meta, tensors


def load(path: str | Path) -> CodingModel:
    meta, tensors = read(path)
    config = json.loads(meta["config"])
    architecture = config.get("architecture", "lifting")
    if architecture not in ARCHITECTURES:
        raise ValueError(f"{path}: unknown architecture {architecture!r}")
    coding = {k: v for k, v in tensors.items() if not k.startswith(TRAINING_PREFIX)}
    try:
        flow = ARCHITECTURES[architecture](config, coding)
    except KeyError as e:
        raise ValueError(f"{path}: tensor {e} is missing") from None
    offsets = meta.get("lossy_band_offsets")
    return CodingModel(
        name=meta.get("name", Path(path).stem), model_id=model_id(meta["config"], tensors), config=config, flow=flow,
        lossy_band_offsets=[int(o) for o in json.loads(offsets)] if offsets else None,
        lossy_deadzone=deadzone(meta.get("lossy_deadzone"), path), metadata=meta,
    )


def deadzone(text: str | None, path: str | Path) -> float | None:
    """A file's ``lossy_deadzone`` metadata: None when absent, else a fraction of a step in [0, 1)."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value < 1:
        raise ValueError(f"{path}: lossy_deadzone {text!r} is not a fraction of a step in [0, 1)")
    return value
