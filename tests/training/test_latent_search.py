"""The lossy encoder's latent search (efforts 8 and 9)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from invcodec import quantizer
from invcodec.codec import compress_samples, decompress_samples, lossy_settings
from invcodec.tile_coder import LossyTileCoder, rd_cost
from invcodec.training import latent_search

from ..conftest import smooth_image

pytestmark = pytest.mark.usefixtures("single_thread")
QUALITY = 40


def test_soft_rounding_is_rounding_when_cold_and_has_a_gradient_when_hot() -> None:
    r = torch.tensor([-1.3, -0.2, 0.1, 0.45, 0.7, 2.9], requires_grad=True)
    cold = latent_search._soft_round(r, 1e-3, torch.Generator().manual_seed(0))
    assert torch.equal(cold.detach(), torch.round(r.detach()))
    latent_search._soft_round(r, 0.5, torch.Generator().manual_seed(0)).sum().backward()
    assert r.grad.abs().sum() > 0


def _search(model, pixels, plan, monkeypatch):
    monkeypatch.setitem(latent_search.PLANS, 8, plan)
    lossy = lossy_settings(model, QUALITY, effort=8)
    coder = LossyTileCoder(model, lossy)
    coded = coder._encode(pixels, keep_residuals=True)
    details = len(coder.chunk_steps) - 3
    weight = quantizer.distortion_weight(lossy.quantizer.global_step, lossy.choices.rdo_weight)
    found = latent_search.candidates(model, lossy.quantizer, weight, pixels, coded.decoded, coded.residuals[-details:], 8)
    return coded, found, details


def test_a_search_that_does_not_move_rounds_where_it_started(tiny_coding_models, monkeypatch) -> None:
    pixels = smooth_image(32, 32, seed=3)
    coded, found, details = _search(tiny_coding_models["top-autoregressive"], pixels, latent_search.Plan(2, 0.0, snapshots=(1.0,)),
                                    monkeypatch)
    assert len(found) == 1 and len(found[0]) == details
    for symbols, residuals in zip(found[0], coded.residuals[-details:]):
        assert symbols.shape == residuals.shape
        assert np.array_equal(symbols, np.round(residuals))


def test_a_search_moves_the_symbols_and_keeps_a_candidate_per_snapshot(tiny_coding_models, monkeypatch) -> None:
    pixels = smooth_image(32, 32, seed=4)
    coded, found, details = _search(tiny_coding_models["top-autoregressive"], pixels,
                                    latent_search.Plan(6, 0.2, snapshots=(0.5, 1.0)), monkeypatch)
    assert len(found) == 2
    start = np.concatenate([np.round(r).ravel() for r in coded.residuals[-details:]])
    assert not np.array_equal(np.concatenate([s.ravel() for s in found[-1]]), start)


def test_effort_8_costs_no_more_than_effort_7_and_decodes_without_torch(tiny_coding_models, tmp_path,
                                                                        monkeypatch) -> None:
    """The exact bits + lambda * squared error of each tile is never above effort 7's; the
    file decodes, in a process where torch cannot be imported, to the pixels the encoder claimed."""
    monkeypatch.setitem(latent_search.PLANS, 8, latent_search.Plan(8, 0.1, snapshots=(0.5, 1.0)))
    model = tiny_coding_models["top-autoregressive"]
    pixels = smooth_image(40, 48, seed=5)
    lossy = lossy_settings(model, QUALITY)
    weight = quantizer.distortion_weight(lossy.quantizer.global_step, lossy.choices.rdo_weight)
    costs = {}
    for effort in (7, 8):
        data, _ = compress_samples(pixels, model, quality=QUALITY, effort=effort, tile_size=None)
        decoded = decompress_samples(data, model)
        costs[effort] = 8 * len(data) + weight * float(np.sum((decoded.astype(np.float64) - pixels) ** 2))
        (tmp_path / f"e{effort}.inv").write_bytes(data)
        np.save(tmp_path / f"e{effort}.npy", decoded)
    assert costs[8] <= costs[7]
    script = ("import sys; sys.modules['torch'] = None\n"
              "import numpy as np\n"
              "from invcodec.codec import decompress_samples\n"
              "from invcodec.model_file import load\n"
              f"model = load({str(model.source)!r})\n"
              f"out = decompress_samples(open({str(tmp_path / 'e8.inv')!r}, 'rb').read(), model)\n"
              f"assert np.array_equal(out, np.load({str(tmp_path / 'e8.npy')!r}))\n")
    subprocess.run([sys.executable, "-c", script], check=True)


def test_the_tile_coder_keeps_effort_7s_tile_when_no_candidate_is_better(tiny_coding_models, monkeypatch) -> None:
    model = tiny_coding_models["top-autoregressive"]
    pixels = smooth_image(32, 32, seed=6)
    worse = lambda *args: [[np.full_like(r, 7.0) for r in args[5]]]  # noqa: E731  (every detail symbol 7: many bits, a wrong image)
    monkeypatch.setattr(type(model.architecture), "load_latent_search", lambda self: worse)
    plain = LossyTileCoder(model, lossy_settings(model, QUALITY)).encode(pixels)
    searched = LossyTileCoder(model, lossy_settings(model, QUALITY, effort=8)).encode(pixels)
    assert searched.payload == plain.payload
    weight = quantizer.distortion_weight(quantizer.global_step_index(QUALITY), 10.0)
    assert rd_cost(searched, pixels, weight) == rd_cost(plain, pixels, weight)
