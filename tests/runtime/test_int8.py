"""The int8 numeric format: its exactness bound, and bit-identity with the training side.

The training model (``invcodec.training``, torch, NCHW, quantization in the loop) and the
coding runtime (numpy float32 GEMM, HWC) must agree on every latent and on every snapped
prior parameter, or a model trained in torch would code differently from how it was
scored. Here the torch side runs in float64, where its int8 arithmetic is exact too."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pytest

from invcodec.entropy import grid
from invcodec import model_file
from invcodec.runtime import checkerboard, int8
from invcodec.model_file import CodingModel
from invcodec.walk import COLOURS, DETAILS

from ..conftest import HAVE_TORCH, conv2d_int64, load_tiny_model, smooth_image

if HAVE_TORCH:  # the training side, for the bit-identity tests (their pairs skip without torch)
    import torch

    from invcodec.training import prior
    from invcodec.training.likelihood import PriorParams
    from invcodec.training.model import IntegerFlowModel
    from invcodec.training.weights import model_id

    from ..fixtures.make_models import TINY_CHECKERBOARD_CONFIG, TINY_INT8_CONFIG, coding_model, make_tiny_model

pytestmark = pytest.mark.usefixtures("single_thread")

LEVELS = range(load_tiny_model("tiny-int8").spec.levels)
IMAGES = ["smooth", "noise"]


def _tensors(w: np.ndarray, b: np.ndarray, grid_exp: int = -10) -> dict[str, np.ndarray]:
    return {"c.w": w.astype(np.int8), "c.b": b.astype(np.int32), "c.grid": np.full(w.shape[0], grid_exp, np.int8)}


def test_conv_refuses_weights_whose_partial_sums_could_reach_2_to_24() -> None:
    """fan_in * max|w| * max|input| + max|bias| must stay below 2**24 (exact in float32)."""
    fan_in = 518  # the largest fan-in at which int8 weights of 127 on 255-bounded inputs fit
    w = np.full((2, fan_in, 1, 1), 127)
    room = int8.EXACT_LIMIT - fan_in * 127 * int8.ACT_LIMIT  # what is left for the bias
    int8.Conv.load(_tensors(w, np.array([room - 1, 0])), "c", int8.ACT_LIMIT)  # peak 2**24 - 1: accepted
    with pytest.raises(ValueError, match="exact range"):
        int8.Conv.load(_tensors(w, np.array([0, -room])), "c", int8.ACT_LIMIT)  # peak 2**24
    with pytest.raises(ValueError, match="exact range"):  # latent inputs (+-1023) need smaller weights
        int8.Conv.load(_tensors(w, np.zeros(2)), "c", int8.LATENT_LIMIT)
    with pytest.raises(ValueError, match="exact range"):
        int8.Conv.load(_tensors(np.full((1, fan_in + 1, 1, 1), 127), np.zeros(1)), "c", int8.ACT_LIMIT)


def test_conv_refuses_accumulator_exponents_outside_the_exact_range() -> None:
    w = np.ones((1, 1, 1, 1))
    with pytest.raises(ValueError, match="exponent"):
        int8.Conv.load(_tensors(w, np.zeros(1), grid_exp=-60), "c", int8.ACT_LIMIT)


def test_conv_sums_are_exact_at_the_bound() -> None:
    """Inputs and weights at their limits, 3x3 over 32 channels: the int32 sums = int64's."""
    rng = np.random.default_rng(0)
    w = rng.integers(-127, 128, (4, 32, 3, 3))
    w[:, :, 1, 1] = 127  # one output at the largest magnitude the bound allows
    b = rng.integers(-(2**20), 2**20, 4)
    x = rng.choice([-255, 255], (6, 7, 32)).astype(np.int16)
    out = int8.Conv.load(_tensors(w, b), "c", int8.ACT_LIMIT)(x)
    assert out.acc.dtype == np.int32 and out.grid.tolist() == [-10] * 4
    assert np.array_equal(out.acc.astype(np.int64), conv2d_int64(x, w, b))


