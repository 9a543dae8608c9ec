"""The Python API with the shipped models: real restoration, and every pixel it must keep."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from invcodec import restore
from invcodec.restore.degrade import add_noise, hole_mask

from ..conftest import smooth_image


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255**2 / np.mean((a.astype(float) - b.astype(float)) ** 2)))


@pytest.fixture(scope="module")
def clean() -> np.ndarray:
    return smooth_image(96, 128, seed=5)


def test_denoise_removes_most_of_the_noise(clean) -> None:
    noisy = add_noise(clean, 25, np.random.default_rng(0))
    out = restore.denoise(noisy, 25)
    assert out.level == 25 and out.note == ""
    assert psnr(np.asarray(out.image), clean) > psnr(noisy, clean) + 5


def test_denoise_estimates_sigma_when_not_given(clean) -> None:
    noisy = add_noise(clean, 20, np.random.default_rng(1))
    out = restore.denoise(Image.fromarray(noisy))
    assert out.note == "estimated" and out.level == pytest.approx(20, rel=0.2)
    with pytest.raises(ValueError, match="outside"):
        restore.denoise(noisy, 90)


def test_grey_stays_grey_alpha_and_profile_pass_through(clean) -> None:
    grey = Image.fromarray(add_noise(clean, 15, np.random.default_rng(2))[:, :, 0], "L")
    assert restore.denoise(grey, 15).image.mode == "L"
    rgba = np.dstack([add_noise(clean, 15, np.random.default_rng(3)), np.arange(96 * 128).reshape(96, 128) % 256]).astype(np.uint8)
    image = Image.fromarray(rgba, "RGBA")
    image.info["icc_profile"] = b"fake profile bytes"
    out = restore.denoise(image, 15).image
    assert out.mode == "RGBA" and out.info["icc_profile"] == b"fake profile bytes"
    np.testing.assert_array_equal(np.asarray(out)[:, :, 3], rgba[:, :, 3])


def _jpeg_file(tmp_path: Path, image: np.ndarray, quality: int) -> Path:
    path = tmp_path / f"q{quality}.jpg"
    Image.fromarray(image).save(path, quality=quality)
    return path


def test_dejpeg_reads_the_quality_and_does_not_make_things_worse(tmp_path, clean) -> None:
    path = _jpeg_file(tmp_path, clean, 10)
    out = restore.dejpeg(path)
    assert out.level == 10 and out.note == ""
    decoded = np.asarray(Image.open(path).convert("RGB"))
    assert psnr(np.asarray(out.image), clean) > psnr(decoded, clean)


@pytest.mark.parametrize("quality", [float("nan"), -5, 0, 101, 50.5, "50", True])
def test_dejpeg_refuses_a_quality_that_is_not_a_whole_number_in_range(clean, quality) -> None:
    with pytest.raises(ValueError, match="quality must be a whole number in 1..100"):
        restore.dejpeg(clean, quality=quality)


def test_dejpeg_needs_a_quality_from_somewhere(tmp_path, clean) -> None:
    with pytest.raises(ValueError, match="give quality"):
        restore.dejpeg(clean)
    png = tmp_path / "x.png"
    Image.fromarray(clean).save(png)
    with pytest.raises(ValueError, match="not a JPEG"):
        restore.dejpeg(png)
    assert restore.dejpeg(clean, quality=30).level == 30
    high = restore.dejpeg(Image.open(_jpeg_file(tmp_path, clean, 97)))
    assert high.level == 97 and "restored as 90" in high.note


def test_inpaint_fills_holes_and_keeps_every_other_pixel(clean) -> None:
    missing = hole_mask(96, 128, np.random.default_rng(4))
    damaged = clean.copy()
    damaged[missing] = 0
    rgba = np.dstack([damaged, np.full((96, 128), 200, np.uint8)])
    out = np.asarray(restore.inpaint(rgba, Image.fromarray(missing)).image)
    np.testing.assert_array_equal(out[~missing], rgba[~missing])
    np.testing.assert_array_equal(out[:, :, 3], 200)
    assert psnr(out[missing][:, :3], clean[missing]) > 20  # grey would give ~12 dB on this image
    assert restore.inpaint(clean, np.zeros((96, 128), bool)).note == "0 pixels filled"


def test_inpaint_refuses_a_mask_of_another_size_or_a_photo_as_mask(clean) -> None:
    with pytest.raises(ValueError, match="same size"):
        restore.inpaint(clean, np.zeros((10, 10), bool))
    with pytest.raises(ValueError, match="not black and white"):
        restore.inpaint(clean, Image.fromarray(clean))
    soft = np.zeros((96, 128), np.uint8)
    soft[10:30, 10:30] = 255
    soft[9, 10:30] = 100  # an anti-aliased edge is fine (below 128: kept)
    assert restore.inpaint(clean, Image.fromarray(soft)).note == "400 pixels filled"
    with pytest.raises(ValueError, match="covers the whole image"):
        restore.inpaint(clean, np.ones(clean.shape[:2], bool))
    with pytest.raises(ValueError, match="1-D"):
        restore.inpaint(clean, np.ones(clean.shape[0], bool))


def test_a_model_for_another_task_is_refused(clean) -> None:
    from invcodec.restore.network import shipped

    with pytest.raises(ValueError, match="not a denoise model"):
        restore.denoise(clean, 10, model=shipped("jpeg"))


def test_api_takes_file_objects_only_through_pillow(clean) -> None:
    with pytest.raises(TypeError, match="denoise takes"):
        restore.denoise(io.BytesIO(b"x"), 10)


def test_eight_passes_denoise_better_than_one(clean) -> None:
    noisy = add_noise(clean, 25, np.random.default_rng(7))
    one = psnr(np.asarray(restore.denoise(noisy, 25).image), clean)
    eight = psnr(np.asarray(restore.denoise(noisy, 25, passes=8).image), clean)
    assert eight > one
    with pytest.raises(ValueError, match="passes"):
        restore.denoise(noisy, 25, passes=3)
