"""Model weights: safetensors files (never pickle) with the architecture in the metadata,
and the model id, a hash of the weights that every .inv file records."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from .fixedpoint import quantize_conv
from .model import IntegerFlowModel, ModelConfig

SHIPPED_DIR = Path(__file__).parent / "weights"
DEFAULT_MODEL = "photo-v1"
DEFAULT_LOSSY_MODEL = "photo-lossy-v1"
MODEL_ID_BYTES = 16


def model_id(model: IntegerFlowModel) -> bytes:
    """SHA-256 (first 16 bytes) over the config and every tensor's name, shape and bytes."""
    h = hashlib.sha256(model.cfg.to_json().encode())
    for name, tensor in sorted(model.state_dict().items()):
        t = tensor.detach().to("cpu", torch.float32).contiguous()
        h.update(name.encode() + b"\0" + repr(tuple(t.shape)).encode() + b"\0")
        h.update(t.numpy().tobytes())
    return h.digest()[:MODEL_ID_BYTES]


def save_model(model: IntegerFlowModel, path: str | Path, card: dict[str, str] | None = None) -> None:
    tensors = {k: v.detach().to("cpu", torch.float32).contiguous() for k, v in model.state_dict().items()}
    metadata = {"format": "invcodec-model", "config": model.cfg.to_json(), **(card or {})}
    if getattr(model, "lossy_band_offsets", None) is not None and "lossy_band_offsets" not in metadata:
        metadata["lossy_band_offsets"] = json.dumps(model.lossy_band_offsets)
    save_file(tensors, str(path), metadata=metadata)


def load_model(path: str | Path) -> IntegerFlowModel:
    """Load a model from a safetensors file and check that it fits the exact arithmetic."""
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
        if meta.get("format") != "invcodec-model" or "config" not in meta:
            raise ValueError(f"{path} is not an invcodec model file")
        state = {k: f.get_tensor(k) for k in f.keys()}
    model = IntegerFlowModel(ModelConfig.from_json(meta["config"]))
    model.load_state_dict(state, strict=True)
    model.eval()
    # The encoder's default quantizer offsets (lossy models only; files store their steps).
    offsets = meta.get("lossy_band_offsets")
    model.lossy_band_offsets = [int(o) for o in json.loads(offsets)] if offsets else None
    for module in model.modules():  # raises if a weight cannot be evaluated exactly
        if isinstance(module, torch.nn.Conv2d):
            quantize_conv(module.weight, module.bias)
    return model


def shipped_models() -> dict[str, Path]:
    """Name -> path of every model shipped inside the package."""
    return {p.stem: p for p in sorted(SHIPPED_DIR.glob("*.safetensors"))}
