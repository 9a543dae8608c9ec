"""PSNR of decoded pixels."""

from __future__ import annotations

import math

import numpy as np

from invcodec.metrics import psnr


def test_psnr_is_infinite_for_identical_pixels_and_falls_with_the_error() -> None:
    a = np.full((4, 4, 3), 100, np.uint8)
    assert psnr(a, a) == math.inf
    assert psnr(a, a + 1) == 10 * math.log10(255**2)  # mean squared error 1
    assert psnr(a, a + 4) < psnr(a, a + 2)
    assert psnr(np.zeros_like(a), np.full_like(a, 255)) == 0.0  # the uint8 arithmetic does not wrap
