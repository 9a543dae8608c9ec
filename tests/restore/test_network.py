"""The numpy runtime network against its torch twin, through a model file as shipped."""

from __future__ import annotations

from argparse import Namespace
from pathlib import Path

import numpy as np
import pytest

from invcodec.registry import RESTORE_DIR
from invcodec.restore import network

from ..conftest import HAVE_TORCH

if HAVE_TORCH:  # the torch twin, for the tests marked torch
    import torch

    from invcodec.training.restore_net import RestoreConfig, RestoreNet, haar as torch_haar
    from invcodec.training.restore_train import write_model


def _random_net(task: str, seed: int = 0) -> RestoreNet:
    torch.manual_seed(seed)
    net = RestoreNet(RestoreConfig(task, couplings=3, hidden=8, drop=20))
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.05 * torch.randn_like(p))  # the last conv starts at zero: make every coupling act
    return net.eval()


@pytest.mark.torch
def test_runtime_matches_torch_through_a_model_file(tmp_path: Path) -> None:
    net = _random_net("inpaint")
    path = tmp_path / "m.safetensors"
    write_model(net, net.config, 7, vars(Namespace(task="inpaint")), tmp_path, path)
    model = network.load(path)
    assert model.task == "inpaint" and model.parameters == sum(p.numel() for p in net.parameters())
    rng = np.random.default_rng(0)
    x = rng.random((40, 56, 3), dtype=np.float32)
    cond = (rng.random((40, 56, 1)) < 0.2).astype(np.float32)
    with torch.no_grad():
        expected = net(torch.from_numpy(x.transpose(2, 0, 1))[None], torch.from_numpy(cond.transpose(2, 0, 1))[None])
    got = model.restore(x, cond)
    np.testing.assert_allclose(got, expected[0].numpy().transpose(1, 2, 0), atol=2e-5)
    assert np.abs(got - x).mean() > 1e-3  # the net does something: the comparison is not vacuous


def test_couplings_invert_without_the_drop() -> None:
    model = network.shipped("denoise")  # trained couplings: every one acts
    rng = np.random.default_rng(1)
    z = rng.standard_normal((6, 5, 48)).astype(np.float32)
    cond = np.full((6, 5, 16), 0.4, np.float32)
    y = z
    for c in model.couplings:
        y = c.forward(y, cond)
    for c in reversed(model.couplings):
        y = c.inverse(y, cond)
    np.testing.assert_allclose(y, z, atol=1e-4)


@pytest.mark.torch
def test_haar_is_orthonormal_and_matches_torch() -> None:
    x = np.random.default_rng(2).random((8, 12, 3), dtype=np.float32)
    y = network.haar(x)
    np.testing.assert_allclose(network.unhaar(y), x, atol=1e-6)
    np.testing.assert_allclose(np.sum(y**2), np.sum(x**2), rtol=1e-5)
    t = torch_haar(torch.from_numpy(x.transpose(2, 0, 1))[None])[0].numpy().transpose(1, 2, 0)
    np.testing.assert_allclose(y, t, atol=1e-6)


@pytest.mark.torch
def test_space_to_depth_is_pixel_unshuffle() -> None:
    c = np.random.default_rng(3).random((8, 12, 1), dtype=np.float32)
    t = torch.nn.functional.pixel_unshuffle(torch.from_numpy(c.transpose(2, 0, 1))[None], 4)[0].numpy().transpose(1, 2, 0)
    np.testing.assert_array_equal(network.space_to_depth(c), t)


@pytest.mark.parametrize("task", network.TASKS)
def test_shipped_models_load_and_fit_the_size_limit(task: str) -> None:
    path = RESTORE_DIR / f"{network.SHIPPED[task]}.safetensors"
    assert path.stat().st_size <= 20 * 2**20
    model = network.shipped(task)
    assert model.task == task and model.parameters > 100_000
    assert network.load(network.SHIPPED[task]).parameters == model.parameters  # by name, as -m takes it


def test_unknown_task_and_foreign_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown restoration task"):
        network.shipped("sharpen")
    from safetensors.numpy import save_file

    save_file({"x": np.zeros(2, np.float32)}, str(tmp_path / "x.safetensors"))
    with pytest.raises(ValueError, match="not a restoration model"):
        network.load(tmp_path / "x.safetensors")
