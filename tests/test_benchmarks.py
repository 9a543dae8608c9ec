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
