"""The restoring invertible network (IRAE-style), in torch for training.

x (3, H, W) -> two orthonormal Haar steps -> 48 channels at H/4 -> K x [invertible 1x1
mixing, affine coupling conditioned on a condition map] -> latents z. Restoration is
f^-1(keep(z)): the last ``drop`` latent channels are set to zero and the same network
runs backwards. Nothing else can lose information, so the training has to route what
the degradation added (noise, block artefacts, the hole's filler) into the dropped
channels; the kept ones carry the image. The runtime twin (numpy, no torch) is
``invcodec.restore.network``; both read the same tensor names."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class RestoreConfig:
    task: str  # denoise | jpeg | inpaint
    couplings: int = 8
    hidden: int = 64
    drop: int = 24  # latent channels (of 48) set to zero before the inverse
    condition: int = 1  # condition channels at full resolution (sigma, quality, or the mask)
    scale_limit: float = 0.5  # |log scale| of each affine coupling is bounded (stable inverse)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "RestoreConfig":
        return cls(**json.loads(text))


CHANNELS = 48  # 3 colours x 16 after two Haar steps


def haar(x: torch.Tensor) -> torch.Tensor:
    """Orthonormal 2x2 Haar: (B, C, H, W) -> (B, 4C, H/2, W/2), low-pass bands first."""
    a, b = x[:, :, 0::2, 0::2], x[:, :, 0::2, 1::2]
    c, d = x[:, :, 1::2, 0::2], x[:, :, 1::2, 1::2]
    return 0.5 * torch.cat([a + b + c + d, a - b + c - d, a + b - c - d, a - b - c + d], 1)


def unhaar(y: torch.Tensor) -> torch.Tensor:
    ll, lh, hl, hh = y.chunk(4, 1)
    a = 0.5 * (ll + lh + hl + hh)
    b = 0.5 * (ll - lh + hl - hh)
    c = 0.5 * (ll + lh - hl - hh)
    d = 0.5 * (ll - lh - hl + hh)
    bsz, ch, h, w = ll.shape
    out = ll.new_empty(bsz, ch, 2 * h, 2 * w)
    out[:, :, 0::2, 0::2], out[:, :, 0::2, 1::2] = a, b
    out[:, :, 1::2, 0::2], out[:, :, 1::2, 1::2] = c, d
    return out


class Coupling(nn.Module):
    """Affine coupling: the second half is scaled and shifted by a net of the first half and
    the condition; the scale is exp(limit * tanh(.)), so the inverse never explodes."""

    def __init__(self, config: RestoreConfig):
        super().__init__()
        half, hidden = CHANNELS // 2, config.hidden
        self.limit = config.scale_limit
        self.mix = nn.Parameter(torch.eye(CHANNELS))  # RestoreNet sets the starting permutation
        self.conv1 = nn.Conv2d(half + 16 * config.condition, hidden, 3, padding=1)
        self.conv2 = nn.Conv2d(hidden, hidden, 3, padding=1)
        self.conv3 = nn.Conv2d(hidden, 2 * half, 3, padding=1)
        nn.init.zeros_(self.conv3.weight)
        nn.init.zeros_(self.conv3.bias)

    def _scale_shift(self, x1: torch.Tensor, cond: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = F.leaky_relu(self.conv1(torch.cat([x1, cond], 1)), 0.2)
        h = F.leaky_relu(self.conv2(h), 0.2)
        s, t = self.conv3(h).chunk(2, 1)
        return self.limit * torch.tanh(s), t

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        x = torch.einsum("oi,bihw->bohw", self.mix, x)
        x1, x2 = x.chunk(2, 1)
        s, t = self._scale_shift(x1, cond)
        return torch.cat([x1, x2 * torch.exp(s) + t], 1)

    def inverse(self, y: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        y1, y2 = y.chunk(2, 1)
        s, t = self._scale_shift(y1, cond)
        x = torch.cat([y1, (y2 - t) * torch.exp(-s)], 1)
        return torch.einsum("oi,bihw->bohw", torch.linalg.inv(self.mix), x)


def condition_map(cond: torch.Tensor) -> torch.Tensor:
    """(B, condition, H, W) at full resolution -> (B, 16*condition, H/4, W/4) (space to depth)."""
    return F.pixel_unshuffle(cond, 4)


def finest_last(drop: int) -> list[int]:
    """Haar-of-Haar channels ordered so that ``drop`` of the finest come last. Channel c is
    the second step's band c // 12 of the first step's band (c % 12) // 3; the finest are
    those that are detail in both steps (27 of 48)."""
    finest = [c for c in range(CHANNELS) if c // 12 and (c % 12) // 3]
    dropped = finest[len(finest) - drop:] if drop <= len(finest) else finest + \
        [c for c in reversed(range(CHANNELS)) if c not in finest][: drop - len(finest)]
    return [c for c in range(CHANNELS) if c not in dropped] + sorted(dropped)


class RestoreNet(nn.Module):
    def __init__(self, config: RestoreConfig):
        super().__init__()
        self.config = config
        self.couplings = nn.ModuleList(Coupling(config) for _ in range(config.couplings))
        # Start as a mild low-pass filter rather than a random projection: each later mixing
        # swaps the halves (so the couplings alternate), and the first one orders the channels
        # so that after all the swaps the dropped latents are the finest Haar details.
        half = CHANNELS // 2
        swap = torch.roll(torch.eye(CHANNELS), half, 0)
        order = torch.eye(CHANNELS)[finest_last(config.drop)]
        with torch.no_grad():
            for i, c in enumerate(self.couplings):
                c.mix.copy_(swap if i else torch.linalg.matrix_power(swap, (config.couplings - 1) % 2) @ order)

    def encode(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        z = haar(haar(x - 0.5))
        for c in self.couplings:
            z = c(z, cond)
        return z

    def decode(self, z: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        for c in reversed(self.couplings):
            z = c.inverse(z, cond)
        return unhaar(unhaar(z)) + 0.5

    def forward(self, degraded: torch.Tensor, cond_full: torch.Tensor) -> torch.Tensor:
        """Restored image (B, 3, H, W) in [0, 1] units (not clipped); H, W multiples of 4."""
        cond = condition_map(cond_full)
        z = self.encode(degraded, cond)
        keep = CHANNELS - self.config.drop
        z = torch.cat([z[:, :keep], torch.zeros_like(z[:, keep:])], 1)
        return self.decode(z, cond)
