import numpy as np
import pytest

from invcodec_benchmarks.bd_rate import bd_rate, msssim_db


def test_same_quality_at_80_percent_of_the_rate_is_minus_20():
    rate = np.array([0.25, 0.5, 1.0, 2.0])
    psnr = np.array([28.0, 31.0, 34.5, 38.0])
    assert bd_rate(rate, psnr, 0.8 * rate, psnr) == pytest.approx(-20.0, abs=1e-9)
    assert bd_rate(0.8 * rate, psnr, rate, psnr) == pytest.approx(25.0, abs=1e-9)


def test_hand_checked_parallel_lines():
    # ref: PSNR = 10 log10(R) + 30; test: 1 dB better at every rate, so at equal PSNR it
    # needs R * 10**(-1/10): BD-rate = 10**-0.1 - 1 = -20.567 %. Different sample points
    # and a partial overlap (30..36 dB) must not change that.
    ref_rate = np.array([1.0, 1.6, 2.5, 4.0])
    test_rate = np.array([0.7, 1.1, 2.0, 3.2, 5.0])
    ref_psnr = 10 * np.log10(ref_rate) + 30
    test_psnr = 10 * np.log10(test_rate) + 31
    expected = (10**-0.1 - 1) * 100
    assert bd_rate(ref_rate, ref_psnr, test_rate, test_psnr) == pytest.approx(expected, abs=1e-6)


def test_rejects_curves_that_cannot_be_compared():
    with pytest.raises(ValueError):
        bd_rate([1, 2, 3], [30, 31, 32], [1, 2, 3, 4], [30, 31, 32, 33])
    with pytest.raises(ValueError):
        bd_rate([1, 2, 3, 4], [20, 21, 22, 23], [1, 2, 3, 4], [30, 31, 32, 33])


def test_msssim_db():
    assert msssim_db([0.9, 0.99]) == pytest.approx([10.0, 20.0])
