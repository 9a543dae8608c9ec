from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file

from invcodec.registry import default_model, model_by_id
from invcodec.weights import load_model, model_id, save_model, shipped_models

from .conftest import make_tiny_model


def test_save_load_keeps_the_model_id(tmp_path) -> None:
    model = make_tiny_model()
    save_model(model, tmp_path / "m.safetensors", {"name": "tiny"})
    loaded = load_model(tmp_path / "m.safetensors")
    assert model_id(loaded) == model_id(model)
    assert model_id(make_tiny_model(seed=1)) != model_id(model)


def test_other_safetensors_files_are_refused(tmp_path) -> None:
    save_file({"x": torch.zeros(2)}, str(tmp_path / "x.safetensors"))
    with pytest.raises(ValueError, match="not an invcodec model"):
        load_model(tmp_path / "x.safetensors")


def test_shipped_model_loads_and_is_found_by_id() -> None:
    assert "photo-v1" in shipped_models()
    model = default_model()
    assert model_by_id(model_id(model)) is model
