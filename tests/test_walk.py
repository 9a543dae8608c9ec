"""The one decoding order: what the walker asks of a model, in which order, with what."""

from __future__ import annotations

import numpy as np
import pytest

from invcodec import walk as walk_module
from invcodec.walk import COLOURS, DETAILS, band_count, bands_in_order, chunk_bands, chunk_values, walk

from .conftest import smooth_image

pytestmark = pytest.mark.usefixtures("single_thread")


class FakeModel:
    """Implements the walker's protocol on numpy HWC arrays and records every call.

    Prior parameters are descriptions of the question asked; ``level_inverse`` upsamples
    the anchors and adds the mean of the details, so every value depends on the bands."""

    checkerboard = False
    top_autoregressive = False

    def __init__(self, levels: int):
        self.level_count = levels
        self.block_size = 2**levels
        self.calls: list[tuple] = []

    def context_zeros(self, batch, height, width):
        self.calls.append(("zeros", batch, height, width))
        return np.zeros((height, width, 1))

    def cat(self, parts):
        return np.concatenate(list(parts), axis=2)

    def top_params(self, context, colour, rate):
        self.calls.append(("top", colour, context.shape, rate))
        return ("top", colour, context.copy())

    def level_features(self, level, anchors, rate):
        self.calls.append(("features", level, anchors.shape, rate))
        return ("features", level, anchors.copy())

    def detail_params(self, level, features, anchors, previous, g):
        self.calls.append(("detail", level, g, anchors.shape, len(previous)))
        return ("detail", level, g, features, anchors.copy(), [p.copy() for p in previous])

    def level_inverse(self, level, anchors, details):
        self.calls.append(("inverse", level, anchors.shape, details.shape))
        up = np.repeat(np.repeat(anchors, 2, axis=0), 2, axis=1)
        return up + np.repeat(np.repeat(details.mean(axis=2, keepdims=True), 2, axis=0), 2, axis=1)


def _band_values():
    """A band function returning band i as a (h', w', 1) array of value i + 1, and its log."""
    log: list[tuple[int, tuple]] = []

    def band(i, params):
        log.append((i, params))
        shape = (params[2] if params[0] == "top" else params[4]).shape[:2]
        return np.full(shape + (1,), float(i + 1))

    return band, log


@pytest.mark.parametrize("levels", [1, 2, 3])
def test_bands_come_coarsest_first_in_the_documented_order(levels: int) -> None:
    model = FakeModel(levels)
    h, w = 3 * model.block_size, 5 * model.block_size
    band, log = _band_values()
    out = walk(model, 1, h, w, band, rate=7)
    assert [i for i, _ in log] == list(range(band_count(levels))) == list(range(3 + 9 * levels))
    expected = [("top", c) for c in range(COLOURS)]
    expected += [("detail", level, g) for level in reversed(range(levels)) for g in range(DETAILS)]
    assert [p[:2] if p[0] == "top" else p[:3] for _, p in log] == expected
    assert out.shape == (h, w, 3)
    # the calls, in order, with the shapes each level works at
    calls = model.calls
    assert calls[0] == ("zeros", 1, 3, 5)
    assert calls[1:4] == [("top", 0, (3, 5, 1), 7), ("top", 1, (3, 5, 1), 7), ("top", 2, (3, 5, 2), 7)]
    i = 4
    for level in reversed(range(levels)):
        side = (h >> (level + 1), w >> (level + 1))
        assert calls[i] == ("features", level, side + (3,), 7)
        assert calls[i + 1 : i + 10] == [("detail", level, g, side + (3,), g) for g in range(DETAILS)]
        assert calls[i + 10] == ("inverse", level, side + (3,), side + (9,))
        i += 11
    assert i == len(calls)


