"""The flow as a generative model: sample from the prior, interpolate, score.

Because the flow is a bijection with a learned prior, drawing latents from the prior
(coarsest first, each level given the coarser ones, as in decoding) and running the
inverse gives new images ("false memories"); the prior's code length of an image is its
negative log-likelihood in bits per dimension.

Interpolation works by default in the prior's standardised residuals: each latent is
mean(context) + scale(context) * e, and the flow together with this step is a bijection
from images to e (the base space of the whole model, where Glow interpolates). Mixing e
and decoding band by band lets every finer level follow the mixed coarser ones: the
details are re-predicted for the in-between face, not a cross-fade of both faces' edges.
Mixing the latents themselves (``space="latents"``) is nearly a pixel cross-fade, since
the flow is an integer wavelet plus small corrections."""

from __future__ import annotations


import numpy as np
import torch

from ..entropy import ans
from ..walk import bands_in_order, walk
from .likelihood import PriorParams
from .model import IntegerFlowModel


def load(coding_model) -> IntegerFlowModel:
    """The torch model of a lifting ``CodingModel`` (what this module's functions take)."""
    from .weights import load_model

    return load_model(coding_model.source)


def _sample_laplace(p: PriorParams, temperature: float, gen: torch.Generator) -> torch.Tensor:
    """Integer draws from the quantized Laplace(mean, temperature * scale)."""
    scale = torch.exp2(p.log2_scale) * temperature
    u = torch.rand(p.mean.shape, generator=gen) - 0.5
    draw = p.mean - scale * torch.sign(u) * torch.log1p(-2 * u.abs())
    return torch.floor(draw + 0.5).clamp(ans.SYMBOL_MIN, ans.SYMBOL_MAX)


@torch.no_grad()
def sample(model: IntegerFlowModel, n: int, size: int, temperature: float = 1.0, seed: int = 0) -> np.ndarray:
    """(n, size, size, 3) uint8 images drawn from the model's prior, band by band in the
    decoding order (each band given the ones drawn before it)."""
    if size % model.block_size:
        raise ValueError(f"size must be a multiple of {model.block_size}")
    gen = torch.Generator().manual_seed(seed)
    x = walk(model, n, size, size, lambda i, p: _sample_laplace(p, temperature, gen))
    return x.clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()


INTERPOLATION_SPACES = ("prior", "latents")


@torch.no_grad()
def interpolate(model: IntegerFlowModel, a: np.ndarray, b: np.ndarray, steps: int, space: str = "prior") -> np.ndarray:
    """(steps, H, W, 3) uint8: a -> b. ``space`` "prior": the standardised residuals mixed
    band by band, keeping their spread (``_mix_keeping_norm``); "latents": the latents
    mixed linearly at every level. Either way the end frames are exactly a and b."""
    if a.shape != b.shape or a.shape[0] % model.block_size or a.shape[1] % model.block_size:
        raise ValueError(f"images must have the same size, a multiple of {model.block_size}")
    if space not in INTERPOLATION_SPACES:
        raise ValueError(f"space must be one of {INTERPOLATION_SPACES}")
    batch = torch.from_numpy(np.stack([a, b]).transpose(0, 3, 1, 2).astype(np.float32))
    w = torch.linspace(0.0, 1.0, steps).reshape(-1, 1, 1, 1)  # each frame's weight of b
    if space == "latents":
        per_level, top = model.analyze(batch)
        mix = lambda z: torch.floor((1 - w) * z[0:1] + w * z[1:2] + 0.5)  # noqa: E731
        x = model.synthesize([mix(d) for _, d in per_level], mix(top))
    else:
        residuals = standardised_residuals(model, batch)

        def band(i: int, p: PriorParams) -> torch.Tensor:
            return torch.floor(p.mean + torch.exp2(p.log2_scale) * _mix_keeping_norm(residuals[i], w) + 0.5).clamp(
                ans.SYMBOL_MIN, ans.SYMBOL_MAX)

        x = walk(model, steps, *a.shape[:2], band)
    return x.clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()


