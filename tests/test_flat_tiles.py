"""When an image is also coded in small tiles."""

from __future__ import annotations

import pytest

from invcodec.flat_tiles import FLAT_SHARE, flat_share, worth_small_tiles
from invcodec.registry import get_model

from .conftest import smooth_image


def test_flat_share_counts_one_colour_blocks() -> None:
    image = smooth_image(64, 64)
    assert flat_share(image) == 0.0
    image[:32, :32] = 5
    assert flat_share(image) == 0.25 and flat_share(image, 64) == 0.0
    assert flat_share(image[:10, :10]) == 0.0  # no whole block


def test_small_tiles_pay_for_lifting_models_only(tiny_coding_models) -> None:
    assert tiny_coding_models["fixed64"].small_tiles_pay
    assert not tiny_coding_models["autoregressive"].small_tiles_pay


@pytest.mark.parametrize("flow_bytes, file_bytes, flat, expected", [
    (100, 10, True, True),  # flow streams: photo-like
    (0, 64 * 64 * 3 // 8, True, True),  # no flow stream, but a bit per sample
    (0, 64 * 64 * 3 // 8 - 1, True, False),  # graphics the classic path codes in less
    (100, 10, False, False),  # no flat areas
])
def test_worth_small_tiles_needs_a_photo_with_flat_areas(tiny_coding_models, flow_bytes, file_bytes, flat,
                                                          expected) -> None:
    image = smooth_image(64, 64)
    if flat:
        image[:32] = 0
    assert flat_share(image) >= FLAT_SHARE or not flat
    assert worth_small_tiles(image, tiny_coding_models["fixed64"], file_bytes, flow_bytes) is expected
    assert not worth_small_tiles(image, get_model("photo-v4"), file_bytes, flow_bytes)  # its flat areas are free
