"""The command line as a user meets it: real processes, real files."""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from .conftest import smooth_image


def invcodec(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "invcodec_cli.main", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "photo.png"
    Image.fromarray(smooth_image(40, 56, 3)).save(path)
    return path


def test_compress_decompress_info(photo, tmp_path) -> None:
    r = invcodec("compress", str(photo))
    assert r.returncode == 0, r.stderr
    inv = tmp_path / "photo.inv"
    assert inv.exists() and "bits/sub-pixel" in r.stdout
    r = invcodec("decompress", str(inv), "-o", str(tmp_path / "back.png"))
    assert r.returncode == 0, r.stderr
    assert np.array_equal(np.asarray(Image.open(tmp_path / "back.png")), np.asarray(Image.open(photo)))
    r = invcodec("info", str(inv), "--json")
    info = json.loads(r.stdout)
    assert (info["width"], info["height"], info["channels"], info["mode"]) == (56, 40, 3, "lossless")
    assert invcodec("info", str(inv)).stdout.count("model_id") == 1


def test_lossy_quality_with_the_shipped_lossy_model(photo, tmp_path) -> None:
    sizes = []
    for q in (20, 80):
        inv = tmp_path / f"q{q}.inv"
        r = invcodec("compress", str(photo), "-q", str(q), "-o", str(inv))
        assert r.returncode == 0, r.stderr
        assert f"quality {q}" in r.stdout and "PSNR" in r.stdout
        info = json.loads(invcodec("info", str(inv), "--json").stdout)
        assert (info["mode"], info["quality"]) == ("lossy", q)
        r = invcodec("decompress", str(inv), "-o", str(tmp_path / f"q{q}.png"))
        assert r.returncode == 0, r.stderr
        back = np.asarray(Image.open(tmp_path / f"q{q}.png")).astype(float)
        mse = np.mean((back - np.asarray(Image.open(photo)).astype(float)) ** 2)
        assert 0 < mse < 255**2 / 10 ** (2.5 if q == 20 else 3.5)  # > 25 / 35 dB
        sizes.append(inv.stat().st_size)
    assert sizes[0] < sizes[1]
    r = invcodec("compress", str(photo), "-q", "0", "-o", str(tmp_path / "bad.inv"))
    assert r.returncode != 0 and not (tmp_path / "bad.inv").exists()


def test_default_decompress_name_and_no_overwrite(photo, tmp_path) -> None:
    assert invcodec("compress", str(photo), "-o", str(tmp_path / "a.inv")).returncode == 0
    r = invcodec("decompress", str(tmp_path / "a.inv"))
    assert r.returncode == 0 and (tmp_path / "a.png").exists()
    before = (tmp_path / "a.inv").read_bytes()
    r = invcodec("compress", str(photo), "-o", str(tmp_path / "a.inv"))
    assert r.returncode != 0 and "exists" in r.stderr and (tmp_path / "a.inv").read_bytes() == before
    r = invcodec("compress", str(photo), "-o", str(tmp_path / "a.inv"), "--force")
    assert r.returncode == 0


@pytest.mark.parametrize(
    "content, message",
    [(b"", "cannot read"), (b"not an image at all", "cannot read")],
)
def test_bad_images_give_one_line_and_no_output(tmp_path, content, message) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(content)
    r = invcodec("compress", str(bad))
    assert r.returncode != 0 and message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert not (tmp_path / "bad.inv").exists()
    assert list(tmp_path.iterdir()) == [bad]  # no temporary leftovers either


def test_16_bit_and_missing_input(tmp_path) -> None:
    p16 = tmp_path / "deep.png"
    Image.fromarray(np.zeros((4, 4), np.uint16)).save(p16)
    r = invcodec("compress", str(p16))
    assert r.returncode != 0 and "8 bits" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = invcodec("compress", str(tmp_path / "nope.png"))
    assert r.returncode != 0 and "no such file" in r.stderr


def test_corrupted_inv_gives_one_line_and_no_output(photo, tmp_path) -> None:
    invcodec("compress", str(photo))
    inv = tmp_path / "photo.inv"
    data = bytearray(inv.read_bytes())
    data[-5] ^= 0x40
    inv.write_bytes(bytes(data))
    r = invcodec("decompress", str(inv), "-o", str(tmp_path / "out.png"))
    assert r.returncode != 0 and r.stderr.startswith("invcodec: error:") and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.png").exists()
    r = invcodec("decompress", str(photo), "-o", str(tmp_path / "y.png"))  # a PNG is not a .inv
    assert r.returncode != 0 and "not an invcodec file" in r.stderr


def test_lossy_output_format_is_refused(photo, tmp_path) -> None:
    invcodec("compress", str(photo))
    r = invcodec("decompress", str(tmp_path / "photo.inv"), "-o", str(tmp_path / "x.jpg"))
    assert r.returncode != 0 and "lossless" in r.stderr


def test_batch_continues_past_bad_files_and_fails_at_the_end(tmp_path) -> None:
    for i in range(2):
        Image.fromarray(smooth_image(20, 24, 3, seed=i)).save(tmp_path / f"ok{i}.png")
    (tmp_path / "bad.png").write_bytes(b"nope")
    r = invcodec("compress", str(tmp_path), "-j", "2")
    assert r.returncode == 1
    assert (tmp_path / "ok0.inv").exists() and (tmp_path / "ok1.inv").exists() and not (tmp_path / "bad.inv").exists()
    assert "1 of 3 files failed" in r.stderr and "bad.png" in r.stderr and "Traceback" not in r.stderr
    out = tmp_path / "out"
    out.mkdir()
    r = invcodec("decompress", str(tmp_path / "ok0.inv"), str(tmp_path / "ok1.inv"), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["ok0.png", "ok1.png"]


def test_stdin_to_stdout(photo) -> None:
    encoded = subprocess.run([sys.executable, "-m", "invcodec_cli.main", "compress", "-"], input=photo.read_bytes(),
                             capture_output=True, check=True).stdout
    assert encoded.startswith(b"\x89INV")
    decoded = subprocess.run([sys.executable, "-m", "invcodec_cli.main", "decompress", "-"], input=encoded,
                             capture_output=True, check=True).stdout
    import io

    assert np.array_equal(np.asarray(Image.open(io.BytesIO(decoded))), np.asarray(Image.open(photo)))


def test_several_inputs_need_a_folder_for_o(photo, tmp_path) -> None:
    r = invcodec("compress", str(photo), str(photo), "-o", str(tmp_path / "x.inv"))
    assert r.returncode != 0 and "existing folder" in r.stderr


def test_sample_interpolate_score(photo, tmp_path) -> None:
    r = invcodec("sample", "-n", "4", "--size", "32", "--seed", "3", "-o", str(tmp_path / "s.png"))
    assert r.returncode == 0, r.stderr
    first = (tmp_path / "s.png").read_bytes()
    assert invcodec("sample", "-n", "4", "--size", "32", "--seed", "3", "-o", str(tmp_path / "s.png"), "--force").returncode == 0
    assert (tmp_path / "s.png").read_bytes() == first  # --seed reproduces
    assert Image.open(tmp_path / "s.png").size == (2 * 32 + 2, 2 * 32 + 2)
    r = invcodec("interpolate", str(photo), str(photo), "--steps", "3", "--size", "32", "-o", str(tmp_path / "i.png"))
    assert r.returncode == 0, r.stderr
    noise = tmp_path / "noise.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 56, 3), dtype=np.uint8)).save(noise)
    r = invcodec("score", str(noise), str(photo), "--json")
    ranked = json.loads(r.stdout)
    assert [Path(x["image"]).name for x in ranked] == ["photo.png", "noise.png"]
    r = invcodec("score", str(tmp_path / "missing.png"))
    assert r.returncode != 0 and "no such file" in r.stderr


def test_bench_dispatches_to_the_benchmarks(tmp_path) -> None:
    r = invcodec("bench", "fuzz", "--cases", "10", "--out", str(tmp_path / "f.json"))
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "f.json").read_text())["cases"] == 10
    assert invcodec("bench", "nope").returncode != 0
