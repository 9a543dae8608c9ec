"""One invertibility test over every invertible block of the training side (torch)."""

from __future__ import annotations

import copy

import pytest
import torch

from invcodec.training.flow import ChannelPermutation, InvertibleBlock, LiftingCoupling, Squeeze

from ..fixtures.make_models import TINY_INT8_CONFIG, make_tiny_model

pytestmark = pytest.mark.usefixtures("single_thread")


def _perturbed(block: torch.nn.Module) -> torch.nn.Module:
    """Random weights everywhere, so that a coupling's learned shift is not zero."""
    torch.manual_seed(1)
    with torch.no_grad():
        for p in block.parameters():
            p.add_(torch.randn_like(p) * 0.2)
    return block


BLOCKS = {
    "squeeze": lambda: Squeeze(),
    "permutation": lambda: ChannelPermutation([3, 1, 0, 2, 5, 4]),
    "predict-coupling": lambda: _perturbed(LiftingCoupling("predict", 3, 8, 1)),
    "update-coupling": lambda: _perturbed(LiftingCoupling("update", 3, 8, 1)),
    "predict-coupling-int8": lambda: _perturbed(LiftingCoupling("predict", 3, 8, 1, numeric="int8")),
    "update-coupling-int8": lambda: _perturbed(LiftingCoupling("update", 3, 8, 1, numeric="int8")),
}
CHANNELS = {"squeeze": 3, "permutation": 6}  # the couplings take a squeezed 3-colour level: 12


@pytest.mark.parametrize("name", sorted(BLOCKS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
def test_block_inverse_is_exact(name: str, dtype: torch.dtype) -> None:
    block = BLOCKS[name]().to(dtype)
    assert isinstance(block, InvertibleBlock)
    x = torch.randint(-300, 300, (2, CHANNELS.get(name, 12), 8, 6)).to(dtype)
    with torch.no_grad():
        y = block(x)
        assert not torch.equal(y.flatten(), x.flatten())  # the block does something
        assert torch.equal(y, torch.round(y)), "integer in, integer out"
        assert torch.equal(block.inverse(y), x)


def test_couplings_learned_shift_is_in_play() -> None:
    """The perturbed couplings differ from their fixed Haar step alone (else the test
    above would only test the fixed step)."""
    x = torch.randint(-300, 300, (1, 12, 8, 6)).double()
    for numeric in ("fixed64", "int8"):
        block = _perturbed(LiftingCoupling("predict", 3, 8, 1, numeric=numeric)).double()
        plain = LiftingCoupling("predict", 3, 8, 1, numeric=numeric).double()  # output layer zero: no learned shift
        with torch.no_grad():
            assert torch.equal(plain(x)[:, 3:], x[:, 3:] - x[:, :3].repeat(1, 3, 1, 1))
            assert not torch.equal(block(x), plain(x))


def test_permutation_rejects_non_permutation() -> None:
    with pytest.raises(ValueError):
        ChannelPermutation([0, 0, 1])


def test_coupling_kind_is_checked() -> None:
    with pytest.raises(ValueError):
        LiftingCoupling("shuffle", 3, 8, 1)


def test_squeeze_layout_is_position_major() -> None:
    x = torch.arange(2 * 2 * 3).reshape(1, 3, 2, 2).double()  # one 2x2 block, 3 colours
    y = Squeeze()(x)
    # channel p*3 + c = colour c at position p (TL, TR, BL, BR)
    assert y[0, :, 0, 0].tolist() == [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]
    with pytest.raises(ValueError, match="even"):
        Squeeze()(torch.zeros(1, 3, 3, 4))


@pytest.fixture(scope="module")
def tiny_models() -> dict[str, torch.nn.Module]:
    return {"fixed64": make_tiny_model(), "int8": make_tiny_model(config=TINY_INT8_CONFIG)}


@pytest.mark.parametrize("numeric", ["fixed64", "int8"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
def test_whole_flow_inverse(tiny_models, numeric: str, dtype: torch.dtype) -> None:
    model = copy.deepcopy(tiny_models[numeric]).to(dtype)
    assert model.cfg.numeric == numeric
    x = torch.randint(0, 256, (2, 3, 16, 24)).to(dtype)
    with torch.no_grad():
        per_level, top = model.analyze(x)
        assert top.shape == (2, 3, 4, 6) and [d.shape[1] for _, d in per_level] == [9, 9]
        assert torch.equal(model.synthesize([d for _, d in per_level], top), x)


@pytest.mark.parametrize("numeric", ["fixed64", "int8"])
def test_coupling_gradient_flows_through_rounding(numeric: str) -> None:
    block = _perturbed(LiftingCoupling("predict", 3, 8, 1, numeric=numeric))
    x = torch.randint(0, 256, (1, 12, 8, 8)).float()
    block(x).pow(2).mean().backward()
    for conv in (block.net.inp, block.net.out):  # the first and the last layer both learn
        weight = conv.conv.weight if numeric == "int8" else conv.weight
        assert weight.grad is not None and weight.grad.abs().sum() > 0
