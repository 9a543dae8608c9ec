"""The exact lifting flow and its prior (numpy, channels-last), for both numeric formats."""

from __future__ import annotations

import numpy as np
import pytest

from invcodec.codec import compress_samples, decompress_samples
from invcodec.entropy import grid
from invcodec.runtime import lifting
from invcodec.runtime.lifting import squeeze, unsqueeze
from invcodec.runtime.nets import NetOutput
from invcodec.walk import COLOURS, DETAILS

from ..conftest import load_tiny_model, smooth_image

pytestmark = pytest.mark.usefixtures("single_thread")

STEMS = {"fixed64": "tiny", "int8": "tiny-int8"}  # the tiny model files of both numeric formats


@pytest.fixture(scope="module", params=sorted(STEMS))
def flow(request) -> lifting.LiftingFlow:
    model = load_tiny_model(STEMS[request.param])
    assert model.spec.numeric == request.param
    return model.evaluator


def _images() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "smooth": smooth_image(16, 24, seed=1).astype(np.float64),
        "noise": rng.integers(0, 256, (20, 12, 3)).astype(np.float64),
        "black": np.zeros((8, 8, 3)),
        "white": np.full((4, 4, 3), 255.0),  # one pixel at the top
        "checker": (255.0 * (np.indices((12, 16)).sum(0) % 2))[..., None].repeat(3, axis=2),
    }


IMAGES = _images()


