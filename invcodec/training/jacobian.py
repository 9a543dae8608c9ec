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


def decoder_jvp(model: IntegerFlowModel, x: torch.Tensor, tangents: list[torch.Tensor]) -> torch.Tensor:
    """J u: how the decoded image moves along ``tangents`` (one per latent, finest level
    first, the coarsest anchors last) at the latents of ``x``."""
    per_level, top = model.analyze(x)
    latents = [details for _, details in per_level] + [top]
    if len(tangents) != len(latents):
        raise ValueError(f"{len(latents)} latents, {len(tangents)} tangents")
    with fwAD.dual_level():
        duals = [fwAD.make_dual(z, u) for z, u in zip(latents, tangents)]
        decoded = model.synthesize(duals[:-1], duals[-1])
        return fwAD.unpack_dual(decoded).tangent


def latent_shapes(model: IntegerFlowModel, x: torch.Tensor) -> list[torch.Size]:
    b, c, h, w = x.shape
    shapes = []
    for _ in range(model.level_count):
        h, w = h // 2, w // 2
        shapes.append(torch.Size((b, 3 * c, h, w)))
    return shapes + [torch.Size((b, c, h, w))]


def decoder_gain(model: IntegerFlowModel, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Hutchinson's one-probe estimate of the decoder's ||J||_F^2 per output value."""
    tangents = [torch.randn(s, generator=generator, dtype=x.dtype, device=x.device) for s in latent_shapes(model, x)]
    return decoder_jvp(model, x, tangents).pow(2).sum() / x.numel()
