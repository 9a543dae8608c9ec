import json

import numpy as np
import pytest
from safetensors.numpy import save_file

from invcodec import model_file
from invcodec.registry import shipped_models
from invcodec.spec import AutoregressiveSpec


def test_a_written_file_loads_with_its_spec_card_and_id(tmp_path) -> None:
    meta, tensors = model_file.read(shipped_models()["photo-v4"])
    model_file.write(tmp_path / "m.safetensors", AutoregressiveSpec(), tensors, {"name": "copy", "training": "{}"})
    model = model_file.load(tmp_path / "m.safetensors")
    assert model.spec == AutoregressiveSpec() and model.name == "copy" and model.source == tmp_path / "m.safetensors"
    assert model.model_id == model_file.model_id(meta["config"], tensors)  # same config text, same tensors: same id
    assert model.architecture.name == "autoregressive" and model.lossy_band_count is None


def test_a_card_cannot_overwrite_the_format_or_config(tmp_path) -> None:
    with pytest.raises(ValueError, match="format or config"):
        model_file.write(tmp_path / "m.safetensors", AutoregressiveSpec(), {}, {"config": "{}"})


def test_a_file_with_a_config_of_a_newer_release_is_refused_in_one_line(tmp_path) -> None:
    _, tensors = model_file.read(shipped_models()["photo-v4"])
    config = {"architecture": "autoregressive", "hidden": 32, "numeric": "fixed-point-float64", "mixture": 4}
    save_file(tensors, str(tmp_path / "new.safetensors"),
              metadata={"format": model_file.FILE_FORMAT, "config": json.dumps(config)})
    with pytest.raises(ValueError, match=r"new.safetensors: the autoregressive model config has fields .*mixture") as e:
        model_file.load(tmp_path / "new.safetensors")
    assert "\n" not in str(e.value)


def test_nets_of_another_width_than_the_spec_says_are_refused(tmp_path) -> None:
    _, tensors = model_file.read(shipped_models()["photo-v4"])
    model_file.write(tmp_path / "m.safetensors", AutoregressiveSpec(hidden=64), tensors, {})
    with pytest.raises(ValueError, match="32 wide where the config says 64"):
        model_file.load(tmp_path / "m.safetensors")


def test_a_missing_tensor_is_named(tmp_path) -> None:
    _, tensors = model_file.read(shipped_models()["photo-v4"])
    del tensors["plane1.w2"]
    model_file.write(tmp_path / "m.safetensors", AutoregressiveSpec(), tensors, {})
    with pytest.raises(ValueError, match="plane1.w2"):
        model_file.load(tmp_path / "m.safetensors")


def test_the_deadzone_must_be_a_fraction_of_a_step() -> None:
    assert model_file.deadzone(None, "m") is None and model_file.deadzone("0.25", "m") == 0.25
    for bad in ("1", "-0.1", "nan", "wide"):
        with pytest.raises(ValueError, match="lossy_deadzone"):
            model_file.deadzone(bad, "m")


def test_training_tensors_do_not_enter_the_id_of_an_exact_model() -> None:
    _, tensors = model_file.read(shipped_models()["photo-v3"])
    meta, _ = model_file.read(shipped_models()["photo-v3"])
    changed = {**tensors, "train.extra": np.ones(3, dtype=np.float32)}
    assert model_file.model_id(meta["config"], changed) == model_file.model_id(meta["config"], tensors)
