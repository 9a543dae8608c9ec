"""Smoke tests that keep the benchmark scripts from rotting (tiny inputs, seconds)."""

from __future__ import annotations

from PIL import Image

from invcodec_benchmarks import fuzz, lossless

from .conftest import smooth_image


def test_lossless_benchmark_on_two_tiny_images(tmp_path) -> None:
    for i in range(2):
        Image.fromarray(smooth_image(24, 32, 3, seed=i)).save(tmp_path / f"{i}.png")
    report = lossless.run(tmp_path, limit=None, model=None)
    assert report["images"] == 2
    for entry in report["codecs"].values():
        assert entry["all_exact"] and entry["mean"]["bpsp"] > 0
    assert "| codec |" in lossless.markdown(report)


def test_fuzz_smoke() -> None:
    report = fuzz.run(cases=40, seed=1, timeout=30.0)
    assert report["cases"] == 40
    assert report["crashes"] == report["hangs"] == report["wrong_pixels"] == 0
    assert report["rejected"] > 0


def test_bpd_on_a_tiny_npz(tmp_path) -> None:
    import json

    import numpy as np

    from invcodec_benchmarks import bpd

    from .conftest import smooth_image

    np.savez(tmp_path / "x.npz", x_test=np.stack([smooth_image(32, 32, 3, seed=i) for i in range(2)]))
    bpd.main(["--npz", str(tmp_path / "x.npz"), "--out", str(tmp_path / "r.json")])
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["images"] == 2 and 0 < report["nll_bpd"] < 8
    assert abs(report["stream_gap_percent"]) < 5 and report["header_bpd"] > 0


def test_rd_benchmark_on_two_small_images(tmp_path) -> None:
    from invcodec_benchmarks import rd

    for i in range(2):  # MS-SSIM's 5 scales need sides above 160 px
        Image.fromarray(smooth_image(168, 176, 3, seed=i)).save(tmp_path / f"{i}.png")
    report = rd.run(tmp_path, limit=None, model=None, qualities=[10, 40, 70, 95], jobs=1)
    ours = report["codecs"][report["bd_rate"]["test"]]["curve"]
    assert ours["bpp"] == sorted(ours["bpp"]) and ours["psnr"] == sorted(ours["psnr"])
    for name, entry in report["codecs"].items():
        assert len(entry["images"]) == 2 and all(0 < m <= 1 for m in entry["curve"]["ms_ssim"]), name
    assert set(report["bd_rate"]["vs"]) >= {"JPEG", "WebP", "AVIF"}
    assert "BD-rate" in rd.markdown(report)
