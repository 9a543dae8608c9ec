from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from PIL import Image
from safetensors.numpy import load_file

from invcodec.restore import network
from invcodec.training import restore_train
from invcodec.training.restore_net import CHANNELS, RestoreConfig, RestoreNet, finest_last

from ..conftest import smooth_image


@pytest.fixture()
def folders(tmp_path: Path) -> tuple[Path, Path]:
    train, val = tmp_path / "train", tmp_path / "val"
    for folder, count in ((train, 3), (val, 2)):
        folder.mkdir()
        for i in range(count):
            Image.fromarray(smooth_image(136, 144, seed=i + 10 * count)).save(folder / f"{i}.png")
    return train, val


@pytest.mark.parametrize("task", ["denoise", "jpeg", "inpaint"])
def test_a_short_run_resumes_and_exports_a_runtime_model(tmp_path, folders, task) -> None:
    train, val = folders
    run = tmp_path / "run"
    common = [str(run), "--task", task, "--data", str(train), "--val", str(val), "--couplings", "2", "--hidden", "8",
              "--crop", "32", "--batch", "2", "--save-every", "2", "--val-every", "2"]
    restore_train.main(common + ["--steps", "2"])
    assert torch.load(run / "checkpoint.pt", weights_only=False)["step"] == 2
    restore_train.main(common + ["--steps", "4", "--hidden", "16"])  # the run's own shape wins on resume
    ckpt = torch.load(run / "checkpoint.pt", weights_only=False)
    assert ckpt["step"] == 4 and RestoreConfig.from_json(ckpt["config"]).hidden == 8
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert any("val_psnr" in r for r in log)
    model = network.load(run / "model.safetensors")
    assert model.task == task and len(model.couplings) == 2
    restore_train.main(common + ["--export", str(tmp_path / "x.safetensors")])
    assert network.load(tmp_path / "x.safetensors").parameters == model.parameters


def test_the_untrained_net_drops_only_fine_haar_details() -> None:
    order = finest_last(24)
    assert sorted(order) == list(range(CHANNELS))
    dropped = order[CHANNELS - 24:]
    assert all(c // 12 and (c % 12) // 3 for c in dropped)  # detail in both Haar steps
    net = RestoreNet(RestoreConfig("denoise", couplings=4, hidden=8, drop=24)).eval()
    flat = torch.full((1, 3, 16, 16), 0.3)
    with torch.no_grad():  # a flat image has no detail to lose
        torch.testing.assert_close(net(flat, torch.zeros(1, 1, 16, 16)), flat)


def test_a_run_starts_from_a_model_file_and_validates_on_held_out_photos(tmp_path, folders) -> None:
    train, val = folders
    first, second = tmp_path / "first", tmp_path / "second"
    small = ["--task", "denoise", "--data", str(train), "--val", str(val), "--couplings", "2", "--hidden", "8",
             "--crop", "32", "--batch", "2"]
    restore_train.main([str(first), *small, "--steps", "2"])
    restore_train.main([str(second), *small, "--init", str(first / "model.safetensors"), "--hidden", "16",
                        "--steps", "0"])  # the model file's shape wins, as a checkpoint's does
    started, trained = (load_file(str(run / "model.safetensors")) for run in (second, first))
    assert started.keys() == trained.keys() and all((started[k] == trained[k]).all() for k in trained)
    restore_train.main([str(second), *small, "--init", str(first / "model.safetensors"), "--steps", "2",
                        "--loss", "psnr", "--holdout", "1", "--val-every", "2"])
    record = [json.loads(line) for line in (second / "log.jsonl").read_text().splitlines()][-1]
    assert set(record["val_psnr_by_level"]) == {"15.0", "25.0", "50.0"}
    assert record["val_psnr"] == pytest.approx(sum(record["val_psnr_by_level"].values()) / 3)
    assert record["val_psnr_by_level"]["15.0"] > record["val_psnr_by_level"]["50.0"]
