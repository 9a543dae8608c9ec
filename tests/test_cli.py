"""The command line as a user meets it: real processes, real files. Lossless commands
name their model (-m photo-v1): the default model may not be shipped yet."""

from __future__ import annotations

import json
import os
from pathlib import Path
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from .conftest import smooth_image, tiny_model_file

MODEL = ("-m", "photo-v1")


def invcodec(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "invcodec_cli.main", *args], capture_output=True, text=True, cwd=cwd)


# Small enough that the tiny random model's prior codes the smooth test images below their
# raw size, so its files hold flow streams (with conftest's default noise they go raw).
FLOW_NOISE = 0.03


@pytest.fixture(scope="module")
def int8_model_file(tmp_path_factory) -> Path:
    """A tiny int8 model file, for -m PATH."""
    folder = tmp_path_factory.mktemp("int8")
    path = tiny_model_file(f"tiny-int8-noise{FLOW_NOISE}", folder, "tiny-int8")
    assert path.is_file()
    return path


def stream_kinds(inv: Path) -> set[str]:
    r = invcodec("info", str(inv), "--json")
    assert r.returncode == 0, r.stderr
    return {s["kind"] for s in json.loads(r.stdout)["streams"]}


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "photo.png"
    Image.fromarray(smooth_image(40, 56, 3)).save(path)
    return path


def test_compress_decompress_info(photo, tmp_path) -> None:
    r = invcodec("compress", str(photo), *MODEL)
    assert r.returncode == 0, r.stderr
    inv = tmp_path / "photo.inv"
    assert inv.exists() and "bits/sub-pixel" in r.stdout
    r = invcodec("decompress", str(inv), "-o", str(tmp_path / "back.png"))
    assert r.returncode == 0, r.stderr
    assert np.array_equal(np.asarray(Image.open(tmp_path / "back.png")), np.asarray(Image.open(photo)))
    r = invcodec("info", str(inv), "--json")
    info = json.loads(r.stdout)
    assert (info["width"], info["height"], info["channels"], info["mode"]) == (56, 40, 3, "lossless")
    assert info.get("adaptive_prior", False) is (info["streams"][0]["kind"] == "flow")  # the flag only comes with flow streams
    assert invcodec("info", str(inv)).stdout.count("model_id") == 1
    Image.new("RGB", (30, 20), (9, 99, 199)).save(tmp_path / "flat.png")  # no flow stream: no model id in the file
    assert invcodec("compress", str(tmp_path / "flat.png")).returncode == 0
    flat = json.loads(invcodec("info", str(tmp_path / "flat.inv"), "--json").stdout)
    assert flat["model_id"] is None and "adaptive_prior" not in flat
    assert "none (no flow streams" in invcodec("info", str(tmp_path / "flat.inv")).stdout


def test_lossy_quality_with_the_shipped_lossy_model(photo, tmp_path) -> None:
    sizes = []
    for q in (20, 80):
        inv = tmp_path / f"q{q}.inv"
        r = invcodec("compress", str(photo), "-q", str(q), "-m", "photo-lossy-v1", "-o", str(inv))
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
    r = invcodec("compress", str(photo), "-q", "0", "-m", "photo-lossy-v1", "-o", str(tmp_path / "bad.inv"))
    assert r.returncode != 0 and not (tmp_path / "bad.inv").exists()


def test_default_decompress_name_and_no_overwrite(photo, tmp_path) -> None:
    assert invcodec("compress", str(photo), *MODEL, "-o", str(tmp_path / "a.inv")).returncode == 0
    r = invcodec("decompress", str(tmp_path / "a.inv"))
    assert r.returncode == 0 and (tmp_path / "a.png").exists()
    before = (tmp_path / "a.inv").read_bytes()
    r = invcodec("compress", str(photo), *MODEL, "-o", str(tmp_path / "a.inv"))
    assert r.returncode != 0 and "exists" in r.stderr and (tmp_path / "a.inv").read_bytes() == before
    r = invcodec("compress", str(photo), *MODEL, "-o", str(tmp_path / "a.inv"), "--force")
    assert r.returncode == 0


@pytest.mark.parametrize(
    "content, message",
    [(b"", "cannot read"), (b"not an image at all", "cannot read")],
)
def test_bad_images_give_one_line_and_no_output(tmp_path, content, message) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(content)
    r = invcodec("compress", str(bad), *MODEL)
    assert r.returncode != 0 and message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert not (tmp_path / "bad.inv").exists()
    assert list(tmp_path.iterdir()) == [bad]  # no temporary leftovers either


