"""The shipped models, found by name (compress) and by the id a file records (decompress)."""

from __future__ import annotations

import pytest

from invcodec import registry
from invcodec.errors import InvalidFileError
from invcodec import model_file

from .conftest import tiny_model_file

pytestmark = pytest.mark.usefixtures("single_thread")


def test_shipped_models_are_found_by_name_and_by_id() -> None:
    shipped = registry.shipped_models()
    assert {"photo-v1", "photo-lossy-v1", "cifar10-v1", "faces-v1"} <= set(shipped)
    assert registry.DEFAULT_LOSSY_MODEL in shipped
    for name in shipped:
        model = registry.get_model(name)
        assert model.name == name
        assert registry.get_model(name) is model  # loaded once
        assert registry.model_by_id(model.model_id) is model
    assert registry.get_model(registry.default_model_name(lossy=True)).lossy_band_offsets is not None  # it codes lossy
    assert registry.default_model_name(lossy=False) == registry.DEFAULT_MODEL != registry.DEFAULT_LOSSY_MODEL
    assert registry.get_model("photo-lossy-v1").lossy_band_offsets is not None
    assert registry.get_model("photo-v1").lossy_band_offsets is None


def test_every_shipped_model_has_a_model_card() -> None:
    """Weights without their card (data, command, steps, wall time, scores) are not shipped."""
    for name, path in registry.shipped_models().items():
        card = path.with_suffix(".md")
        assert card.exists(), f"{name}: no model card {card.name}"
        text = card.read_text()
        trainers = ("-m invcodec.training.train", "-m invcodec.training.autoregressive", "-m invcodec.training.top_context")
        assert text.startswith(f"# Model card: {name}\n") and any(t in text for t in trainers), name  # the command that retrains it


def test_a_model_file_by_path(tmp_path) -> None:
    path = tiny_model_file("tiny", tmp_path, "mine")
    model = model_file.load(path)
    by_path = registry.get_model(str(path))
    assert by_path.model_id == model.model_id and by_path.name == "mine"
    with pytest.raises(InvalidFileError, match="not installed"):  # files by path are not searched by id
        registry.model_by_id(model.model_id)


def test_unknown_names_and_ids_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="unknown model 'no-such-model'"):
        registry.get_model("no-such-model")
    with pytest.raises(InvalidFileError, match="00" * 16):
        registry.model_by_id(bytes(16))
