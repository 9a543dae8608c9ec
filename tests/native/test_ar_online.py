"""The kernel's online LMS stage (native/ar_online.c): the corrected means bit for bit those
of a plain Python reading of docs/FORMAT.md's "Online stage", at the ranges' ends too; the
decoder's stage the encoder's; every argument checked at the boundary."""

from __future__ import annotations

import numpy as np
import pytest

from invcodec.entropy import ans, grid
from invcodec.runtime import autoregressive as ar

from ..conftest import smooth_image

TAPS = ((0, 1), (1, 0), (1, 1), (1, -1), (0, 2), (2, 0))


def _reference(values: np.ndarray, mean: np.ndarray, index: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """The stage as the format describes it, one sample at a time (Python integers)."""
    h, w = values.shape
    weights = [[0] * len(TAPS) for _ in range(8)]
    errors = {}
    out = np.zeros((h, w), dtype=np.int64)
    for front in range(2 * h + w - 2 if h and w else 0):
        for row in range(h):
            col = front - 2 * row
            if not 0 <= col < w:
                continue
            f = [max(-2047, min(2047, errors.get((row - dy, col - dx), 0))) for dy, dx in TAPS]
            ctx = min(int(index[row, col]) >> 5, 7)
            norm = 256 + sum(x * x for x in f)
            acc = sum(a * b for a, b in zip(weights[ctx], f))
            corrected = max(lo, min(hi, int(mean[row, col]) + (acc + 2**23) // 2**24))
            value = 16 * int(values[row, col])
            error = value - corrected
            weights[ctx] = [max(-(2**28), min(2**28, wk + (2 * error * x * 2**14 + norm) // (2 * norm)))
                            for wk, x in zip(weights[ctx], f)]
            errors[(row, col)] = value - int(mean[row, col])
            out[row, col] = corrected
    return out


def _kernel_means(model, values, mean, index, plane: int) -> np.ndarray:
    h, w = values.shape
    out = np.empty(h * w, dtype=np.int64)
    model._kernel.online_means(values.reshape(-1).astype(np.int64), h, w, plane, mean.reshape(-1).astype(np.int64),
                               index.reshape(-1).astype(np.int64), out)
    return out.reshape(h, w)


@pytest.fixture(scope="module")
def model(tiny_coding_models):
    evaluator = tiny_coding_models["autoregressive"].evaluator
    return ar.AutoregressiveModel(evaluator.tensors, online=True)


@pytest.mark.parametrize("h, w", [(1, 1), (5, 1), (1, 6), (19, 23)])
@pytest.mark.parametrize("kind", ["smooth", "noise", "ends"])
def test_the_kernel_gives_the_reference_means(model, h: int, w: int, kind: str) -> None:
    rng = np.random.default_rng(h * 100 + w)
    for plane in range(ar.PLANES):
        lo, hi = int(model.lo[plane]), int(model.hi[plane])
        if kind == "smooth":
            values = ar.forward_colour(smooth_image(h, w, seed=1))[plane].astype(np.int64)
        elif kind == "noise":
            values = rng.integers(lo, hi + 1, (h, w))
        else:  # the largest errors either way: values at one end, means at the other
            values = np.where(rng.random((h, w)) < 0.5, lo, hi)
        mean = rng.integers(16 * lo, 16 * hi + 1, (h, w)) if kind != "ends" else 16 * (lo + hi - values)
        index = rng.integers(0, grid.N_SCALES, (h, w))
        want = _reference(values, mean, index, 16 * lo, 16 * hi)
        assert np.array_equal(_kernel_means(model, values, mean, index, plane), want)


def test_the_stage_learns_a_bias_the_net_leaves() -> None:
    """Not a no-op: a plane whose every sample sits 3 above the net's mean, smoothly varying
    around it, ends up predicted closer than the net's own means."""
    rng = np.random.default_rng(0)
    h, w = 64, 64
    noise = np.cumsum(rng.integers(-1, 2, (h, w)), axis=1)
    values = np.clip(128 + noise, 0, 255)
    mean = 16 * (values - 3) - 16 * rng.integers(-1, 2, (h, w))
    corrected = _reference(values, mean, np.full((h, w), 80), 0, 16 * 255)
    late = slice(h // 2, None)
    assert np.abs(16 * values - corrected)[late].mean() < 0.8 * np.abs(16 * values - mean)[late].mean()


@pytest.mark.parametrize("h, w", [(37, 29), (2, 5), (1, 1)])
def test_an_online_stream_decodes_to_its_planes(model, h: int, w: int) -> None:
    """The decoder's stage (sample by sample in the ANS loop) gives the encoder's means: a
    stream coded under ``stream_params`` decodes to its planes, not under the plain nets."""
    planes = ar.forward_colour(smooth_image(h, w, seed=5))
    order = ar.encode_order(h, w)
    params = [model.stream_params(planes, p) for p in range(ar.PLANES)]
    encoder = ans.LatentEncoder()
    encoder.push(planes.reshape(-1)[order], np.concatenate([m for m, _ in params])[order],
                 np.concatenate([i for _, i in params])[order])
    payload = encoder.finish()
    assert np.array_equal(model.decode_stream(ans.LatentDecoder(payload).coder, h, w), planes)
    if h * w > 100:  # the stage moved the means, so the plain nets' decoder goes astray
        plain = ar.AutoregressiveModel(model.tensors)
        try:
            assert not np.array_equal(plain.decode_stream(ans.LatentDecoder(payload).coder, h, w), planes)
        except ValueError:
            pass


def test_online_means_checks_its_arguments(model) -> None:
    h, w = 4, 5
    good = dict(values=np.zeros(h * w, dtype=np.int64), mean=np.zeros(h * w, dtype=np.int64),
                index=np.zeros(h * w, dtype=np.int64), out=np.empty(h * w, dtype=np.int64))

    def call(plane=0, height=h, **changed):
        a = {**good, **changed}
        model._kernel.online_means(a["values"], height, w, plane, a["mean"], a["index"], a["out"])

    call()
    for bad, error in [(dict(plane=3), ValueError), (dict(plane=-1), ValueError), (dict(height=-1), ValueError),
                       (dict(height=h + 1), ValueError), (dict(values=np.zeros(h * w, dtype=np.int32)), ValueError),
                       (dict(values=np.full(h * w, 256, dtype=np.int64)), ValueError),
                       (dict(mean=np.full(h * w, -1, dtype=np.int64)), ValueError),
                       (dict(mean=np.full(h * w, 16 * 255 + 1, dtype=np.int64)), ValueError),
                       (dict(index=np.full(h * w, grid.N_SCALES, dtype=np.int64)), ValueError),
                       (dict(out=np.empty(h * w, dtype=np.int64)[::-1]), (TypeError, ValueError)),
                       (dict(out=np.empty(h * w - 1, dtype=np.int64)), ValueError)]:
        with pytest.raises(error):
            call(**bad)
