"""The int8 format's convolutions in the native kernel (``Int8Conv``) bit for bit those of
the numpy float32 reference (``int8_reference``), layer by layer for every shipped int8
model on random inputs and on their range's ends, on every path (AVX-512 VNNI, AVX2,
portable C), and whole nets built on either; every size, type and range checked at the
boundary."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from invcodec import model_file, native, registry
from invcodec.runtime import int8

from .int8_reference import ReferenceConv, reference_activation, reference_sums

PATHS, PATH_NAMES = [2, 1, 0], ["vnni", "avx2", "portable"]
INT8_MODELS = sorted(name for name, path in registry.shipped_models().items()
                     if model_file.load(path).spec.numeric == "int8")


def _layers(name: str) -> list[tuple[str, int8.Conv, dict]]:
    """Every conv of a model's int8 nets, with the activation its net asks of it (or None: the sums)."""
    flow = model_file.load(registry.shipped_models()[name]).evaluator
    layers = []

    def net(prefix: str, n: int8.ConvNet, out_act: dict | None = None) -> None:
        layers.append((f"{prefix}.inp", n.inp, {"exp": n.stream_exp}))
        for i, (conv1, hidden_exp, conv2) in enumerate(n.blocks):
            layers.append((f"{prefix}.{i}.conv1", conv1, {"exp": hidden_exp}))
            layers.append((f"{prefix}.{i}.conv2", conv2, {"exp": n.stream_exp, "lo": -int8.EXACT_LIMIT,
                                                          "hi": int8.EXACT_LIMIT, "residual": int8.ACT_LIMIT}))
        layers.append((f"{prefix}.out", n.out, out_act))

    for level, (predict, update, prior) in enumerate(zip(flow._predict, flow._update, flow._priors)):
        net(f"{level}.predict", predict)
        net(f"{level}.update", update)
        net(f"{level}.trunk", prior.trunk, {"exp": prior.features_exp})
        layers.append((f"{level}.from_features", prior.from_features,
                       {"exp": prior.feature_exps, "lo": -int8.PART_LIMIT, "hi": int8.PART_LIMIT}))
        part = {"lo": -int8.PART_LIMIT, "hi": int8.PART_LIMIT, "residual": 2 * int8.PART_LIMIT}
        for g, exp in enumerate(prior.hidden_exps):
            layers.append((f"{level}.from_latents.{g}", prior.from_latents[g], {"exp": exp, **part}))
            layers.append((f"{level}.out.{g}", prior.out[g], None))
            if prior.context is not None:
                layers.append((f"{level}.context.{g}", prior.context[g], {"exp": exp, **part}))
    return layers


def _inputs(conv: int8.Conv, rng: np.random.Generator, h: int = 13, w: int = 21) -> list[np.ndarray]:
    """Uniform within the input's limit, only its ends (the largest sums either way), zeros,
    and the same within 0..255 (which the vector path takes as bytes)."""
    lim, byte = conv.in_limit, min(conv.in_limit, 255)
    shape = (h, w, conv.in_channels)
    return [rng.integers(-lim, lim + 1, shape), np.where(rng.random(shape) < 0.5, -lim, lim), np.zeros(shape, np.int64),
            rng.integers(0, byte + 1, shape), np.where(rng.random(shape) < 0.5, 0, byte)]


def _native(conv: int8.Conv, vector: int) -> int8.Conv:
    """The conv on the kernel's path ``vector`` (or the widest below it the CPU has)."""
    other = int8.Conv(conv.weights, conv.bias, conv.grid, "copy", conv.in_limit)
    other.kernel = native.Int8Conv(conv.weights, conv.bias, conv.out_channels, conv.in_channels, conv.k, conv.in_limit,
                                   vector=vector)
    return other


def test_every_shipped_int8_model_is_covered() -> None:
    assert INT8_MODELS == ["photo-lossy-v2", "photo-lossy-v3", "photo-lossy-v4", "photo-lossy-v5", "photo-lossy-v6",
                           "photo-lossy-v7", "photo-v2", "photo-v3"]


