"""The decoder's Jacobian as a training regulariser (issue 15's continuity question).

The decoder maps all latents back to pixels. Its relaxed Jacobian J (the roundings'
straight-through identity, the same relaxation ``bench continuity`` measures) tells how
far the pixels move per unit of latent. ``decoder_gain`` is Hutchinson's estimate of
||J||_F^2 / (pixels x colours), the mean squared gain per output value: E_u ||J u||^2 with
u ~ N(0, I) over every latent equals ||J||_F^2 (the levels' cross terms vanish because
their probes are independent). One forward-mode pass through the decoder computes J u,
and its result stays differentiable with respect to the weights, so ``bits + lambda *
gain`` trains like the plain objective (Hoffman et al. 2019, "Robust learning with
Jacobian regularization"). A fresh model (the fixed integer lifting) has a gain of about
2.7 on CIFAR-10; the shipped models reach 50 or more, nearly all at the finest level."""

from __future__ import annotations

import torch
import torch.autograd.forward_ad as fwAD

from .model import IntegerFlowModel


def latents(analysis: tuple[list[tuple[torch.Tensor, torch.Tensor]], torch.Tensor]) -> list[torch.Tensor]:
    """``model.analyze(x)`` -> the decoder's inputs: each level's details, finest first,
    then the coarsest anchors."""
    per_level, top = analysis
    return [details for _, details in per_level] + [top]


def decoder_jvp(model: IntegerFlowModel, at: list[torch.Tensor], tangents: list[torch.Tensor]) -> torch.Tensor:
    """J u: how the decoded image moves along ``tangents`` (one per latent) at the latents ``at``."""
    if len(tangents) != len(at):
        raise ValueError(f"{len(at)} latents, {len(tangents)} tangents")
    with fwAD.dual_level():
        duals = [fwAD.make_dual(z, u) for z, u in zip(at, tangents)]
        decoded = model.synthesize(duals[:-1], duals[-1])
        return fwAD.unpack_dual(decoded).tangent


def decoder_gain(model: IntegerFlowModel, at: list[torch.Tensor], generator: torch.Generator | None = None) -> torch.Tensor:
    """Hutchinson's one-probe estimate of the decoder's ||J||_F^2 per output value at the latents ``at``."""
    tangents = [torch.randn(z.shape, generator=generator, dtype=z.dtype, device=z.device) for z in at]
    moved = decoder_jvp(model, at, tangents)
    return moved.pow(2).sum() / moved.numel()
