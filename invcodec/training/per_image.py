"""The encoder's per-tile adaptation of an autoregressive model (efforts 8 and 9): the
image teaches the model, and the change travels in the file (``weight_delta``).

Each plane's net is fine-tuned on the tile's own samples under the code length it is
trained on, from the shipped weights: the biases, the output layer and the linear skip
(the "head": ~400 numbers of the 6 237) — measured on photos-dev, the whole net gains
more bits but costs more to send than it gains on tiles of that size (results:
``results/per-image-adaptation.md``). The encoder keeps the adapted stream only where
it is smaller, delta included. Deterministic for a given machine (seeded, one thread);
the decoder never runs this: it adds the delta and decodes exactly."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import torch

from ..runtime import autoregressive as ar
from .autoregressive import PlaneNet, laplace_bits

BATCH = 8192
LEARNING_RATE = 3e-3
LOG2_STEP = -8  # the delta's step in the float weights' units
# steps of Adam per plane at each adapting effort
STEPS = {8: 200, 9: 600}
HEAD = ("b1", "b2", "w3", "b3", "skip", "skip_bias")


def adapted_tensors(tensors: Mapping[str, np.ndarray], pixels: np.ndarray, effort: int,
                    seed: int = 0) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """(the model's tensors fine-tuned on the tile ``pixels`` (h, w, 3), the delta's step
    (log2) of each tensor it changed)."""
    planes = ar.forward_colour(pixels)
    out = {name: np.asarray(value) for name, value in tensors.items()}
    steps: dict[str, int] = {}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for plane in range(ar.PLANES):
            net = PlaneNet.from_tensors(tensors, "", plane)
            features, reference = ar.plane_features(planes, plane)
            f = torch.from_numpy(features.astype(np.float32))
            ref = torch.from_numpy(reference.astype(np.float32))
            x = torch.from_numpy(planes[plane].reshape(-1).astype(np.float32))
            names = list(net.tensors(f"plane{plane}"))
            head = [p for n, p in zip(names, net.parameter_list()) if n.rsplit(".", 1)[1] in HEAD]
            _fine_tune(net, head, f, ref, x, STEPS[effort], torch.Generator().manual_seed(seed * 10 + plane))
            for name, value in net.tensors(f"plane{plane}").items():
                if name.rsplit(".", 1)[1] in HEAD:
                    out[name], steps[name] = value, LOG2_STEP
    finally:
        torch.set_num_threads(threads)
    return out, steps


def _fine_tune(net: PlaneNet, params: list[torch.Tensor], f: torch.Tensor, ref: torch.Tensor, x: torch.Tensor,
               steps: int, gen: torch.Generator) -> None:
    opt = torch.optim.Adam(params, LEARNING_RATE)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for _ in range(steps):
        idx = torch.randint(0, x.numel(), (min(BATCH, x.numel()),), generator=gen)
        mean, log_scale = net(f[idx])
        loss = laplace_bits(x[idx], ref[idx] + mean, log_scale).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
