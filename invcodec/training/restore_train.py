"""Train a restoring invertible network: ``python -m invcodec.training.restore_train --task T RUN``.

Random crops of ``photos-train`` are degraded on the fly (``invcodec.restore.degrade``):
Gaussian noise with sigma uniform in [5, 55] (the network is told sigma), Pillow JPEG
with quality 5 + 85 u^2, u uniform (told the quality; half the crops have q <= 30), or ~10 % holes of boxes and strokes
(told the mask; the hole starts as a harmonic fill, ``restore.hole_fill``). Loss: L1 (or, with ``--loss mse``, the
squared error) between the restored and the clean crop (for inpainting, the
restored image is composited: only the hole's pixels come from the network), or, with ``--loss psnr``, the
mean over crops of their squared error in dB (each crop counts by its PSNR, so the low noise levels are not
drowned by the high ones' larger errors). ``--init MODEL`` starts from a model file's weights; ``--holdout N``
validates on the last N photos of ``--data`` (never trained on) at the task's three benchmark levels instead of
on ``--val``. Resumable:
RUN/checkpoint.pt is rewritten every ``--save-every`` steps and read back on start; a
validation PSNR on photos-dev centre crops goes to RUN/log.jsonl. When ``--steps`` are
done (or ``--minutes`` of this segment ran out) RUN/model.safetensors is written."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.numpy import save_file

from ..restore import QUALITY_LIMITS, degrade
from ..restore.hole_fill import prefilled
from ..restore.network import SIGMA_UNIT
from .data import centre_crops, load_folder
from .restore_net import RestoreConfig, RestoreNet

SIGMA_RANGE = (5.0, 55.0)  # trained noise levels (the runtime accepts up to SIGMA_LIMITS, a little beyond)
QUALITY_RANGE = QUALITY_LIMITS  # the runtime clamps to the qualities trained on


def degrade_batch(task: str, clean: np.ndarray, rng: np.random.Generator, level: float | None = None):
    """clean uint8 (B, H, W, 3) -> (degraded float (B,3,H,W) in [0,1], condition (B,1,H,W))."""
    b, h, w, _ = clean.shape
    degraded = np.empty_like(clean)
    cond = np.zeros((b, 1, h, w), np.float32)
    for i in range(b):
        if task == "denoise":
            sigma = level if level is not None else rng.uniform(*SIGMA_RANGE)
            degraded[i] = degrade.add_noise(clean[i], sigma, rng)
            cond[i] = sigma / SIGMA_UNIT
        elif task == "jpeg":
            lo, hi = QUALITY_RANGE
            quality = int(level if level is not None else round(lo + (hi - lo) * rng.random() ** 2))
            degraded[i] = degrade.jpeg(np.ascontiguousarray(clean[i]), quality)
            cond[i] = quality / 100.0
        else:
            mask = degrade.hole_mask(h, w, rng)
            degraded[i] = prefilled(clean[i], mask)
            cond[i, 0] = mask
    return torch.from_numpy(degraded.transpose(0, 3, 1, 2).astype(np.float32) / 255.0), torch.from_numpy(cond)


def restored(net: RestoreNet, task: str, degraded: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
    out = net(degraded, cond)
    if task == "inpaint":
        out = torch.where(cond > 0.5, out, degraded)
    return out


def crops(images: list[np.ndarray], size: int, batch: int, rng: np.random.Generator) -> np.ndarray:
    out = np.empty((batch, size, size, 3), np.uint8)
    for i in range(batch):
        im = images[rng.integers(len(images))]
        top = rng.integers(im.shape[0] - size + 1) // 8 * 8  # JPEG's block grid stays aligned
        left = rng.integers(im.shape[1] - size + 1) // 8 * 8
        patch = im[top : top + size, left : left + size]
        if rng.random() < 0.5:
            patch = patch[:, ::-1]
        if rng.random() < 0.5:
            patch = patch.transpose(1, 0, 2)
        out[i] = patch
    return out


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = torch.mean((torch.clamp(a, 0, 1) * 255 - b * 255).round() ** 2).item()
    return 10 * np.log10(255**2 / max(mse, 1e-10))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m invcodec.training.restore_train", description=__doc__.splitlines()[0])
    p.add_argument("run", type=Path)
    p.add_argument("--task", choices=["denoise", "jpeg", "inpaint"], required=True)
    p.add_argument("--data", type=Path, default=Path("../shared/data/photos-train"))
    p.add_argument("--val", type=Path, default=Path("../shared/data/photos-dev"))
    p.add_argument("--steps", type=int, default=20000)
    p.add_argument("--minutes", type=float, default=0, help="stop this segment after so many minutes (0: no limit)")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--crop", type=int, default=64)
    p.add_argument("--lr", type=float, default=4e-4)
    p.add_argument("--couplings", type=int, default=8)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--drop", type=int, default=24)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--loss", choices=["l1", "mse", "psnr"], default="l1",
                   help="l1 (robust, the first stages), mse (what PSNR measures: a last fine-tuning stage) or "
                        "psnr (the crops' mean squared error in dB: every noise level weighs alike)")
    p.add_argument("--init", type=Path, default=None, help="start a new run from this model file's weights")
    p.add_argument("--holdout", type=int, default=0,
                   help="validate on the last N photos of --data, left out of training, at three levels")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--save-every", type=int, default=250)
    p.add_argument("--val-every", type=int, default=1000)
    p.add_argument("--export", type=Path, default=None, help="only write the checkpoint's model to this file")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    args.run.mkdir(parents=True, exist_ok=True)
    ckpt_path = args.run / "checkpoint.pt"
    ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=False) if ckpt_path.exists() else None
    if ckpt:  # the run's shape, whatever this command line says
        config, state = RestoreConfig.from_json(ckpt["config"]), ckpt["net"]
    elif args.init:  # the model file's shape, likewise
        config, state = model_weights(args.init)
    else:
        config, state = RestoreConfig(task=args.task, couplings=args.couplings, hidden=args.hidden, drop=args.drop), None
    torch.manual_seed(args.seed)
    net = RestoreNet(config)
    if state is not None:
        net.load_state_dict(state)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    step, rng = 0, np.random.default_rng(args.seed)
    if ckpt:
        opt.load_state_dict(ckpt["opt"])
        step = ckpt["step"]
        rng = np.random.default_rng([args.seed, step])  # a resumed segment draws new crops
        print(f"resumed at step {step}")
    if args.export:
        write_model(net, config, step, ckpt["args"] if ckpt else vars(args), args.run, args.export)
        return
    images = load_folder(args.data, min_side=args.crop)
    if args.holdout:
        images, held_out = images[: -args.holdout], images[-args.holdout:]
        levels = {"denoise": [15.0, 25.0, 50.0], "jpeg": [10, 20, 30], "inpaint": [None]}[args.task]
    else:
        held_out, levels = load_folder(args.val, min_side=128), [{"denoise": 25.0, "jpeg": 10, "inpaint": None}[args.task]]
    val_clean = centre_crops(held_out, 128).transpose(0, 2, 3, 1)[:32]
    val_target = torch.from_numpy(val_clean.transpose(0, 3, 1, 2).astype(np.float32) / 255.0)
    val_sets = [degrade_batch(args.task, val_clean, np.random.default_rng(1234), level) for level in levels]
    log = open(args.run / "log.jsonl", "a")
    start, segment_start = time.time(), time.time()

    def save() -> None:
        torch.save({"net": net.state_dict(), "opt": opt.state_dict(), "step": step,
                    "config": config.to_json(), "args": vars(args) | {"run": str(args.run), "data": str(args.data),
                                                                      "val": str(args.val)}}, ckpt_path.with_suffix(".tmp"))
        ckpt_path.with_suffix(".tmp").replace(ckpt_path)

    losses = []
    while step < args.steps:
        lr = args.lr * (0.1 if step >= 0.85 * args.steps else 1.0)  # one drop near the end
        for group in opt.param_groups:
            group["lr"] = lr
        clean = crops(images, args.crop, args.batch, rng)
        degraded, cond = degrade_batch(args.task, clean, rng)
        target = torch.from_numpy(clean.transpose(0, 3, 1, 2).astype(np.float32) / 255.0)
        out = restored(net, args.task, degraded, cond)
        if args.loss == "psnr":
            loss = 10 * torch.log10(torch.mean((out - target) ** 2, dim=(1, 2, 3)) + 1e-10).mean()
        else:
            loss = torch.mean(torch.abs(out - target) if args.loss == "l1" else (out - target) ** 2)
        if args.task == "inpaint":  # only the hole counts; normalise by its size
            loss = loss / cond.mean().clamp(min=1e-3)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        step += 1
        losses.append(loss.item())
        if step % args.save_every == 0 or step == args.steps:
            save()
        validate = step % args.val_every == 0 or step == args.steps
        if step % 50 == 0 or validate:
            rec = {"step": step, "loss": float(np.mean(losses)), "seconds": time.time() - start, "lr": lr}
            losses = []
            if validate:
                with torch.no_grad():
                    scores = [psnr(restored(net, args.task, v_in, v_cond), val_target) for v_in, v_cond in val_sets]
                    inputs = [psnr(v_in, val_target) for v_in, _ in val_sets]
                rec["val_psnr"], rec["val_input_psnr"] = float(np.mean(scores)), float(np.mean(inputs))
                if len(levels) > 1:
                    rec["val_psnr_by_level"] = {str(level): float(score) for level, score in zip(levels, scores)}
            log.write(json.dumps(rec) + "\n")
            log.flush()
            print(rec, flush=True)
        if args.minutes and time.time() - segment_start > 60 * args.minutes:
            save()
            break
    write_model(net, config, step, vars(args), args.run, args.run / "model.safetensors")


def model_weights(path: Path) -> tuple[RestoreConfig, dict[str, torch.Tensor]]:
    """A restoring model file's config and tensors, to start a run from."""
    with safe_open(str(path), "pt") as f:
        return RestoreConfig.from_json(f.metadata()["config"]), {k: f.get_tensor(k) for k in f.keys()}


def write_model(net: RestoreNet, config: RestoreConfig, step: int, args: dict, run: Path, path: Path) -> None:
    """The runtime's model file: float32 tensors, the config and the training record."""
    shape = {"couplings": config.couplings, "hidden": config.hidden, "drop": config.drop}  # a resumed run's own
    name = path.stem if path.stem.startswith("restore-") else f"restore-{config.task}"  # --export names it
    meta = {"name": name, "steps": str(step), "config": config.to_json(),
            "train_command_args": json.dumps(dict(args) | shape, default=str)}
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines() if line.strip()] \
        if (run / "log.jsonl").exists() else []
    scored = [r for r in records if "val_psnr" in r]
    if scored:
        meta["val_psnr"] = f"{scored[-1]['val_psnr']:.3f}"
        meta["val_input_psnr"] = f"{scored[-1]['val_input_psnr']:.3f}"
    save_file({k: np.ascontiguousarray(v.detach().numpy(), np.float32) for k, v in net.state_dict().items()}, str(path),
              metadata=meta)  # contiguous: safetensors writes the raw buffer (a QR factor is column-major)


if __name__ == "__main__":
    main()
