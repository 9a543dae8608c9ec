"""Train the integer flow on random crops: ``python -m invcodec.training.train --data DIR ...``.

Single process, or data-parallel under ``torchrun --nproc_per_node N -m invcodec.training.train``
(NCCL on GPUs, gloo on CPUs). The loss is the exact code length of the latents in bits
per sub-pixel (bpsp). Rank 0 writes ``checkpoint.pt`` (resumable with ``--resume``),
``log.jsonl`` (train / validation bpsp) and the final ``model.safetensors``."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from .data import RandomCrops, centre_crops, downscale, load_folder, read_split
from .. import quantizer
from . import nets_int8
from .int8_init import int8_from_fixed64
from .jacobian import decoder_gain, latents
from ..architectures import parse_spec, spec_from_dict
from .model import IntegerFlowModel
from .rate_distortion import RateDistortion
from .weights import load_model, save_model


class _Objective(torch.nn.Module):
    """bpsp of a uint8 batch, plus ``jacobian_penalty`` times the decoder's mean squared
    gain when that is on (``jacobian.decoder_gain``); wrapped so DDP sees one forward."""

    def __init__(self, model: IntegerFlowModel, jacobian_penalty: float = 0.0):
        super().__init__()
        self.model = model
        self.jacobian_penalty = jacobian_penalty
        self.last = {}  # the loss's parts at the last step, for the log

    def forward(self, batch: torch.Tensor) -> torch.Tensor:
        x = batch.float()
        analysis = self.model.analyze(x)  # shared by the code length and the penalty
        bpsp = self.model.latent_bits(*analysis).mean() / x[0].numel()
        self.last = {"train_bpsp": bpsp.item()}
        if not self.jacobian_penalty:
            return bpsp
        gain = decoder_gain(self.model, latents(analysis))
        self.last["train_decoder_gain"] = gain.item()
        return bpsp + self.jacobian_penalty * gain


VAL_LOG2_STEPS = (2.0, 4.0, 6.0)  # the lossy qualities validation reports


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="invcodec train", description=__doc__.splitlines()[0])
    p.add_argument("--data", help="folder of training images")
    p.add_argument("--extra-data", action="append", default=[], metavar="DIR",
                   help="another folder whose every image is a training image (never validation; "
                        "the split CSV does not apply), e.g. celeba/extra-64; repeatable")
    p.add_argument("--npz", help="instead of --data: an npz with x_train / x_test uint8 (N, H, W, 3) arrays (CIFAR-10)")
    p.add_argument("--val", help="folder of validation images (never trained on)")
    p.add_argument("--split-csv", help="CSV of filename,split (CelebA's split.csv): train on --train-split, validate on --val-split")
    p.add_argument("--train-split", default="train")
    p.add_argument("--val-split", default="test")
    p.add_argument("--square", type=int, default=None, help="centre-crop every image to a square of this size (face models)")
    p.add_argument("--out", required=True, help="run folder: checkpoint, log, final model")
    p.add_argument("--steps", type=int, default=20000)
    p.add_argument("--batch", type=int, default=32, help="crops per step per process")
    p.add_argument("--crop", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=500)
    p.add_argument("--config", default="{}", help="overrides of the model spec (invcodec.spec.LiftingSpec) as JSON")
    p.add_argument("--val-every", type=int, default=1000)
    p.add_argument("--val-crop", type=int, default=256)
    p.add_argument("--ckpt-every", type=int, default=1000)
    p.add_argument("--time-limit", type=float, default=0, help="stop (and save) after this many seconds")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    p.add_argument("--grey-fraction", type=float, default=0.1, help="share of crops turned grey")
    p.add_argument("--flips", choices=["both", "horizontal"], default="both",
                   help="mirror crops left-right and upside down (photos), or left-right only (upright faces)")
    p.add_argument("--flat-fraction", type=float, default=0.0,
                   help="share of crops with a flat area (a band or a rectangle of one colour)")
    p.add_argument("--keep-grids", action="store_true",
                   help="with --init of an int8 model: keep its activation grids instead of calibrating them again "
                        "(a fine-tune then starts from exactly that model)")
    p.add_argument("--downscale", type=float, nargs=2, metavar=("LO", "HI"), default=None,
                   help="train on regions downscaled by a factor drawn from [LO, HI] (blurs JPEG artefacts away); "
                        "validation images are downscaled by (LO + HI) / 2")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--name", default="model", help="name written into the model card metadata")
    p.add_argument("--objective", choices=["bits", "rd"], default="bits", help="lossless code length, or lossy rate-distortion")
    p.add_argument("--init", help="start from this model file (a fresh run only)")
    p.add_argument("--jacobian-penalty", type=float, default=0.0, metavar="LAMBDA",
                   help="bits: add LAMBDA x the decoder's mean squared Jacobian gain (a continuity regulariser)")
    p.add_argument("--log2-step-range", type=float, nargs=2, default=(0.5, 8.5), help="rd: global steps drawn from 2**U(a, b)")
    args = p.parse_args(argv)
    if not (args.data or args.npz):
        p.error("give --data or --npz")
    if args.extra_data and not args.data:
        p.error("--extra-data adds to --data")
    if args.jacobian_penalty < 0 or (args.jacobian_penalty and args.objective != "bits"):
        p.error("--jacobian-penalty is a non-negative weight, for --objective bits")
    for name in ("steps", "batch", "crop", "val_every", "ckpt_every"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1, not {getattr(args, name)}")
    if not (math.isfinite(args.lr) and args.lr > 0):
        p.error(f"--lr must be a positive number, not {args.lr}")
    for name in ("data", "val", *(["extra_data"] if args.extra_data else [])):
        for folder in (getattr(args, name) if name == "extra_data" else [getattr(args, name)]):
            if folder is not None and not Path(folder).is_dir():
                p.error(f"--{name.replace('_', '-')} {folder}: not a folder")
    if args.npz is not None and not Path(args.npz).is_file():
        p.error(f"--npz {args.npz}: no such file")
    if Path(args.out).exists() and not Path(args.out).is_dir():
        p.error(f"--out {args.out}: a file, not a run folder")
    try:
        spec_from_dict(json.loads(args.config))
    except (ValueError, TypeError, AttributeError) as e:  # not JSON, not an object, or not a spec
        p.error(f"--config: {e}")
    return args


def _lr_factor(step: int, warmup: int, total: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, total - warmup))))


@torch.no_grad()
def validate_rd(objective: RateDistortion, crops: np.ndarray, device: torch.device) -> dict[str, float]:
    """bpp and PSNR with real rounding at a few fixed global steps."""
    objective.eval()
    out = {}
    for log2_step in VAL_LOG2_STEPS:
        bpp, psnr = [], []
        for i in range(0, len(crops), 8):
            x = torch.from_numpy(crops[i : i + 8]).to(device)
            _, b, p = objective(x, torch.full((len(x),), log2_step, device=device), noise=False)
            bpp += b.tolist()
            psnr += p.tolist()
        out[f"val_bpp@{log2_step:g}"] = float(np.mean(bpp))
        out[f"val_psnr@{log2_step:g}"] = float(np.mean(psnr))
    objective.train()
    return out


@torch.no_grad()
def validate(model: IntegerFlowModel, crops: np.ndarray, device: torch.device) -> float:
    model.eval()
    bits, dims = 0.0, 0
    for i in range(0, len(crops), 8):
        x = torch.from_numpy(crops[i : i + 8]).to(device).float()
        bits += model.bits(x).sum().item()
        dims += x.numel()
    model.train()
    return bits / dims


def _initialised_from(path: str, overrides: dict) -> IntegerFlowModel:
    """A model with ``path``'s config plus ``overrides``, starting from its weights. Input
    channels the source lacks (e.g. a prior's rate input) start at zero weight, so the new
    model begins as exactly the old one; residual blocks the new model does not have are
    left out (a residual block is close to the identity). A fixed64 source becomes an int8
    model through ``int8_from_fixed64``."""
    source = load_model(path)
    model = IntegerFlowModel(spec_from_dict({**dataclasses.asdict(source.cfg), **overrides}))
    if model.cfg.numeric == "int8" and source.cfg.numeric == "fixed64":
        return int8_from_fixed64(source, model).train()
    state = model.state_dict()
    for name, value in source.state_dict().items():
        if name not in state and ".blocks." in name:
            continue
        target = state[name]
        if value.shape == target.shape:
            target.copy_(value)
        elif value.dim() == 4 and value.shape[0] == target.shape[0] and value.shape[1] < target.shape[1]:
            target.zero_()
            target[:, : value.shape[1]] = value
        else:
            raise ValueError(f"cannot initialise {name} {tuple(target.shape)} from {tuple(value.shape)}")
    return model.train()


def start_from_file_offsets(objective: RateDistortion, path: str) -> None:
    """A lossy fine-tune of a lossy model starts from the band offsets its file was coded
    with (a lossless source has none: the Haar-gain defaults stay)."""
    offsets = load_model(path).lossy_band_offsets
    if offsets is None:
        return
    if len(offsets) != objective.band_offsets.numel():
        raise ValueError(f"{path} has {len(offsets)} band offsets, the model {objective.band_offsets.numel()}")
    with torch.no_grad():
        objective.band_offsets.copy_(torch.tensor(offsets, dtype=torch.float32) / quantizer.STEPS_PER_OCTAVE)


def _save_checkpoint(path: Path, objective, opt, step: int, args) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(
        {"objective": objective.state_dict(), "opt": opt.state_dict(), "step": step,
         "config": objective.model.cfg.to_json(), "args": vars(args)},
        tmp,
    )
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        rank = dist.get_rank()
    else:
        rank = 0
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device(f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    torch.manual_seed(args.seed)

    out = Path(args.out)
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
    ckpt_path = out / "checkpoint.pt"
    start_step = 0
    if args.resume and ckpt_path.exists():
        ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
        cfg = parse_spec(ckpt["config"])
    else:
        ckpt = None
        cfg = spec_from_dict(json.loads(args.config))
    if args.init and ckpt is None:
        model = _initialised_from(args.init, json.loads(args.config))
    else:
        model = IntegerFlowModel(cfg)
    lossy = args.objective == "rd"
    plain = RateDistortion(model, tuple(args.log2_step_range)) if lossy else _Objective(model, args.jacobian_penalty)
    if lossy and args.init and ckpt is None:
        start_from_file_offsets(plain, args.init)
    plain.to(device)
    opt = torch.optim.AdamW(plain.parameters(), lr=args.lr, weight_decay=0.0)
    if ckpt is not None:
        plain.load_state_dict(ckpt["objective"])
        opt.load_state_dict(ckpt["opt"])
        start_step = ckpt["step"]
    objective = plain
    if distributed:
        objective = DistributedDataParallel(objective, device_ids=[local_rank] if device.type == "cuda" else None)

    if args.npz:
        arrays = np.load(args.npz)
        train_images, val_images = list(arrays["x_train"]), list(arrays["x_test"])
    else:
        train_names = read_split(args.split_csv, args.train_split) if args.split_csv else None
        train_images = load_folder(args.data, names=train_names, square_size=args.square)
        for folder in args.extra_data:
            train_images += load_folder(folder, square_size=args.square)
        val_images = None
        if rank == 0 and (args.val or args.split_csv):
            val_names = read_split(args.split_csv, args.val_split) if args.split_csv else None
            val_images = load_folder(args.val or args.data, names=val_names, square_size=args.square)
    crops = RandomCrops(train_images, args.crop, seed=args.seed * 1000 + rank + 7919 * start_step,
                        grey_fraction=args.grey_fraction, flat_fraction=args.flat_fraction,
                        downscale=tuple(args.downscale) if args.downscale else None,
                        vertical_flips=args.flips == "both")
    if args.downscale and val_images is not None:
        val_images = [downscale(im, sum(args.downscale) / 2) for im in val_images]
    if args.init and ckpt is None and model.cfg.numeric == "int8" and not args.keep_grids:  # set the activation grids once
        calibration = torch.from_numpy(crops.batch(16)).float().to(device)
        nets_int8.calibrate(model, lambda: model.bits(calibration))
    val = centre_crops(val_images, args.val_crop) if val_images is not None and rank == 0 else None
    log = open(out / "log.jsonl", "a") if rank == 0 else None

    t0 = time.time()
    bar = tqdm(range(start_step, args.steps), initial=start_step, total=args.steps, disable=rank != 0, unit="step")
    step = start_step
    for step in bar:
        for group in opt.param_groups:
            group["lr"] = args.lr * _lr_factor(step, args.warmup, args.steps)
        batch = torch.from_numpy(crops.batch(args.batch)).to(device, non_blocking=True)
        loss = objective(batch)[0] if lossy else objective(batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(plain.parameters(), 1.0)
        opt.step()
        done = step + 1
        if rank == 0:
            bar.set_postfix(loss=f"{loss.item():.3f}")
            record = None
            if done % 50 == 0:
                parts = {"train_loss": loss.item()} if lossy else plain.last
                record = {"step": done, **parts, "seconds": time.time() - t0}
            if val is not None and (done % args.val_every == 0 or done == args.steps):
                scores = validate_rd(plain, val, device) if lossy else {"val_bpsp": validate(model, val, device)}
                record = {**(record or {"step": done}), **scores}
            if record:
                log.write(json.dumps(record) + "\n")
                log.flush()
            if done % args.ckpt_every == 0:
                _save_checkpoint(ckpt_path, plain, opt, done, args)
        stop = args.time_limit and time.time() - t0 > args.time_limit
        if distributed:  # every rank must stop at the same step
            flag = torch.tensor([1.0 if stop else 0.0], device=device)
            dist.all_reduce(flag)
            stop = flag.item() > 0
        if stop:
            break
    if rank == 0:
        _save_checkpoint(ckpt_path, plain, opt, step + 1, args)
        card = {"name": args.name, "steps": str(step + 1), "train_seconds": f"{time.time() - t0:.0f}",
                "train_command_args": json.dumps(vars(args))}
        if lossy:
            card["lossy_band_offsets"] = json.dumps(plain.offsets_for_file())
        if val is not None:
            scores = validate_rd(plain, val, device) if lossy else {"val_bpsp": validate(model, val, device)}
            card.update({k: f"{v:.4f}" for k, v in scores.items()})
        save_model(model, out / "model.safetensors", card)
        log.close()
    if distributed:
        dist.barrier()  # let rank 0 finish writing before any rank tears the group down
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
