"""The architecture contract: the codec and the loader know an architecture only through
its registration, so a new one is its own module plus one entry in ARCHITECTURES."""

import json
import zlib
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from invcodec import architectures, codec, model_file, walk
from invcodec.architectures import ARCHITECTURES, Architecture, Generative
from invcodec.errors import InvalidFileError
from invcodec.registry import get_model, shipped_models
from invcodec.spec import BaseSpec
from invcodec.tile_coder import EncodedTile


@dataclass(frozen=True)
class ToySpec(BaseSpec):
    architecture: ClassVar[str] = "toy"
    OMITTED_AT: ClassVar[dict] = {}
    CHOICES: ClassVar[dict] = {}
    level: int = 6


class ToyCoder:
    """Lossless tiles as zlib of the three planes: enough to exercise the contract."""

    def __init__(self, model, lossy, adaptive):
        if lossy is not None:
            raise ValueError("the toy codes lossless only")
        self.level = model.spec.level

    def encode(self, pixels: np.ndarray) -> EncodedTile:
        return EncodedTile(zlib.compress(np.ascontiguousarray(pixels).tobytes(), self.level), pixels)

    def decode(self, payload: bytes, height: int, width: int) -> np.ndarray:
        return np.frombuffer(zlib.decompress(payload), dtype=np.uint8).reshape(height, width, 3)


TOY = Architecture(name="toy", spec=ToySpec, evaluator=lambda spec, tensors: tensors["bias"], tile_coder=ToyCoder,
                   lossy_bands=lambda spec: None, block_size=lambda spec: 1, small_tiles_pay=False, exporter="invcodec.training.toy:file_tensors",
                   generative=lambda spec: Generative("invcodec.toy", {"sample": "{name} cannot dream"}))


@pytest.fixture
def toy_model(tmp_path, monkeypatch) -> model_file.CodingModel:
    monkeypatch.setitem(ARCHITECTURES, "toy", TOY)
    model_file.write(tmp_path / "toy.safetensors", ToySpec(level=9), {"bias": np.zeros(1, dtype=np.int8)}, {"name": "toy"})
    return model_file.load(tmp_path / "toy.safetensors")


def test_a_new_architecture_is_one_registration(toy_model) -> None:
    assert toy_model.spec == ToySpec(level=9) and toy_model.architecture is TOY
    assert json.loads(toy_model.metadata["config"]) == {"architecture": "toy", "level": 9}
    image = np.tile(np.arange(96, dtype=np.uint8)[:, None, None], (1, 80, 3))  # smooth: zlib beats raw
    data, stats = codec.compress_samples(image, toy_model, threads=1, classic=False)
    assert stats.flow_bytes > 0  # its streams were chosen, not raw ones
    assert np.array_equal(codec.decompress_samples(data, toy_model), image)
    with pytest.raises(ValueError, match="lossy"):
        codec.compress_samples(image, toy_model, quality=50)


def test_without_its_registration_the_toys_files_are_refused(toy_model, monkeypatch) -> None:
    image = np.tile(np.arange(96, dtype=np.uint8)[:, None, None], (1, 80, 3))
    data, stats = codec.compress_samples(image, toy_model, classic=False)
    assert stats.flow_bytes > 0
    monkeypatch.delitem(ARCHITECTURES, "toy")
    with pytest.raises(ValueError, match="unknown model architecture 'toy'"):
        model_file.load(toy_model.source)
    with pytest.raises(InvalidFileError, match="not installed: give its model file with -m"):
        codec.decompress_samples(data)


@pytest.mark.parametrize("name", sorted(shipped_models()))
def test_every_shipped_model_declares_what_the_codec_asks(name: str) -> None:
    model = get_model(name)
    assert ARCHITECTURES[model.spec.architecture] is model.architecture
    if model.architecture is architectures.LIFTING:
        assert model.lossy_band_count == walk.band_count(model.spec.levels) and model.small_tiles_pay
        assert model.evaluator.block_size == model.block_size == 2**model.spec.levels
    else:
        assert model.lossy_band_count is None and not model.small_tiles_pay
    if model.lossy_band_offsets is not None:
        assert len(model.lossy_band_offsets) == model.lossy_band_count


def test_every_exporter_is_a_function_of_the_training_side() -> None:
    pytest.importorskip("torch")
    for architecture in ARCHITECTURES.values():
        assert callable(architecture.load_exporter())


@pytest.mark.parametrize("name, tool, reason", [
    ("photo-lossy-v7", "sample", "photo-lossy-v7 is a lossy model"),
    ("photo-lossy-v1", "score", "photo-lossy-v1 is a lossy model"),
    ("photo-v4", "interpolate", "photo-v4 is autoregressive: it has no latent space"),
])
def test_a_tool_a_model_cannot_run_is_refused_with_the_reason(name: str, tool: str, reason: str) -> None:
    model = get_model(name)
    with pytest.raises(ValueError, match=reason):
        model.architecture.generative(model.spec).implementation(tool, model.name)