def test_a_16_bit_file_that_cannot_be_read_at_its_depth_and_a_missing_input(tmp_path) -> None:
    p16 = tmp_path / "deep.ppm"  # maxval 1023: Pillow would read it as 8-bit RGB
    p16.write_bytes(b"P6\n2 2\n1023\n" + np.arange(12, dtype=">u2").tobytes())
    r = invcodec("compress", str(p16), *MODEL)
    assert r.returncode != 0 and "16-bit colour PPM" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "deep.inv").exists()
    r = invcodec("compress", str(tmp_path / "nope.png"), *MODEL)
    assert r.returncode != 0 and "no such file" in r.stderr


def test_corrupted_inv_gives_one_line_and_no_output(photo, tmp_path) -> None:
    assert invcodec("compress", str(photo), *MODEL).returncode == 0
    inv = tmp_path / "photo.inv"
    data = bytearray(inv.read_bytes())
    data[-5] ^= 0x40
    inv.write_bytes(bytes(data))
    r = invcodec("decompress", str(inv), "-o", str(tmp_path / "out.png"))
    assert r.returncode != 0 and r.stderr.startswith("invcodec: error:") and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.png").exists()
    r = invcodec("decompress", str(photo), "-o", str(tmp_path / "y.png"))  # a PNG is not a .inv
    assert r.returncode != 0 and "not an invcodec file" in r.stderr


def test_tune_ms_ssim_writes_a_smaller_lossy_file_and_needs_a_quality(photo, tmp_path) -> None:
    from invcodec_cli.codec_commands import compress
    from invcodec.quantizer import TUNINGS

    assert list(next(o for o in compress.params if o.name == "tune").type.choices) == list(TUNINGS)  # the CLI's copy of the names
    from invcodec.registry import DEFAULT_LOSSY_MODEL, DEFAULT_MODEL

    model_help = next(o for o in compress.params if o.name == "model").help
    assert f"[default: {DEFAULT_MODEL}, with -q {DEFAULT_LOSSY_MODEL}]" in model_help  # and of the defaults
    files = {}
    for tune in ("psnr", "ms-ssim"):
        files[tune] = tmp_path / f"{tune}.inv"
        r = invcodec("compress", str(photo), "-q", "40", "--tune", tune, "-o", str(files[tune]))
        assert r.returncode == 0, r.stderr
        assert invcodec("decompress", str(files[tune]), "-o", str(tmp_path / f"{tune}.png")).returncode == 0
    assert files["ms-ssim"].stat().st_size < files["psnr"].stat().st_size
    r = invcodec("compress", str(photo), "--tune", "ms-ssim", "-o", str(tmp_path / "lossless.inv"))
    assert r.returncode == 1 and r.stderr.strip() == "invcodec: error: --tune is for lossy files: give -q too"
    assert not (tmp_path / "lossless.inv").exists()


def test_lossy_output_format_is_refused(photo, tmp_path) -> None:
    assert invcodec("compress", str(photo), *MODEL).returncode == 0
    r = invcodec("decompress", str(tmp_path / "photo.inv"), "-o", str(tmp_path / "x.jpg"))
    assert r.returncode != 0 and "lossless" in r.stderr


