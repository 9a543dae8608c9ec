"""The autoregressive architecture: colour transform, wavefront order, exact fixed-point nets."""

from __future__ import annotations

import constriction
import numpy as np
import pytest
from safetensors.numpy import save_file

from invcodec.entropy import ans, grid
from invcodec.runtime import autoregressive as ar
from invcodec import model_file
from invcodec.runtime.lifting import TOP_PREFIX, TOP_RANGE
from invcodec.spec import AutoregressiveSpec

from ..conftest import FIXTURE_MODELS, HAVE_TORCH, smooth_image

if HAVE_TORCH:  # the float twins, for the tests marked torch
    import torch

    from invcodec.training import autoregressive as ar_training


@pytest.fixture(scope="module")
def model(tiny_coding_models):
    return tiny_coding_models["autoregressive"]


def test_colour_transform_is_lossless_and_in_range() -> None:
    rng = np.random.default_rng(0)
    rgb = np.concatenate([rng.integers(0, 256, (4096, 3)), np.array(np.meshgrid(*[[0, 1, 254, 255]] * 3)).reshape(3, -1).T])
    planes = ar.forward_colour(rgb[:, None, :])
    assert np.array_equal(ar.inverse_colour(planes)[:, 0], rgb)
    for plane, (lo, hi) in zip(planes, ar.RANGES):
        assert lo <= plane.min() and plane.max() <= hi
    grey = np.repeat(rgb[:, :1, None], 3, axis=2)
    assert not ar.forward_colour(grey)[1:].any()  # grey images leave the chroma planes all zero


@pytest.mark.parametrize("h, w", [(1, 1), (1, 9), (9, 1), (7, 12), (12, 7)])
def test_the_schedule_decodes_each_sample_once_after_everything_it_reads(h: int, w: int) -> None:
    """Each sample of each plane is decoded once, at a step after every CAUSAL neighbour of
    its plane and every EARLIER neighbour in the planes before it."""
    step_of = np.full((ar.PLANES, h, w), -1)
    for t, fronts in enumerate(ar.schedule(h, w)):
        for p, raster in enumerate(fronts):
            assert (step_of[p].reshape(-1)[raster] == -1).all()
            step_of[p].reshape(-1)[raster] = t
    assert (step_of >= 0).all()
    for p in range(ar.PLANES):
        for r in range(h):
            for c in range(w):
                needs = [(p, dy, dx) for dy, dx in ar.CAUSAL] + [(q, dy, dx) for q in range(p) for dy, dx in ar.EARLIER]
                for q, dy, dx in needs:
                    if 0 <= r - dy < h and 0 <= c - dx < w and (q, dy, dx) != (p, 0, 0):
                        assert step_of[q, r - dy, c - dx] < step_of[p, r, c]
    order = ar.encode_order(h, w)
    assert np.array_equal(np.sort(order), np.arange(ar.PLANES * h * w))
    assert np.array_equal(step_of.reshape(-1)[order], np.sort(step_of.reshape(-1)))  # in the steps' order


def test_causal_context_is_causal(model) -> None:
    """Changing a sample (or anything after it in raster order) never changes its own or
    an earlier sample's parameters; a later plane's parameters may depend on earlier planes."""
    planes = ar.forward_colour(smooth_image(10, 11, seed=3))
    before = [model.evaluator.encode_params(planes, p) for p in range(3)]
    changed = planes.copy()
    changed[1, 4, 5] += 7
    after = [model.evaluator.encode_params(changed, p) for p in range(3)]
    raster = 4 * 11 + 5
    assert np.array_equal(before[0][0], after[0][0]) and np.array_equal(before[0][1], after[0][1])
    for i in range(2):
        assert np.array_equal(before[1][i][: raster + 1], after[1][i][: raster + 1])
    assert not all(np.array_equal(before[1][i], after[1][i]) for i in range(2))  # later samples do see it


@pytest.mark.torch
def test_fixed_point_nets_follow_their_float_twins(tmp_path) -> None:
    """The exact nets give the float nets' parameters to the grids' resolution."""
    torch.manual_seed(1)
    nets = [ar_training.PlaneNet(ar.feature_count(p), 16) for p in range(3)]
    path = tmp_path / "m.safetensors"
    ar_training.export(nets, path, "m", AutoregressiveSpec(hidden=16), {})
    flow = model_file.load(path).evaluator
    planes = ar.forward_colour(smooth_image(24, 20, seed=5))
    for p, net in enumerate(nets):
        features, ref = ar.plane_features(planes, p)
        with torch.no_grad():
            mean, log_scale = net(torch.from_numpy(features).float())
        want_mean = np.clip(ref + mean.double().numpy(), *ar.RANGES[p])
        want_index = (log_scale.double().numpy() / np.log(2) - grid.LOG2_SCALE_MIN) * grid.SCALE_STEPS_PER_OCTAVE
        got_mean, got_index = flow.encode_params(planes, p)
        assert np.abs(got_mean - want_mean).max() <= 1 / grid.MEAN_STEPS
        inside = (want_index > 0.5) & (want_index < grid.N_SCALES - 1.5)
        assert inside.mean() > 0.9 and np.abs(got_index - want_index)[inside].max() <= 0.52
        assert np.array_equal(got_mean * grid.MEAN_STEPS, np.round(got_mean * grid.MEAN_STEPS))  # on the coder's grid


