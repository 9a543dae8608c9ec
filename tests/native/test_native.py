"""The native kernel (invcodec.native): the autoregressive nets' priors bit for bit those of
the numpy reference (``AutoregressiveModel.reference_params``), for every shipped net and
for weights at the edges of the exact range; every size, type and range checked at its
boundary."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from invcodec import native, registry
from invcodec.entropy import grid
from invcodec.runtime import autoregressive as ar
from invcodec import model_file


def _shipped_nets() -> dict[str, ar.AutoregressiveModel]:
    """Every shipped model's autoregressive nets: the model itself, or a lifting flow's top band."""
    nets = {}
    for name, path in sorted(registry.shipped_models().items()):
        flow = model_file.load(path).evaluator
        if isinstance(flow, ar.AutoregressiveModel):
            nets[name] = flow
        elif getattr(flow, "top_autoregressive", False):
            nets[f"{name} top_ar."] = flow._top_ar
    return nets


SHIPPED = _shipped_nets()


def _capped(model: ar.AutoregressiveModel, vector: int) -> native.ArNet:
    """The model's nets on the kernel's path ``vector`` at most (0 the portable C, 1 AVX2)."""
    return native.ArNet(**{**model.kernel_args, "vector": vector})


def _each_path(model: ar.AutoregressiveModel, planes: np.ndarray, plane: int, rate: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The priors on every path of the kernel this CPU has: the model's own (the fastest),
    the AVX2 path and the portable C."""
    h, w = planes.shape[1:]
    results = [model.encode_params(planes, plane, rate)]
    for vector in (1, 0):
        mean, index = np.empty(h * w), np.empty(h * w, dtype=np.int64)
        _capped(model, vector).plane_params(planes.astype(np.int32), h, w, plane, rate, mean, index)
        results.append((mean, index))
    return results


def _reference(model: ar.AutoregressiveModel, planes: np.ndarray, plane: int, rate: int) -> tuple[np.ndarray, np.ndarray]:
    features, ref = ar.plane_features(planes, plane)
    padded = np.zeros((features.shape[0], ar.FEATURES))
    padded[:, : features.shape[1]] = features
    return model.reference_params(padded, ref, plane, rate)


def _test_planes(model: ar.AutoregressiveModel, rng: np.random.Generator, h: int = 23, w: int = 37) -> list[np.ndarray]:
    """Uniform in the ranges, only the ranges' ends (the largest features either way), and all zero."""
    lo, hi = model.lo.astype(np.int64)[:, None, None], model.hi.astype(np.int64)[:, None, None]
    uniform = rng.integers(lo, hi + 1, (ar.PLANES, h, w))
    ends = np.where(rng.random((ar.PLANES, h, w)) < 0.5, lo, hi)
    return [p.astype(np.float64) for p in (uniform, ends, np.zeros((ar.PLANES, h, w)))]


