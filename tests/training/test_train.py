"""Training runs, resumes, exports model files the runtime codes with, and scales out to
2 processes (gloo) on CPU."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from invcodec.codec import compress_samples, decompress_samples, psnr
from invcodec import model_file
from invcodec.training.export import export
from invcodec.training.train import main as train_main, parse_args
from invcodec.training.weights import load_model, save_model

from ..conftest import smooth_image
from ..fixtures.make_models import TINY_CONFIG, TINY_INT8_CONFIG, make_tiny_model

pytestmark = pytest.mark.usefixtures("single_thread")


def _args(folder, out, steps: int, config=TINY_CONFIG) -> list[str]:
    return ["--data", str(folder), "--val", str(folder), "--out", str(out), "--steps", str(steps), "--batch", "2",
            "--crop", "32", "--val-crop", "32", "--val-every", "2", "--warmup", "1", "--ckpt-every", "2",
            "--config", config.to_json()]


def _codes_exactly(path) -> None:
    """The runtime loads the exported file and codes with it (lossless round trip)."""
    model = model_file.load(path)
    samples = smooth_image(24, 20, seed=9)
    data, _ = compress_samples(samples, model)
    assert np.array_equal(decompress_samples(data, model), samples)


def test_train_resume_and_export(folder, tmp_path) -> None:
    out = tmp_path / "run"
    train_main(_args(folder, out, 2))
    first = load_model(out / "model.safetensors")
    train_main(_args(folder, out, 4) + ["--resume"])
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if "val_bpsp" in r] == [2, 4]
    assert all(np.isfinite(r["val_bpsp"]) for r in log if "val_bpsp" in r)
    model = load_model(out / "model.safetensors")
    assert model.cfg == TINY_CONFIG
    assert any((a != b).any() for a, b in zip(first.state_dict().values(), model.state_dict().values()))  # it trained on
    meta, _ = model_file.read(out / "model.safetensors")
    assert meta["steps"] == "4" and np.isfinite(float(meta["val_bpsp"]))
    _codes_exactly(out / "model.safetensors")


def test_extra_data_adds_training_images_only(tmp_path, monkeypatch) -> None:
    """--extra-data: every image of another folder trains (the split CSV is for --data);
    validation stays the split's."""
    from invcodec.training import train

    faces, extra = tmp_path / "faces", tmp_path / "extra"
    for folder, names in ((faces, ["a.png", "b.png", "c.png"]), (extra, ["x.png", "y.png"])):
        folder.mkdir()
        for i, name in enumerate(names):
            Image.fromarray(smooth_image(40, 36, seed=i + len(name))).save(folder / name)
    (tmp_path / "split.csv").write_text("filename,split\na.png,train\nb.png,train\nc.png,test\n")
    seen = {}

    class Recorded(train.RandomCrops):
        def __init__(self, images, *a, **k):
            seen["train"] = len(images)
            super().__init__(images, *a, **k)

    real_centre_crops = train.centre_crops
    monkeypatch.setattr(train, "RandomCrops", Recorded)
    monkeypatch.setattr(train, "centre_crops", lambda images, size: seen.setdefault("val", len(images)) and real_centre_crops(images, size))
    train_main(["--data", str(faces), "--extra-data", str(extra), "--split-csv", str(tmp_path / "split.csv"), "--square", "32",
                "--out", str(tmp_path / "run"), "--steps", "1", "--batch", "2", "--crop", "32", "--val-crop", "32",
                "--config", TINY_CONFIG.to_json()])
    assert seen == {"train": 4, "val": 1}
    with pytest.raises(SystemExit):
        parse_args(["--npz", "d.npz", "--extra-data", str(extra), "--out", "x"])


def test_train_from_npz(tmp_path) -> None:
    x = np.stack([smooth_image(32, 32, 3, seed=i) for i in range(4)])
    np.savez(tmp_path / "d.npz", x_train=x, x_test=x[:2])
    out = tmp_path / "npz-run"
    train_main(["--npz", str(tmp_path / "d.npz"), "--out", str(out), "--steps", "2", "--batch", "2", "--crop", "32",
                "--val-crop", "32", "--val-every", "2", "--grey-fraction", "0", "--config", TINY_CONFIG.to_json()])
    assert load_model(out / "model.safetensors").cfg == TINY_CONFIG


def test_lossy_training_exports_its_quantizer_offsets(folder, tmp_path) -> None:
    out = tmp_path / "rd"
    config = dataclasses.replace(TINY_CONFIG, rate_conditioned=True)
    train_main(_args(folder, out, 2, config) + ["--objective", "rd"])
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert {"val_bpp@2", "val_psnr@2", "val_bpp@6"} <= set(log[-1])
    model = model_file.load(out / "model.safetensors")
    assert len(model.lossy_band_offsets) == 3 + 9 * TINY_CONFIG.levels
    samples = smooth_image(32, 32, seed=10)
    data, stats = compress_samples(samples, model, quality=30)
    assert stats.psnr == psnr(samples, decompress_samples(data, model))  # the encoder knew the decoder's pixels
    # a run stopped early (time limit) is exported from its checkpoint with the same offsets
    export(out, tmp_path / "exported.safetensors", "rd-export")
    exported = model_file.load(tmp_path / "exported.safetensors")
    assert exported.lossy_band_offsets == model.lossy_band_offsets
    meta, _ = model_file.read(tmp_path / "exported.safetensors")
    assert meta["val_step"] == "2" and np.isfinite(float(meta["val_psnr@2"]))
    assert exported.lossy_deadzone is None
    export(out, tmp_path / "tuned.safetensors", "rd-tuned", lossy_deadzone=0.1)
    tuned = model_file.load(tmp_path / "tuned.safetensors")
    assert tuned.lossy_deadzone == 0.1 and tuned.model_id == exported.model_id  # an encoder choice, not the model
    with pytest.raises(ValueError, match="lossy_deadzone"):  # refused before a file is written
        export(out, tmp_path / "nonsense.safetensors", "rd-nonsense", lossy_deadzone=1.5)
    assert not (tmp_path / "nonsense.safetensors").exists()