def test_batch_continues_past_bad_files_and_fails_at_the_end(tmp_path) -> None:
    for i in range(2):
        Image.fromarray(smooth_image(20, 24, 3, seed=i)).save(tmp_path / f"ok{i}.png")
    (tmp_path / "bad.png").write_bytes(b"nope")
    r = invcodec("compress", str(tmp_path), *MODEL, "-j", "2")
    assert r.returncode == 1
    assert (tmp_path / "ok0.inv").exists() and (tmp_path / "ok1.inv").exists() and not (tmp_path / "bad.inv").exists()
    assert "1 of 3 files failed" in r.stderr and "bad.png" in r.stderr and "Traceback" not in r.stderr
    out = tmp_path / "out"
    out.mkdir()
    r = invcodec("decompress", str(tmp_path / "ok0.inv"), str(tmp_path / "ok1.inv"), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["ok0.png", "ok1.png"]


def test_stdin_to_stdout(photo) -> None:
    encoded = subprocess.run([sys.executable, "-m", "invcodec_cli.main", "compress", "-", *MODEL], input=photo.read_bytes(),
                             capture_output=True, check=True).stdout
    assert encoded.startswith(b"\x89INV")
    decoded = subprocess.run([sys.executable, "-m", "invcodec_cli.main", "decompress", "-"], input=encoded,
                             capture_output=True, check=True).stdout
    import io

    assert np.array_equal(np.asarray(Image.open(io.BytesIO(decoded))), np.asarray(Image.open(photo)))


def test_c_writes_to_stdout_like_o_dash(photo, tmp_path) -> None:
    encoded = subprocess.run([sys.executable, "-m", "invcodec_cli.main", "compress", "-c", str(photo), *MODEL],
                             capture_output=True, check=True).stdout
    decoded = subprocess.run([sys.executable, "-m", "invcodec_cli.main", "decompress", "-c", "-"], input=encoded,
                             capture_output=True, check=True).stdout
    import io

    assert np.array_equal(np.asarray(Image.open(io.BytesIO(decoded))), np.asarray(Image.open(photo)))
    r = invcodec("compress", "-c", "-o", str(tmp_path / "x.inv"), str(photo), *MODEL)
    assert r.returncode == 1 and one_error_line(r.stderr, "give one of them") and not (tmp_path / "x.inv").exists()


def test_several_inputs_need_a_folder_for_o(photo, tmp_path) -> None:
    r = invcodec("compress", str(photo), str(photo), *MODEL, "-o", str(tmp_path / "x.inv"))
    assert r.returncode != 0 and "existing folder" in r.stderr


@pytest.mark.slow
@pytest.mark.torch
def test_sample_interpolate_score(photo, tmp_path) -> None:
    r = invcodec("sample", "-n", "4", "--size", "32", "--seed", "3", "-o", str(tmp_path / "s.png"))
    assert r.returncode == 0, r.stderr
    first = (tmp_path / "s.png").read_bytes()
    assert invcodec("sample", "-n", "4", "--size", "32", "--seed", "3", "-o", str(tmp_path / "s.png"), "--force").returncode == 0
    assert (tmp_path / "s.png").read_bytes() == first  # --seed reproduces
    assert Image.open(tmp_path / "s.png").size == (2 * 32 + 2, 2 * 32 + 2)
    r = invcodec("interpolate", str(photo), str(photo), "--steps", "3", "--size", "32", "-o", str(tmp_path / "i.png"))
    assert r.returncode == 0, r.stderr
    assert Image.open(tmp_path / "i.png").size == (3 * 32 + 2 * 2, 32)
    r = invcodec("interpolate", str(photo), str(photo), "--space", "latents", "--size", "32", "-o", str(tmp_path / "j.png"))
    assert r.returncode == 0, r.stderr
    r = invcodec("interpolate", str(photo), str(photo), "--space", "pixels", "-o", str(tmp_path / "k.png"))
    assert r.returncode != 0 and "pixels" in r.stderr and not (tmp_path / "k.png").exists()
    noise = tmp_path / "noise.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 56, 3), dtype=np.uint8)).save(noise)
    r = invcodec("score", str(noise), str(photo), "--json")
    ranked = json.loads(r.stdout)
    assert [Path(x["image"]).name for x in ranked] == ["photo.png", "noise.png"]
    r = invcodec("score", str(tmp_path / "missing.png"))
    assert r.returncode != 0 and "no such file" in r.stderr
    # the torch check of test_coding_commands_never_import_torch can fail: score loads torch
    assert "torch" in torch_modules_after(["score", str(photo), "-m", "photo-v1"])


def test_bench_dispatches_to_the_benchmarks(tmp_path) -> None:
    from invcodec_cli.bench import BENCHMARKS

    r = invcodec("bench", "fuzz", "--model", "photo-v1", "--cases", "10", "--out", str(tmp_path / "f.json"))
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "f.json").read_text())["cases"] == 10
    r = invcodec("bench", "conv-speed", "--size", "16x8", "--repeats", "1", "--no-torch", "--out", str(tmp_path / "c.json"))
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "c.json").read_text())["benchmark"] == "conv_speed"
    r = invcodec("bench", "startup", "--help")
    assert r.returncode == 0 and "torch" in r.stdout
    help_text = invcodec("bench", "--help").stdout
    assert all(f"\n  {name} " in help_text for name in BENCHMARKS)  # the help lists every benchmark
    assert invcodec("bench", "nope").returncode != 0
    r = invcodec("bench", "fuzz", "--model", "no-such-model", "--cases", "1")
    assert r.returncode != 0 and "unknown model 'no-such-model'" in r.stderr and len(r.stderr.strip().splitlines()) == 1


# Runs CLI commands (a JSON list of argument lists) in one fresh process, then prints the
# torch modules loaded by then.
TORCH_AFTER = """
import json, sys
from invcodec_cli.main import main
for args in json.loads(sys.argv[1]):
    try:
        main(args, prog_name="invcodec", standalone_mode=False)
    except SystemExit as e:
        assert not e.code, (args, e.code)
print(json.dumps(sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))))
"""