def test_every_shipped_autoregressive_net_is_found() -> None:
    assert "photo-v4" in SHIPPED and "photo-lossy-v6 top_ar." in SHIPPED and "photo-lossy-v7 top_ar." in SHIPPED


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_nets_give_the_reference_priors(name: str) -> None:
    model = SHIPPED[name]
    rng = np.random.default_rng(len(name))
    rates = sorted({0, min(1, model.max_rate), model.max_rate // 2, model.max_rate})
    for planes in _test_planes(model, rng):
        for plane in range(ar.PLANES):
            for rate in rates:
                want_mean, want_index = _reference(model, planes, plane, rate)
                for mean, index in _each_path(model, planes, plane, rate):
                    assert np.array_equal(mean, want_mean) and np.array_equal(index, want_index)
                    assert index.dtype == np.int64 and mean.dtype == np.float64


def _random_model(rng: np.random.Generator, hidden: int, gain: float, ranges=ar.RANGES, feature_limit=ar.FEATURE_LIMIT,
                  max_rate: int = 0, second_gain: float = 1.0, large_second: int = 0) -> ar.AutoregressiveModel:
    """``second_gain`` scales layer 2 alone; ``large_second`` of its weights per plane made beyond int16's range."""
    tensors = {}
    for p in range(ar.PLANES):
        n = ar.feature_count(p)
        shapes = {"w1": (hidden, n), "b1": (hidden,), "w2": (hidden, hidden), "b2": (hidden,), "w3": (2, hidden),
                  "b3": (2,), "skip": (n,), "skip_bias": (1,)}
        tensors.update({f"plane{p}.{k}": rng.normal(0, 1, s).astype(np.float32) for k, s in shapes.items()})
        tensors[f"plane{p}.w1"] *= gain
        tensors[f"plane{p}.w2"] *= gain
        tensors[f"plane{p}.b1"] *= gain
        tensors[f"plane{p}.w2"] *= second_gain
        if large_second:
            tensors[f"plane{p}.w2"].reshape(-1)[rng.choice(hidden * hidden, large_second, replace=False)] = 12.0
        if max_rate:
            tensors[f"plane{p}.w_rate"] = rng.normal(0, 1, hidden).astype(np.float32)
    return ar.AutoregressiveModel(tensors, "", ranges, feature_limit, max_rate)


@pytest.mark.parametrize("hidden, gain", [(32, 1.0), (64, 0.5), (96, 0.5), (48, 1.0), (24, 1.0), (7, 2.0), (32, 300.0),
                                          (5, 3000.0)])
def test_random_nets_give_the_reference_priors(hidden: int, gain: float) -> None:
    """Every path (AVX-512 VNNI and AVX2 where the CPU has them, portable C), every width
    the kernel inlines (32, 64, 96) or not (48; 24, too narrow for VNNI; 7 and 5, for any
    vector path), layer 1 summed in int32 or (large weights) in int64, accumulators up to
    near 2**53."""
    rng = np.random.default_rng(hidden)
    model = _random_model(rng, hidden, gain, max_rate=50)
    for planes in _test_planes(model, rng, 17, 29):
        for plane in range(ar.PLANES):
            for rate in (0, 50):
                want = _reference(model, planes, plane, rate)
                for got in _each_path(model, planes, plane, rate):
                    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    if gain >= 300:
        assert np.abs(model.w1[..., :-1]).sum(1).max() * ar.FEATURE_LIMIT > 2**31  # the int64 path was taken


@pytest.mark.parametrize("second_gain, large_second, split", [(1.0, 0, 13), (1.0, 3, 13), (0.5, 0, 14), (20.0, 0, 0)])
@pytest.mark.parametrize("vector", [1, 2])
def test_every_path_of_the_second_layer_gives_the_reference_priors(second_gain: float, large_second: int, split: int,
                                                                    vector: int) -> None:
    """The vector paths' layer 2 (AVX2, AVX-512 VNNI): int16 multiply-adds with the
    activations split (both parts where they are large), with a few weights beyond int16
    added apart, or int64 lanes where no split keeps the int32 sums exact."""
    rng = np.random.default_rng(large_second)
    model = _random_model(rng, 32, 1.0, max_rate=50, second_gain=second_gain, large_second=large_second)
    kernel = _capped(model, vector)
    if kernel.vector != vector:
        pytest.skip(f"this CPU lacks path {vector}")
    assert kernel.second_split == split
    assert np.any(np.abs(model.kernel_args["w2"]) > 32767) == (large_second > 0 or split == 0)
    for planes in _test_planes(model, rng, 17, 29):
        h, w = planes.shape[1:]
        for plane in range(ar.PLANES):
            for rate in (0, 50):
                want = _reference(model, planes, plane, rate)
                mean, index = np.empty(h * w), np.empty(h * w, dtype=np.int64)
                kernel.plane_params(planes.astype(np.int32), h, w, plane, rate, mean, index)
                assert np.array_equal(mean, want[0]) and np.array_equal(index, want[1])


@pytest.mark.parametrize("hidden", [48, 96])
@pytest.mark.parametrize("vector", [1, 2])
def test_layer_two_adds_the_high_parts_of_the_few_activations_that_have_them(hidden: int, vector: int) -> None:
    """The vector paths' layer 2 sums the activations' high parts (2**second_split and
    above) over the pairs that have one: a varying few per sample, in one or several
    16-pair blocks with a partial last one (48 pairs; 24)."""
    rng = np.random.default_rng(hidden)
    model = _random_model(rng, hidden, 0.3, max_rate=50)
    kernel = _capped(model, vector)
    if kernel.vector != vector:
        pytest.skip(f"this CPU lacks path {vector}")
    assert kernel.second_split > 0
    for planes in _test_planes(model, rng, 17, 29):
        h, w = planes.shape[1:]
        for plane in range(ar.PLANES):
            features, ref = ar.plane_features(planes, plane)
            first = features @ model.w1[plane][: features.shape[1], :hidden] + model.b1[plane][:hidden]
            high = first * 2.0 ** (ar.ACT_FRAC_BITS - ar.FIRST_FRAC_BITS) >= 2**kernel.second_split
            want = _reference(model, planes, plane, 0)
            mean, index = np.empty(h * w), np.empty(h * w, dtype=np.int64)
            kernel.plane_params(planes.astype(np.int32), h, w, plane, 0, mean, index)
            assert np.array_equal(mean, want[0]) and np.array_equal(index, want[1])
            if plane == 0 and not np.all(planes == 0):
                assert 0 < high.mean() < 0.5 and np.unique(high.sum(1)).size > 3  # a varying few


def test_means_reach_the_ranges_ends_and_scales_the_grids() -> None:
    """Large weights drive the priors to their clips: both ends of each range, both ends of the scale grid."""
    model = _random_model(np.random.default_rng(5), 32, 300.0)
    means, indices = [], []
    for planes in _test_planes(model, np.random.default_rng(6), 31, 31):
        for plane in range(ar.PLANES):
            mean, index = model.encode_params(planes, plane)
            means.append((mean.min() == model.lo[plane], mean.max() == model.hi[plane]))
            indices.append(index)
    assert np.any([m[0] for m in means]) and np.any([m[1] for m in means])
    assert np.concatenate(indices).min() == 0 and np.concatenate(indices).max() == grid.N_SCALES - 1


def _decode(model: ar.AutoregressiveModel, planes: np.ndarray, rate: int = 0) -> np.ndarray:
    h, w = planes.shape[1:]
    order = ar.encode_order(h, w)
    symbols = planes.reshape(-1)[order]
    done = 0

    def pull(mean, index, parts):
        nonlocal done
        done += mean.size
        return symbols[done - mean.size : done]

    return model.decode_planes(pull, h, w, rate=rate)


def test_the_decoder_runs_in_parallel_threads_with_the_same_result() -> None:
    model = SHIPPED["photo-v4"]
    planes = _test_planes(model, np.random.default_rng(3), 40, 50)[0]
    results = [None] * 4

    def run(i: int) -> None:
        results[i] = _decode(model, planes)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r is not None and np.array_equal(r, planes) for r in results)


@pytest.fixture(scope="module")
def small():
    return _random_model(np.random.default_rng(9), 8, 1.0, max_rate=10)


@pytest.mark.parametrize("value", [256.0, -1.0, 0.5, np.nan, np.inf])
def test_the_decoder_refuses_values_outside_the_plane(small, value: float) -> None:
    planes = np.zeros((3, 4, 5))

    def pull(mean, index, parts):
        out = np.zeros(mean.size)
        out[-1] = value if parts[0][0] == 0 else 0.0
        return out

    with pytest.raises(ValueError, match="out of their plane's range"):
        small.decode_planes(pull, *planes.shape[1:])


def test_the_encoder_refuses_planes_outside_their_ranges(small) -> None:
    planes = np.zeros((3, 4, 5))
    for bad in (256.0, -1.0, 0.5, np.nan, 2.0**40):
        changed = planes.copy()
        changed[0, 2, 3] = bad
        with pytest.raises(ValueError, match="out of their plane's range"):
            small.encode_params(changed, 0)


def test_the_kernel_checks_sizes_types_and_ranges(small) -> None:
    kernel = small._kernel
    planes = np.zeros((3, 4, 5), dtype=np.int32)
    mean, index = np.empty(20), np.empty(20, dtype=np.int64)
    kernel.plane_params(planes, 4, 5, 2, 10, mean, index)
    bad_calls = [
        (ValueError, lambda: kernel.plane_params(planes, 5, 5, 0, 0, mean, index)),  # sizes disagree
        (ValueError, lambda: kernel.plane_params(planes.astype(np.int64), 4, 5, 0, 0, mean, index)),  # a wrong type
        (ValueError, lambda: kernel.plane_params(planes, 4, 5, 0, 0, mean.astype(np.float32), index)),
        (ValueError, lambda: kernel.plane_params(planes, 4, 5, 0, 0, mean, index.astype(np.float64))),
        (TypeError, lambda: kernel.plane_params(planes, 4, 5, 0, 0, mean, index[::2])),  # not contiguous
        (TypeError, lambda: kernel.plane_params(planes, 4, 5, 0, 0, mean.tobytes(), index)),  # read-only
        (ValueError, lambda: kernel.plane_params(planes, 4, 5, 3, 0, mean, index)),  # no such plane
        (ValueError, lambda: kernel.plane_params(planes, 4, 5, 0, 11, mean, index)),  # rate beyond the model's
        (ValueError, lambda: kernel.plane_params(planes, -4, -5, 0, 0, mean, index)),
        (ValueError, lambda: kernel.decoder(4, 5, 0, np.zeros((3, grid.N_SCALES - 1), dtype=np.int64))),
        (ValueError, lambda: kernel.decoder(4, 5, 0, np.full((3, grid.N_SCALES), grid.N_SCALES, dtype=np.int64))),
        (ValueError, lambda: kernel.decoder(4, 5, -1, np.zeros((3, grid.N_SCALES), dtype=np.int64))),
        (ValueError, lambda: kernel.decoder(2**40, 5, 0, np.zeros((3, grid.N_SCALES), dtype=np.int64))),
    ]
    for error, call in bad_calls:
        with pytest.raises(error):
            call()
    decoder = kernel.decoder(4, 5, 0, np.zeros((3, grid.N_SCALES), dtype=np.int64))
    with pytest.raises(ValueError):
        decoder.params(0, np.empty(2), np.empty(2, dtype=np.int64))  # step 0 has one sample
    with pytest.raises(ValueError):
        decoder.params(-1, np.empty(0), np.empty(0, dtype=np.int64))
    with pytest.raises(ValueError):
        decoder.store(0, np.zeros(3))
    out = np.ones((3, 4, 5), dtype=np.int32)
    decoder.planes(out)
    assert not out.any()  # nothing stored yet


def test_a_model_the_kernel_cannot_hold_is_refused() -> None:
    args = dict(w1=np.zeros((3, 35, 4), np.int32), skip=np.zeros((3, 35), np.int32), b1=np.zeros((3, 5), np.int64),
                w_rate=np.zeros((3, 5), np.int64), w2=np.zeros((3, 4, 4), np.int32), b2=np.zeros((3, 4), np.int64),
                w3=np.zeros((3, 4, 2), np.int32), b3=np.zeros((3, 2), np.int64), lo=np.array([0, -255, -255]),
                hi=np.array([255, 255, 255]), used=np.array([21, 28, 35], np.int32), causal=np.array(ar.CAUSAL, np.int32),
                earlier=np.array(ar.EARLIER, np.int32), west_north=(0, 1, 1, 2), shifts=(4, 12, 24), act_limit=2**22,
                mean_steps=16, n_scales=grid.N_SCALES, pad=4, lag=4, feature_limit=512.0, max_rate=0)
    native.ArNet(**args)
    for change in ({"pad": 3}, {"used": np.array([21, 28, 36], np.int32)}, {"mean_steps": 12}, {"feature_limit": 100.0},
                   {"b2": np.full((3, 4), 2**53, np.int64)}, {"west_north": (0, 1, 1, 7)}, {"w2": np.zeros((3, 4, 5), np.int32)}):
        with pytest.raises(ValueError):
            native.ArNet(**{**args, **change})