@pytest.mark.parametrize("vector", PATHS, ids=PATH_NAMES)
@pytest.mark.parametrize("name", INT8_MODELS)
def test_every_layer_of_every_shipped_int8_model_is_the_references(name: str, vector: int) -> None:
    rng = np.random.default_rng(len(name))
    layers = _layers(name)
    assert len(layers) > 40
    for label, conv, act in layers:
        conv = _native(conv, vector)
        for x in _inputs(conv, rng):
            x16 = x.astype(np.int16)
            assert np.array_equal(conv(x16).acc, reference_sums(conv, x)), label
            if act is None:
                continue
            residual_limit = act.get("residual")
            kw = {k: act[k] for k in ("lo", "hi") if k in act}
            residual = None
            if residual_limit is not None:
                residual = rng.integers(-residual_limit // 2, residual_limit // 2 + 1, conv(x16).acc.shape).astype(np.int16)
                kw["residual"], kw["sum_limit"] = residual, residual_limit
            got = conv.activation(x16, act["exp"], **kw)
            want = reference_activation(conv, x, act["exp"], **kw)
            assert got.dtype == np.int16 and np.array_equal(got, want), label


def test_a_layer_takes_the_widest_path_allowed() -> None:
    """(On a CPU without AVX-512 VNNI or AVX2 the parametrisations above run a narrower path.)"""
    paths = [native.Int8Conv(np.ones(9, np.int8), np.zeros(1, np.int32), 1, 1, 3, 255, vector=v).vector for v in PATHS]
    assert paths[-1] == 0 and all(p <= v for p, v in zip(paths, PATHS))
    assert native.Int8Conv(np.ones(9, np.int8), np.zeros(1, np.int32), 1, 1, 3, 255).vector == paths[0]


def _random_conv(rng: np.random.Generator, out_channels: int, in_channels: int, k: int, in_limit: int,
                 grid: np.ndarray) -> int8.Conv:
    """Weights as large as the exact range allows for this shape."""
    room = (int8.EXACT_LIMIT - 1) // (in_channels * k * k * in_limit)
    wmax = min(127, room)
    w = rng.integers(-wmax, wmax + 1, (out_channels, in_channels, k, k))
    spare = int8.EXACT_LIMIT - 1 - in_channels * k * k * wmax * in_limit
    b = rng.integers(-spare, spare + 1, out_channels)
    return int8.Conv(w, b, grid, "random", in_limit)


@pytest.mark.parametrize("vector", PATHS, ids=PATH_NAMES)
@pytest.mark.parametrize("shape", [(1, 1, 1), (2, 3, 3), (9, 32, 3), (17, 5, 1), (33, 64, 3), (64, 3, 3), (288, 32, 1)])
def test_random_convs_at_the_exact_edge_are_the_references(shape: tuple[int, int, int], vector: int) -> None:
    """Shapes around the vector width (16 and 32 output channels), odd input counts, 1x1
    and 3x3; shifts either way (floor of negatives, left shifts beyond the vector path's)."""
    rng = np.random.default_rng(sum(shape))
    out_channels, in_channels, k = shape
    for in_limit in (int8.ACT_LIMIT, int8.LATENT_LIMIT):
        grid = rng.integers(-40, 9, out_channels)
        conv = _native(_random_conv(rng, out_channels, in_channels, k, in_limit, grid), vector)
        for h, w in ((1, 1), (3, 17), (9, 8)):
            for x in _inputs(conv, rng, h, w):
                assert np.array_equal(conv(x.astype(np.int16)).acc, reference_sums(conv, x))
                for exp in (-12, int(grid.max()) - 3, int(grid.max()) - 30):
                    got = conv.activation(x.astype(np.int16), exp, -int8.PART_LIMIT, int8.PART_LIMIT)
                    assert np.array_equal(got, reference_activation(conv, x, exp, -int8.PART_LIMIT, int8.PART_LIMIT))


@pytest.mark.parametrize("name", ["photo-lossy-v3", "photo-lossy-v7"])
def test_whole_nets_on_the_kernel_are_those_on_the_reference(name: str) -> None:
    """Couplings, trunk features, head outputs and both checkerboard halves: the nets built
    on ``Int8Conv`` give what the same nets give built on the reference layers."""
    tensors = model_file.read(registry.shipped_models()[name])[1]
    flow = model_file.load(registry.shipped_models()[name]).evaluator
    rng = np.random.default_rng(7)
    prefix = "levels.1"
    coupling, prior = flow._predict[1], flow._priors[1]
    saved = int8.Conv
    int8.Conv = ReferenceConv
    try:
        ref_coupling = int8.ConvNet(tensors, f"{prefix}.flow.2.net")
        ref_prior = int8.SplitPrior(tensors, f"{prefix}.prior", len(prior.out), prior.context is not None)
    finally:
        int8.Conv = saved
    assert isinstance(ref_coupling.inp, ReferenceConv) and not isinstance(coupling.inp, ReferenceConv)
    anchors = rng.integers(-300, 400, (24, 30, 3)).astype(np.float64)
    anchors[0, :3] = [-5000, 5000, 1023.5]  # beyond the latents' clamp
    assert np.array_equal(coupling(anchors).acc, ref_coupling(anchors).acc)
    features, ref_features = prior.features(anchors), ref_prior.features(anchors)
    assert len(features) == len(ref_features) == len(prior.out)
    latents = anchors
    for g in range(len(prior.out)):
        assert np.array_equal(features[g], ref_features[g])
        assert np.array_equal(prior.head(features, g, latents).acc, ref_prior.head(ref_features, g, latents).acc)
        if prior.context is not None:
            white = np.add.outer(np.arange(24), np.arange(30)) % 2 == 0
            hidden = prior.head_sum(features, g, latents)
            known = np.where(white[..., None], rng.integers(-1100, 1100, (24, 30, 1)), 0).astype(np.float64)
            assert np.array_equal(prior.white_output(g, hidden).acc, ref_prior.white_output(g, hidden).acc)
            assert np.array_equal(prior.black_output(g, hidden, known).acc, ref_prior.black_output(g, hidden, known).acc)
        latents = np.concatenate([latents, rng.integers(-200, 200, (24, 30, 1)).astype(np.float64)], axis=2)


@pytest.mark.parametrize("shape", [(0, 5), (3, 0), (0, 0)])
def test_empty_inputs_give_empty_outputs(shape: tuple[int, int]) -> None:
    """(A checkerboard half of a 1x1 band has no positions.)"""
    rng = np.random.default_rng(1)
    for k in (1, 3):
        conv = _random_conv(rng, 3, 2, k, 255, np.full(3, -10))
        x = np.zeros(shape + (2,), np.int16)
        assert conv(x).acc.shape == shape + (3,)
        assert conv.activation(x, -5, residual=np.zeros(shape + (3,), np.int16)).shape == shape + (3,)


@pytest.mark.parametrize("shape", [(1, 1), (2, 3), (5, 2)])
def test_tiny_images_round_trip_through_the_lossy_default(shape: tuple[int, int]) -> None:
    """Bands of one position and empty checkerboard halves, through photo-lossy-v7's nets."""
    from invcodec import codec

    image = np.random.default_rng(sum(shape)).integers(0, 256, shape + (3,), dtype=np.uint8)
    data = codec.compress_samples(image, "photo-lossy-v7", quality=40, threads=1, classic=False)[0]
    assert codec.decompress_samples(data, threads=1).shape == image.shape


def test_inputs_beyond_the_limit_are_refused() -> None:
    conv = native.Int8Conv(np.ones(9, np.int8), np.zeros(1, np.int32), 1, 1, 3, 255)
    out = np.empty(4, np.int32)
    conv.sums(np.full(4, 255, np.int16), 2, 2, out)
    with pytest.raises(ValueError, match="beyond"):
        conv.sums(np.array([0, 0, 256, 0], np.int16), 2, 2, out)
    with pytest.raises(ValueError, match="beyond"):
        conv.activate(np.array([0, -256, 0, 0], np.int16), 2, 2, np.zeros(1, np.int32), 0, 255, np.empty(4, np.int16))


def test_weights_beyond_the_exact_range_are_refused() -> None:
    """Per output channel, sum |w| * in_limit + |b| must stay below 2**24."""
    w = np.full((2, 57, 3, 3), 127, np.int8)
    w[1, 0, 0, 0] = -127  # the sign does not matter
    room = int8.EXACT_LIMIT - 57 * 9 * 127 * 255
    native.Int8Conv(w, np.array([room - 1, -(room - 1)], np.int32), 2, 57, 3, 255)
    with pytest.raises(ValueError, match="exact range"):
        native.Int8Conv(w, np.array([room - 1, -room], np.int32), 2, 57, 3, 255)
    w[1, 0, 0, 0] = 0  # the second channel's own sum leaves room for a larger bias
    native.Int8Conv(w, np.array([room - 1, room], np.int32), 2, 57, 3, 255)


@pytest.mark.parametrize("call", [
    lambda c: c.sums(np.zeros(5, np.int16), 2, 2, np.empty(4, np.int32)),  # x of the wrong size
    lambda c: c.sums(np.zeros(4, np.int32), 2, 2, np.empty(4, np.int32)),  # x of the wrong type
    lambda c: c.sums(np.zeros(4, np.int16), 2, 2, np.empty(4, np.int16)),  # out of the wrong type
    lambda c: c.sums(np.zeros(4, np.int16), -1, 4, np.empty(0, np.int32)),  # a negative side
    lambda c: c.sums(np.zeros(8, np.int16)[::2], 2, 2, np.empty(4, np.int32)),  # not contiguous
    lambda c: c.activate(np.zeros(4, np.int16), 2, 2, np.zeros(2, np.int32), 0, 255, np.empty(4, np.int16)),  # shift size
    lambda c: c.activate(np.zeros(4, np.int16), 2, 2, np.full(1, 39, np.int32), 0, 255, np.empty(4, np.int16)),  # shift
    lambda c: c.activate(np.zeros(4, np.int16), 2, 2, np.zeros(1, np.int32), 0, 40000, np.empty(4, np.int16)),  # > int16
    lambda c: c.activate(np.zeros(4, np.int16), 2, 2, np.zeros(1, np.int32), 5, 1, np.empty(4, np.int16)),  # lo > hi
    lambda c: c.activate(np.zeros(4, np.int16), 2, 2, np.zeros(1, np.int32), 0, 255, np.empty(4, np.int16),
                         np.zeros(4, np.int16), -9, 9, 1, 1),  # the residual's channels do not hold the output
    lambda c: c.activate(np.zeros(4, np.int16), 2, 2, np.zeros(1, np.int32), 0, 255, np.empty(4, np.int16),
                         np.zeros(3, np.int16), -9, 9),  # residual of the wrong size
    lambda c: c.sums(np.zeros(4, np.int16), 2, 2, np.empty(4, np.int32, order="C").view(np.int32)[:2]),  # out too small
], ids=["x-size", "x-type", "out-type", "negative", "strided", "shift-size", "shift-range", "clip-int16", "clip-order",
        "residual-channels", "residual-size", "out-size"])
def test_bad_arguments_are_refused_before_any_loop(call) -> None:
    conv = native.Int8Conv(np.ones(1, np.int8), np.zeros(1, np.int32), 1, 1, 1, 255)
    with pytest.raises((ValueError, TypeError)):
        call(conv)


@pytest.mark.parametrize("args", [
    (np.ones(4, np.int8), np.zeros(1, np.int32), 1, 1, 2, 255),  # k 2
    (np.ones(1, np.int8), np.zeros(1, np.int32), 0, 1, 1, 255),  # no outputs
    (np.ones(513, np.int8), np.zeros(513, np.int32), 513, 1, 1, 255),  # too wide
    (np.ones(2, np.int8), np.zeros(1, np.int32), 1, 1, 1, 255),  # weights of the wrong size
    (np.ones(1, np.int16), np.zeros(1, np.int32), 1, 1, 1, 255),  # weights of the wrong type
    (np.ones(1, np.int8), np.zeros(1, np.int64), 1, 1, 1, 255),  # bias of the wrong type
    (np.ones(1, np.int8), np.zeros(1, np.int32), 1, 1, 1, 40000),  # in_limit beyond int16
], ids=["k", "outputs", "width", "w-size", "w-type", "b-type", "in-limit"])
def test_bad_layers_are_refused(args) -> None:
    with pytest.raises((ValueError, TypeError)):
        native.Int8Conv(*args)


def test_threads_share_a_layer() -> None:
    """The GIL is released in the loops and a layer holds no per-call state: threads agree."""
    rng = np.random.default_rng(3)
    conv = _random_conv(rng, 32, 32, 3, 255, np.full(32, -12))
    x = rng.integers(-255, 256, (64, 48, 32)).astype(np.int16)
    want = conv.activation(x, -9)
    results = [None] * 4

    def run(i: int) -> None:
        results[i] = conv.activation(x, -9)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(np.array_equal(r, want) for r in results)
