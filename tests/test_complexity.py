"""The complexity-corrected score: bits under the model minus bits under a reference
lossless compressor, each reference measured as its own tool would measure it."""

import io
import sys

import numpy as np
import pytest
from PIL import Image

from invcodec import complexity, generative
from invcodec.registry import DEFAULT_MODEL, get_model

from .conftest import smooth_image


def _png_bits(image: np.ndarray) -> float:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "PNG", optimize=True)
    return 8.0 * len(buf.getvalue())


def test_the_png_reference_is_the_whole_optimized_png_file() -> None:
    image = smooth_image(24, 20, 3, seed=1)
    ref = complexity.reference("png")
    assert ref.name == "PNG (optimize)" and ref.bits(image) == _png_bits(image)


def test_the_default_reference_is_the_default_lossless_models_exact_code_length() -> None:
    image = smooth_image(20, 28, 3, seed=2)
    ref = complexity.reference()
    assert ref.name == DEFAULT_MODEL
    assert ref.bits(image) == pytest.approx(get_model(DEFAULT_MODEL).evaluator.code_length(image), rel=1e-12)


def test_the_corrected_score_is_model_bits_minus_reference_bits() -> None:
    image = smooth_image(24, 24, 3, seed=3)
    model_bpd = generative.scorer(get_model("photo-v4"))
    score = complexity.corrected_scorer(model_bpd, complexity.reference("png"))(image)
    assert score.bits_per_dim == model_bpd(image)
    assert score.reference_bits_per_dim == _png_bits(image) / image.size
    assert score.corrected == pytest.approx((model_bpd(image) * image.size - _png_bits(image)) / image.size, rel=1e-12)
    # against itself, a model's corrected score is zero: it saves nothing over itself
    assert complexity.corrected_scorer(model_bpd, complexity.reference("photo-v4"))(image).corrected == 0


def test_the_jpeg_xl_reference_is_the_lossless_effort_7_file() -> None:
    pytest.importorskip("pillow_jxl")
    image = smooth_image(16, 16, 3, seed=4)
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "JXL", lossless=True, effort=7)
    assert complexity.reference("jpeg-xl").bits(image) == 8.0 * len(buf.getvalue())


@pytest.mark.parametrize("name, message", [
    ("gzip", "unknown reference 'gzip': png, jpeg-xl, or a lossless model"),
    ("photo-lossy-v7", "photo-lossy-v7 is a lossy model"),
])
def test_a_reference_that_cannot_measure_says_why_in_one_line(name: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as e:
        complexity.reference(name)
    assert "\n" not in str(e.value)


def test_jpeg_xl_without_its_plugin_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pillow_jxl", None)  # an import of it now fails
    with pytest.raises(ValueError, match="needs pillow-jxl-plugin: pip install pillow-jxl-plugin"):
        complexity.reference("jpeg-xl")
