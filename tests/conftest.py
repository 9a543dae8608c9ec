from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from invcodec.runtime import model_file
from invcodec.runtime.model_file import CodingModel
from invcodec.training import nets_int8
from invcodec.training.model import IntegerFlowModel, ModelConfig
from invcodec.training.weights import save_model

TINY_CONFIG = ModelConfig(levels=2, coupling_hidden=8, prior_hidden=8, prior_blocks=1, prior_features=8, head_hidden=8, top_hidden=4)


TINY_INT8_CONFIG = dataclasses.replace(TINY_CONFIG, numeric="int8", head="split")


def make_tiny_model(seed: int = 0, noise: float = 0.1, config: ModelConfig = TINY_CONFIG) -> IntegerFlowModel:
    """A small torch model with random (non-identity) couplings, so every path is exercised;
    an int8 one has its activation grids calibrated on a smooth image."""
    torch.manual_seed(seed)
    model = IntegerFlowModel(config)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * noise)
    if config.numeric == "int8":
        x = torch.from_numpy(smooth_image(32, 32, seed=seed).transpose(2, 0, 1).astype(np.float32))[None]
        nets_int8.calibrate(model, lambda: model.bits(x))
    return model.eval()


def coding_model(model: IntegerFlowModel, folder: Path, name: str = "tiny") -> CodingModel:
    """The runtime's exact model of a torch model, through a model file as in real use."""
    path = folder / f"{name}.safetensors"
    save_model(model, path, {"name": name})
    return model_file.load(path)


@pytest.fixture
def tiny_model(tmp_path_factory) -> CodingModel:
    return coding_model(make_tiny_model(), tmp_path_factory.mktemp("model"))


@pytest.fixture
def tiny_int8_model(tmp_path_factory) -> CodingModel:
    return coding_model(make_tiny_model(config=TINY_INT8_CONFIG), tmp_path_factory.mktemp("model"), "tiny-int8")


def smooth_image(h: int, w: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    """A photo-like test image: smooth colour gradients, an edge, mild noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    planes = []
    for c in range(channels):
        base = 128 + 60 * np.sin(xx / (9 + 3 * c)) * np.cos(yy / (13 + c)) + 40 * (xx > w / 2)
        planes.append(base + rng.normal(0, 2, size=(h, w)))
    return np.clip(np.stack(planes, axis=2), 0, 255).round().astype(np.uint8)


def make_tiny_lossy_model(seed: int = 0) -> IntegerFlowModel:
    """The tiny model, rate-conditioned, with the quantizer offsets a lossy model file carries."""
    from invcodec.training.rate_distortion import initial_offsets

    model = make_tiny_model(seed, config=dataclasses.replace(TINY_CONFIG, rate_conditioned=True))
    model.lossy_band_offsets = [round(16 * o) for o in initial_offsets(len(model.levels))]
    return model