def test_activation_floors_onto_its_grid_and_clamps() -> None:
    identity = int8.Conv(np.eye(4)[:, :, None, None], np.zeros(4), np.array([-2, -2, -2, 0]), "c", int8.LATENT_LIMIT)
    x = np.array([[[-3, 5, 1000, 7]]], dtype=np.int16)
    # values -0.75, 1.25, 250, 7 on the grid 2**-1: floor(-1.5, 2.5, 500, 14)
    assert identity.activation(x, -1).tolist() == [[[0, 2, 255, 14]]]
    assert identity.activation(x, -1, -int8.ACT_LIMIT).tolist() == [[[-2, 2, 255, 14]]]
    assert identity.activation(x, 3, -int8.PART_LIMIT, int8.PART_LIMIT).tolist() == [[[-1, 0, 31, 0]]]
    # with a residual: residual + that, clamped
    residual = np.array([[[10, -300, 100, 250]]], dtype=np.int16)
    assert identity.activation(x, -1, -int8.ACT_LIMIT, int8.ACT_LIMIT, residual).tolist() == [[[8, -255, 255, 255]]]


# -- the runtime against the training model ----------------------------------------------


@dataclass
class Pair:
    torch_model: IntegerFlowModel  # float64
    runtime: CodingModel
    tensors: dict[str, np.ndarray]  # what the model file stores
    x: torch.Tensor  # (2, 3, H, W): the images
    analysed: tuple  # torch: (per_level, top)
    runtime_analysed: list  # per image: (per_level, top)


def _hwc(t: torch.Tensor, image: int) -> np.ndarray:
    return t[image].permute(1, 2, 0).numpy()


def _snap(p: PriorParams) -> tuple[np.ndarray, np.ndarray]:
    """The coder's grids applied to the training side's continuous parameters."""
    mean = torch.floor(p.mean * 2**grid.MEAN_FRAC_BITS + 0.5) / 2**grid.MEAN_FRAC_BITS
    index = torch.floor(p.log2_scale * grid.SCALE_STEPS_PER_OCTAVE + 0.5) - grid.LOG2_SCALE_MIN * grid.SCALE_STEPS_PER_OCTAVE
    return mean, index.clamp(0, grid.N_SCALES - 1)


def _pair(tmp_path_factory, config, name: str, images: list[np.ndarray]) -> Pair:
    """A tiny model of ``config`` in float64 torch and as the runtime loads its file, and
    ``images`` analysed by both."""
    model = make_tiny_model(config=config).double()
    folder = tmp_path_factory.mktemp(name)
    runtime = coding_model(model, folder, name)
    tensors = model_file.read(folder / f"{name}.safetensors")[1]
    x = torch.from_numpy(np.stack(images).transpose(0, 3, 1, 2)).double()
    with torch.no_grad():
        analysed = model.analyze(x)
    return Pair(model, runtime, tensors, x, analysed, [runtime.evaluator.analyze(im.astype(np.float64)) for im in images])


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> Pair:
    images = [smooth_image(32, 40, seed=3), np.random.default_rng(4).integers(0, 256, (32, 40, 3), dtype=np.uint8)]
    return _pair(tmp_path_factory, TINY_INT8_CONFIG, "tiny-int8", images)


@pytest.mark.torch
def test_model_id_of_the_torch_model_is_the_files(pair: Pair) -> None:
    assert model_id(pair.torch_model) == pair.runtime.model_id
    assert pair.runtime.spec.numeric == "int8"
    assert model_id(make_tiny_model(seed=1, config=TINY_INT8_CONFIG)) != pair.runtime.model_id


@pytest.mark.torch
@pytest.mark.parametrize("image", range(len(IMAGES)), ids=IMAGES)
@pytest.mark.parametrize("level", LEVELS)
def test_latents_are_bit_identical(pair: Pair, image: int, level: int) -> None:
    anchors_t, details_t = pair.analysed[0][level]
    anchors_r, details_r = pair.runtime_analysed[image][0][level]
    assert np.array_equal(_hwc(anchors_t, image), anchors_r)
    assert np.array_equal(_hwc(details_t, image), details_r)
    # the couplings' learned shifts are in play: details are not the plain Haar residuals
    squeezed = pair.torch_model.levels[level].flow[1](pair.torch_model.levels[level].flow[0](
        pair.x if level == 0 else pair.analysed[0][level - 1][0]))
    haar = squeezed[:, COLOURS:] - squeezed[:, :COLOURS].repeat(1, 3, 1, 1)
    assert not torch.equal(haar, details_t)


