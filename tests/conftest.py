from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits

from invcodec import model_file
from invcodec.model_file import CodingModel
from invcodec.runtime.autoregressive import PLANES, feature_count
from invcodec.training import autoregressive as ar_training
from invcodec.training import nets_int8
from invcodec.spec import LiftingSpec
from invcodec.training.model import IntegerFlowModel
from invcodec.training.weights import save_model

TINY_CONFIG = LiftingSpec(levels=2, coupling_hidden=8, prior_hidden=8, prior_blocks=1, prior_features=8, head_hidden=8, top_hidden=4)


TINY_INT8_CONFIG = dataclasses.replace(TINY_CONFIG, numeric="int8", head="split")
TINY_CHECKERBOARD_CONFIG = dataclasses.replace(TINY_INT8_CONFIG, checkerboard=True)


def make_tiny_model(seed: int = 0, noise: float = 0.1, config: LiftingSpec = TINY_CONFIG) -> IntegerFlowModel:
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


def tiny_autoregressive_model(folder: Path, seed: int = 0, hidden: int = 8, name: str = "tiny-ar",
                              scale: float = 4.0) -> CodingModel:
    """A small autoregressive model, random weights around a sensible prior (mean the
    reference, scale about ``scale``) so that it beats raw storage on smooth images,
    through a model file as in real use."""
    torch.manual_seed(seed)
    nets = [ar_training.PlaneNet(feature_count(p), hidden) for p in range(PLANES)]
    with torch.no_grad():
        for net in nets:
            net.l3.weight.mul_(0.2)
            net.l3.bias.copy_(torch.tensor([0.0, float(np.log(scale)) - 1]))
            net.skip.weight.mul_(0.1)
    path = folder / f"{name}.safetensors"
    ar_training.export(nets, path, name, hidden, {"test": True})
    return model_file.load(path)


def tiny_top_autoregressive_model(folder: Path, seed: int = 0, hidden: int = 8) -> CodingModel:
    """The tiny checkerboard model with lossy band offsets, its top band coded
    autoregressively (``training.top_context``) by random nets around a sensible prior
    (mean the reference, scale about 4, some weight on the rate input), as in real use."""
    from invcodec.training import top_context
    from invcodec.training.rate_distortion import initial_offsets

    base = make_tiny_model(seed, config=TINY_CHECKERBOARD_CONFIG)
    base.lossy_band_offsets = [round(16 * o) for o in initial_offsets(len(base.levels))]
    coding_model(base, folder, "tiny-top-base")
    torch.manual_seed(seed)
    nets = [ar_training.PlaneNet(feature_count(p), hidden, rate_input=True) for p in range(PLANES)]
    with torch.no_grad():
        for net in nets:
            net.l3.weight.mul_(0.2)
            net.l3.bias.copy_(torch.tensor([0.0, float(np.log(4.0)) - 1]))
            net.skip.weight.mul_(0.1)
            net.w_rate.normal_(0, 0.5)
    path = folder / "tiny-top-ar.safetensors"
    top_context.export(folder / "tiny-top-base.safetensors", nets, path, "tiny-top-ar", {"test": True})
    return model_file.load(path)


@pytest.fixture
def tiny_model(tmp_path_factory) -> CodingModel:
    return coding_model(make_tiny_model(), tmp_path_factory.mktemp("model"))


@pytest.fixture
def tiny_int8_model(tmp_path_factory) -> CodingModel:
    return coding_model(make_tiny_model(config=TINY_INT8_CONFIG), tmp_path_factory.mktemp("model"), "tiny-int8")


@contextlib.contextmanager
def one_thread():
    """Run torch and numpy's BLAS on one thread inside the block, then restore both."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(old)


@pytest.fixture(scope="module")
def single_thread():
    """A test module's torch and BLAS work on one thread (``pytest.mark.usefixtures``).
    The tiny models' convolutions are far too small to gain from threads, and on a busy
    2-core machine two threads make them 5-40x slower (each op waits for a descheduled
    thread). Restored after the module; no result here depends on the thread count (the
    codec itself codes with BLAS on one thread per tile)."""
    with one_thread():
        yield


@pytest.fixture(scope="session")
def tiny_coding_models(tmp_path_factory) -> dict[str, CodingModel]:
    """The tiny models as the runtime codes with them, built once per session and shared
    (coding never changes a CodingModel): "fixed64", "int8", "checkerboard" (int8 with
    checkerboard context), "lossy" (the tiny lossy, rate-conditioned fixed64 model,
    with its quantizer offsets), "autoregressive" (``tiny_autoregressive_model``) and
    "top-autoregressive" (``tiny_top_autoregressive_model``)."""
    folder = tmp_path_factory.mktemp("tiny-models")
    with one_thread():
        return {
            "fixed64": coding_model(make_tiny_model(), folder, "tiny"),
            "int8": coding_model(make_tiny_model(config=TINY_INT8_CONFIG), folder, "tiny-int8"),
            "checkerboard": coding_model(make_tiny_model(config=TINY_CHECKERBOARD_CONFIG), folder, "tiny-checkerboard"),
            "lossy": coding_model(make_tiny_lossy_model(), folder, "tiny-lossy"),
            "autoregressive": tiny_autoregressive_model(folder),
            "top-autoregressive": tiny_top_autoregressive_model(folder),
        }


def smooth_image(h: int, w: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    """A photo-like test image: smooth colour gradients, an edge, mild noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    planes = []
    for c in range(channels):
        base = 128 + 60 * np.sin(xx / (9 + 3 * c)) * np.cos(yy / (13 + c)) + 40 * (xx > w / 2)
        planes.append(base + rng.normal(0, 2, size=(h, w)))
    return np.clip(np.stack(planes, axis=2), 0, 255).round().astype(np.uint8)


def conv2d_int64(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """Reference 'same' (zero-padded) convolution in plain int64 arithmetic, no BLAS:
    x (H, W, I) and weight (O, I, k, k) integer-valued -> (H, W, O) int64."""
    x, weight = np.asarray(x), np.asarray(weight)
    assert np.array_equal(x, np.round(x)) and np.array_equal(weight, np.round(weight)), "integers only"
    x, weight = x.astype(np.int64), weight.astype(np.int64)
    h, w, c = x.shape
    k = weight.shape[-1]
    pad = k // 2
    padded = np.zeros((h + 2 * pad, w + 2 * pad, c), dtype=np.int64)
    padded[pad : pad + h, pad : pad + w] = x
    out = np.zeros((h, w, weight.shape[0]), dtype=np.int64)
    for dy in range(k):
        for dx in range(k):
            out += padded[dy : dy + h, dx : dx + w] @ weight[:, :, dy, dx].T
    if bias is not None:
        out += np.asarray(bias).astype(np.int64)
    return out


def make_tiny_lossy_model(seed: int = 0) -> IntegerFlowModel:
    """The tiny model, rate-conditioned, with the quantizer offsets a lossy model file carries."""
    from invcodec.training.rate_distortion import initial_offsets

    model = make_tiny_model(seed, config=dataclasses.replace(TINY_CONFIG, rate_conditioned=True))
    model.lossy_band_offsets = [round(16 * o) for o in initial_offsets(len(model.levels))]
    return model