def _mix_keeping_norm(e: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """(1 - w) e[0] + w e[1], rescaled per frame to the norm (1 - w) |e[0]| + w |e[1]|: a
    linear mix of two unrelated noise bands has a smaller spread than either (blurrier,
    lower-temperature frames), while bands that agree keep theirs. The end frames are
    the ends, exactly."""
    mixed = (1 - w) * e[0:1] + w * e[1:2]
    norm = lambda v: v.flatten(1).norm(dim=1).reshape(-1, *(1,) * (v.dim() - 1))  # noqa: E731
    target, spread = (1 - w) * norm(e[0:1]) + w * norm(e[1:2]), norm(mixed)
    scale = torch.where(spread > 0, target / spread.clamp(min=1e-12), torch.ones_like(target))
    scale[0], scale[-1] = 1.0, 1.0
    return mixed * scale


def standardised_residuals(model: IntegerFlowModel, batch: torch.Tensor) -> list[torch.Tensor]:
    """Per chunk in decoding order, (latent - mean) / scale under the prior given
    everything decoded before it: the images' coordinates in the model's base space."""
    per_level, top = model.analyze(batch)
    chunks = bands_in_order(per_level, top, lambda t, i: t[:, i : i + 1], model)
    residuals = []

    def band(i: int, p: PriorParams) -> torch.Tensor:
        residuals.append((chunks[i] - p.mean) / torch.exp2(p.log2_scale))
        return chunks[i]

    walk(model, batch.shape[0], *batch.shape[2:], band)
    return residuals


SCORE_TILE = 512  # the codec's default tile: memory follows the tile (~80 MB), not the image


@torch.no_grad()
def bits_per_dim(model: IntegerFlowModel, samples: np.ndarray, tile: int = SCORE_TILE) -> float:
    """Negative log-likelihood of an (H, W, 3) uint8 image under the model, in bits per
    sub-pixel of the image. Evaluated tile by tile, as the codec codes it, so a large image
    costs the memory of one tile; each tile is padded by edge replication to the model's
    block size (the padding's bits count, as they do in a file)."""
    h, w = samples.shape[:2]
    block = model.block_size
    bits = 0.0
    for y in range(0, h, tile):
        for x in range(0, w, tile):
            part = samples[y : y + tile, x : x + tile]
            ph, pw = part.shape[:2]
            padded = np.pad(part, ((0, -ph % block), (0, -pw % block), (0, 0)), mode="edge")
            bits += float(model.bits(torch.from_numpy(padded.transpose(2, 0, 1).astype(np.float32))[None])[0])
    return bits / samples.size


@torch.no_grad()
def bit_map(model: IntegerFlowModel, samples: np.ndarray, tile: int = SCORE_TILE) -> np.ndarray:
    """Negative log-likelihood of an (H, W, 3) uint8 image per pixel, in bits (H, W): each
    latent's bits spread evenly over the pixels it stands for (a latent of level l covers a
    2**(l+1) square), so the map sums to the image's code length (``bits_per_dim``). Tile by
    tile as ``bits_per_dim``; the bits of a tile's edge padding go to the edge it copies."""
    h, w = samples.shape[:2]
    block = model.block_size
    out = np.zeros((h, w))
    for y in range(0, h, tile):
        for x in range(0, w, tile):
            part = samples[y : y + tile, x : x + tile]
            ph, pw = part.shape[:2]
            padded = np.pad(part, ((0, -ph % block), (0, -pw % block), (0, 0)), mode="edge")
            maps = model.bit_maps(torch.from_numpy(padded.transpose(2, 0, 1).astype(np.float32))[None])
            pixels = np.zeros(padded.shape[:2])
            for level_map in maps:
                m = level_map[0, 0].double().numpy()
                factor = padded.shape[0] // m.shape[0]
                pixels += np.kron(m, np.full((factor, factor), 1.0 / factor**2))
            out[y : y + ph, x : x + pw] = _fold_padding(pixels, ph, pw)
    return out


def _fold_padding(pixels: np.ndarray, h: int, w: int) -> np.ndarray:
    """The (h, w) top-left of ``pixels`` with the rows and columns past it (edge-replication
    padding) added onto its last row and column, so that no bit is lost."""
    folded = pixels[:, :w].copy()
    folded[:, w - 1] += pixels[:, w:].sum(axis=1)
    out = folded[:h].copy()
    out[h - 1] += folded[h:].sum(axis=0)
    return out