@pytest.mark.torch
@pytest.mark.parametrize("image", range(len(IMAGES)), ids=IMAGES)
def test_top_latents_are_bit_identical(pair: Pair, image: int) -> None:
    assert np.array_equal(_hwc(pair.analysed[1], image), pair.runtime_analysed[image][1])


def _features(pair: Pair, image: int, level: int) -> tuple[torch.Tensor, object]:
    """(torch trunk features, the runtime's ``level_features``: what its heads read)."""
    anchors_t = pair.analysed[0][level][0]
    with torch.no_grad():
        features_t = pair.torch_model.level_features(level, anchors_t, None)
    features_r = pair.runtime.evaluator.level_features(level, pair.runtime_analysed[image][0][level][0], None)
    return features_t, features_r


@pytest.mark.torch
@pytest.mark.parametrize("image", range(len(IMAGES)), ids=IMAGES)
@pytest.mark.parametrize("level", LEVELS)
def test_trunk_features_are_identical(pair: Pair, image: int, level: int) -> None:
    features_t, _ = _features(pair, image, level)
    prior = int8.SplitPrior(pair.tensors, f"levels.{level}.prior", DETAILS)
    anchors_r = pair.runtime_analysed[image][0][level][0]
    features_r = prior.trunk.out.activation(prior.trunk.hidden(anchors_r), prior.features_exp)
    exp = int(pair.torch_model.levels[level].prior.features_quant.exp)
    assert prior.features_exp == exp
    assert np.array_equal(_hwc(features_t, image) / 2.0**exp, features_r)
    assert len(np.unique(features_r)) > 10  # real features, not a constant


@pytest.mark.torch
@pytest.mark.parametrize("image", range(len(IMAGES)), ids=IMAGES)
@pytest.mark.parametrize("level", LEVELS)
def test_heads_feature_parts_are_identical(pair: Pair, image: int, level: int) -> None:
    """The runtime computes every head's 1x1 conv of the features in one GEMM, floored onto
    each head's hidden grid and clamped; the training side does it head by head."""
    features_t, parts_r = _features(pair, image, level)
    assert len(parts_r) == DETAILS
    for g, head in enumerate(pair.torch_model.levels[level].prior.heads):
        with torch.no_grad():
            part_t = torch.floor(head.from_features(features_t) / 2.0 ** float(head.hidden.exp))
        part_t = part_t.clamp(-int8.PART_LIMIT, int8.PART_LIMIT)
        assert np.array_equal(_hwc(part_t, image), parts_r[g]), g
        assert len(np.unique(parts_r[g])) > 1


@pytest.mark.torch
@pytest.mark.parametrize("image", range(len(IMAGES)), ids=IMAGES)
@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("g", range(DETAILS))
def test_detail_prior_parameters_are_identical(pair: Pair, image: int, level: int, g: int) -> None:
    """Snapped (mean, scale index) of detail channel g given the anchors and channels < g."""
    features_t, features_r = _features(pair, image, level)
    anchors_t, details_t = pair.analysed[0][level]
    anchors_r, details_r = pair.runtime_analysed[image][0][level]
    with torch.no_grad():
        p_t = pair.torch_model.detail_params(level, features_t, anchors_t, [details_t[:, i : i + 1] for i in range(g)], g)
    mean_t, index_t = _snap(p_t)
    p_r = pair.runtime.evaluator.detail_params(level, features_r, anchors_r, [details_r[..., i : i + 1] for i in range(g)], g)
    assert p_r.mean.shape == p_r.scale_index.shape == anchors_r.shape[:2] + (1,)
    assert np.array_equal(_hwc(mean_t, image), p_r.mean)
    assert np.array_equal(_hwc(index_t, image), p_r.scale_index)
    assert len(np.unique(p_r.mean)) > 1 and len(np.unique(p_r.scale_index)) > 1  # the head is in play


