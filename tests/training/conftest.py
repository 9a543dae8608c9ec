"""Fixtures the training tests share."""

from __future__ import annotations

import pytest
from PIL import Image

from ..conftest import HAVE_TORCH, smooth_image

if not HAVE_TORCH:  # a codec user's install: the training code cannot run (see the report header)
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture
def folder(tmp_path):
    """A folder of three small photo-like PNGs: training and validation data."""
    data = tmp_path / "data"
    data.mkdir()
    for i in range(3):
        Image.fromarray(smooth_image(48, 40, 3, seed=i)).save(data / f"{i}.png")
    return data