def test_weights_outside_the_exact_range_are_refused(tmp_path) -> None:
    meta, tensors = model_file.read(FIXTURE_MODELS / "tiny-ar.safetensors")
    tensors["plane2.w2"] = np.full_like(tensors["plane2.w2"], 1e9)
    path = tmp_path / "huge.safetensors"
    save_file(tensors, str(path), metadata=meta)
    with pytest.raises(ValueError, match="exact fixed-point range"):
        model_file.load(path)


@pytest.mark.parametrize("h, w", [(37, 29), (3, 40), (1, 1), (2, 5)])
def test_decoding_order_gives_the_encoders_parameters(model, h: int, w: int) -> None:
    """The decoder, a step at a time, computes exactly the parameters the encoder computed
    for the whole plane at once (any difference would desynchronise the coder)."""
    planes = ar.forward_colour(smooth_image(h, w, seed=8))
    order = ar.encode_order(h, w)
    params = [model.evaluator.encode_params(planes, p) for p in range(3)]
    want_mean = np.concatenate([m for m, _ in params])[order]
    want_index = np.concatenate([i for _, i in params])[order]
    symbols = planes.reshape(-1)[order]
    done = 0

    def pull(mean, index, parts):
        nonlocal done
        covered = np.concatenate([p * h * w + raster for p, raster in parts])
        assert np.array_equal(covered, order[done : done + mean.size])  # ``parts`` says whose samples they are
        assert np.array_equal(mean, want_mean[done : done + mean.size])
        assert np.array_equal(index, want_index[done : done + mean.size])
        done += mean.size
        return symbols[done - mean.size : done]

    assert np.array_equal(model.evaluator.decode_planes(pull, h, w), planes)
    assert done == 3 * h * w


def test_code_length_is_the_sum_of_every_samples_bits(model) -> None:
    pixels = smooth_image(20, 30, seed=4)
    planes = ar.forward_colour(pixels)
    want = 0.0
    for p in range(ar.PLANES):
        mean, index = model.evaluator.encode_params(planes, p)
        want += float(grid.laplace_bits(planes[p].reshape(-1), mean, grid.SCALES[index]).sum())
    assert model.evaluator.code_length(pixels) == pytest.approx(want, rel=1e-12) and want > 0


def _top_band_model(tensors: dict[str, np.ndarray]) -> ar.AutoregressiveModel:
    """Plane nets with a rate input, under another prefix and wider ranges (as the lifting
    flow's top band uses them)."""
    return ar.AutoregressiveModel(tensors, TOP_PREFIX, (TOP_RANGE,) * 3, TOP_RANGE[1] - TOP_RANGE[0] + 1, 136)


def _rate_model(tmp_path, w_rate: float = 0.5):
    """Random plane nets with a rate input and the top band's model of them."""
    torch.manual_seed(2)
    nets = [ar_training.PlaneNet(ar.feature_count(p), 8, rate_input=True) for p in range(3)]
    with torch.no_grad():
        for net in nets:
            net.w_rate.normal_(0, w_rate)
    tensors = {}
    for p, net in enumerate(nets):
        tensors.update(net.tensors(f"{TOP_PREFIX}plane{p}"))
    return nets, lambda: _top_band_model(tensors)


def _fixture_top_band(w_rate_factor: float = 1.0) -> ar.AutoregressiveModel:
    """The top band's model of the tiny top-autoregressive model file, its rate weights times ``w_rate_factor``."""
    tensors = model_file.read(FIXTURE_MODELS / "tiny-top-ar.safetensors")[1]
    return _top_band_model({k: v * w_rate_factor if k.endswith(".w_rate") else v for k, v in tensors.items() if k.startswith(TOP_PREFIX)})


