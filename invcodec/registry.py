"""The shipped models, found by name (for compress) or by model id (for decompress)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .errors import InvalidFileError
from .model import IntegerFlowModel
from .weights import DEFAULT_LOSSY_MODEL, DEFAULT_MODEL, load_model, model_id, shipped_models


@lru_cache(maxsize=8)
def _load(path: str) -> IntegerFlowModel:
    return load_model(path)


def get_model(name_or_path: str | None = None) -> IntegerFlowModel:
    """A shipped model by name, or a model file by path."""
    name = name_or_path or DEFAULT_MODEL
    shipped = shipped_models()
    if name in shipped:
        return _load(str(shipped[name]))
    if Path(name).is_file():
        return _load(str(Path(name).resolve()))
    raise ValueError(f"unknown model {name!r} (shipped: {', '.join(shipped) or 'none'})")


def default_model() -> IntegerFlowModel:
    return get_model(DEFAULT_MODEL)


def default_lossy_model() -> IntegerFlowModel:
    return get_model(DEFAULT_LOSSY_MODEL)


@lru_cache(maxsize=1)
def _ids() -> dict[bytes, str]:
    return {model_id(_load(str(path))): str(path) for path in shipped_models().values()}


def model_by_id(mid: bytes) -> IntegerFlowModel:
    path = _ids().get(mid)
    if path is None:
        raise InvalidFileError(f"the file needs model {mid.hex()}, which is not installed")
    return _load(path)
