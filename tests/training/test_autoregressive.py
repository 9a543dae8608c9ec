"""Training the autoregressive model: it learns, exports a file the codec codes with, resumes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from invcodec.codec import compress_samples, decompress_samples
from invcodec.runtime import autoregressive as ar
from invcodec import model_file
from invcodec.training import autoregressive as ar_training

from ..conftest import smooth_image

pytestmark = pytest.mark.usefixtures("single_thread")


def _train(folder, out, steps: int, capsys) -> dict:
    ar_training.main(["--data", str(folder), "--val", str(folder), "--out", str(out), "--export", str(out / "m.safetensors"),
                      "--hidden", "8", "--steps", str(steps), "--batch", "256", "--crop", "32", "--crops-per-image", "2",
                      "--downscale", "0.9", "1.0", "--val-images", "2", "--ckpt-every", "10"])
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_training_learns_and_the_codec_codes_with_the_export(folder, tmp_path, capsys) -> None:
    short = _train(folder, tmp_path / "short", 2, capsys)
    longer = _train(folder, tmp_path / "long", 120, capsys)
    assert longer["val_bpsp_exact"] < short["val_bpsp_exact"] - 0.5  # it learns (exact code length, held-out crops)
    model = model_file.load(tmp_path / "long" / "m.safetensors")
    image = smooth_image(40, 36, seed=11)
    data, _ = compress_samples(image, model, classic=False)
    assert np.array_equal(decompress_samples(data, model), image)
    assert 8 * len(data) < 0.6 * 8 * image.size  # well under raw


def test_a_rerun_resumes_instead_of_starting_again(folder, tmp_path, capsys) -> None:
    out = tmp_path / "run"
    _train(folder, out, 20, capsys)
    first = model_file.read(out / "m.safetensors")[1]
    (out / "plane2.pt").unlink()  # as if stopped at its last checkpoint (step 20 of 20)
    _train(folder, out, 20, capsys)
    again = model_file.read(out / "m.safetensors")[1]
    assert first.keys() == again.keys() and all(np.array_equal(first[k], again[k]) for k in first)


def test_the_float_loss_is_the_laplace_code_length() -> None:
    from invcodec.entropy import grid

    x = torch.tensor([0.0, 3.0, -7.0, 100.0])
    mean, log_scale = torch.tensor([0.3, 1.0, -5.5, 20.0]), torch.log(torch.tensor([0.7, 2.0, 9.0, 3.0]))
    want = grid.laplace_bits(x.numpy(), mean.numpy(), torch.exp(log_scale).numpy())
    assert np.allclose(ar_training.laplace_bits(x, mean, log_scale).numpy(), np.minimum(want, -grid.MIN_LOG2_PROBABILITY),
                       atol=1e-3)
    assert ar.feature_count(2) == len(ar.CAUSAL) + 2 * len(ar.EARLIER)
