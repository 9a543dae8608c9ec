"""Model files written by the training side: round trips, ids, and the shipped models."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch
from safetensors.numpy import save_file as save_numpy
from safetensors.torch import save_file

from invcodec.registry import shipped_models
from invcodec import model_file
from invcodec.registry import model_path
from invcodec.training.weights import file_tensors, int8_tensors, load_model, model_id, save_model

from ..conftest import smooth_image
from ..fixtures.make_models import TINY_CONFIG, TINY_INT8_CONFIG, make_tiny_lossy_model, make_tiny_model

pytestmark = pytest.mark.usefixtures("single_thread")

# The ids recorded in every file written with the 0.1.0 models: they must never change.
SHIPPED_IDS = {
    "photo-v1": "2968ed35648296a014158e0fc6128b79",
    "photo-lossy-v1": "e0cb9fe371b1c59c3106e85da57e0e84",
    "cifar10-v1": "98266c10a098c515fb7110b52b25cd0b",
    "faces-v1": "db68160616c37c0ec6b76bb36009ef19",
}
CONFIGS = {"fixed64": TINY_CONFIG, "int8": TINY_INT8_CONFIG}


@pytest.mark.parametrize("numeric", sorted(CONFIGS))
def test_save_load_keeps_the_model(tmp_path, numeric: str) -> None:
    model = make_tiny_model(config=CONFIGS[numeric])
    save_model(model, tmp_path / "m.safetensors", {"name": "tiny"})
    loaded = load_model(tmp_path / "m.safetensors")
    assert loaded.cfg == model.cfg and not loaded.training
    assert model_id(loaded) == model_id(model)
    other = copy.deepcopy(model)
    with torch.no_grad():
        next(other.levels[1].prior.heads[3].out.parameters()).view(-1)[0] += 0.25  # one weight changes
    assert model_id(other) != model_id(model)
    original, back = model.state_dict(), loaded.state_dict()
    assert original.keys() == back.keys()
    for name in original:  # float weights as float32, activation exponents exactly
        assert torch.equal(original[name].float(), back[name].float()), name
    x = torch.from_numpy(smooth_image(16, 16).transpose(2, 0, 1)).float()[None]
    with torch.no_grad():
        assert torch.equal(loaded.bits(x), model.bits(x))


@pytest.mark.parametrize("numeric", sorted(CONFIGS))
def test_the_runtime_reads_the_same_file_and_id(tmp_path, numeric: str) -> None:
    model = make_tiny_model(config=CONFIGS[numeric])
    save_model(model, tmp_path / "m.safetensors", {"name": "tiny"})
    coding = model_file.load(tmp_path / "m.safetensors")
    assert coding.model_id == model_id(model) and coding.name == "tiny" and coding.spec.numeric == numeric
    assert coding.spec == model.cfg and coding.lossy_band_offsets is None


def test_int8_files_hold_the_integers_and_the_float_weights(tmp_path) -> None:
    model = make_tiny_model(config=TINY_INT8_CONFIG)
    tensors = file_tensors(model)
    ints = int8_tensors(model)
    w = ints["levels.0.flow.2.net.inp.w"]
    assert w.dtype == np.int8 and ints["levels.0.flow.2.net.inp.b"].dtype == np.int32
    assert ints["levels.0.prior.features_quant.exp"].tolist() == [int(model.levels[0].prior.features_quant.exp)]
    assert set(ints) < set(tensors)
    assert {k[len("train."):] for k in tensors if k.startswith("train.")} == set(model.state_dict())
    # the float weights ride along for fine-tuning but are not part of the id
    save_model(model, tmp_path / "m.safetensors")
    meta, stored = model_file.read(tmp_path / "m.safetensors")
    stored["train.levels.0.flow.2.net.inp.conv.weight"] = stored["train.levels.0.flow.2.net.inp.conv.weight"] + 1
    assert model_file.model_id(meta["config"], stored) == model_id(model)
    stored["levels.0.flow.2.net.inp.w"] = stored["levels.0.flow.2.net.inp.w"] ^ np.int8(1)
    assert model_file.model_id(meta["config"], stored) != model_id(model)


def test_lossy_offsets_survive_the_file(tmp_path) -> None:
    model = make_tiny_lossy_model()
    save_model(model, tmp_path / "m.safetensors")
    assert load_model(tmp_path / "m.safetensors").lossy_band_offsets == model.lossy_band_offsets
    assert model_file.load(tmp_path / "m.safetensors").lossy_band_offsets == model.lossy_band_offsets
    assert len(model.lossy_band_offsets) == 3 + 9 * TINY_CONFIG.levels


@pytest.mark.parametrize("name", sorted(SHIPPED_IDS))
def test_shipped_model_ids_never_change(name: str) -> None:
    path = model_path(name)
    assert path == shipped_models()[name]
    assert model_file.load(path).model_id.hex() == SHIPPED_IDS[name]
    assert model_id(load_model(path)).hex() == SHIPPED_IDS[name]


def test_other_files_are_refused(tmp_path) -> None:
    save_file({"x": torch.zeros(2)}, str(tmp_path / "x.safetensors"))
    save_numpy({"x": np.zeros(2)}, str(tmp_path / "y.safetensors"), metadata={"format": "something-else", "config": "{}"})
    (tmp_path / "z.safetensors").write_bytes(b"not a safetensors file at all")
    for name in ("x", "y"):
        with pytest.raises(ValueError, match="not an invcodec model"):
            load_model(tmp_path / f"{name}.safetensors")
    for name in ("x", "y", "z"):
        with pytest.raises(ValueError, match="not an invcodec model"):
            model_file.load(tmp_path / f"{name}.safetensors")
    with pytest.raises(ValueError, match="unknown model"):
        model_path("no-such-model")


def test_files_missing_a_tensor_or_with_an_unknown_architecture_are_refused(tmp_path) -> None:
    model = make_tiny_model()
    save_model(model, tmp_path / "m.safetensors")
    meta, tensors = model_file.read(tmp_path / "m.safetensors")
    del tensors["levels.1.prior.trunk.out.weight"]
    save_numpy(tensors, str(tmp_path / "missing.safetensors"), metadata=meta)
    with pytest.raises(ValueError, match="missing"):
        model_file.load(tmp_path / "missing.safetensors")
    config = json.loads(meta["config"])
    save_numpy(model_file.read(tmp_path / "m.safetensors")[1], str(tmp_path / "arch.safetensors"),
               metadata={**meta, "config": json.dumps({**config, "architecture": "glow"})})
    with pytest.raises(ValueError, match="architecture"):
        model_file.load(tmp_path / "arch.safetensors")
