"""Model files from the training side: torch modules <-> safetensors (never pickle).

A fixed64 model is saved as its float weights (the runtime snaps them to the fixed-point
grids when it loads them). An int8 model is exported as the integers the runtime
evaluates (int8 weights, int32 biases, per-channel accumulator exponents, activation
exponents), plus its float weights under ``train.`` so that training can continue from
the file. Either way the file's metadata holds the config and the model card, and the
model id is ``invcodec.model_file.model_id`` of what is stored."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open

from .. import model_file
from ..architectures import parse_spec
from ..model_file import FILE_FORMAT, TRAINING_PREFIX
from . import nets_int8
from .model import IntegerFlowModel


def _float_tensors(model: IntegerFlowModel) -> dict[str, np.ndarray]:
    return {k: v.detach().to("cpu", torch.float32).contiguous().numpy() for k, v in model.state_dict().items()}


@torch.no_grad()
def int8_tensors(model: IntegerFlowModel) -> dict[str, np.ndarray]:
    """The integers the runtime evaluates, named after the modules that make them."""
    out: dict[str, np.ndarray] = {}
    for name, module in model.named_modules():
        if isinstance(module, nets_int8.QConv):
            w_int, b_int, _, acc_exp = (t.detach().double() for t in module.quantized())
            out[f"{name}.w"] = w_int.numpy().astype(np.int8)
            out[f"{name}.b"] = b_int.numpy().astype(np.int32)
            out[f"{name}.grid"] = acc_exp.numpy().astype(np.int8)
        elif isinstance(module, nets_int8.ActQuant):
            out[f"{name}.exp"] = np.array([int(module.exp)], dtype=np.int8)
    return out


def file_tensors(model: IntegerFlowModel) -> dict[str, np.ndarray]:
    """What a model file stores for ``model`` (see the module docstring)."""
    if model.cfg.numeric == "int8":
        return {**int8_tensors(model), **{TRAINING_PREFIX + k: v for k, v in _float_tensors(model).items()}}
    return _float_tensors(model)


def model_id(model: IntegerFlowModel) -> bytes:
    """The id a file written from ``model`` will have."""
    return model_file.model_id(model.cfg.to_json(), file_tensors(model))


def save_model(model: IntegerFlowModel, path: str | Path, card: dict[str, str] | None = None) -> None:
    card = dict(card or {})
    if getattr(model, "lossy_band_offsets", None) is not None and "lossy_band_offsets" not in card:
        card["lossy_band_offsets"] = json.dumps(model.lossy_band_offsets)
    model_file.write(path, model.cfg, file_tensors(model), card)


def load_model(path: str | Path) -> IntegerFlowModel:
    """A model file -> the torch model (for training, sampling, scoring)."""
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
        if meta.get("format") != FILE_FORMAT or "config" not in meta:
            raise ValueError(f"{path} is not an invcodec model file")
        cfg = parse_spec(meta["config"])
        prefix = TRAINING_PREFIX if cfg.numeric == "int8" else ""
        state = {k[len(prefix):]: f.get_tensor(k) for k in f.keys() if k.startswith(prefix)}
    model = IntegerFlowModel(cfg)
    buffers = {k: v.to(torch.int64) for k, v in state.items() if k.endswith(".exp")}
    model.load_state_dict({**state, **buffers}, strict=True)
    model.eval()
    offsets = meta.get("lossy_band_offsets")  # the encoder's default quantizer offsets (lossy models)
    model.lossy_band_offsets = [int(o) for o in json.loads(offsets)] if offsets else None
    return model