def test_each_band_is_predicted_from_what_the_bands_before_it_returned() -> None:
    """Closed loop: the prior sees the band function's return values (what the decoder
    has), not anything else."""
    model = FakeModel(2)
    band, log = _band_values()
    walk(model, 1, 8, 12, band)
    top_contexts = [p[2] for i, p in log[:3]]
    assert np.array_equal(top_contexts[0], np.zeros((2, 3, 1)))
    assert np.array_equal(top_contexts[2], np.concatenate([np.full((2, 3, 1), 1.0), np.full((2, 3, 1), 2.0)], axis=2))
    _, level1_g5 = log[3 + 5]
    assert level1_g5[:3] == ("detail", 1, 5)
    assert np.array_equal(level1_g5[4], np.concatenate([np.full((2, 3, 1), c + 1.0) for c in range(3)], axis=2))
    assert [float(p.max()) for p in level1_g5[5]] == [4.0, 5.0, 6.0, 7.0, 8.0]
    # level 0 works on the inverse of level 1: 2x the size, anchors + mean of its details
    _, level0_g0 = log[3 + 9]
    assert level0_g0[:3] == ("detail", 0, 0)
    level1_inverse = np.full((4, 6, 3), np.mean(np.arange(4, 13)))
    level1_inverse += np.arange(1, 4)  # the top bands 1, 2, 3 per colour
    assert np.array_equal(level0_g0[4], level1_inverse)


def test_known_inputs_replace_the_inverse() -> None:
    """The lossless encoder has every level's input: the walk then never runs the flow
    backwards and each coarser level's features are computed from the given input."""
    model = FakeModel(2)
    known = [np.full((8, 12, 3), -1.0), np.full((4, 6, 3), -2.0)]  # entering level 0, level 1
    band, log = _band_values()
    out = walk(model, 1, 8, 12, band, known_inputs=known)
    assert out is known[0]
    assert not [c for c in model.calls if c[0] == "inverse"]
    assert len(log) == band_count(2)
    _, level0_g0 = log[3 + 9]
    assert np.array_equal(level0_g0[4], known[1])  # level 0's anchors are the input of level 1


def test_bands_in_order_is_the_walks_order() -> None:
    """An analysed image's bands, listed by ``bands_in_order``, are what band i of the walk
    stands for: same level, same channel, same shape."""
    levels, h, w = 3, 16, 24
    # latents labelled by where they come from: 1000 * (level + 1) + channel, top: -(colour + 1)
    per_level = []
    for level in range(levels):
        side = (h >> (level + 1), w >> (level + 1))
        anchors = np.zeros(side + (3,))
        details = np.concatenate([np.full(side + (1,), 1000.0 * (level + 1) + g) for g in range(DETAILS)], axis=2)
        per_level.append((anchors, details))
    top = np.concatenate([np.full((h >> levels, w >> levels, 1), -(c + 1.0)) for c in range(COLOURS)], axis=2)
    bands = bands_in_order(per_level, top, lambda t, i: t[..., i : i + 1])
    assert len(bands) == band_count(levels)
    model = FakeModel(levels)
    seen = []

    def band(i, params):
        seen.append((float(bands[i].flat[0]), params[:3] if params[0] == "detail" else params[:2], bands[i].shape))
        return bands[i]

    walk(model, 1, h, w, band)
    for label, question, shape in seen:
        if question[0] == "top":
            assert label == -(question[1] + 1) and shape == (h >> levels, w >> levels, 1)
        else:
            _, level, g = question
            assert label == 1000 * (level + 1) + g and shape == (h >> (level + 1), w >> (level + 1), 1)


def test_walking_the_analysed_bands_rebuilds_the_image_runtime(tiny_coding_models) -> None:
    """On the real exact flow (numpy, HWC): feeding back the analysed latents as the bands
    gives the image back, so analysis, ``bands_in_order`` and the walk agree."""
    for name in ("fixed64", "int8", "checkerboard", "top-autoregressive"):
        model = tiny_coding_models[name]
        x = smooth_image(16, 20, seed=2).astype(np.float64)
        bands = bands_in_order(*model.evaluator.analyze(x), lambda t, i: t[..., i : i + 1], model.evaluator)
        assert np.array_equal(walk(model.evaluator, 1, 16, 20, lambda i, p: chunk_values(bands[i], p)), x)
        wrong = walk(model.evaluator, 1, 16, 20, lambda i, p: chunk_values(bands[i], p) + (i == 5))
        assert not np.array_equal(wrong, x)


