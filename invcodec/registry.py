"""The shipped models, found by name (for compress) or by model id (for decompress), and
the one resolver of a model given by name or path.

Models are loaded for coding only (``model_file``: numpy, no torch) and cached."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from . import model_file
from .errors import InvalidFileError
from .model_file import CodingModel

SHIPPED_DIR = Path(__file__).parent / "weights"
RESTORE_DIR = SHIPPED_DIR / "restore"  # restoration nets: their own family, apart from the coding models
# The default model per mode; everything else asks ``default_model_name`` (the CLI's help
# spells them out, tests/test_cli.py checks it agrees).
DEFAULT_MODEL = "photo-v7"
DEFAULT_LOSSY_MODEL = "photo-lossy-v7"


def shipped_models(folder: Path = SHIPPED_DIR) -> dict[str, Path]:
    """Name -> path of every model shipped in ``folder``."""
    return {p.stem: p for p in sorted(folder.glob("*.safetensors"))}


def model_path(name_or_path: str, folder: Path = SHIPPED_DIR) -> Path:
    """A model given as a shipped name (in ``folder``) or a file's path -> its file;
    ValueError (one line) if it is neither."""
    shipped = shipped_models(folder)
    if name_or_path in shipped:
        return shipped[name_or_path]
    if Path(name_or_path).is_file():
        return Path(name_or_path).resolve()
    raise ValueError(f"unknown model {name_or_path!r} (shipped: {', '.join(shipped) or 'none'})")


@lru_cache(maxsize=8)
def _load(path: str) -> CodingModel:
    return model_file.load(path)


def get_model(name_or_path: str | None = None) -> CodingModel:
    """A shipped model by name, or a model file by path (None: the lossless default)."""
    name = name_or_path or DEFAULT_MODEL
    path = model_path(name)
    try:
        return _load(str(path))
    except Exception as e:  # noqa: BLE001 - whatever a file that is not a usable model makes the loader raise
        if path.parent == SHIPPED_DIR:
            raise
        message = " ".join(str(e).split())
        raise ValueError(message if name in message or str(path) in message
                         else f"{name}: not a usable invcodec model file ({type(e).__name__}: {message})") from None


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
        raise InvalidFileError(f"the file needs model {mid.hex()}, which is not installed: give its model file "
                               "with -m (model= in the API)")
    return _load(path)
