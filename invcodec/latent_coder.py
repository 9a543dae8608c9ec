"""Lossless coding of one 3-plane tile: exact flow -> latents -> ANS, and back.

Decoding order (the encoder pushes chunks in the same order): the coarsest anchors
colour by colour, then each level from coarse to fine, detail channel by detail channel.
Each chunk's parameters depend only on what was decoded before it, and both sides
compute them with the exact fixed-point nets, so they agree bit for bit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .entropy import ans
from .decoding_walk import walk
from .model import COLOURS, IntegerFlowModel


@dataclass
class EncodedTile:
    payload: bytes
    estimated_bits: float  # the model's own code length for this tile (sum of -log2 p)


def pad_to_block(pixels: np.ndarray, block: int) -> np.ndarray:
    """Edge-pad the sides up to multiples of the flow's block size."""
    h, w = pixels.shape[:2]
    return np.pad(pixels, ((0, -h % block), (0, -w % block), (0, 0)), mode="edge")


@torch.inference_mode()
def encode_tile(model: IntegerFlowModel, pixels: np.ndarray) -> EncodedTile | None:
    """(h, w, 3) uint8 -> ANS payload; None if a latent falls outside the coder's range
    (the caller then stores the tile raw: IDF's escape hatch)."""
    padded = pad_to_block(pixels, model.block_size)
    x = torch.from_numpy(padded.transpose(2, 0, 1).astype(np.float64))[None]
    per_level, top = model.analyze(x, exact=True)
    if not all(ans.in_range(t) for t in [top] + [d for _, d in per_level]):
        return None
    enc = ans.LatentEncoder()
    for c in range(COLOURS):
        p = model.top.channel_params(top, c, exact=True)
        enc.push(top[:, c : c + 1], p.mean, p.scale_index)
    for level, (anchors, details) in reversed(list(zip(model.levels, per_level))):
        feats = level.prior.trunk_features(anchors, exact=True)
        for g in range(details.shape[1]):
            p = level.prior.channel_params(feats, anchors, details, g, exact=True)
            enc.push(details[:, g : g + 1], p.mean, p.scale_index)
    return EncodedTile(enc.finish(), enc.estimated_bits)


@torch.inference_mode()
def decode_tile(model: IntegerFlowModel, payload: bytes, height: int, width: int) -> np.ndarray:
    """ANS payload -> (height, width, 3) uint8. Raises ValueError on a corrupted payload."""
    block = model.block_size
    dec = ans.LatentDecoder(payload)
    x = walk(model, 1, height + (-height % block), width + (-width % block),
             lambda i, p: dec.pull(p.mean, p.scale_index), exact=True)
    if not dec.exhausted():
        raise ValueError("ANS stream has data left over after the last latent")
    out = x[0, :, :height, :width]
    if out.numel() and (out.min() < 0 or out.max() > 255):
        raise ValueError("decoded pixels out of the 8-bit range")
    return out.numpy().transpose(1, 2, 0).astype(np.uint8)
