"""The coding options, checked once where they enter the API."""

from __future__ import annotations

import numpy as np
import pytest

from invcodec import codec
from invcodec.options import DEFAULT_EFFORT, CodingOptions, check_effort, check_quality, check_threads, check_tile_size, check_tune


def test_good_options_pass_through() -> None:
    assert check_quality(None) is None and check_quality(np.int64(40)) == 40 and type(check_quality(np.int64(40))) is int
    assert check_tune("ms-ssim", 40) == "ms-ssim" and check_tune("psnr", None) == "psnr"
    assert check_tile_size(None) is None and check_tile_size(64) == 64
    assert check_threads(None) is None and check_threads(3) == 3
    assert check_effort(np.int64(9)) == 9 and CodingOptions().effort == DEFAULT_EFFORT == 7


@pytest.mark.parametrize("check, value, message", [
    (check_quality, 0, "quality"), (check_quality, 50.0, "quality"), (check_quality, True, "quality"),
    (check_tile_size, 17, "tile size"), (check_tile_size, 1024, "tile size"), (check_tile_size, 64.0, "tile size"),
    (check_threads, 0, "threads"), (check_threads, "2", "threads"), (check_threads, False, "threads"),
    (check_effort, 0, "effort"), (check_effort, 10, "effort"), (check_effort, "8", "effort"), (check_effort, True, "effort"),
    (check_effort, 8.0, "effort"),
])
def test_bad_options_are_one_clear_value_error(check, value, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check(value)


def test_a_tuning_needs_a_known_name_and_lossy_mode() -> None:
    with pytest.raises(ValueError, match="tune must be one of psnr, ms-ssim"):
        check_tune("ssim", 40)
    with pytest.raises(ValueError, match="for lossy files"):
        check_tune("ms-ssim", None)


def test_coding_options_are_checked_once_and_keyword_only(monkeypatch) -> None:
    options = CodingOptions.checked(quality=30, tune="ms-ssim", tile_size=32, threads=2, icc_profile=b"")
    assert (options.quality, options.tune, options.tile_size, options.threads, options.lossy) == (30, "ms-ssim", 32, 2, True)
    assert options.icc_profile is None and not CodingOptions().lossy  # an empty profile is none
    with pytest.raises(TypeError):
        CodingOptions(30)  # keyword-only
    with pytest.raises(ValueError, match="tile size"):
        CodingOptions.checked(tile_size=8)
    calls = []
    monkeypatch.setattr(codec, "_compress", lambda samples, model, options: calls.append(options) or (b"", None))
    codec.compress(np.zeros((4, 4, 3), np.uint8), quality=20, threads=1)
    assert calls == [CodingOptions(quality=20, threads=1)]  # compress checks them and codes with them as they are
    with pytest.raises(ValueError, match="threads"):
        codec.decompress_samples(b"not even read", threads=0)  # decoding's one option, checked before the file is read
