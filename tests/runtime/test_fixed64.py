from __future__ import annotations

import torch
import torch.nn.functional as F

from invcodec import fixedpoint as fp


def _reference_conv_int64(a: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The same convolution in plain int64 arithmetic (unfold + integer sums)."""
    k = w.shape[-1]
    cols = F.unfold(a, k, padding=k // 2).long()  # (B, C*k*k, L): values are exact integers
    out = torch.einsum("ok,bkl->bol", w.long().reshape(w.shape[0], -1), cols) + b.long().view(1, -1, 1)
    return out.reshape(a.shape[0], w.shape[0], a.shape[2], a.shape[3])


def test_float64_conv_on_integers_is_exact() -> None:
    torch.manual_seed(0)
    a = torch.randint(-(2**20), 2**20, (1, 16, 9, 7)).double()
    w = torch.randint(-(2**15), 2**15, (5, 16, 3, 3)).double()
    b = torch.randint(-(2**30), 2**30, (5,)).double()
    got = fp.conv_acc(a, w, b)
    assert torch.equal(got.long(), _reference_conv_int64(a, w, b))


def test_quantized_conv_tracks_float_conv() -> None:
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(4, 6, 3, padding=1)
    x = torch.randn(1, 4, 8, 8)
    a = torch.round(x.double() * 2**fp.ACT_FRAC_BITS)
    acc = fp.conv_acc(a, *fp.quantize_conv(conv.weight, conv.bias))
    assert torch.allclose(acc * 2.0**-fp.ACC_FRAC_BITS, conv(x).double(), atol=0.02)


def test_requantize_floors_and_clamps() -> None:
    acc = torch.tensor([4096.0 * 3 + 1, -1.0, 2.0**60])
    assert fp.requantize(acc).tolist() == [3.0, -1.0, fp.ACT_LIMIT]


def test_round_acc_rounds_half_up() -> None:
    one = 2.0**fp.ACC_FRAC_BITS
    assert fp.round_acc(torch.tensor([0.5 * one, -0.5 * one, 1.49 * one]), 0).tolist() == [1.0, 0.0, 1.0]


def test_quantize_rejects_huge_weights() -> None:
    import pytest

    with pytest.raises(ValueError):
        fp.quantize_conv(torch.full((1, 1, 3, 3), 100.0), torch.zeros(1))
