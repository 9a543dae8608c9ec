"""Train the autoregressive architecture's plane nets (``runtime.autoregressive``) and export them.

The nets see exactly the runtime's features (``plane_features``, computed once for a set
of random photo crops), so training needs no second definition of the context. Each
plane's net is trained on its own (they share nothing) under the discretised Laplace
code length, then rounded to the runtime's fixed point, which the validation measures:
exact code lengths of held-out photos, as the codec would spend them.

Resumable: a plane's finished net (and, every ``--ckpt-every`` steps, the one in
training with its optimizer) is saved in the run folder; a rerun with the same folder
continues where it stopped.

    python -m invcodec.training.autoregressive --data ../shared/data/photos-train \\
        --val ../shared/data/photos-dev --out runs/photo-v4 --export invcodec/weights/photo-v4.safetensors
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from .. import model_file
from ..entropy import grid
from ..runtime import autoregressive as ar
from ..spec import AutoregressiveSpec
from .data import IMAGE_SUFFIXES

NAMES = ("w1", "b1", "w2", "b2", "w3", "b3", "skip", "skip_bias")


class PlaneNet(nn.Module):
    """One plane's float net, which ``runtime.autoregressive`` evaluates in fixed point;
    with ``rate_input``, the first layer also reads a rate (``runtime.autoregressive``'s
    ``w_rate``)."""

    def __init__(self, features: int, hidden: int, rate_input: bool = False):
        super().__init__()
        self.l1, self.l2, self.l3 = nn.Linear(features, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, 2)
        self.skip = nn.Linear(features, 1)
        self.w_rate = nn.Parameter(torch.zeros(hidden)) if rate_input else None

    def forward(self, f: torch.Tensor, rate: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """features (and rates, with ``rate_input``) -> (mean offset from the reference, ln scale)."""
        h = self.l1(f / ar.INPUT_SCALE)
        if self.w_rate is not None:
            h = h + (rate[:, None] / ar.RATE_SCALE) * self.w_rate
        out = self.l3(torch.relu(self.l2(torch.relu(h))))
        return ar.MEAN_GAIN * out[:, 0] + self.skip(f)[:, 0], out[:, 1] + ar.SCALE_BIAS

    @classmethod
    def from_tensors(cls, tensors, prefix: str, plane: int) -> "PlaneNet":
        """The float net a model file stores for ``plane`` under ``prefix`` (the inverse of ``tensors``)."""
        w1 = tensors[f"{prefix}plane{plane}.w1"]
        net = cls(w1.shape[1], w1.shape[0], rate_input=f"{prefix}plane{plane}.w_rate" in tensors)
        values = dict(zip(net.tensors(f"{prefix}plane{plane}"), net.parameter_list()))
        with torch.no_grad():
            for name, param in values.items():
                param.copy_(torch.from_numpy(np.asarray(tensors[name], np.float32).reshape(param.shape)))
        return net

    def parameter_list(self) -> list[torch.Tensor]:
        """The parameters in ``tensors``' order."""
        values = [self.l1.weight, self.l1.bias, self.l2.weight, self.l2.bias, self.l3.weight, self.l3.bias,
                  self.skip.weight, self.skip.bias]
        return values + ([self.w_rate] if self.w_rate is not None else [])

    def tensors(self, prefix: str) -> dict[str, np.ndarray]:
        names = list(NAMES) + (["w_rate"] if self.w_rate is not None else [])
        values = [v[0] if n == "skip" else v for n, v in zip(names, self.parameter_list())]
        return {f"{prefix}.{n}": v.detach().float().numpy().copy() for n, v in zip(names, values)}


def laplace_bits(x: torch.Tensor, mean: torch.Tensor, log_scale: torch.Tensor,
                 width: torch.Tensor | float = 1.0) -> torch.Tensor:
    """-log2 P(x) under a Laplace quantized to bins of ``width`` about x (1: integers; a
    quantizer step: a lossy residual, the usual uniform-noise proxy), scale clamped to the grid's range."""
    lo, hi = grid.LOG2_SCALE_MIN * np.log(2), grid.LOG2_SCALE_MAX * np.log(2)
    scale = torch.exp(torch.clamp(log_scale, lo, hi))

    def cdf(v: torch.Tensor) -> torch.Tensor:
        z = (v - mean) / scale
        return torch.where(z < 0, 0.5 * torch.exp(torch.clamp(z, max=0)), 1 - 0.5 * torch.exp(-torch.clamp(z, min=0)))

    p = cdf(x + 0.5 * width) - cdf(x - 0.5 * width)
    return -torch.log2(torch.clamp(p, min=2.0**grid.MIN_LOG2_PROBABILITY))


