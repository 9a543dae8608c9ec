"""Blind estimate of additive white Gaussian noise: the median absolute deviation of the
finest diagonal wavelet band (Donoho & Johnstone 1994; the estimator
``skimage.restoration.estimate_sigma`` uses), on an orthonormal Haar step, per colour
channel, averaged. A few lines of numpy rather than scikit-image and its dependencies
in the codec's install. Image texture biases it upwards (a clean Kodak photo reads as
sigma ~2-5; docs/RESTORE.md)."""

from __future__ import annotations

import numpy as np

MAD_TO_SIGMA = 0.6745  # median |N(0, 1)|


def estimate_sigma(image: np.ndarray) -> float:
    """Noise sigma in 0..255 units of an (H, W, C) uint8 image (H, W >= 2)."""
    x = image.astype(np.float32)
    h, w = x.shape[0] // 2 * 2, x.shape[1] // 2 * 2
    if h < 2 or w < 2:
        raise ValueError("the image is too small to estimate its noise (needs at least 2 x 2 pixels)")
    x = x[:h, :w]
    hh = 0.5 * (x[0::2, 0::2] - x[0::2, 1::2] - x[1::2, 0::2] + x[1::2, 1::2])
    return float(np.mean([np.median(np.abs(hh[..., c])) for c in range(hh.shape[2])]) / MAD_TO_SIGMA)
