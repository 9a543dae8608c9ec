import pytest
import torch

from invcodec import quantizer
from invcodec.entropy import grid


def test_quality_maps_log_linearly_onto_step_indices() -> None:
    assert quantizer.global_step_index(100) == 0  # step 1: integer latents are kept
    assert quantizer.global_step_index(1) == round(quantizer.MAX_LOG2_STEP * 16)
    indices = [quantizer.global_step_index(q) for q in range(1, 101)]
    assert indices == sorted(indices, reverse=True)
    for bad in (0, 101):
        with pytest.raises(ValueError):
            quantizer.global_step_index(bad)


def test_step_indices_are_clamped_to_the_table() -> None:
    steps = quantizer.step_indices(50, [-1000, 0, 1000])
    assert steps == [0, quantizer.global_step_index(50), quantizer.MAX_STEP_INDEX]
    assert quantizer.step_value(0) == pytest.approx(1.0) and quantizer.step_value(16) == pytest.approx(2.0)


def test_residual_scale_is_an_exact_index_shift() -> None:
    idx = torch.tensor([100.0, 10.0])
    shifted = quantizer.residual_scale_index(idx, 32)
    assert shifted.tolist() == [68.0, 0.0]  # clamped at the table's smallest scale
    assert grid.SCALES[100] / quantizer.step_value(32) == pytest.approx(grid.SCALES[68])


def test_quantize_dequantize_error_is_within_half_a_step() -> None:
    torch.manual_seed(0)
    latents = torch.randint(-500, 500, (1000,)).double()
    mean = torch.randint(-80, 80, (1000,)).double() / 16
    for step_index in (0, 20, 48, 80):
        q = quantizer.quantize(latents - mean, step_index)
        back = quantizer.dequantize(mean, q, step_index, recon_offset=0)
        assert (back == torch.round(back)).all()  # integer latents for the exact inverse flow
        assert (back - latents).abs().max() <= quantizer.step_value(step_index) / 2 + 0.5


def test_deadzone_and_offset_pull_towards_the_mean() -> None:
    r = torch.linspace(-40, 40, 801).double()
    plain = quantizer.quantize(r, 48)
    wide = quantizer.quantize(r, 48, deadzone=0.2)
    assert (wide == 0).sum() > (plain == 0).sum() and (wide.abs() <= plain.abs()).all()
    zero = torch.zeros_like(r)
    pulled = quantizer.dequantize(zero, plain, 48, recon_offset=64)
    assert (pulled.abs() <= quantizer.dequantize(zero, plain, 48, 0).abs()).all()