def torch_modules_after(*commands: list[str]) -> list[str]:
    r = subprocess.run([sys.executable, "-c", TORCH_AFTER, json.dumps(commands)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_coding_commands_never_import_torch(photo, tmp_path, int8_model_file) -> None:
    f = lambda name: str(tmp_path / name)  # noqa: E731
    int8 = str(int8_model_file)
    assert torch_modules_after(
        ["compress", str(photo), "-m", "photo-v1", "--flow-only", "-o", f("a.inv")],
        ["decompress", f("a.inv"), "-o", f("a.png")],
        ["info", f("a.inv")],
        ["compress", str(photo), "-q", "40", "-m", "photo-lossy-v1", "-o", f("b.inv")],
        ["decompress", f("b.inv"), "-o", f("b.png")],
        ["compress", str(photo), "-m", int8, "-t", "2", "--flow-only", "-o", f("c.inv")],
        ["decompress", f("c.inv"), "-m", int8, "-o", f("c.png")],
        ["info", f("c.inv"), "--json"],
    ) == []
    original = np.asarray(Image.open(photo))
    for name in ("a", "c"):  # the commands really ran, on flow streams
        assert np.array_equal(np.asarray(Image.open(tmp_path / f"{name}.png")), original)
        assert "flow" in stream_kinds(tmp_path / f"{name}.inv")
    assert Image.open(tmp_path / "b.png").size == (56, 40)
    # that the check can fail is shown in test_sample_interpolate_score (score loads torch)


@pytest.mark.parametrize("model", ["photo-v1", "tiny-int8"])
def test_thread_count_changes_no_byte(tmp_path, model, int8_model_file) -> None:
    """Tiles coded in parallel: -t 1 and -t 2 write the same files and decode the same pixels."""
    m = str(int8_model_file) if model == "tiny-int8" else model
    samples = smooth_image(16, 520, 4, seed=2)  # two 512-px tiles, each with colour and (varying) alpha
    samples[..., 3] = np.clip(samples[..., 3], 100, 255)
    Image.fromarray(samples, "RGBA").save(tmp_path / "wide.png")
    f = lambda name: str(tmp_path / name)  # noqa: E731
    assert torch_modules_after(  # one process for the four commands: start-up is most of their time
        ["compress", f("wide.png"), "-m", m, "-t", "1", "--flow-only", "-o", f("t1.inv")],
        ["compress", f("wide.png"), "-m", m, "-t", "2", "--flow-only", "-o", f("t2.inv")],
        ["decompress", f("t1.inv"), "-m", m, "-t", "1", "-o", f("t1.png")],
        ["decompress", f("t2.inv"), "-m", m, "-t", "2", "-o", f("t2.png")],
    ) == []
    assert (tmp_path / "t1.inv").read_bytes() == (tmp_path / "t2.inv").read_bytes()
    assert "flow" in stream_kinds(tmp_path / "t1.inv")
    for t in ("1", "2"):
        assert np.array_equal(np.asarray(Image.open(tmp_path / f"t{t}.png")), samples)
    r = invcodec("compress", str(tmp_path / "wide.png"), "-m", m, "-t", "0", "-o", str(tmp_path / "t0.inv"))
    assert r.returncode == 2 and "threads" in r.stderr and not (tmp_path / "t0.inv").exists()


def test_model_file_round_trip_and_missing_model(photo, tmp_path, int8_model_file) -> None:
    """-m PATH works both ways; without it, the decoder cannot find an unshipped model: one line."""
    inv = tmp_path / "x.inv"
    assert invcodec("compress", str(photo), "-m", str(int8_model_file), "--flow-only", "-o", str(inv)).returncode == 0
    model_id = json.loads(invcodec("info", str(inv), "--json").stdout)["model_id"]
    r = invcodec("decompress", str(inv), "-o", str(tmp_path / "x.png"))
    assert r.returncode == 1 and model_id in r.stderr and "not installed" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "x.png").exists()
    r = invcodec("decompress", str(inv), "-m", "photo-v1", "-o", str(tmp_path / "x.png"))
    assert r.returncode == 1 and "different model" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert invcodec("decompress", str(inv), "-m", str(int8_model_file), "-o", str(tmp_path / "x.png")).returncode == 0
    assert np.array_equal(np.asarray(Image.open(tmp_path / "x.png")), np.asarray(Image.open(photo)))


@pytest.mark.torch
def test_generative_commands_fail_in_one_line_on_bad_models(tmp_path) -> None:
    """In-process (CliRunner): torch is loaded here already, so this stays fast."""
    from click.testing import CliRunner
    from safetensors.numpy import save_file

    from invcodec_cli.main import main

    from invcodec.model_file import FILE_FORMAT

    from .fixtures.make_models import TINY_CONFIG

    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"this is not a safetensors file")
    wrong = tmp_path / "wrong.safetensors"  # a model file whose tensors do not fit its config
    save_file({"x": np.zeros(2, np.float32)}, str(wrong), metadata={"format": FILE_FORMAT, "config": TINY_CONFIG.to_json()})
    for model, message in (("no-such-model", "unknown model"), (str(garbage), "is not an invcodec model file"),
                           (str(wrong), "is missing")):
        out = tmp_path / "s.png"
        r = CliRunner().invoke(main, ["sample", "-m", model, "-n", "1", "--size", "32", "-o", str(out)])
        assert r.exit_code == 1 and r.stderr.startswith("invcodec: error:") and message in r.stderr, (model, r.output)
        assert len(r.stderr.strip().splitlines()) == 1 and not out.exists()


