"""A JPEG's quality on the IJG 1..100 scale, read from its own quantization tables.

The reference tables are Pillow's (libjpeg's) at every quality, made once by encoding a
tiny image, so the comparison never depends on how Pillow orders table entries. A file
from another encoder (a camera, Photoshop) gets the IJG quality whose luminance table is
nearest in log scale: the strength of its quantization, which is what the model needs."""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np
from PIL import Image


@lru_cache(maxsize=1)
def _reference_tables() -> np.ndarray:
    """(100, 64) log luminance tables of Pillow's JPEG writer at qualities 1..100."""
    tiny = Image.new("RGB", (8, 8))
    tables = []
    for quality in range(1, 101):
        buf = io.BytesIO()
        tiny.save(buf, "JPEG", quality=quality)
        buf.seek(0)
        with Image.open(buf) as im:
            tables.append(np.log(np.asarray(im.quantization[0], np.float64)))
    return np.stack(tables)


def quality_of(image: Image.Image) -> int | None:
    """The IJG-equivalent quality of a JPEG opened with Pillow; None if ``image`` did not
    come from a JPEG file (or holds no 64-entry luminance table)."""
    tables = getattr(image, "quantization", None)
    if not tables or 0 not in tables or len(tables[0]) != 64:
        return None
    luma = np.log(np.maximum(np.asarray(tables[0], np.float64), 1))
    return int(np.argmin(np.abs(_reference_tables() - luma).sum(axis=1))) + 1