@pytest.mark.torch
def test_the_rate_input_moves_the_parameters_exactly_as_in_float(tmp_path) -> None:
    nets, make = _rate_model(tmp_path)
    model = make()
    planes = np.floor(ar.forward_colour(smooth_image(12, 10, seed=6)) * 1.5) - 100  # beyond the pixel planes' ranges (integers, as anchors are)
    for p, net in enumerate(nets):
        features, ref = ar.plane_features(planes, p)
        got = [model.encode_params(planes, p, rate) for rate in (0, 50, 136)]
        assert not np.array_equal(got[0][1], got[2][1])  # the rate reaches the scales
        for (mean, index), rate in zip(got, (0, 50, 136)):
            with torch.no_grad():
                m, log_scale = net(torch.from_numpy(features).float(), torch.full((ref.size,), float(rate)))
            assert np.abs(mean - (ref + m.double().numpy())).max() <= 1 / grid.MEAN_STEPS
            want_index = (log_scale.double().numpy() / np.log(2) - grid.LOG2_SCALE_MIN) * grid.SCALE_STEPS_PER_OCTAVE
            inside = (want_index > 0.5) & (want_index < grid.N_SCALES - 1.5)
            assert inside.mean() > 0.9 and np.abs(index - want_index)[inside].max() <= 0.52
    with pytest.raises(ValueError, match="rate input"):
        model.encode_params(planes, 0, 137)


def test_the_decoder_with_a_rate_gives_the_encoders_parameters() -> None:
    model = _fixture_top_band()
    h, w = 9, 13
    planes = ar.forward_colour(smooth_image(h, w, seed=9)) * 2.0
    order = ar.encode_order(h, w)
    want = [np.concatenate(x)[order] for x in zip(*[model.encode_params(planes, p, 77) for p in range(3)])]
    done = 0

    def pull(mean, index, parts):
        nonlocal done
        assert np.array_equal(mean, want[0][done : done + mean.size]) and np.array_equal(index, want[1][done : done + mean.size])
        done += mean.size
        return planes.reshape(-1)[order][done - mean.size : done]

    assert np.array_equal(model.decode_planes(pull, h, w, rate=77), planes) and done == 3 * h * w


def test_rate_weights_outside_the_exact_range_are_refused() -> None:
    with pytest.raises(ValueError, match="exact fixed-point range"):
        _fixture_top_band(w_rate_factor=2e12)


def _constriction_pull(payload: bytes):
    """The step decoder's ``pull`` off constriction's own decoder: the reference for
    ``decode_stream``, with the codec's check that the stream has not ended."""
    coder = constriction.stream.stack.AnsCoder(np.frombuffer(payload, dtype="<u4").astype(np.uint32))

    def pull(mean, index, parts):
        if coder.is_empty():
            raise ValueError("ANS stream ended before the last latent")
        return coder.decode(ans.FAMILY, mean, grid.SCALES[index]).astype(np.float64)

    return pull, coder


def _outcome(decode) -> tuple[str, np.ndarray | None]:
    try:
        return "", decode()
    except ValueError as error:
        return str(error), None


@pytest.mark.parametrize("h, w", [(37, 29), (3, 40), (1, 1), (2, 5)])
def test_the_stream_decoder_decodes_as_the_step_decoder_with_constriction(model, h: int, w: int) -> None:
    """``decode_stream`` (the whole loop in the kernel, the native ANS decoder) gives what the
    step decoder gives pulling from constriction: the planes of a stream the encoder wrote,
    and the same planes or the same error for a stream cut short or damaged."""
    rng = np.random.default_rng(h * w)
    planes = ar.forward_colour(smooth_image(h, w, seed=3))
    moved = rng.integers(0, grid.N_SCALES, (3, grid.N_SCALES))
    order = ar.encode_order(h, w)
    params = [model.evaluator.encode_params(planes, p) for p in range(3)]
    encoder = ans.LatentEncoder()
    encoder.push(planes.reshape(-1)[order], np.concatenate([m for m, _ in params])[order],
                 np.concatenate([moved[p][i] for p, (_, i) in enumerate(params)])[order])
    payload = encoder.finish()
    words = np.frombuffer(payload, dtype="<u4")
    damaged = words.copy()
    damaged[rng.integers(0, words.size)] ^= np.uint32(1 << int(rng.integers(0, 32)))
    cases = [payload, words[: words.size // 2].tobytes(), words[words.size // 2 :].tobytes(), damaged.tobytes(), b"",
             words[-1:].tobytes()]
    for case in cases:
        if case and case[-4:] == b"\0\0\0\0":
            continue
        coder = ans.LatentDecoder(case).coder
        mine, mine_planes = _outcome(lambda: model.evaluator.decode_stream(coder, h, w, moved))
        pull, reference = _constriction_pull(case)
        theirs, their_planes = _outcome(lambda: model.evaluator.decode_planes(pull, h, w, moved))
        assert mine == theirs
        if not mine:
            assert np.array_equal(mine_planes, their_planes) and coder.exhausted() == reference.is_empty()
    assert np.array_equal(model.evaluator.decode_stream(ans.LatentDecoder(payload).coder, h, w, moved), planes)