def test_int8_fine_tuning_from_a_fixed64_model(folder, tmp_path) -> None:
    """--init a fixed64 file with an int8 config: the weights carry over, the activation
    grids are calibrated, and the exported integers respect the runtime's exact bounds."""
    source = make_tiny_model(noise=0.01)
    save_model(source, tmp_path / "src.safetensors")
    out = tmp_path / "int8"
    int8_config = json.dumps({"numeric": "int8", "head": "split"})
    train_main(_args(folder, out, 2)[:-1] + [int8_config, "--init", str(tmp_path / "src.safetensors")])
    model = load_model(out / "model.safetensors")
    assert (model.cfg.numeric, model.cfg.head, model.cfg.levels) == ("int8", "split", TINY_CONFIG.levels)
    exps = [int(m.exp) for m in model.modules() if hasattr(m, "exp") and hasattr(m, "calibrating")]
    assert len(set(exps)) > 1  # calibrated per site, not all left at the default
    assert model_file.load(out / "model.safetensors").spec.numeric == "int8"  # every conv within 2**24
    _codes_exactly(out / "model.safetensors")


def test_checkerboard_context_starts_as_the_model_it_extends(folder, tmp_path) -> None:
    """--init an int8 file with {"checkerboard": true}: the new context parts start at zero,
    so the model codes exactly as the source at first; training moves them; the exported
    file codes exactly."""
    import torch

    from invcodec.training.train import _initialised_from

    source = make_tiny_model(config=TINY_INT8_CONFIG)
    save_model(source, tmp_path / "src.safetensors")
    extended = _initialised_from(str(tmp_path / "src.safetensors"), {"checkerboard": True}).eval()
    assert extended.cfg.checkerboard
    x = torch.from_numpy(smooth_image(32, 32, seed=4).transpose(2, 0, 1)[None].astype(np.float32))
    with torch.no_grad():
        assert torch.equal(extended.bits(x), source.bits(x))
    out = tmp_path / "checkerboard"
    train_main(_args(folder, out, 2, TINY_INT8_CONFIG)[:-1] + ['{"checkerboard": true}', "--init", str(tmp_path / "src.safetensors"), "--keep-grids"])
    trained = load_model(out / "model.safetensors")
    context = [h.from_context.conv.weight for level in trained.levels for h in level.prior.heads]
    assert all(w.abs().sum() > 0 for w in context)
    assert model_file.load(out / "model.safetensors").evaluator.checkerboard
    _codes_exactly(out / "model.safetensors")


def test_keep_grids_fine_tunes_an_int8_model_on_its_own_grids(folder, tmp_path) -> None:
    """--init an int8 file with --keep-grids: its activation grids carry over unchanged
    (without it they are calibrated again on the run's first batch)."""
    source = make_tiny_model(noise=0.01)
    save_model(source, tmp_path / "src.safetensors")
    int8_config = json.dumps({"numeric": "int8", "head": "split"})
    train_main(_args(folder, tmp_path / "int8", 1)[:-1] + [int8_config, "--init", str(tmp_path / "src.safetensors")])
    grid = load_model(tmp_path / "int8" / "model.safetensors")
    sites = [m for m in grid.modules() if hasattr(m, "exp") and hasattr(m, "calibrating")]
    for i, m in enumerate(sites):  # grids no calibration would choose, so a recalibration would show
        m.exp.fill_(-3 - i % 3)
    save_model(grid, tmp_path / "grids.safetensors")
    train_main(_args(folder, tmp_path / "kept", 1) + ["--init", str(tmp_path / "grids.safetensors"), "--keep-grids"])
    model = load_model(tmp_path / "kept" / "model.safetensors")
    kept = [int(m.exp) for m in model.modules() if hasattr(m, "exp") and hasattr(m, "calibrating")]
    assert kept == [int(m.exp) for m in sites]


def test_arguments_are_checked(tmp_path) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--out", "x"])  # neither --data nor --npz
    assert parse_args(["--data", str(tmp_path), "--out", "x"]).objective == "bits"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("torchrun") is None and not os.path.exists(os.path.join(os.path.dirname(sys.executable), "torchrun")), reason="torchrun not installed")
def test_torchrun_two_cpu_processes(folder, tmp_path) -> None:
    out = tmp_path / "ddp"
    torchrun = os.path.join(os.path.dirname(sys.executable), "torchrun")
    cmd = [torchrun, "--standalone", "--nproc_per_node", "2", "-m", "invcodec.training.train", *_args(folder, out, 3)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-8000:]
    assert (out / "model.safetensors").exists()
    assert load_model(out / "model.safetensors").cfg == TINY_CONFIG
