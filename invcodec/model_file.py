"""Model files (safetensors, never pickle) -> models ready to code, and their ids.

A file's metadata holds its spec (``config``, JSON, ``spec``) and, for lossy models, the
encoder's default quantizer offsets and, optionally, the dead zone the encoder should use
with this model (encoder only, not in the model id). The model id, recorded in every
.inv file, is a hash of what coding depends on:
* fixed64 files (release 0.1.0): SHA-256 over the config and every tensor's name, shape
  and float32 bytes, exactly as 0.1.0 computed it (those files' ids never change);
* every other file: SHA-256 over a format tag, the config and every coding tensor's name,
  dtype, shape and bytes. Files may also carry the float weights they were exported
  from, under ``train.`` (for fine-tuning); those do not enter the id."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file

from .architectures import ARCHITECTURES, Architecture, parse_spec
from .spec import ConfigError, Spec

MODEL_ID_BYTES = 16
FILE_FORMAT = "invcodec-model"
TRAINING_PREFIX = "train."


@dataclass
class CodingModel:
    """An exact model and what the codec needs to know about it."""

    name: str
    model_id: bytes
    spec: Spec
    architecture: Architecture
    evaluator: Any  # the architecture's exact evaluator (``Architecture.evaluator``)
    source: Path | None = None  # the file it was loaded from
    lossy_band_offsets: list[int] | None = None
    lossy_deadzone: float | None = None  # None: the codec's default
    metadata: dict = field(default_factory=dict, repr=False)

    @property
    def lossy_band_count(self) -> int | None:
        """Bands of the lossy quantizer (one step each); None: the model codes lossless only."""
        return self.architecture.lossy_bands(self.spec)

    @property
    def block_size(self) -> int:
        return self.architecture.block_size(self.spec)

    @property
    def small_tiles_pay(self) -> bool:
        return self.architecture.small_tiles_pay


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


def write(path: str | Path, spec: Spec, tensors: dict[str, np.ndarray], card: dict[str, str]) -> None:
    """A model file of ``spec`` with ``tensors`` (coding tensors, and training ones under
    TRAINING_PREFIX) and the model card's fields in its metadata."""
    if {"format", "config"} & set(card):
        raise ValueError("a model card cannot set the file's format or config")
    metadata = {"format": FILE_FORMAT, "config": spec.to_json(), **card}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata=metadata)


def load(path: str | Path) -> CodingModel:
    meta, tensors = read(path)
    try:
        spec = parse_spec(meta["config"])
    except ConfigError as e:
        raise ValueError(f"{path}: {e}") from None
    architecture = ARCHITECTURES[spec.architecture]
    coding = {k: v for k, v in tensors.items() if not k.startswith(TRAINING_PREFIX)}
    try:
        evaluator = architecture.evaluator(spec, coding)
    except KeyError as e:
        raise ValueError(f"{path}: tensor {e} is missing") from None
    offsets = meta.get("lossy_band_offsets")
    return CodingModel(
        name=meta.get("name", Path(path).stem), model_id=model_id(meta["config"], tensors), spec=spec,
        architecture=architecture, evaluator=evaluator, source=Path(path),
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
