"""The lossy encoder's search for better latents (efforts 8 and 9): the file's integers
chosen by gradient descent on rate + lambda * distortion through the flow run backwards,
not only by RDOQ's symbol-by-symbol choice (SGA: Yang et al., "Improving inference for
neural image compression", NeurIPS 2020). The decoder is unchanged: the latents are other
integers in the same streams.

The variables are the detail bands' symbols as real numbers (residuals about the prior's
mean, in steps: what the decoder reads, so a change of the bands before moves the latent
with its mean, as in the decoder), starting from the image's own latents about effort
7's means. Under a torch twin of the exact model (the training side's
``IntegerFlowModel``, which agrees with the runtime bit for bit on integers) each is
rounded by annealed stochastic Gumbel-softmax rounding (SGA's), its bits are the prior's
Laplace code length, and the latents run through the walk (the priors in the closed
loop) and the inverse flow to pixels. The top band is coded by autoregressive nets that
have no torch twin, so it keeps effort 7's symbols. The tile coder codes every candidate
exactly and keeps the one of the lowest bits + lambda * squared error, effort 7's
included (``tile_coder.LossyTileCoder``). Deterministic for a given machine (seeded, one
thread)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import torch

from .. import model_file, quantizer
from ..architectures import parse_spec
from ..container import Quantizer
from ..entropy import ans, grid
from ..model_file import TRAINING_PREFIX, CodingModel
from ..walk import COLOURS, chunk_bands, walk
from .flow.coupling import round_half_up
from .likelihood import PriorParams, laplace_bits
from .model import IntegerFlowModel


@dataclass(frozen=True)
class Plan:
    """One effort's search: ``iterations`` Adam steps on the symbols at ``learning_rate``,
    the rounding's temperature annealed from ``hot`` to ``cold`` (geometrically); the
    symbols, rounded, at each of ``snapshots`` (fractions of the run) are a candidate."""

    iterations: int
    learning_rate: float
    hot: float = 0.5
    cold: float = 0.1
    snapshots: tuple[float, ...] = (0.6, 0.8, 1.0)


# the gain grows with the steps, each a pass forwards and backwards over the tile (record:
# results/encoder-choices.md)
PLANS = {8: Plan(80, 0.015), 9: Plan(150, 0.01)}
_EDGE = 1e-4  # keeps atanh finite where a residual sits on a level


def candidates(model: CodingModel, steps: Quantizer, weight: float, pixels: np.ndarray, decoded: np.ndarray,
               residuals: list[np.ndarray], effort: int, seed: int = 0) -> list[list[np.ndarray]]:
    """The detail chunks' symbols to code instead (each candidate: one array per chunk, in
    ``walk``'s order and the exact evaluator's layout) for the tile ``pixels`` (h, w, 3)
    uint8 at the file's ``steps``. ``weight``: lambda, bits per unit of squared pixel
    error; ``decoded``: effort 7's reconstruction before clipping, padded (the flow maps
    it back to the latents it was decoded from: its top band is kept); ``residuals``: the
    detail chunks' latents about their prior means there, in steps (where the search starts)."""
    top = model.evaluator.analyze(decoded)[1]
    twin = _KnownTop(_twin(str(model.source)), _to_torch(top))
    chunk_steps = [quantizer.step_value(steps.steps[b]) for b in chunk_bands(model.evaluator)]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _search(twin, residuals, chunk_steps, steps.global_step / quantizer.STEPS_PER_OCTAVE, pixels,
                       decoded.shape[:2], weight, PLANS[effort], torch.Generator().manual_seed(seed))
    finally:
        torch.set_num_threads(threads)


def _to_torch(chunk: np.ndarray) -> torch.Tensor:
    """A chunk in the runtime's layout ((h, w, 1) band or (N, 1) half) -> the twin's ((1, 1, h, w) or (1, 1, N, 1))."""
    t = torch.from_numpy(np.ascontiguousarray(chunk, dtype=np.float32))
    return t.permute(2, 0, 1)[None] if chunk.ndim == 3 else t[None, None]


