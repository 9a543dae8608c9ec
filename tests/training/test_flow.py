"""One invertibility test over every invertible block, in both evaluation modes."""

from __future__ import annotations

import pytest
import torch

from invcodec.flow import ChannelPermutation, LiftingCoupling, Squeeze

from .conftest import make_tiny_model


def _perturbed(block: torch.nn.Module) -> torch.nn.Module:
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
}
CHANNELS = {"squeeze": 3, "permutation": 6, "predict-coupling": 12, "update-coupling": 12}


@pytest.mark.parametrize("name", sorted(BLOCKS))
@pytest.mark.parametrize("exact", [False, True])
def test_block_inverse_is_exact(name: str, exact: bool) -> None:
    block = BLOCKS[name]()
    dtype = torch.float64 if exact else torch.float32  # the exact path computes in float64 itself
    x = torch.randint(-300, 300, (2, CHANNELS[name], 8, 6)).to(dtype)
    with torch.no_grad():
        y = block(x, exact=exact)
        assert not torch.equal(y, x) or name == "squeeze"  # the block does something
        assert torch.equal(block.inverse(y, exact=exact), x)
        assert torch.equal(y, torch.round(y)), "integer in, integer out"


def test_permutation_rejects_non_permutation() -> None:
    with pytest.raises(ValueError):
        ChannelPermutation([0, 0, 1])


def test_squeeze_layout_is_position_major() -> None:
    x = torch.arange(2 * 2 * 3).reshape(1, 3, 2, 2).double()  # one 2x2 block, 3 colours
    y = Squeeze()(x)
    # channel p*3 + c = colour c at position p (TL, TR, BL, BR)
    assert y[0, :, 0, 0].tolist() == [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]


@pytest.mark.parametrize("exact", [False, True])
def test_whole_flow_inverse(exact: bool) -> None:
    model = make_tiny_model()
    x = torch.randint(0, 256, (1, 3, 16, 24)).to(torch.float64 if exact else torch.float32)
    with torch.no_grad():
        per_level, top = model.analyze(x, exact=exact)
        assert torch.equal(model.synthesize([d for _, d in per_level], top, exact=exact), x)


def test_coupling_gradient_flows_through_rounding() -> None:
    block = _perturbed(LiftingCoupling("predict", 3, 8, 1))
    x = torch.randint(0, 256, (1, 12, 8, 8)).float()
    block(x).pow(2).mean().backward()
    assert block.net.out.weight.grad is not None and block.net.out.weight.grad.abs().sum() > 0
