"""Write a model file from a training run's checkpoint: ``python -m invcodec.training.export RUN OUT``.

``train`` writes ``RUN/model.safetensors`` itself when it finishes; this makes the same
file from ``RUN/checkpoint.pt`` at any point (e.g. a run stopped by a time limit), with
the run's arguments, steps and last validation score in the metadata (the model card's
source)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from .. import model_file
from ..architectures import parse_spec
from .model import IntegerFlowModel
from .rate_distortion import offsets_for_file
from .weights import save_model


def export(run: Path, out: Path, name: str, lossy_deadzone: float | None = None) -> dict[str, str]:
    ckpt = torch.load(run / "checkpoint.pt", map_location="cpu", weights_only=True)
    model = IntegerFlowModel(parse_spec(ckpt["config"]))
    prefix = "model."
    model.load_state_dict({k[len(prefix):]: v for k, v in ckpt["objective"].items() if k.startswith(prefix)})
    card = {"name": name, "steps": str(ckpt["step"]), "train_command_args": json.dumps(ckpt["args"])}
    if "band_offsets" in ckpt["objective"]:  # a lossy run: the encoder's quantizer offsets, as train writes them
        card["lossy_band_offsets"] = json.dumps(offsets_for_file(ckpt["objective"]["band_offsets"]))
    if lossy_deadzone is not None:
        if "lossy_band_offsets" not in card:
            raise ValueError("--lossy-deadzone is for lossy runs")
        card["lossy_deadzone"] = repr(float(lossy_deadzone))
        model_file.deadzone(card["lossy_deadzone"], out)  # the loader's own check, before a file is written
    log = run / "log.jsonl"
    if log.exists():
        records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        scores = [r for r in records if any(k.startswith("val_") for k in r)]
        if scores:
            card.update({k: f"{v:.4f}" for k, v in scores[-1].items() if k.startswith("val_")})
            card["val_step"] = str(scores[-1]["step"])
        seconds = [r["seconds"] for r in records if "seconds" in r]
        if seconds:
            card["train_seconds_last_segment"] = f"{seconds[-1]:.0f}"
    save_model(model.eval(), out, card)
    return card


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m invcodec.training.export", description=__doc__.splitlines()[0])
    p.add_argument("run", type=Path, help="training run folder (with checkpoint.pt)")
    p.add_argument("out", type=Path, help="model file to write (.safetensors)")
    p.add_argument("--name", required=True, help="model name written into the metadata")
    p.add_argument("--lossy-deadzone", type=float, default=None,
                   help="lossy runs: the encoder's dead zone for this model, in steps (from `invcodec bench lossy-tuning`)")
    args = p.parse_args(argv)
    try:
        card = export(args.run, args.out, args.name, args.lossy_deadzone)
    except ValueError as e:
        p.error(str(e))
    print(json.dumps(card, indent=1))


if __name__ == "__main__":
    main()
