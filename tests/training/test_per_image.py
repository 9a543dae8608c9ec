"""The encoder's per-tile fine-tuning of an autoregressive model."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from invcodec.runtime.autoregressive import AutoregressiveModel
from invcodec.training import per_image

from ..conftest import smooth_image


def test_only_the_head_changes_and_the_tile_costs_fewer_bits(tiny_coding_models) -> None:
    base = tiny_coding_models["autoregressive"].evaluator.tensors
    pixels = smooth_image(48, 48, seed=11)
    adapted, steps = per_image.adapted_tensors(base, pixels, "head", 60)
    changed = {name for name in base if not np.array_equal(adapted[name], base[name])}
    assert changed and changed <= set(steps) and all(n.rsplit(".", 1)[1] in per_image.PARTS["head"] for n in steps)
    assert AutoregressiveModel(adapted).code_length(pixels) < AutoregressiveModel(base).code_length(pixels)


def test_the_whole_net_changes_with_part_all(tiny_coding_models) -> None:
    base = tiny_coding_models["autoregressive"].evaluator.tensors
    adapted, steps = per_image.adapted_tensors(base, smooth_image(24, 24, seed=13), "all", 10)
    assert set(steps) == set(base) and all(not np.array_equal(adapted[n], base[n]) for n in base if n.endswith(".w1"))


def test_the_same_tile_gives_the_same_weights(tiny_coding_models) -> None:
    base = tiny_coding_models["autoregressive"].evaluator.tensors
    pixels = smooth_image(24, 24, seed=12)
    first, second = (per_image.adapted_tensors(base, pixels, "all", 10)[0] for _ in range(2))
    assert all(np.array_equal(first[n], second[n]) for n in base)


def test_the_whole_net_is_offered_from_32_pixels_per_weight() -> None:
    from invcodec.registry import get_model

    weights = {name: per_image.part_weights(get_model(name).evaluator.tensors, "all") for name in ("photo-v4", "photo-v5")}
    assert weights == {"photo-v4": 6237, "photo-v5": 18525}
    assert 32 * weights["photo-v4"] <= 512 * 512 < 32 * weights["photo-v5"]  # photo-v5 tunes only its head


def test_small_tiles_are_not_offered_the_whole_net(tiny_coding_models, monkeypatch) -> None:
    monkeypatch.setattr(per_image, "PLANS", {8: (("head", 3),), 9: (("head", 3), ("all", 3))})
    base = tiny_coding_models["autoregressive"].evaluator.tensors
    monkeypatch.setattr(per_image, "MIN_PIXELS_PER_WEIGHT", {"head": 0, "all": Fraction(24 * 24, per_image.part_weights(base, "all"))})
    head, whole = (len(per_image.LOG2_STEPS[part]) for part in ("head", "all"))
    assert len(per_image.candidates(base, smooth_image(24, 23, seed=14), 9)) == head
    offered = per_image.candidates(base, smooth_image(24, 24, seed=14), 9)
    assert len(offered) == head + whole
    # the whole net's tensors, once per delta step
    assert [set(steps.values()) for _, steps in offered[head:]] == [{s} for s in per_image.LOG2_STEPS["all"]]


def test_a_wider_net_gets_fewer_steps_in_proportion_to_its_width() -> None:
    def tensors(hidden: int) -> dict[str, np.ndarray]:
        return {"plane0.b1": np.zeros(hidden)}

    assert [per_image.width_steps(400, tensors(h)) for h in (32, 64, 96, 128)] == [400, 400, 266, 200]
    assert per_image.width_steps(1, tensors(96)) == 1


def test_candidates_fine_tune_for_the_width_sized_steps(tiny_coding_models, monkeypatch) -> None:
    base = tiny_coding_models["autoregressive"].evaluator.tensors
    hidden = np.asarray(base["plane0.b1"]).size
    monkeypatch.setattr(per_image, "PLANS", {8: (("head", 6 * hidden),)})
    monkeypatch.setattr(per_image, "STEPS_WIDTH", hidden // 2)
    asked = []
    monkeypatch.setattr(per_image, "adapted_tensors", lambda tensors, pixels, part, steps: asked.append(steps) or ({}, {}))
    per_image.candidates(base, smooth_image(16, 16, seed=3), 8)
    assert asked == [3 * hidden]