def image_files(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def load_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def sample_crops(files: list[Path], crops_per_image: int, crop: int, downscale: tuple[float, float],
                 grey: float, rng: np.random.Generator) -> list[np.ndarray]:
    """Random crops, each from the photo shrunk by a factor in ``downscale`` (box filter:
    blurs away the JPEG history of most training photos, as photo-v3's data does), some grey."""
    out = []
    for path in files:
        with Image.open(path) as im:
            im = im.convert("RGB")
            s = rng.uniform(*downscale)
            im = im.resize((max(crop, round(im.width * s)), max(crop, round(im.height * s))), Image.BOX)
            a = np.asarray(im)
        for _ in range(crops_per_image):
            y, x = rng.integers(0, a.shape[0] - crop + 1), rng.integers(0, a.shape[1] - crop + 1)
            c = a[y : y + crop, x : x + crop]
            if rng.random() < grey:
                c = np.repeat(np.asarray(Image.fromarray(c).convert("L"))[..., None], 3, axis=2)
            out.append(c[:, ::-1] if rng.random() < 0.5 else c)
    return out


def dataset(crops: list[np.ndarray], plane: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(features, reference, target) of every sample of one plane of the crops."""
    parts = []
    for c in crops:
        planes = ar.forward_colour(c)
        f, ref = ar.plane_features(planes, plane)
        parts.append((f, ref, planes[plane].ravel()))
    return tuple(torch.from_numpy(np.concatenate(p).astype(np.float32)) for p in zip(*parts))


def validation_images(folder: Path, count: int, size: int) -> list[np.ndarray]:
    """The first ``count`` photos of ``folder``, each its centre crop of at most size x size."""
    out = []
    for path in image_files(folder)[:count]:
        a = load_rgb(path)
        y, x = max(0, (a.shape[0] - size) // 2), max(0, (a.shape[1] - size) // 2)
        out.append(a[y : y + size, x : x + size])
    return out


def common_arguments(ap: argparse.ArgumentParser, steps: int, ckpt_every: int) -> None:
    """The options this trainer shares with ``top_context``'s."""
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--val", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True, help="run folder (resumable)")
    ap.add_argument("--export", type=Path, required=True, help="the model file to write")
    ap.add_argument("--name", default=None)
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--steps", type=int, default=steps, help="per plane")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--ckpt-every", type=int, default=ckpt_every)
    ap.add_argument("--seed", type=int, default=0)


def exact_bits(model_path: Path, images: list[np.ndarray]) -> float:
    """Bits per sub-pixel of the exported (fixed-point) model on whole images: its code length."""
    evaluator = model_file.load(model_path).evaluator
    return sum(evaluator.code_length(img) for img in images) / sum(img.size for img in images)


def train_plane(plane: int, data, args, run: Path) -> PlaneNet:
    f, ref, x = data

    def batch(gen: torch.Generator):
        idx = torch.randint(0, x.numel(), (args.batch,), generator=gen)
        return f[idx], None, ref[idx], x[idx], 1.0

    return train_net(PlaneNet(ar.feature_count(plane), args.hidden), f"plane{plane}", batch, args, run,
                     args.seed * 1000 + plane * 100)


def train_net(net: PlaneNet, name: str, batch, args, run: Path, seed: int) -> PlaneNet:
    """Train ``net`` under the discretised Laplace code length on ``batch(generator) ->
    (features, rates or None, reference, target, bin width)``, for ``args.steps`` steps
    (cosine learning rate); resumable from ``run``/``name``*.pt (the batches' generator is
    seeded with ``seed`` + the step it starts at)."""
    done = run / f"{name}.pt"
    if done.exists():
        net.load_state_dict(torch.load(done))
        return net
    opt = torch.optim.Adam(net.parameters(), args.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.steps)
    partial, step = run / f"{name}-partial.pt", 0
    if partial.exists():
        state = torch.load(partial)
        net.load_state_dict(state["net"]), opt.load_state_dict(state["opt"]), sched.load_state_dict(state["sched"])
        step = state["step"]
    gen = torch.Generator().manual_seed(seed + step)
    t0, avg = time.time(), None
    while step < args.steps:
        f, rate, ref, x, width = batch(gen)
        mean, log_scale = net(f, rate)
        loss = laplace_bits(x, ref + mean, log_scale, width).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        step += 1
        avg = loss.item() if avg is None else 0.99 * avg + 0.01 * loss.item()
        if step % args.ckpt_every == 0 or step == args.steps:
            torch.save({"net": net.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "step": step},
                       partial)
            print(f"{name} step {step} bits {avg:.4f} ({time.time() - t0:.0f} s)", flush=True)
    torch.save(net.state_dict(), done)
    return net


def file_tensors(nets: list[PlaneNet], prefix: str = "") -> dict[str, np.ndarray]:
    """What a model file stores for the planes' nets (the architecture's exporter)."""
    return {k: v for p, net in enumerate(nets) for k, v in net.tensors(f"{prefix}plane{p}").items()}


def export(nets: list[PlaneNet], path: Path, name: str, spec: AutoregressiveSpec, card: dict) -> None:
    model_file.write(path, spec, file_tensors(nets),
                     {"name": name, "training": json.dumps(card, sort_keys=True)})


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    common_arguments(ap, steps=40000, ckpt_every=2000)
    ap.add_argument("--batch", type=int, default=4096, help="samples per step")
    ap.add_argument("--crop", type=int, default=64)
    ap.add_argument("--crops-per-image", type=int, default=8)
    ap.add_argument("--downscale", type=float, nargs=2, default=(0.5, 0.8))
    ap.add_argument("--grey", type=float, default=0.1)
    ap.add_argument("--val-images", type=int, default=10, help="first N photos of --val, centre 256x256")
    ap.add_argument("--online", choices=AutoregressiveSpec.CHOICES["online"], default="none",
                    help="the streams' online stage (the nets are trained without it; it learns on top while coding)")
    args = ap.parse_args(argv)
    torch.manual_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    crops = sample_crops(image_files(args.data), args.crops_per_image, args.crop, tuple(args.downscale), args.grey,
                         np.random.default_rng(args.seed))
    nets = [train_plane(p, dataset(crops, p), args, args.out) for p in range(ar.PLANES)]
    val = validation_images(args.val, args.val_images, 256)
    card = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    export(nets, args.export, args.name or args.export.stem, AutoregressiveSpec(hidden=args.hidden, online=args.online), card)
    print(json.dumps({"model": str(args.export), "val_bpsp_exact": round(exact_bits(args.export, val), 4),
                      "wall_s_this_run": round(time.time() - t0)}), flush=True)


if __name__ == "__main__":
    main()
