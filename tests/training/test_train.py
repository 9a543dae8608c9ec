"""Training runs, resumes, and scales out to 2 processes (gloo) on CPU."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from invcodec.train import main as train_main
from invcodec.weights import load_model

from .conftest import TINY_CONFIG, smooth_image


@pytest.fixture
def folder(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for i in range(3):
        Image.fromarray(smooth_image(48, 40, 3, seed=i)).save(data / f"{i}.png")
    return data


def _args(folder, out, steps: int) -> list[str]:
    return ["--data", str(folder), "--val", str(folder), "--out", str(out), "--steps", str(steps), "--batch", "2",
            "--crop", "32", "--val-crop", "32", "--val-every", "2", "--warmup", "1", "--ckpt-every", "2",
            "--config", TINY_CONFIG.to_json()]


def test_train_resume_and_export(folder, tmp_path) -> None:
    out = tmp_path / "run"
    train_main(_args(folder, out, 2))
    train_main(_args(folder, out, 4) + ["--resume"])
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if "val_bpsp" in r] == [2, 4]
    assert all(np.isfinite(r["val_bpsp"]) for r in log if "val_bpsp" in r)
    model = load_model(out / "model.safetensors")
    assert model.cfg == TINY_CONFIG


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("torchrun") is None and not os.path.exists(os.path.join(os.path.dirname(sys.executable), "torchrun")), reason="torchrun not installed")
def test_torchrun_two_cpu_processes(folder, tmp_path) -> None:
    out = tmp_path / "ddp"
    torchrun = os.path.join(os.path.dirname(sys.executable), "torchrun")
    cmd = [torchrun, "--standalone", "--nproc_per_node", "2", "-m", "invcodec.train", *_args(folder, out, 3)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-8000:]
    assert (out / "model.safetensors").exists()
    assert load_model(out / "model.safetensors").cfg == TINY_CONFIG


def test_train_from_npz(tmp_path) -> None:
    x = np.stack([smooth_image(32, 32, 3, seed=i) for i in range(4)])
    np.savez(tmp_path / "d.npz", x_train=x, x_test=x[:2])
    out = tmp_path / "npz-run"
    train_main(["--npz", str(tmp_path / "d.npz"), "--out", str(out), "--steps", "2", "--batch", "2", "--crop", "32",
                "--val-crop", "32", "--val-every", "2", "--grey-fraction", "0", "--config", TINY_CONFIG.to_json()])
    assert load_model(out / "model.safetensors").cfg == TINY_CONFIG