@pytest.mark.torch
def test_walking_the_analysed_bands_rebuilds_the_image_training() -> None:
    """The same walk over the torch training model (NCHW, a batch of 2)."""
    import torch

    from .fixtures.make_models import TINY_CHECKERBOARD_CONFIG, make_tiny_model

    x = torch.from_numpy(np.stack([smooth_image(16, 12, seed=s) for s in (3, 4)]).transpose(0, 3, 1, 2)).float()
    for model in (make_tiny_model(), make_tiny_model(config=TINY_CHECKERBOARD_CONFIG)):
        with torch.no_grad():
            bands = bands_in_order(*model.analyze(x), lambda t, i: t[:, i : i + 1], model)
            assert torch.equal(walk(model, 2, 16, 12, lambda i, p: bands[i]), x)


@pytest.mark.torch
def test_the_training_code_length_is_the_walks() -> None:
    """``model.bits`` (teacher forcing, the lossless objective) counts every chunk under the
    parameters the walk gives it, checkerboard halves included."""
    import torch

    from invcodec.training.likelihood import laplace_bits

    from .fixtures.make_models import TINY_CHECKERBOARD_CONFIG, make_tiny_model

    x = torch.from_numpy(np.stack([smooth_image(16, 12, seed=s) for s in (3, 4)]).transpose(0, 3, 1, 2)).double()
    for model in (make_tiny_model(), make_tiny_model(config=TINY_CHECKERBOARD_CONFIG)):
        model = model.double()
        with torch.no_grad():
            bands = bands_in_order(*model.analyze(x), lambda t, i: t[:, i : i + 1], model)
            total = torch.zeros(2, dtype=torch.float64)

            def band(i, p):
                nonlocal total
                total = total + laplace_bits(bands[i], p.mean, p.log2_scale).flatten(1).sum(1)
                return bands[i]

            walk(model, 2, 16, 12, band)
            assert torch.allclose(model.bits(x), total, rtol=1e-12)


class FakeCheckerboard(FakeModel):
    """FakeModel with checkerboard context: a half is the (N, 1) values at its positions."""

    checkerboard = True

    def context_params(self, level, first, known, g):
        self.calls.append(("context", level, g))
        return ("black", level, g, known.copy(), first[4])

    def half(self, t, which):
        if isinstance(t, tuple):  # parameters: the anchors stand for the band's shape
            return t
        white = (np.add.outer(np.arange(t.shape[0]), np.arange(t.shape[1])) % 2) == 0
        return t[white if which == 0 else ~white]

    def merge(self, white, black, params):
        out = np.zeros(params[4].shape[:2] + (1,))  # the anchors' shape
        mask = (np.add.outer(np.arange(out.shape[0]), np.arange(out.shape[1])) % 2) == 0
        out[mask] = white
        if black is not None:
            out[~mask] = black
        return out


def test_checkerboard_codes_each_detail_band_as_two_halves_the_black_seeing_the_white() -> None:
    model = FakeCheckerboard(2)
    chunks = chunk_bands(model)
    assert len(chunks) == 3 + 2 * 9 * 2 and chunks[:7] == [0, 1, 2, 3, 3, 4, 4] and chunks[-1] == band_count(2) - 1
    assert chunk_bands(FakeModel(2)) == list(range(band_count(2)))
    log = []

    def band(i, params):
        log.append((i, params))
        if params[0] == "top":
            return np.full(params[2].shape[:2] + (1,), float(i + 1))
        h, w = (params[4] if params[0] == "detail" else params[3]).shape[:2]
        return np.full((h * w // 2, 1), float(i + 1))  # a half (even sides here)

    walk(model, 1, 8, 12, band)
    assert [i for i, _ in log] == list(range(len(chunks)))
    white, black = log[3][1], log[4][1]
    assert white[:3] == ("detail", 1, 0) and black[:3] == ("black", 1, 0)
    known = black[3]  # channel 0 of level 1 (2 x 3): the white half's values, zero on the black
    assert known[..., 0].tolist() == [[4.0, 0.0, 4.0], [0.0, 4.0, 0.0]]
    # the next channel sees the whole of channel 0: white half 4, black half 5
    level1_g1 = log[5][1]
    assert level1_g1[:3] == ("detail", 1, 1) and level1_g1[5][0][..., 0].tolist() == [[4.0, 5.0, 4.0], [5.0, 4.0, 5.0]]


def test_band_count() -> None:
    assert [band_count(n) for n in (0, 1, 4)] == [3, 12, 39]
    assert walk_module.DETAILS == 3 * walk_module.COLOURS == 9
