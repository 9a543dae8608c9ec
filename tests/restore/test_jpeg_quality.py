from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from invcodec.restore.jpeg_quality import quality_of

from ..conftest import smooth_image


def _jpeg(image: Image.Image, **options) -> Image.Image:
    buf = io.BytesIO()
    image.save(buf, "JPEG", **options)
    buf.seek(0)
    return Image.open(buf)


@pytest.mark.parametrize("quality", [5, 10, 20, 30, 55, 75, 90, 97])
def test_quality_is_read_back_from_the_tables(quality: int) -> None:
    image = Image.fromarray(smooth_image(48, 64, seed=quality))
    assert quality_of(_jpeg(image, quality=quality)) == quality
    assert quality_of(_jpeg(image.convert("L"), quality=quality)) == quality


def test_custom_tables_get_the_nearest_quality() -> None:
    reference = _jpeg(Image.new("RGB", (8, 8)), quality=40).quantization
    scaled = {k: [min(255, round(v * 1.05)) for v in t] for k, t in reference.items()}
    image = _jpeg(Image.fromarray(smooth_image(32, 32)), qtables=[scaled[0], scaled[1]])
    assert 36 <= quality_of(image) <= 40


def test_not_a_jpeg() -> None:
    assert quality_of(Image.fromarray(np.zeros((8, 8, 3), np.uint8))) is None
