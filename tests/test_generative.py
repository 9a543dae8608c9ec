import numpy as np
import pytest
from PIL import Image

from invcodec import generative
from invcodec.registry import get_model
from invcodec.runtime.autoregressive import forward_colour


def test_an_autoregressive_model_samples_without_torch_the_same_images_for_a_seed() -> None:
    model = get_model("photo-v4")
    first = generative.sample(model, 2, 24, 0.8, seed=3)
    assert first.shape == (2, 24, 24, 3) and first.dtype == np.uint8
    assert np.array_equal(first, generative.sample(model, 2, 24, 0.8, seed=3))
    assert not np.array_equal(first, generative.sample(model, 2, 24, 0.8, seed=4))
    assert not np.array_equal(first[0], first[1])


def test_at_temperature_zero_an_autoregressive_model_draws_its_most_likely_values() -> None:
    model = get_model("photo-v4")
    a, b = generative.sample(model, 2, 16, 0.0, seed=0)
    assert np.array_equal(a, b)  # no randomness left
    evaluator = model.evaluator
    planes = forward_colour(a)
    for p in range(3):
        mean, _ = evaluator.encode_params(planes, p)
        assert np.array_equal(planes[p].reshape(-1), np.floor(mean + 0.5))


def test_an_autoregressive_score_is_its_exact_code_length() -> None:
    model = get_model("photo-v4")
    image = (np.add.outer(np.arange(40), np.arange(30))[..., None] * [1, 2, 3] % 256).astype(np.uint8)
    score = generative.scorer(model)
    assert score(image) == pytest.approx(model.evaluator.code_length(image) / image.size, rel=1e-12)
    noise = np.random.default_rng(0).integers(0, 256, image.shape, dtype=np.uint8)
    assert score(noise) > 6 > score(image)  # noise is far less likely than a smooth ramp


def test_refusals_name_the_model_and_the_reason() -> None:
    with pytest.raises(ValueError, match="photo-v4 is autoregressive"):
        generative.interpolate(get_model("photo-v4"), np.zeros((16, 16, 3), np.uint8), np.zeros((16, 16, 3), np.uint8), 3,
                               "prior")
    for tool in (lambda m: generative.sample(m, 1, 16, 1.0, 0), generative.scorer):
        with pytest.raises(ValueError, match="photo-lossy-v7 is a lossy model"):
            tool(get_model("photo-lossy-v7"))


def test_a_lifting_flow_samples_interpolates_and_scores_through_torch() -> None:
    pytest.importorskip("torch")
    model = get_model("cifar10-v1")
    images = generative.sample(model, 2, 16, 0.5, seed=1)
    assert images.shape == (2, 16, 16, 3) and images.dtype == np.uint8
    frames = generative.interpolate(model, images[0], images[1], 4, "latents")
    assert frames.shape == (4, 16, 16, 3) and np.array_equal(frames[0], images[0]) and np.array_equal(frames[-1], images[1])
    assert 0 < generative.scorer(model)(images[0]) < 8


def test_grid_layout() -> None:
    images = np.zeros((5, 4, 6, 3), np.uint8)
    g = generative.image_grid(images, gap=2)
    assert g.size == (3 * 6 + 2 * 2, 2 * 4 + 2)  # 3 columns, 2 rows
    pixels = np.asarray(g)
    assert (pixels[:4, :6] == 0).all() and (pixels[4:6] == 255).all() and (pixels[6:, 6 * 2 + 2 * 2 :] == 255).all()


def _with_noise_patch(image: np.ndarray) -> np.ndarray:
    patched = image.copy()
    patched[8:16, 8:16] = np.random.default_rng(7).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    return patched


def test_an_autoregressive_surprise_map_sums_to_its_exact_code_length_and_finds_a_pasted_patch() -> None:
    model = get_model("photo-v4")
    image = _with_noise_patch((np.add.outer(np.arange(30), np.arange(26))[..., None] * [1, 2, 3] % 256).astype(np.uint8))
    bits = generative.surprise(model)(image)
    assert bits.shape == image.shape[:2] and (bits > 0).all()
    assert bits.sum() == pytest.approx(model.evaluator.code_length(image), rel=1e-12)
    patch = np.zeros(bits.shape, bool)
    patch[8:16, 8:16] = True
    assert bits[patch].mean() > 4 * bits[~patch].mean()  # the noise costs far more than the ramp around it


def test_a_flows_surprise_map_sums_to_its_likelihood_padding_included_and_finds_a_pasted_patch() -> None:
    pytest.importorskip("torch")
    model = get_model("cifar10-v1")
    ramp = np.add.outer(np.arange(27), np.arange(21)).astype(np.uint8)
    image = _with_noise_patch(np.asarray(Image.fromarray(ramp).convert("RGB")))
    bits = generative.surprise(model)(image)  # 27x21: padded to 32x24, the padding's bits folded onto the edges
    assert bits.shape == (27, 21)
    assert bits.sum() == pytest.approx(generative.scorer(model)(image) * image.size, rel=1e-5)
    patch = np.zeros(bits.shape, bool)
    patch[8:16, 8:16] = True
    assert bits[patch].mean() > 2 * bits[~patch].mean()  # (a coarse latent's bits spread over its block, beyond the patch)


def test_a_model_without_a_density_has_no_surprise_map() -> None:
    with pytest.raises(ValueError, match="photo-lossy-v7 is a lossy model"):
        generative.surprise(get_model("photo-lossy-v7"))


def test_the_heat_map_runs_on_a_fixed_scale_from_black_to_pale_yellow() -> None:
    bits = np.array([[0.0, 12.0, 24.0, 100.0, np.nan]])
    colours = np.asarray(generative.heat_map(bits))
    assert colours.shape == (1, 5, 3) and colours.dtype == np.uint8
    assert colours[0, 0].tolist() == [0, 0, 4] and colours[0, 4].tolist() == [0, 0, 4]  # nothing (or no number): black
    assert colours[0, 1].tolist() == [188, 55, 84]  # half way: the middle anchor
    assert colours[0, 2].tolist() == colours[0, 3].tolist() == [252, 255, 164]  # raw cost and above: the top
    assert np.asarray(generative.heat_map(bits, top=48.0))[0, 2].tolist() == [188, 55, 84]
