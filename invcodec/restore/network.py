"""The restoring invertible network at run time: numpy float32, no torch.

Twin of ``invcodec.training.restore_net`` (same tensor names, same arithmetic up to
float rounding; tests compare them). x -> two orthonormal Haar steps -> 48 channels at
1/4 resolution -> K x [1x1 mixing, affine coupling conditioned on the condition map] ->
latents; restoration zeroes the last ``drop`` latent channels and runs the couplings
backwards. The condition map is sigma / SIGMA_UNIT (denoise), quality / 100 (jpeg), or
the mask, 1 = missing (inpaint), at full resolution."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors.numpy import safe_open

from ..registry import RESTORE_DIR, model_path
from ..runtime.conv import conv2d, weight_matrix

CHANNELS = 48
SIGMA_UNIT = 50.0
TASKS = ("denoise", "jpeg", "inpaint")
# The model each task uses by default (v2 of inpainting: trained on the harmonic fill, which v1 never saw).
SHIPPED = {"denoise": "restore-denoise-v2", "jpeg": "restore-jpeg-v2", "inpaint": "restore-inpaint-v2"}


def haar(x: np.ndarray) -> np.ndarray:
    """(H, W, C) -> (H/2, W/2, 4C), bands LL, LH, HL, HH (orthonormal)."""
    a, b, c, d = x[0::2, 0::2], x[0::2, 1::2], x[1::2, 0::2], x[1::2, 1::2]
    return 0.5 * np.concatenate([a + b + c + d, a - b + c - d, a + b - c - d, a - b - c + d], axis=2)


def unhaar(y: np.ndarray) -> np.ndarray:
    ll, lh, hl, hh = np.split(y, 4, axis=2)
    h, w, c = ll.shape
    out = np.empty((2 * h, 2 * w, c), dtype=y.dtype)
    out[0::2, 0::2] = 0.5 * (ll + lh + hl + hh)
    out[0::2, 1::2] = 0.5 * (ll - lh + hl - hh)
    out[1::2, 0::2] = 0.5 * (ll + lh - hl - hh)
    out[1::2, 1::2] = 0.5 * (ll - lh - hl + hh)
    return out


def space_to_depth(cond: np.ndarray) -> np.ndarray:
    """(H, W, C) -> (H/4, W/4, 16C) in torch's pixel_unshuffle channel order."""
    h, w, c = cond.shape
    return cond.reshape(h // 4, 4, w // 4, 4, c).transpose(0, 2, 4, 1, 3).reshape(h // 4, w // 4, 16 * c)


@dataclass
class _Conv:
    matrix: np.ndarray
    bias: np.ndarray

    def __call__(self, x: np.ndarray) -> np.ndarray:
        out = conv2d(x, self.matrix, 3)
        out += self.bias
        return out


def _leaky(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.2 * x, out=x)


class _Coupling:
    def __init__(self, tensors: dict[str, np.ndarray], prefix: str, limit: float):
        def conv(name: str) -> _Conv:
            return _Conv(weight_matrix(tensors[f"{prefix}{name}.weight"], np.float32),
                         tensors[f"{prefix}{name}.bias"].astype(np.float32))

        mix = tensors[f"{prefix}mix"].astype(np.float64)
        self.mix_t = np.ascontiguousarray(mix.T, dtype=np.float32)  # channels-last: x @ M^T
        self.unmix_t = np.ascontiguousarray(np.linalg.inv(mix).T, dtype=np.float32)
        self.conv1, self.conv2, self.conv3 = conv("conv1"), conv("conv2"), conv("conv3")
        self.limit = np.float32(limit)

    def _scale_shift(self, x1: np.ndarray, cond: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h = _leaky(self.conv1(np.concatenate([x1, cond], axis=2)))
        h = _leaky(self.conv2(h))
        s, t = np.split(self.conv3(h), 2, axis=2)
        return self.limit * np.tanh(s), t

    def forward(self, x: np.ndarray, cond: np.ndarray) -> np.ndarray:
        x = x @ self.mix_t
        x1, x2 = np.split(x, 2, axis=2)
        s, t = self._scale_shift(x1, cond)
        return np.concatenate([x1, x2 * np.exp(s) + t], axis=2)

    def inverse(self, y: np.ndarray, cond: np.ndarray) -> np.ndarray:
        y1, y2 = np.split(y, 2, axis=2)
        s, t = self._scale_shift(y1, cond)
        return np.concatenate([y1, (y2 - t) * np.exp(-s)], axis=2) @ self.unmix_t


class RestoreModel:
    """A loaded restoration model: ``restore(degraded, cond)`` on arrays whose height and
    width are multiples of 4 (the tiler pads)."""

    def __init__(self, config: dict, tensors: dict[str, np.ndarray], name: str):
        self.name = name
        self.task = config["task"]
        self.drop = int(config["drop"])
        count = int(config["couplings"])
        self.couplings = [_Coupling(tensors, f"couplings.{i}.", float(config["scale_limit"])) for i in range(count)]
        self.parameters = int(sum(v.size for v in tensors.values()))

    def restore(self, degraded: np.ndarray, cond: np.ndarray) -> np.ndarray:
        """degraded float32 (H, W, 3) in [0, 1], cond float32 (H, W, 1) -> restored float32 (H, W, 3), unclipped."""
        c = space_to_depth(cond.astype(np.float32))
        z = haar(haar(degraded.astype(np.float32) - np.float32(0.5)))
        for coupling in self.couplings:
            z = coupling.forward(z, c)
        z[:, :, CHANNELS - self.drop:] = 0
        for coupling in reversed(self.couplings):
            z = coupling.inverse(z, c)
        return unhaar(unhaar(z)) + np.float32(0.5)


def load(name_or_path: str | Path) -> RestoreModel:
    """A shipped restoration model by name (``restore-denoise-v2``) or a model file by path."""
    path = model_path(str(name_or_path), RESTORE_DIR)
    with safe_open(str(path), framework="numpy") as f:
        meta = f.metadata() or {}
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    if "config" not in meta:
        raise ValueError(f"{path}: not a restoration model (no config in its metadata)")
    return RestoreModel(json.loads(meta["config"]), tensors, meta.get("name", Path(path).stem))


def shipped(task: str) -> RestoreModel:
    """The model shipped for ``task`` (``SHIPPED``)."""
    if task not in TASKS:
        raise ValueError(f"unknown restoration task {task!r} (one of {', '.join(TASKS)})")
    return load(RESTORE_DIR / f"{SHIPPED[task]}.safetensors")
