from __future__ import annotations

import numpy as np
import pytest
import torch

from invcodec.model import IntegerFlowModel, ModelConfig

TINY_CONFIG = ModelConfig(levels=2, coupling_hidden=8, prior_hidden=8, prior_blocks=1, prior_features=8, head_hidden=8, top_hidden=4)


def make_tiny_model(seed: int = 0, noise: float = 0.1, config: ModelConfig = TINY_CONFIG) -> IntegerFlowModel:
    """A small model with random (non-identity) couplings, so every path is exercised."""
    torch.manual_seed(seed)
    model = IntegerFlowModel(config)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * noise)
    return model.eval()


@pytest.fixture
def tiny_model() -> IntegerFlowModel:
    return make_tiny_model()


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
    import dataclasses

    from invcodec.rate_distortion import initial_offsets

    model = make_tiny_model(seed, config=dataclasses.replace(TINY_CONFIG, rate_conditioned=True))
    model.lossy_band_offsets = [round(16 * o) for o in initial_offsets(len(model.levels))]
    return model
