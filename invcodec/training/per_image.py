"""The encoder's per-tile adaptation of an autoregressive model (efforts 8 and 9): the
image teaches the model, and the change travels in the file (``weight_delta``).

Each plane's net is fine-tuned on the tile's own samples under the code length it is
trained on, from the shipped weights: the biases, the output layer and the linear skip
(the "head": ~400 numbers of photo-v4's 6 237), and at effort 9 also the whole net,
whose delta costs more than it gains on small tiles but may pay on large ones (the
choices: ``invcodec bench adaptation``, on photos-dev). The encoder keeps the smallest
stream, delta included, and the plain one where no adaptation pays. Deterministic for a
given machine (seeded, one thread); the decoder never runs this: it adds the delta and
decodes exactly."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import torch

from ..runtime import autoregressive as ar
from .autoregressive import PlaneNet, laplace_bits

BATCH = 4096
LEARNING_RATES = {"head": 3e-3, "all": 2e-3}
# the parts of a plane's net a plan fine-tunes (the file's tensor names, after "planeN.")
PARTS = {"head": ("b1", "b2", "w3", "b3", "skip", "skip_bias"),
         "all": ("w1", "b1", "w2", "b2", "w3", "b3", "skip", "skip_bias")}
# each part's delta steps (log2, in the float weights' units), each tried on the tile (the
# encoder keeps the smallest stream): on photos-dev the head's best was 2^-8, the whole
# net's 2^-6, and a larger tile pays for a finer delta
LOG2_STEPS = {"head": (-8,), "all": (-6, -7, -8)}
# what each adapting effort tries, (part, Adam steps per plane); the encoder keeps the smallest
# stream. Sized to the time the efforts may take: about 2 000 steps per Kodak image at effort 9
PLANS = {8: (("head", 200),), 9: (("head", 400), ("all", 300))}
STEPS_WIDTH = 64  # the nets PLANS's steps are sized for (hidden units); wider ones get fewer (width_steps)
# pixels a tile needs per weight of the part to be offered it: photo-v4's whole-net delta (~25 kbit for
# 6 237 weights) did not pay on photos-dev's 154 000-pixel images and was kept from 200 000 (32 per weight);
# a wider net's delta grows with its weights (photo-v5's 18 525 need 592 800 pixels, more than a 512² tile)
MIN_PIXELS_PER_WEIGHT = {"head": 0, "all": 32}


def candidates(tensors: Mapping[str, np.ndarray], pixels: np.ndarray,
               effort: int) -> list[tuple[dict[str, np.ndarray], dict[str, int]]]:
    """The architecture's adapter: for each plan of ``effort`` that fits the tile, its
    fine-tuned tensors with each of its part's delta steps."""
    area = pixels.shape[0] * pixels.shape[1]
    out = []
    for part, steps in PLANS[effort]:
        if area >= MIN_PIXELS_PER_WEIGHT[part] * part_weights(tensors, part):
            tuned, changed = adapted_tensors(tensors, pixels, part, width_steps(steps, tensors))
            out += [(tuned, {name: log2 for name in changed}) for log2 in LOG2_STEPS[part]]
    return out


def width_steps(steps: int, tensors: Mapping[str, np.ndarray]) -> int:
    """A plan's steps for the net in ``tensors``: as many as PLANS says up to STEPS_WIDTH
    hidden units, proportionally fewer for a wider net, whose steps cost about in proportion
    to its width (each effort keeps its time)."""
    hidden = np.asarray(tensors["plane0.b1"]).size
    return steps if hidden <= STEPS_WIDTH else max(1, steps * STEPS_WIDTH // hidden)


def part_weights(tensors: Mapping[str, np.ndarray], part: str) -> int:
    """How many weights ``part`` of every plane's net holds."""
    return sum(np.asarray(v).size for name, v in tensors.items()
               if name.startswith("plane") and name.rsplit(".", 1)[1] in PARTS[part])


def adapted_tensors(tensors: Mapping[str, np.ndarray], pixels: np.ndarray, part: str, steps: int,
                    seed: int = 0) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """(the model's tensors with ``part`` of each plane's net fine-tuned on the tile
    ``pixels`` (h, w, 3) for ``steps`` steps, the delta's step (log2) of each tensor it changed)."""
    planes = ar.forward_colour(pixels)
    out = {name: np.asarray(value) for name, value in tensors.items()}
    log2_steps: dict[str, int] = {}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for plane in range(ar.PLANES):
            net = PlaneNet.from_tensors(tensors, "", plane)
            features, reference = ar.plane_features(planes, plane)
            f = torch.from_numpy(features.astype(np.float32))
            ref = torch.from_numpy(reference.astype(np.float32))
            x = torch.from_numpy(planes[plane].reshape(-1).astype(np.float32))
            names = [n.rsplit(".", 1)[1] for n in net.tensors(f"plane{plane}")]
            chosen = [p for n, p in zip(names, net.parameter_list()) if n in PARTS[part]]
            _fine_tune(net, chosen, f, ref, x, steps, LEARNING_RATES[part], torch.Generator().manual_seed(seed * 10 + plane))
            for name, value in net.tensors(f"plane{plane}").items():
                if name.rsplit(".", 1)[1] in PARTS[part]:
                    out[name], log2_steps[name] = value, LOG2_STEPS[part][0]
    finally:
        torch.set_num_threads(threads)
    return out, log2_steps


def _fine_tune(net: PlaneNet, params: list[torch.Tensor], f: torch.Tensor, ref: torch.Tensor, x: torch.Tensor,
               steps: int, learning_rate: float, gen: torch.Generator) -> None:
    opt = torch.optim.Adam(params, learning_rate)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for _ in range(steps):
        idx = torch.randint(0, x.numel(), (min(BATCH, x.numel()),), generator=gen)
        mean, log_scale = net(f[idx])
        loss = laplace_bits(x[idx], ref[idx] + mean, log_scale).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