# --- unusual and hostile input (issue 14): nothing silently lost, nothing clobbered -------


def run_in_process(*args: str):
    """The command in this process (faster than a subprocess; models stay cached)."""
    from click.testing import CliRunner

    from invcodec_cli.main import main

    return CliRunner().invoke(main, list(args))


def one_error_line(stderr: str, *words: str) -> bool:
    lines = stderr.strip().splitlines()
    return (len(lines) == 1 and lines[0].startswith("invcodec: error:") and "Traceback" not in stderr
            and all(w in lines[0] for w in words))


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_every_lossless_output_format_is_exact_or_refused(tmp_path, channels) -> None:
    """Every format decompress offers, every channel count: the file reads back with the
    same mode and samples, or it is refused in one line and not written."""
    from invcodec_cli.io import LOSSLESS_OUTPUTS

    samples = np.random.default_rng(channels).integers(0, 256, (9, 13, channels), dtype=np.uint8)
    if channels in (2, 4):
        samples[0, :, -1] = 0  # fully transparent pixels whose colour must survive (WebP's "exact")
    mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[channels]
    Image.fromarray(samples if channels > 1 else samples[..., 0], mode).save(tmp_path / "in.png")
    assert run_in_process("compress", str(tmp_path / "in.png"), *MODEL).exit_code == 0
    kept = []
    for suffix in LOSSLESS_OUTPUTS:
        out = tmp_path / f"out{suffix}"
        r = run_in_process("decompress", str(tmp_path / "in.inv"), "-o", str(out))
        if r.exit_code == 0:
            with Image.open(out) as back:
                assert back.mode == mode, suffix
                assert np.array_equal(np.asarray(back).reshape(samples.shape), samples), suffix
            kept.append(suffix)
        else:
            assert one_error_line(r.stderr, str(out), "use .png") and not out.exists(), (suffix, r.stderr)
    assert {".png", ".tif", ".tiff"} <= set(kept)
    assert (".webp" in kept) == (channels >= 3) and (".bmp" in kept) == (channels in (1, 3))


def test_colour_key_frames_icc_exif_and_xmp_through_the_command_line(tmp_path) -> None:
    from PIL import ImageCms, PngImagePlugin

    rgb = smooth_image(10, 12, 3)
    Image.fromarray(rgb).save(tmp_path / "key.png", transparency=tuple(int(v) for v in rgb[2, 3]))
    r = run_in_process("compress", str(tmp_path / "key.png"), *MODEL)
    assert r.exit_code == 0, r.output
    assert run_in_process("decompress", str(tmp_path / "key.inv"), "-o", str(tmp_path / "key-back.png")).exit_code == 0
    with Image.open(tmp_path / "key-back.png") as back:
        assert back.mode == "RGBA" and np.array_equal(np.asarray(back), np.asarray(Image.open(tmp_path / "key.png").convert("RGBA")))
    frames = [Image.fromarray(smooth_image(8, 8, 3, seed=i)) for i in range(4)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    r = run_in_process("compress", str(tmp_path / "anim.gif"), *MODEL)
    assert r.exit_code == 1 and one_error_line(r.stderr, "anim.gif", "4 frames") and not (tmp_path / "anim.inv").exists()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x0112] = 8
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">\xc3\xa9t\xc3\xa9</x:xmpmeta>'
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp)
    frames[0].save(tmp_path / "meta.png", icc_profile=icc, exif=exif, pnginfo=info)
    r = run_in_process("compress", str(tmp_path / "meta.png"), *MODEL)
    assert r.exit_code == 0 and (tmp_path / "meta.inv").exists()
    assert "warning" not in r.stderr  # the ICC profile, EXIF (its orientation too) and XMP are kept
    info = json.loads(run_in_process("info", str(tmp_path / "meta.inv"), "--json").stdout)
    assert info["format_version"] == 3 and info["icc_profile_bytes"] == len(icc) and info["xmp_bytes"] == len(xmp)
    assert info["exif_bytes"] == len(exif.tobytes()) - 6 and info["orientation"].startswith("8 (rotated 270 CW")
    for suffix in (".png", ".webp", ".tif"):  # outputs that hold them get them back, byte for byte
        out = tmp_path / f"meta-back{suffix}"
        r = run_in_process("decompress", str(tmp_path / "meta.inv"), "-o", str(out))
        with Image.open(out) as back:
            assert back.info["icc_profile"] == icc and back.info["xmp"] == xmp
            assert np.array_equal(np.asarray(back), np.asarray(frames[0]))  # the orientation never applied
            if suffix == ".tif":  # TIFF holds EXIF as tags of its own: not written, and said
                assert r.exit_code == 0 and "not kept: the EXIF data (TIFF" in r.stderr and "exif" not in back.info
            else:
                assert r.exit_code == 0 and "warning" not in r.stderr, r.stderr
                assert back.info["exif"].removeprefix(b"Exif\0\0") == exif.tobytes()[6:]
    r = run_in_process("decompress", str(tmp_path / "meta.inv"), "-o", str(tmp_path / "meta-back.bmp"))
    assert r.exit_code == 0  # BMP cannot: said, not silent
    assert "not kept: the ICC colour profile and the EXIF data and the XMP data (BMP" in r.stderr


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_16_bit_images_round_trip_through_png_and_tiff(tmp_path, channels: int) -> None:
    import png

    deep = (smooth_image(20, 24, channels, seed=channels).astype(np.uint16) * 257) ^ \
        np.random.default_rng(channels).integers(0, 64, (20, 24, channels), dtype=np.uint16)
    png.Writer(24, 20, greyscale=channels < 3, alpha=channels in (2, 4), bitdepth=16).write(
        open(tmp_path / "deep.png", "wb"), deep.reshape(20, -1))
    r = run_in_process("compress", str(tmp_path / "deep.png"), *MODEL)
    assert r.exit_code == 0 and "16-bit" in r.output, r.output
    assert json.loads(run_in_process("info", str(tmp_path / "deep.inv"), "--json").stdout)["bit_depth"] == 16
    from invcodec import pixels

    for suffix in (".png", ".tif"):
        out = tmp_path / f"back{suffix}"
        r = run_in_process("decompress", str(tmp_path / "deep.inv"), "-o", str(out))
        assert r.exit_code == 0, r.output
        back = pixels.intake(out, "test").samples
        assert back.dtype == np.uint16 and np.array_equal(back, deep)
    for suffix in (".bmp", ".webp"):
        r = run_in_process("decompress", str(tmp_path / "deep.inv"), "-o", str(tmp_path / f"back{suffix}"))
        assert r.exit_code == 1 and one_error_line(r.stderr, "8 bits per sample", "16")
    r = run_in_process("compress", str(tmp_path / "deep.png"), "-q", "50", "-o", str(tmp_path / "lossy.inv"))
    assert r.exit_code == 1 and one_error_line(r.stderr, "losslessly only")


