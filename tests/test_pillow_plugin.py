from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import invcodec

from .conftest import smooth_image


def test_image_open_decodes_inv(tmp_path) -> None:
    samples = smooth_image(20, 30, 4)
    path = tmp_path / "x.inv"
    path.write_bytes(invcodec.compress(Image.fromarray(samples, "RGBA")))
    with Image.open(path) as im:
        assert im.format == "INV" and im.size == (30, 20) and im.mode == "RGBA"
        assert np.array_equal(np.asarray(im), samples)


def test_image_open_rejects_corrupted_inv(tmp_path) -> None:
    path = tmp_path / "x.inv"
    data = bytearray(invcodec.compress(Image.fromarray(smooth_image(20, 30, 3))))
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(invcodec.InvalidFileError):
        Image.open(path).load()
