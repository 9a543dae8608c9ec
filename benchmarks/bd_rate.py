"""Bjøntegaard delta rate (VCEG-M33): the average rate difference between two RD curves
at equal quality, in percent (negative: the test codec needs fewer bits).

Each curve's log-rate is fitted as a cubic polynomial of the quality (PSNR in dB, or
MS-SSIM in dB, -10 log10(1 - MS-SSIM)); the difference of the fits is averaged over the
quality interval both curves cover."""

from __future__ import annotations

import numpy as np


def bd_rate(ref_rate, ref_quality, test_rate, test_quality) -> float:
    """BD-rate of ``test`` against ``ref`` in percent. Each curve needs >= 4 points."""
    ref_rate, ref_quality, test_rate, test_quality = map(np.asarray, (ref_rate, ref_quality, test_rate, test_quality))
    if min(len(ref_rate), len(test_rate)) < 4:
        raise ValueError("BD-rate needs at least 4 points per curve")
    if np.any(ref_rate <= 0) or np.any(test_rate <= 0):
        raise ValueError("rates must be positive")
    lo = max(ref_quality.min(), test_quality.min())
    hi = min(ref_quality.max(), test_quality.max())
    if lo >= hi:
        raise ValueError("the curves' quality ranges do not overlap")
    ref_fit = np.polyint(np.polyfit(ref_quality, np.log(ref_rate), 3))
    test_fit = np.polyint(np.polyfit(test_quality, np.log(test_rate), 3))
    ref_area = np.polyval(ref_fit, hi) - np.polyval(ref_fit, lo)
    test_area = np.polyval(test_fit, hi) - np.polyval(test_fit, lo)
    return float((np.exp((test_area - ref_area) / (hi - lo)) - 1) * 100)


def msssim_db(msssim) -> np.ndarray:
    """MS-SSIM on a dB scale, where its curves are close to linear in log-rate."""
    return -10 * np.log10(1 - np.asarray(msssim, dtype=np.float64))