def test_outputs_are_never_clobbered(tmp_path) -> None:
    photo = tmp_path / "p.png"
    Image.fromarray(smooth_image(10, 12, 3)).save(photo)
    original = photo.read_bytes()
    assert run_in_process("compress", str(photo), *MODEL).exit_code == 0
    # the default output of decompress is the source's name: refused, and it says why
    r = run_in_process("decompress", str(tmp_path / "p.inv"))
    assert r.exit_code == 1 and one_error_line(r.stderr, "p.png exists", "made from", "-o") and photo.read_bytes() == original
    # a FIFO (or device) is never turned into a regular file, even with -f
    os.mkfifo(tmp_path / "fifo.inv")
    for target in (str(tmp_path / "fifo.inv"), "/dev/null"):
        r = run_in_process("compress", str(photo), *MODEL, "-o", target, "-f")
        assert r.exit_code == 1 and one_error_line(r.stderr, target, "not a regular file")
    assert (tmp_path / "fifo.inv").is_fifo()
    # two inputs, one output name: refused before anything is written
    Image.fromarray(smooth_image(10, 12, 3)).save(tmp_path / "x.png")
    Image.fromarray(smooth_image(10, 12, 3)).save(tmp_path / "x.bmp")
    r = run_in_process("compress", str(tmp_path / "x.png"), str(tmp_path / "x.bmp"), *MODEL)
    assert r.exit_code == 1 and one_error_line(r.stderr, "both be written to") and not (tmp_path / "x.inv").exists()
    # an output that is an input, even with -f
    r = run_in_process("compress", str(photo), *MODEL, "-o", str(photo), "-f")
    assert r.exit_code == 1 and "is an input" in r.stderr and photo.read_bytes() == original
    # -o newdir/ is a folder: never a file named newdir
    r = run_in_process("compress", str(photo), *MODEL, "-o", f"{tmp_path}/newdir/")
    assert r.exit_code == 1 and one_error_line(r.stderr, "no such folder") and not (tmp_path / "newdir").exists()
    # a 250-character name
    long = tmp_path / ("l" * 246 + ".png")
    long.write_bytes(original)
    r = run_in_process("compress", str(long), *MODEL)
    assert r.exit_code == 0, r.output
    assert long.with_suffix(".inv").exists()


def test_decompress_reads_no_more_than_the_header_says(tmp_path) -> None:
    """/dev/zero would otherwise be read until memory runs out."""
    r = invcodec("decompress", "/dev/zero", "-o", str(tmp_path / "z.png"))
    assert r.returncode == 1 and one_error_line(r.stderr, "/dev/zero", "not an invcodec file")
    r = invcodec("info", "/dev/zero")
    assert r.returncode == 1 and one_error_line(r.stderr, "/dev/zero", "not an invcodec file")