def test_squeeze_layout_is_position_major() -> None:
    x = np.arange(2 * 2 * 3).reshape(2, 2, 3)  # one 2x2 block, colours 0..2 per pixel
    # channel p*3 + c = colour c at position p (TL, TR, BL, BR)
    assert squeeze(x)[0, 0].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    x = np.random.default_rng(0).integers(0, 99, (6, 8, 5))
    y = squeeze(x)
    assert y.shape == (3, 4, 20)
    for i, j, p, c in [(0, 0, 1, 4), (2, 3, 2, 0), (1, 2, 3, 3), (2, 0, 0, 1)]:
        assert y[i, j, p * 5 + c] == x[2 * i + p // 2, 2 * j + p % 2, c]


@pytest.mark.torch
def test_squeeze_matches_the_training_side() -> None:
    import torch

    from invcodec.training.flow import Squeeze

    x = np.random.default_rng(1).integers(-50, 50, (6, 10, 3)).astype(np.float64)
    torch_y = Squeeze()(torch.from_numpy(x.transpose(2, 0, 1))[None])
    assert np.array_equal(squeeze(x), torch_y[0].permute(1, 2, 0).numpy())


@pytest.mark.parametrize("channels", [1, 3, 5, 12])
def test_unsqueeze_inverts_squeeze(channels: int) -> None:
    x = np.random.default_rng(channels).integers(-1000, 1000, (10, 14, channels)).astype(np.float64)
    assert np.array_equal(unsqueeze(squeeze(x)), x)
    assert not np.array_equal(squeeze(x).reshape(x.shape), x)  # the layout really changes


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_level_inverse_undoes_level_forward(flow: lifting.LiftingFlow, name: str) -> None:
    x = IMAGES[name]
    for level in range(flow.level_count):
        anchors, details = flow.level_forward(level, x)
        assert anchors.shape == (x.shape[0] // 2, x.shape[1] // 2, COLOURS)
        assert details.shape == (x.shape[0] // 2, x.shape[1] // 2, DETAILS)
        assert np.array_equal(anchors, np.round(anchors)) and np.array_equal(details, np.round(details))
        assert np.array_equal(flow.level_inverse(level, anchors, details), x)
        x = anchors


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_analyze_then_inverse_is_exact(flow: lifting.LiftingFlow, name: str) -> None:
    x = IMAGES[name]
    per_level, top = flow.analyze(x)
    assert len(per_level) == flow.level_count
    assert top.shape == (x.shape[0] // flow.block_size, x.shape[1] // flow.block_size, COLOURS)
    back = top
    for level in reversed(range(flow.level_count)):
        assert np.array_equal(back, per_level[level][0])
        back = flow.level_inverse(level, back, per_level[level][1])
    assert np.array_equal(back, x)


def test_learned_shifts_move_the_latents_off_the_plain_haar_lifting(flow: lifting.LiftingFlow) -> None:
    """Without its nets a level is the integer Haar lifting: the anchor is the floored mean
    of the 2x2 block and the details are differences to the anchor position (position
    ``level mod 4``). The tiny models' random nets must change that (or nothing learned
    would be tested), by bounded shifts."""
    x = IMAGES["smooth"]
    for level in range(flow.level_count):
        s = squeeze(x)
        positions = [(level + k) % 4 for k in range(4)]
        anchor_pixels = s[..., positions[0] * 3 : positions[0] * 3 + 3]
        haar_anchors = np.floor(sum(s[..., p * 3 : p * 3 + 3] for p in range(4)) / 4)
        haar_details = np.concatenate([s[..., p * 3 : p * 3 + 3] - anchor_pixels for p in positions[1:]], axis=2)
        anchors, details = flow.level_forward(level, x)
        assert not np.array_equal(details, haar_details)
        # the predict shift is bounded by MAX_CORRECTION; the update adds at most that plus
        # a quarter of the (equally bounded) change of the three detail sums
        assert np.abs(details - haar_details).max() <= lifting.MAX_CORRECTION
        assert np.abs(anchors - haar_anchors).max() <= lifting.MAX_CORRECTION + 3 * lifting.MAX_CORRECTION / 4 + 1
        x = anchors


def test_a_flow_without_learned_shifts_is_the_integer_haar_lifting() -> None:
    flow = load_tiny_model("tiny-noise0.0").evaluator  # output layers start at zero
    x = IMAGES["noise"]
    for level in range(flow.level_count):
        s = squeeze(x)
        positions = [(level + k) % 4 for k in range(4)]
        anchor_pixels = s[..., positions[0] * 3 : positions[0] * 3 + 3]
        anchors, details = flow.level_forward(level, x)
        assert np.array_equal(anchors, np.floor(sum(s[..., p * 3 : p * 3 + 3] for p in range(4)) / 4))
        expected = np.concatenate([s[..., p * 3 : p * 3 + 3] - anchor_pixels for p in positions[1:]], axis=2)
        assert np.array_equal(details, expected)
        x = anchors


def test_prior_parameters_are_on_the_coders_grids(flow: lifting.LiftingFlow) -> None:
    per_level, top = flow.analyze(IMAGES["smooth"])
    params = [flow.top_params(top, c, None) for c in range(COLOURS)]
    for level, (anchors, details) in enumerate(per_level):
        features = flow.level_features(level, anchors, None)
        previous = [details[..., i : i + 1] for i in range(DETAILS)]
        params += [flow.detail_params(level, features, anchors, previous, g) for g in range(DETAILS)]
    assert len(params) == 3 + 9 * flow.level_count
    for p in params:
        assert p.mean.shape == p.scale_index.shape and p.mean.shape[2] == 1
        assert np.array_equal(p.mean * 16, np.round(p.mean * 16))  # on the 1/16 grid
        assert p.scale_index.dtype == np.int64
        assert p.scale_index.min() >= 0 and p.scale_index.max() < grid.N_SCALES
    assert len({float(p.mean.mean()) for p in params}) > len(params) // 2  # not one constant for all


def test_a_detail_channels_parameters_see_only_the_channels_before_it(flow: lifting.LiftingFlow) -> None:
    """Causality of the decoding order: channel g's parameters must not change when channel g
    or a later one does (the decoder does not have them yet); an earlier channel does matter."""
    per_level, _ = flow.analyze(IMAGES["smooth"])
    anchors, details = per_level[0]
    features = flow.level_features(0, anchors, None)
    g = 4
    original = [details[..., i : i + 1] for i in range(DETAILS)]
    changed = [c + 37 if i >= g else c for i, c in enumerate(original)]
    p, q = flow.detail_params(0, features, anchors, original, g), flow.detail_params(0, features, anchors, changed, g)
    assert np.array_equal(p.mean, q.mean) and np.array_equal(p.scale_index, q.scale_index)
    earlier = [c + 37 if i == g - 1 else c for i, c in enumerate(original)]
    r = flow.detail_params(0, features, anchors, earlier, g)
    assert not (np.array_equal(p.mean, r.mean) and np.array_equal(p.scale_index, r.scale_index))


def test_snapping_a_heads_output_onto_the_grids() -> None:
    one = 2.0**20  # a net output of 1.0 on the accumulator grid 2**-20

    def head(mean_out: float, log2_scale: float) -> NetOutput:
        return NetOutput(np.array([[[mean_out * one, log2_scale * one]]]), np.array([-20, -20]))

    # output 0.5 -> mean 0.5 * 64 = 32, plus the base; on the 1/16 grid, rounded half up
    assert lifting._params(head(0.5, 0.0), 3.0).mean.item() == 35.0
    assert lifting._params(head(1.4 / 64 / 16, 0.0), 0.0).mean.item() == 1 / 16
    assert lifting._params(head(0.5 / 64 / 16, 0.0), 0.0).mean.item() == 1 / 16
    assert lifting._params(head(-0.5 / 64 / 16, 0.0), 0.0).mean.item() == 0.0
    # log2 scale 1.0 -> index 16 * (1 - LOG2_SCALE_MIN); clamped at both ends of the table
    steps = grid.SCALE_STEPS_PER_OCTAVE
    assert lifting._params(head(0.0, 1.0), 0.0).scale_index.item() == steps * (1 - grid.LOG2_SCALE_MIN)
    assert lifting._params(head(0.0, 1.0 + 0.5 / steps), 0.0).scale_index.item() == steps * (1 - grid.LOG2_SCALE_MIN) + 1
    assert lifting._params(head(0.0, -100.0), 0.0).scale_index.item() == 0
    assert lifting._params(head(0.0, 100.0), 0.0).scale_index.item() == grid.N_SCALES - 1


def test_a_rate_conditioned_prior_sees_the_rate() -> None:
    flow = load_tiny_model("tiny-lossy").evaluator
    assert flow.rate_conditioned
    per_level, top = flow.analyze(IMAGES["smooth"])
    fine, coarse = flow.top_params(top, 1, 0), flow.top_params(top, 1, 100)
    assert not np.array_equal(fine.scale_index, coarse.scale_index)
    anchors = per_level[0][0]
    assert not np.array_equal(flow.level_features(0, anchors, 0), flow.level_features(0, anchors, 100))
    assert np.array_equal(flow.level_features(0, anchors, None), flow.level_features(0, anchors, 0))  # None is step 0


@pytest.mark.parametrize("numeric", sorted(STEMS))
def test_a_top_position_prior_knows_the_borders(numeric: str) -> None:
    """With ``top_position`` the coarsest anchors' first colour is predicted from a plane
    of ones, whose zero padding differs at the borders: on a flat image the corners' and
    the centre's parameters differ (without it, one distribution everywhere); files
    round-trip."""
    flat = np.full((32, 32, 3), 128.0)
    params = {}
    for position in (False, True):
        model = load_tiny_model(f"{STEMS[numeric]}{'-top-position' if position else ''}-noise0.5")
        assert model.evaluator.top_position == position
        top = model.evaluator.analyze(flat)[1]
        assert top.shape == (8, 8, 3)
        params[position] = model.evaluator.top_params(top, 0, None)
        image = smooth_image(32, 48, seed=2)
        data, _ = compress_samples(image, model, classic=False)
        assert np.array_equal(decompress_samples(data, model), image)
    assert len(np.unique(params[False].mean)) == len(np.unique(params[False].scale_index)) == 1
    with_position = params[True]
    corner, centre = (0, 0), (4, 4)
    assert (with_position.mean[corner], with_position.scale_index[corner]) != (with_position.mean[centre], with_position.scale_index[centre])
    interior = slice(1, 7)  # the 3x3 window sees no padding there: one distribution again
    assert len(np.unique(with_position.mean[interior, interior])) == 1


@pytest.mark.parametrize("name", ["photo-lossy-v7", "photo-v3"])
@pytest.mark.parametrize("shape", [(8, 12), (64, 64), (65, 130), (100, 64), (256, 96)])
def test_level_inverse_without_details_is_level_inverse_of_zeros(name: str, shape: tuple[int, int]) -> None:
    """The update shift of zeros is taken from one 64x64 probe (its border bands copied): it
    must equal the shift of a zero array of every size, small and large."""
    from invcodec.registry import get_model

    flow = get_model(name).evaluator
    anchors = np.random.default_rng(sum(shape)).integers(-300, 400, shape + (COLOURS,)).astype(np.float64)
    for level in range(flow.level_count):
        zeros = np.zeros(shape + (DETAILS,))
        assert np.array_equal(flow.level_inverse_without_details(level, anchors), flow.level_inverse(level, anchors, zeros))
