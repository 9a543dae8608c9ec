from __future__ import annotations

import contextlib
import importlib.util
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file
from threadpoolctl import threadpool_limits

from invcodec import model_file
from invcodec.model_file import CodingModel

# The tiny models as checked-in files (built by tests/fixtures/make_models.py, with torch),
# so that the codec's and the runtime's tests run where torch is not installed.
FIXTURE_MODELS = Path(__file__).parent / "fixtures" / "models"
HAVE_TORCH = importlib.util.find_spec("torch") is not None


def pytest_report_header(config) -> str:
    return "torch: installed" if HAVE_TORCH else "torch: not installed: tests/training and the tests marked torch are skipped"


def pytest_collection_modifyitems(config, items) -> None:
    """Tests marked ``torch`` skip where torch is not installed (a codec user's install)."""
    if HAVE_TORCH:
        return
    skip = pytest.mark.skip(reason="needs torch (pip install .[torch])")
    for item in items:
        if item.get_closest_marker("torch"):
            item.add_marker(skip)


def tiny_model_file(stem: str, folder: Path, name: str | None = None, **metadata: str) -> Path:
    """A copy in ``folder`` of the tiny model file ``stem`` (tests/fixtures/models), under
    ``name`` (its file stem and model name, else ``stem``) and with ``metadata`` added."""
    meta, tensors = model_file.read(FIXTURE_MODELS / f"{stem}.safetensors")
    name = name or stem
    path = folder / f"{name}.safetensors"
    save_file(tensors, str(path), metadata={**meta, "name": name, **metadata})
    return path


def load_tiny_model(stem: str) -> CodingModel:
    """The tiny model file ``stem`` (tests/fixtures/models) as the runtime codes with it."""
    return model_file.load(FIXTURE_MODELS / f"{stem}.safetensors")


@pytest.fixture
def tiny_model() -> CodingModel:
    return load_tiny_model("tiny")


@contextlib.contextmanager
def one_thread():
    """Run torch (where installed) and numpy's BLAS on one thread inside the block, then restore both."""
    torch = importlib.import_module("torch") if HAVE_TORCH else None
    old = torch.get_num_threads() if torch else None
    if torch:
        torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        if torch:
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
def tiny_coding_models() -> dict[str, CodingModel]:
    """The tiny models as the runtime codes with them, loaded once per session and shared
    (coding never changes a CodingModel): "fixed64", "int8", "checkerboard" (int8 with
    checkerboard context), "lossy" (the tiny lossy, rate-conditioned fixed64 model,
    with its quantizer offsets), "autoregressive" and "top-autoregressive" (the
    checkerboard model's top band coded autoregressively, lossy)."""
    stems = {"fixed64": "tiny", "int8": "tiny-int8", "checkerboard": "tiny-checkerboard", "lossy": "tiny-lossy",
             "autoregressive": "tiny-ar", "top-autoregressive": "tiny-top-ar"}
    return {kind: load_tiny_model(stem) for kind, stem in stems.items()}


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
