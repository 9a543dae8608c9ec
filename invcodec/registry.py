"""The shipped models, found by name (for compress) or by model id (for decompress).

Models are loaded for coding only (``runtime.model_file``: numpy, no torch) and cached."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .errors import InvalidFileError
from .runtime import model_file
from .runtime.model_file import CodingModel

SHIPPED_DIR = Path(__file__).parent / "weights"
# The default model per mode; everything else asks ``default_model_name`` (the CLI's help
# spells them out, tests/test_cli.py checks it agrees).
DEFAULT_MODEL = "photo-v4"
DEFAULT_LOSSY_MODEL = "photo-lossy-v7"


def shipped_models() -> dict[str, Path]:
    """Name -> path of every model shipped inside the package."""
    return {p.stem: p for p in sorted(SHIPPED_DIR.glob("*.safetensors"))}


@lru_cache(maxsize=8)
def _load(path: str) -> CodingModel:
    return model_file.load(path)


def get_model(name_or_path: str | None = None) -> CodingModel:
    """A shipped model by name, or a model file by path."""
    name = name_or_path or DEFAULT_MODEL
    shipped = shipped_models()
    if name in shipped:
        return _load(str(shipped[name]))
    if Path(name).is_file():
        path = str(Path(name).resolve())
        try:
            return _load(path)
        except Exception as e:  # noqa: BLE001 - whatever a file that is not a usable model makes the loader raise
            message = " ".join(str(e).split())
            raise ValueError(message if name in message or path in message
                             else f"{name}: not a usable invcodec model file ({type(e).__name__}: {message})") from None
    raise ValueError(f"unknown model {name!r} (shipped: {', '.join(shipped) or 'none'})")


def default_model_name(lossy: bool) -> str:
    """The shipped model a file is coded with when none is named."""
    return DEFAULT_LOSSY_MODEL if lossy else DEFAULT_MODEL


@lru_cache(maxsize=1)
def _paths_by_id() -> dict[bytes, str]:
    """Model ids without building the models: reading the tensors and hashing is enough."""
    ids = {}
    for path in shipped_models().values():
        meta, tensors = model_file.read(path)
        ids[model_file.model_id(meta["config"], tensors)] = str(path)
    return ids


def model_by_id(mid: bytes) -> CodingModel:
    path = _paths_by_id().get(mid)
    if path is None:
        raise InvalidFileError(f"the file needs model {mid.hex()}, which is not installed")
    return _load(path)
