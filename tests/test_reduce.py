"""The scales a file decodes at, and the box reduction that defines a reduced image."""

from fractions import Fraction

import numpy as np
import pytest

from invcodec.reduce import SCALES, box_reduce, check_scale, reduced_side


def _box_mean(samples: np.ndarray, factor: int) -> np.ndarray:
    """The reference: each output sample the mean of the samples of its block that exist,
    rounded half up, computed sample by sample."""
    h, w, c = samples.shape
    out = np.empty((-(-h // factor), -(-w // factor), c), np.uint8)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            block = samples[i * factor : (i + 1) * factor, j * factor : (j + 1) * factor].astype(np.int64)
            n = block.shape[0] * block.shape[1]
            out[i, j] = (2 * block.sum(axis=(0, 1)) + n) // (2 * n)
    return out


@pytest.mark.parametrize("levels", [1, 2, 3])
@pytest.mark.parametrize("shape", [(1, 1, 1), (5, 7, 2), (16, 24, 3), (17, 9, 4), (33, 40, 3)])
def test_box_reduce_is_the_rounded_block_mean_with_partial_edge_blocks(levels, shape) -> None:
    samples = np.random.default_rng(levels).integers(0, 256, shape, dtype=np.uint8)
    out = box_reduce(samples, levels)
    assert out.shape == (reduced_side(shape[0], levels), reduced_side(shape[1], levels), shape[2])
    assert np.array_equal(out, _box_mean(samples, 2**levels))


def test_box_reduce_at_scale_one_is_the_image() -> None:
    samples = np.random.default_rng(0).integers(0, 256, (5, 6, 3), dtype=np.uint8)
    assert box_reduce(samples, 0) is samples


@pytest.mark.parametrize("scale, levels", [(1, 0), (0.5, 1), ("1/4", 2), (Fraction(1, 8), 3), (0.125, 3), ("1", 0)])
def test_every_scale_spelling_gives_its_levels(scale, levels) -> None:
    assert check_scale(scale) == levels
    assert sorted(SCALES.values()) == [0, 1, 2, 3]


@pytest.mark.parametrize("scale", [3, 2, "1/3", "1/16", 0, -0.5, True, None, "x", "1/0", [0.5]])
def test_other_scales_are_one_clear_value_error(scale) -> None:
    with pytest.raises(ValueError, match=r"^scale must be one of 1, 1/2, 1/4, 1/8, got ") as e:
        check_scale(scale)
    assert "\n" not in str(e.value)