def _to_numpy(t: torch.Tensor, like: np.ndarray) -> np.ndarray:
    a = t.detach().double().numpy()[0]
    return a.transpose(1, 2, 0) if like.ndim == 3 else a[0]


@cache
def _twin(source: str) -> IntegerFlowModel:
    """The model file's flow and detail priors as torch modules (its float weights:
    training's, under TRAINING_PREFIX, in an int8 model's file)."""
    meta, tensors = model_file.read(Path(source))
    spec = dataclasses.replace(parse_spec(meta["config"]), top_autoregressive=False)
    twin = IntegerFlowModel(spec)
    prefix = TRAINING_PREFIX if spec.numeric == "int8" else ""
    state = {k[len(prefix):]: torch.from_numpy(v) for k, v in tensors.items() if k.startswith(prefix)}
    state.update({k: v.to(torch.int64) for k, v in state.items() if k.endswith(".exp")})
    missing = twin.load_state_dict(state, strict=False).missing_keys
    if any(not k.startswith("top.") for k in missing):
        raise ValueError(f"{source} has no training weights for {missing[0]}")
    twin.requires_grad_(False)
    return twin.eval()


class _KnownTop:
    """The twin, walked with its top band given (``walk.TopContext``)."""

    top_autoregressive = True

    def __init__(self, twin: IntegerFlowModel, top: torch.Tensor):
        self.twin, self.top = twin, top

    def __getattr__(self, name: str):
        return getattr(self.twin, name)

    def top_band(self, band, height: int, width: int, rate) -> torch.Tensor:
        return self.top


def _search(twin: _KnownTop, residuals: list[np.ndarray], steps: list[float], log2_step: float, pixels: np.ndarray,
            padded: tuple[int, int], weight: float, plan: Plan, gen: torch.Generator) -> list[list[np.ndarray]]:
    h, w = pixels.shape[:2]
    target = torch.from_numpy(pixels.astype(np.float32)).permute(2, 0, 1)[None]
    symbols = [_to_torch(r).requires_grad_() for r in residuals]
    opt = torch.optim.Adam(symbols, plan.learning_rate)
    keep = {max(1, round(f * plan.iterations)) for f in plan.snapshots}
    found = []
    for it in range(1, plan.iterations + 1):
        temperature = plan.hot * (plan.cold / plan.hot) ** ((it - 1) / max(1, plan.iterations - 1))
        bits = target.new_zeros(())

        def band(i: int, p: PriorParams) -> torch.Tensor:
            nonlocal bits
            step = steps[i]
            q = _soft_round(symbols[i - COLOURS], temperature, gen)
            log2_scale = (p.log2_scale - math.log2(step)).clamp(grid.LOG2_SCALE_MIN, grid.LOG2_SCALE_MAX)
            bits = bits + laplace_bits(q, torch.zeros_like(q), log2_scale).sum()
            return round_half_up(p.mean + q * step)

        x_hat = walk(twin, 1, *padded, band, rate=log2_step)[..., :h, :w]
        loss = bits + weight * ((x_hat.clamp(0, 255) - target) ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if it in keep:
            found.append([np.clip(np.round(_to_numpy(s, r)), ans.SYMBOL_MIN, ans.SYMBOL_MAX)
                          for s, r in zip(symbols, residuals)])
    return found


def _soft_round(r: torch.Tensor, temperature: float, gen: torch.Generator) -> torch.Tensor:
    """SGA's rounding: ``floor(r)`` or ``floor(r) + 1``, the nearer the likelier (each
    weighted by exp(-atanh(distance) / temperature)), drawn by a Gumbel-softmax at that
    temperature: differentiable, and the hard rounding in the cold limit."""
    below = torch.floor(r).detach()
    up = (r - below).clamp(_EDGE, 1 - _EDGE)
    logits = torch.stack([-torch.atanh(up), -torch.atanh(1 - up)]) / temperature
    u = torch.rand(logits.shape, generator=gen).clamp(1e-10, 1 - 1e-10)
    weights = torch.softmax((logits - torch.log(-torch.log(u))) / temperature, dim=0)
    return below + weights[1]
