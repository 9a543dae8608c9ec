"""`invcodec restore ...` as a user meets it: real processes, real files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from invcodec.restore.degrade import add_noise, hole_mask

from .conftest import smooth_image
from .test_cli import invcodec


def _noisy(folder: Path, name: str = "noisy.png", seed: int = 0) -> Path:
    path = folder / name
    Image.fromarray(add_noise(smooth_image(64, 80, seed=seed), 20, np.random.default_rng(seed))).save(path)
    return path


def test_denoise_default_name_and_force(tmp_path) -> None:
    src = _noisy(tmp_path)
    r = invcodec("restore", "denoise", str(src))
    assert r.returncode == 0, r.stderr
    assert "sigma" in r.stdout and "(estimated)" in r.stdout
    out = tmp_path / "noisy-denoised.png"
    assert Image.open(out).size == (80, 64)
    before = out.read_bytes()
    r = invcodec("restore", "denoise", str(src), "--sigma", "30")
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "exists" in r.stderr
    assert out.read_bytes() == before  # never clobbered
    assert invcodec("restore", "denoise", str(src), "--sigma", "30", "--force").returncode == 0
    assert out.read_bytes() != before


def test_jpeg_quality_from_the_file_or_the_option(tmp_path) -> None:
    image = smooth_image(64, 64, seed=1)
    Image.fromarray(image).save(tmp_path / "a.jpg", quality=15)
    r = invcodec("restore", "jpeg", str(tmp_path / "a.jpg"))
    assert r.returncode == 0 and "quality 15 (from its tables)" in r.stdout, r.stderr
    Image.fromarray(image).save(tmp_path / "b.png")
    r = invcodec("restore", "jpeg", str(tmp_path / "b.png"))
    assert r.returncode == 1 and "not a JPEG" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "b-dejpeg.png").exists()
    r = invcodec("restore", "jpeg", str(tmp_path / "b.png"), "--quality", "20", "-o", str(tmp_path / "b.tif"))
    assert r.returncode == 0 and Image.open(tmp_path / "b.tif").format == "TIFF"


def test_passes_option(tmp_path) -> None:
    src = _noisy(tmp_path)
    r = invcodec("restore", "denoise", str(src), "--sigma", "20", "--passes", "8")
    assert r.returncode == 0 and "8 passes" in r.stdout, r.stderr
    r = invcodec("restore", "denoise", str(src), "--sigma", "20", "--passes", "3", "-o", str(tmp_path / "x.png"))
    assert r.returncode == 2 and "passes" in r.stderr and not (tmp_path / "x.png").exists()
    r = invcodec("restore", "denoise", str(src), "--sigma", "20", "--passes", "32", "-o", str(tmp_path / "y.png"))
    assert r.returncode == 0 and "32 passes" in r.stdout, r.stderr
    jpeg = tmp_path / "a.jpg"
    Image.open(src).convert("RGB").save(jpeg, quality=20)
    r = invcodec("restore", "jpeg", str(jpeg), "--passes", "16", "-o", str(tmp_path / "z.png"))
    assert r.returncode == 2 and "passes" in r.stderr and not (tmp_path / "z.png").exists()


def test_the_cli_offers_the_libraries_passes() -> None:
    from invcodec_cli.restore import PASSES as offered
    from invcodec.restore import PASSES

    assert offered == PASSES


def test_lossy_or_unknown_outputs_are_refused(tmp_path) -> None:
    src = _noisy(tmp_path)
    for name in ("x.jpg", "x.gif"):
        r = invcodec("restore", "denoise", str(src), "-o", str(tmp_path / name))
        assert r.returncode == 1 and "lossless output" in r.stderr and not (tmp_path / name).exists()


def test_inpaint_with_a_mask_file_and_a_mask_folder(tmp_path) -> None:
    images, masks, outs = tmp_path / "img", tmp_path / "masks", tmp_path / "out"
    for d in (images, masks, outs):
        d.mkdir()
    for seed, name in enumerate(("a", "b")):
        Image.fromarray(smooth_image(48, 64, seed=seed)).save(images / f"{name}.png")
        Image.fromarray(hole_mask(48, 64, np.random.default_rng(seed))).save(masks / f"{name}.png")
    r = invcodec("restore", "inpaint", str(images), "--mask", str(masks), "-o", str(outs), "-j", "2")
    assert r.returncode == 0, r.stderr
    for name in ("a", "b"):
        out = np.asarray(Image.open(outs / f"{name}-inpainted.png"))
        known = ~(np.asarray(Image.open(masks / f"{name}.png")) > 0)
        np.testing.assert_array_equal(out[known], np.asarray(Image.open(images / f"{name}.png"))[known])
    r = invcodec("restore", "inpaint", str(images / "a.png"), "--mask", str(tmp_path / "none.png"))
    assert r.returncode == 2 and "does not exist" in r.stderr


def test_mask_of_another_size_is_one_line(tmp_path) -> None:
    src = _noisy(tmp_path)
    Image.new("L", (10, 10), 255).save(tmp_path / "m.png")
    r = invcodec("restore", "inpaint", str(src), "--mask", str(tmp_path / "m.png"))
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "same size" in r.stderr
    assert not (tmp_path / "noisy-inpainted.png").exists()


def test_stdin_to_stdout(tmp_path) -> None:
    import subprocess
    import sys

    src = _noisy(tmp_path)
    r = subprocess.run([sys.executable, "-m", "invcodec_cli.main", "restore", "denoise", "-", "--sigma", "20", "-c"],
                       input=src.read_bytes(), capture_output=True)
    assert r.returncode == 0, r.stderr
    (tmp_path / "o.png").write_bytes(r.stdout)
    assert Image.open(tmp_path / "o.png").size == (80, 64)


def test_batch_reports_each_failure_and_carries_on(tmp_path) -> None:
    _noisy(tmp_path, "a.png")
    (tmp_path / "b.png").write_bytes(b"not an image")
    r = invcodec("restore", "denoise", str(tmp_path / "a.png"), str(tmp_path / "b.png"), "--sigma", "20")
    assert r.returncode == 1 and "b.png" in r.stderr and "1 of 2 files failed" in r.stderr
    assert (tmp_path / "a-denoised.png").exists() and not (tmp_path / "b-denoised.png").exists()


def test_restoring_imports_no_torch(tmp_path) -> None:
    import subprocess
    import sys

    src = _noisy(tmp_path)
    code = ("import sys; from invcodec_cli.main import main; sys.argv = ['invcodec', 'restore', 'denoise', sys.argv[1], "
            "'--sigma', '20']\ntry:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "assert 'torch' not in sys.modules, 'torch imported'")
    r = subprocess.run([sys.executable, "-c", code, str(src)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "noisy-denoised.png").exists()


def test_a_16_bit_image_is_refused_not_restored_at_8_bits(tmp_path) -> None:
    """The codec reads 16-bit colour files at their depth; restoration, which takes 8 bits, refuses them."""
    import png

    deep = smooth_image(12, 10, 3).astype(np.uint16) * 257
    png.Writer(10, 12, greyscale=False, bitdepth=16).write(open(tmp_path / "deep.png", "wb"), deep.reshape(12, -1))
    r = invcodec("restore", "denoise", str(tmp_path / "deep.png"), "--sigma", "10")
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "16 bits per sample" in r.stderr
    assert not (tmp_path / "deep-denoised.png").exists()
