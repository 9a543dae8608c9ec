"""Synthetic degradations, shared by the training and the benchmark so both see the same
kind of damage: Gaussian noise (clipped and rounded to 8 bits, as a user's noisy file
is), Pillow JPEG at a given quality, and hole masks made of boxes and free-form strokes."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw


def add_noise(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """uint8 (H, W, 3) + N(0, sigma^2) in 0..255 units -> uint8 (clipped, rounded)."""
    noisy = image.astype(np.float32) + rng.standard_normal(image.shape, dtype=np.float32) * np.float32(sigma)
    return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """Round trip through Pillow's JPEG encoder (its defaults: 4:2:0 chroma, IJG tables)."""
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=int(quality))
    buf.seek(0)
    with Image.open(buf) as im:
        return np.asarray(im.convert("RGB"))


def hole_mask(height: int, width: int, rng: np.random.Generator, coverage: float = 0.10) -> np.ndarray:
    """bool (H, W), True = missing: boxes and brush strokes added until about ``coverage``
    of the pixels are missing (never more than coverage + one shape)."""
    mask = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(mask)
    scale = min(height, width)
    while np.count_nonzero(np.asarray(mask)) < coverage * height * width:
        if rng.random() < 0.4:  # a box
            bh = int(rng.integers(max(2, scale // 16), max(3, scale // 5)))
            bw = int(rng.integers(max(2, scale // 16), max(3, scale // 5)))
            top, left = int(rng.integers(0, max(1, height - bh))), int(rng.integers(0, max(1, width - bw)))
            draw.rectangle((left, top, left + bw - 1, top + bh - 1), fill=255)
        else:  # a stroke: a few joined segments of one brush width
            x, y = float(rng.integers(0, width)), float(rng.integers(0, height))
            brush = int(rng.integers(max(1, scale // 64), max(2, scale // 20) + 1))
            angle = rng.uniform(0, 2 * np.pi)
            for _ in range(int(rng.integers(2, 6))):
                angle += rng.uniform(-1.2, 1.2)
                length = rng.uniform(scale / 16, scale / 5)
                nx = float(np.clip(x + length * np.cos(angle), 0, width - 1))
                ny = float(np.clip(y + length * np.sin(angle), 0, height - 1))
                draw.line((x, y, nx, ny), fill=255, width=brush, joint="curve")
                x, y = nx, ny
    return np.asarray(mask) > 0