def test_sample_refuses_a_huge_grid_before_loading_anything(tmp_path) -> None:
    r = run_in_process("sample", "-n", "1024", "--size", "1024", "-o", str(tmp_path / "s.png"))
    assert r.exit_code == 1 and one_error_line(r.stderr, "1074 MP", "at most 67 MP") and not (tmp_path / "s.png").exists()


def _compress_raising(tmp_path, monkeypatch, exc: type[BaseException]):
    """``invcodec compress p.png`` while the codec raises ``exc``: (result, p.png)."""
    import invcodec.codec

    photo = tmp_path / "p.png"
    Image.fromarray(smooth_image(10, 12, 3)).save(photo)

    def failing(*args, **kwargs):
        raise exc

    monkeypatch.setattr(invcodec.codec, "compress_samples", failing)
    return run_in_process("compress", str(photo), *MODEL), photo


def test_memory_error_and_bad_model_files_are_one_line(tmp_path, monkeypatch) -> None:
    r, photo = _compress_raising(tmp_path, monkeypatch, MemoryError)
    assert r.exit_code == 1 and one_error_line(r.stderr, "p.png", "out of memory") and not (tmp_path / "p.inv").exists()
    monkeypatch.undo()
    bad_json = tmp_path / "bad.safetensors"
    from safetensors.numpy import save_file

    from invcodec.model_file import FILE_FORMAT

    save_file({"x": np.zeros(2, np.float32)}, str(bad_json), metadata={"format": FILE_FORMAT, "config": "{not json"})
    for model in (str(bad_json), str(photo)):
        r = run_in_process("compress", str(photo), "-m", model, "-o", str(tmp_path / "y.inv"))
        assert r.exit_code == 1 and one_error_line(r.stderr, model) and not (tmp_path / "y.inv").exists(), r.stderr


def test_ctrl_c_exits_130_without_traceback_or_partial_file(tmp_path, monkeypatch) -> None:
    r, _ = _compress_raising(tmp_path, monkeypatch, KeyboardInterrupt)
    assert r.exit_code == 130 and "Traceback" not in r.output and "Aborted" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.png"]


def test_errors_name_their_file_and_batches_report_as_they_go(tmp_path) -> None:
    (tmp_path / "bad.inv").write_bytes(b"\x89INV\r\n\x1a\n\x03\x00\x03\x10")  # ends inside the header
    r = run_in_process("decompress", str(tmp_path / "bad.inv"), "-o", str(tmp_path / "bad.png"))
    assert r.exit_code == 1 and one_error_line(r.stderr, "bad.inv", "truncated")
    r = run_in_process("info", str(tmp_path / "bad.inv"))
    assert r.exit_code == 1 and one_error_line(r.stderr, "bad.inv", "truncated")


def test_binary_output_to_a_terminal_is_refused(photo, tmp_path) -> None:
    import pty

    leader, follower = pty.openpty()
    try:
        r = subprocess.run([sys.executable, "-m", "invcodec_cli.main", "compress", str(photo), *MODEL, "-o", "-"],
                           stdout=follower, stderr=subprocess.PIPE, text=True)
    finally:
        os.close(follower)
        os.close(leader)
    assert r.returncode == 1 and one_error_line(r.stderr, "terminal")


def test_status_lines_go_to_stderr_and_a_broken_pipe_is_quiet(photo, tmp_path) -> None:
    r = subprocess.run([sys.executable, "-m", "invcodec_cli.main", "compress", str(photo), *MODEL, "-o", "-"],
                       capture_output=True)
    assert r.returncode == 0 and r.stdout.startswith(b"\x89INV") and b"-> -:" in r.stderr and b"bits" not in r.stdout
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written, like `| head -c 0`
    try:
        r = subprocess.run([sys.executable, "-m", "invcodec_cli.main", "compress", str(photo), *MODEL, "-o", "-"],
                           stdout=write_end, stderr=subprocess.PIPE, text=True)
    finally:
        os.close(write_end)
    assert r.returncode == 141 and r.stderr == "", r.stderr