@pytest.fixture(scope="module")
def top_position_pair(tmp_path_factory) -> Pair:
    return _pair(tmp_path_factory, dataclasses.replace(TINY_INT8_CONFIG, top_position=True), "tiny-top-position",
                 [smooth_image(32, 40, seed=6)])


@pytest.mark.torch
@pytest.mark.parametrize("colour", range(COLOURS))
def test_top_position_prior_parameters_are_identical(top_position_pair: Pair, colour: int) -> None:
    _assert_top_params_identical(top_position_pair, 0, colour)


@pytest.mark.torch
@pytest.mark.parametrize("image", range(len(IMAGES)), ids=IMAGES)
@pytest.mark.parametrize("colour", range(COLOURS))
def test_top_prior_parameters_are_identical(pair: Pair, image: int, colour: int) -> None:
    _assert_top_params_identical(pair, image, colour)


def _assert_top_params_identical(pair: Pair, image: int, colour: int) -> None:
    top_t, top_r = pair.analysed[1], pair.runtime_analysed[image][1]
    with torch.no_grad():
        mean_t, index_t = _snap(pair.torch_model.top_params(top_t, colour, None))
    p_r = pair.runtime.evaluator.top_params(top_r, colour, None)
    assert np.array_equal(_hwc(mean_t, image), p_r.mean)
    assert np.array_equal(_hwc(index_t, image), p_r.scale_index)


@pytest.fixture(scope="module")
def checkerboard_pair(tmp_path_factory) -> Pair:
    return _pair(tmp_path_factory, TINY_CHECKERBOARD_CONFIG, "tiny-checkerboard", [smooth_image(32, 40, seed=5)])


@pytest.mark.torch
@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("g", [0, 4, DETAILS - 1])
def test_checkerboard_halves_prior_parameters_are_identical(checkerboard_pair: Pair, level: int, g: int) -> None:
    """A checkerboard head's parameters for the white half, and for the black half given the
    white one (its context part in play, which the runtime evaluates with the 4 taps that
    meet white positions): the same snapped values on both sides, and the black half's
    not those the head gives without the context."""
    pair = checkerboard_pair
    anchors_t, details_t = pair.analysed[0][level]
    anchors_r, details_r = pair.runtime_analysed[0][0][level]
    white_t = prior.white_positions(*details_t.shape[2:])
    white_r = checkerboard.white_positions(*details_r.shape[:2])
    assert np.array_equal(white_t.numpy(), white_r)
    with torch.no_grad():
        features_t = pair.torch_model.level_features(level, anchors_t, None)
        first_t = pair.torch_model.detail_params(level, features_t, anchors_t, [details_t[:, i : i + 1] for i in range(g)], g)
        known_t = details_t[:, g : g + 1] * white_t
        black_t = pair.torch_model.context_params(level, first_t, known_t, g)
    flow = pair.runtime.evaluator
    features_r = flow.level_features(level, anchors_r, None)
    first_r = flow.detail_params(level, features_r, anchors_r, [details_r[..., i : i + 1] for i in range(g)], g)
    for p_t, p_r, mask in ((first_t, first_r, white_r), (black_t, None, ~white_r)):
        if p_r is None:
            known_r = flow.merge(flow.half(details_r[..., g : g + 1], 0), None, first_r)
            assert np.array_equal(_hwc(known_t, 0), known_r)
            p_r = flow.context_params(level, first_r, known_r, g)
        mean_t, index_t = _snap(p_t)
        assert p_r.mean.shape == p_r.scale_index.shape == (int(mask.sum()), 1)
        assert np.array_equal(_hwc(mean_t, 0)[mask], p_r.mean)
        assert np.array_equal(_hwc(index_t, 0)[mask], p_r.scale_index)
    without_context = _snap(first_t)
    black = ~white_r
    assert not (np.array_equal(_hwc(without_context[0], 0)[black], p_r.mean)
                and np.array_equal(_hwc(without_context[1], 0)[black], p_r.scale_index))
