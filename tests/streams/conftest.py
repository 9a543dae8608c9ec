"""What the stream owners' tests share: contexts over the tiny models, and an icon."""

from __future__ import annotations

import numpy as np
import pytest

from invcodec.codec import lossy_settings
from invcodec.streams.base import StreamContext


def icon(h: int = 32, w: int = 32) -> np.ndarray:
    """RGBA: a disc of one colour and a translucent square on a transparent ground."""
    y, x = np.mgrid[0:h, 0:w]
    out = np.zeros((h, w, 4), np.uint8)
    out[(2 * y - h) ** 2 + (2 * x - w) ** 2 < (min(h, w) - 4) ** 2] = (40, 120, 200, 255)
    out[h // 3 : 2 * h // 3, w // 3 : 2 * w // 3] = (255, 255, 255, 200)
    return out


@pytest.fixture
def lossless(tiny_coding_models) -> StreamContext:
    return StreamContext(tiny_coding_models["fixed64"], None, adaptive=True)


@pytest.fixture
def lossy(tiny_coding_models) -> StreamContext:
    model = tiny_coding_models["lossy"]
    return StreamContext(model, lossy_settings(model, 50), adaptive=True)