@pytest.mark.slow
def test_ctrl_c_stops_parallel_workers_quietly(tmp_path) -> None:
    """A real SIGINT to the process group during `-j 2`: exit 130, nothing on stderr, no
    temporary or partial file, no worker left running."""
    import signal
    import time

    for i in range(4):
        Image.fromarray(np.random.default_rng(i).integers(0, 256, (400, 400, 3), dtype=np.uint8)).save(tmp_path / f"n{i}.png")
    p = subprocess.Popen([sys.executable, "-m", "invcodec_cli.main", "compress", str(tmp_path), *MODEL, "-j", "2"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(2.5)
    os.killpg(p.pid, signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130 and err == "", err
    for path in tmp_path.iterdir():  # only the inputs, and whole outputs of files that finished
        assert path.suffix in (".png", ".inv") and not path.name.startswith(".")
    with pytest.raises(ProcessLookupError):
        os.killpg(p.pid, 0)  # the group (the workers) is gone



@pytest.mark.slow
@pytest.mark.parametrize("command", ["compress", "decompress"])
def test_a_stop_signal_during_threaded_tile_coding_ends_promptly_with_no_output(tmp_path, command) -> None:
    """SIGTERM while `--threads 2` codes tiles in threads: the kernel may hand it to a tile
    thread, which does not wake the main thread's wait; that wait ends with the tile in hand,
    so the stop is at most a tile late: exit 143, no traceback, no output, no temporary file."""
    import signal
    import time

    import invcodec

    rng = np.random.default_rng(0)
    ramp = np.add.outer(np.arange(3072), np.arange(4096))[..., None] * [1, 2, 3] // 16  # 48 tiles: several seconds
    pixels = (ramp % 256 + rng.normal(0, 6, ramp.shape[:2] + (3,))).clip(0, 255).astype(np.uint8)
    source = tmp_path / "big.png"
    Image.fromarray(pixels).save(source)
    if command == "decompress":
        source = tmp_path / "big.inv"
        source.write_bytes(invcodec.compress(pixels, threads=2))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / ("big.inv" if command == "compress" else "big.png")
    p = subprocess.Popen([sys.executable, "-m", "invcodec_cli.main", command, str(source), "-o", str(target),
                          "--threads", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2)
    p.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    out, err = p.communicate(timeout=60)
    assert p.returncode == 128 + signal.SIGTERM and "Traceback" not in err, err
    assert time.monotonic() - sent < 4  # a tile or so (under a second here), not the rest of the image (10 s and more)
    assert list(out_dir.iterdir()) == []


def test_compress_help_names_the_registrys_default_models() -> None:
    from invcodec.registry import DEFAULT_LOSSY_MODEL, DEFAULT_MODEL

    help_text = "".join(invcodec("compress", "--help").stdout.split())  # click wraps lines, even inside names
    assert f"[default:{DEFAULT_MODEL},with-q{DEFAULT_LOSSY_MODEL}]" in help_text


def test_the_command_line_starts_without_numpy_or_torch() -> None:
    """`invcodec --help` and `info` start fast: numpy, PIL, torch and the codec load inside the commands."""
    code = ("import sys, invcodec_cli.main; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'torch', 'PIL', 'invcodec')))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stdout + r.stderr


def test_the_cli_modules_import_each_other_without_a_cycle() -> None:
    """Every import inside the package, at any depth in a module, goes one way."""
    import ast
    import graphlib

    folder = Path(__file__).resolve().parents[1] / "cli"
    graph = {}
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text())
        graph[path.stem] = {(node.module or alias.name).split(".")[0] for node in ast.walk(tree)
                            if isinstance(node, ast.ImportFrom) and node.level == 1 for alias in node.names}
    assert {"main", "restore", "io", "batch"} <= set(graph) and graph["restore"] >= {"io", "batch"}
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError on a cycle
    assert not any("main" in imported for imported in graph.values())  # main only registers the commands


def test_a_palette_with_alpha_keeps_it_through_the_command_line(tmp_path) -> None:
    """Issue 40: a TGA with a 32-bit colour map was stored as RGB, its alpha dropped without a word."""
    rgba = np.random.default_rng(3).integers(0, 256, (10, 12, 4), dtype=np.uint8)
    quantized = Image.fromarray(rgba, "RGBA").quantize()
    quantized.save(tmp_path / "map.tga")
    assert run_in_process("compress", str(tmp_path / "map.tga"), *MODEL).exit_code == 0
    assert run_in_process("decompress", str(tmp_path / "map.inv"), "-o", str(tmp_path / "back.png")).exit_code == 0
    with Image.open(tmp_path / "back.png") as back:
        assert back.mode == "RGBA" and np.array_equal(np.asarray(back), np.asarray(quantized.convert("RGBA")))


def test_info_takes_several_files_and_goes_on_past_a_bad_one(tmp_path) -> None:
    image = tmp_path / "a.png"
    Image.fromarray(smooth_image(24, 32)).save(image)
    assert run_in_process("compress", str(image), "-o", str(tmp_path / "a.inv")).exit_code == 0
    good, bad = str(tmp_path / "a.inv"), str(tmp_path / "missing.inv")
    r = run_in_process("info", good, bad, good, "--json")
    assert r.exit_code == 1 and [x["file"] for x in json.loads(r.stdout)] == [good, good]
    assert one_error_line(r.stderr, "missing.inv", "no such file")
    single = run_in_process("info", good, "--json")
    assert single.exit_code == 0 and json.loads(single.stdout)["file"] == good  # one file: one object, as before
    text = run_in_process("info", good, good)
    assert text.exit_code == 0 and text.stdout.count("pixel_crc32") == 2
