"""Standard streams the command cannot use: one line and exit 1, never a traceback (a
closed stdin or stdout, a full device); large PNG outputs written as they decode, and
the bound on outputs built in memory."""

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image


def _invcodec(*args: str, close: tuple[int, ...] = (), stdout=subprocess.PIPE):
    def closing() -> None:
        for fd in close:
            os.close(fd)

    return subprocess.run([sys.executable, "-m", "invcodec_cli.main", *args], stdout=stdout, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL if 0 not in close else None, preexec_fn=closing, text=True)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("io")
    image = np.add.outer(np.arange(24), np.arange(32))[..., None].repeat(3, axis=2).astype(np.uint8)
    Image.fromarray(image).save(folder / "a.png")
    assert _invcodec("compress", str(folder / "a.png"), "-o", str(folder / "a.inv")).returncode == 0
    return folder


def _one_line(stderr: str, *words: str) -> bool:
    lines = stderr.strip().splitlines()
    return len(lines) == 1 and lines[0].startswith("invcodec: error:") and all(w in lines[0] for w in words)


@pytest.mark.parametrize("args", [["info", "A.inv"], ["compress", "A.png", "-o", "-"], ["decompress", "A.inv", "-c"],
                                  ["sample", "-m", "photo-v4", "-n", "1", "--size", "16", "-o", "-"]])
def test_a_closed_stdout_is_one_line(files, args) -> None:
    r = _invcodec(*[a.replace("A.", str(files / "a.")) for a in args], close=(1,), stdout=None)
    assert r.returncode == 1 and _one_line(r.stderr, "standard output is closed")


@pytest.mark.parametrize("args", [["compress", "-", "-o", "OUT.inv"], ["decompress", "-", "-o", "OUT.png"], ["info", "-"]])
def test_a_closed_stdin_is_one_line(files, tmp_path, args) -> None:
    r = _invcodec(*[a.replace("OUT", str(tmp_path / "x")) for a in args], close=(0,))
    assert r.returncode == 1 and _one_line(r.stderr, "stdin", "closed") and not list(tmp_path.iterdir())


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
@pytest.mark.parametrize("args, words", [(["decompress", "A.inv", "-c"], ("stdout", "No space left")),
                                         (["info", "A.inv"], ("No space left",))])
def test_a_full_device_is_one_line_that_names_no_empty_file(files, args, words) -> None:
    with open("/dev/full", "w") as full:
        r = _invcodec(*[a.replace("A.", str(files / "a.")) for a in args], stdout=full)
    assert r.returncode == 1 and _one_line(r.stderr, *words) and ": :" not in r.stderr


def test_a_name_the_filesystem_refuses_is_one_line(files, tmp_path) -> None:
    long = str(tmp_path / ("n" * 300))
    r = _invcodec("compress", str(files / "a.png"), "-o", long + ".inv")
    assert r.returncode == 1 and _one_line(r.stderr, "File name too long")
    r = _invcodec("compress", long + ".png")
    assert r.returncode == 1 and _one_line(r.stderr) and "Traceback" not in r.stderr


def test_errors_say_what_to_do_instead(files, tmp_path) -> None:
    image = str(files / "a.png")
    r = _invcodec("compress", image, str(files / "a.png"), "-m", "no-such-model", "-o", str(tmp_path))
    assert r.returncode == 1 and _one_line(r.stderr, "unknown model 'no-such-model'")  # once, not once per file
    r = _invcodec("restore", "denoise", image, image, "-m", "no-such-model", "-o", str(tmp_path))
    assert r.returncode == 1 and _one_line(r.stderr, "unknown model 'no-such-model'")
    r = _invcodec("compress", image, "-o", "/dev/stdout")
    assert r.returncode == 1 and _one_line(r.stderr, "use -c")
    (tmp_path / "d1").mkdir()
    (tmp_path / "d2").mkdir()
    for d in ("d1", "d2"):
        (tmp_path / d / "x.inv").write_bytes((files / "a.inv").read_bytes())
    r = _invcodec("decompress", str(tmp_path / "d1" / "x.inv"), str(tmp_path / "d2" / "x.inv"), "-o", str(tmp_path))
    assert r.returncode == 1 and _one_line(r.stderr, "would both be written to", "each with its own -o")
    assert "compress" not in r.stderr


def test_the_command_reads_and_writes_every_size_the_format_holds(tmp_path) -> None:
    """Pillow's bomb guard (179 MP by default; 1000 pixels here, to keep the test small) is
    raised to the format's bound for the command's own reads and read-backs."""
    image = tmp_path / "a.png"
    Image.fromarray(np.zeros((40, 50, 3), np.uint8)).save(image)
    code = ("import sys; from PIL import Image; Image.MAX_IMAGE_PIXELS = 1000\n"
            "from invcodec_cli.main import main\n"
            "sys.exit(main(sys.argv[1:]))")
    for args in (["compress", str(image), "-o", str(tmp_path / "a.inv")], ["decompress", str(tmp_path / "a.inv"), "-o",
                                                                          str(tmp_path / "b.png")]):
        r = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
        assert r.returncode == 0 and "bomb" not in r.stderr, r.stderr
    assert np.array_equal(np.asarray(Image.open(tmp_path / "b.png")), np.zeros((40, 50, 3), np.uint8))


def _patched(settings: str, *args: str) -> subprocess.CompletedProcess:
    """The command with cli.io's memory policy set as ``settings`` says (small images, to test)."""
    code = f"import sys\nimport invcodec_cli.io as io\n{settings}\nfrom invcodec_cli.main import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)


@pytest.mark.parametrize("channels, deep", [(4, False), (3, True), (1, False)])
def test_a_png_written_as_it_decodes_holds_the_plain_paths_pixels_and_metadata(tmp_path, channels, deep) -> None:
    from invcodec import pixels
    from invcodec.codec import compress_samples

    from .conftest import smooth_image

    samples = smooth_image(150, 90, channels).astype(np.uint16 if deep else np.uint8) * (257 if deep else 1)
    exif = b"MM\x00*\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00"
    data, _ = compress_samples(samples, tile_size=64, icc_profile=b"a profile", exif=exif, xmp=b"<x:xmpmeta/>")
    (tmp_path / "a.inv").write_bytes(data)
    plain = _invcodec("decompress", str(tmp_path / "a.inv"), "-o", str(tmp_path / "plain.png"))
    streamed = _patched("io.STREAMED_ABOVE = 0", "decompress", str(tmp_path / "a.inv"), "-o", str(tmp_path / "streamed.png"))
    assert plain.returncode == streamed.returncode == 0, plain.stderr + streamed.stderr
    assert sorted(os.listdir(tmp_path)) == ["a.inv", "plain.png", "streamed.png"]
    back = [pixels.intake(str(tmp_path / name), "test") for name in ("plain.png", "streamed.png")]
    assert back[0].samples.tobytes() == back[1].samples.tobytes() == samples.tobytes()
    assert back[1].samples.dtype == samples.dtype
    assert (back[1].icc_profile, back[1].exif, back[1].xmp) == (b"a profile", exif, b"<x:xmpmeta/>")
    # the same report, but for the output's name and the time
    assert streamed.stdout.replace("streamed.png", "plain.png").split(",")[:2] == plain.stdout.split(",")[:2]


def test_a_wrong_pixel_crc_found_after_the_last_band_leaves_no_output(tmp_path) -> None:
    from invcodec import container

    header = container.Header(300, 200, 4, 64, b"", 12345)  # a wrong pixel CRC
    streams = [container.Stream(container.StreamKind.CONSTANT, p) for p in (b"\x10\x20\x30", b"\xff")] * header.tile_count
    (tmp_path / "bad.inv").write_bytes(container.pack(header, streams))
    (tmp_path / "old.png").write_bytes(b"kept as it was")
    for output in ("new.png", "old.png"):
        r = _patched("io.STREAMED_ABOVE = 0", "decompress", str(tmp_path / "bad.inv"), "-o", str(tmp_path / output),
                     "--force")
        assert r.returncode == 1 and _one_line(r.stderr, "bad.inv", "pixel checksum mismatch"), r.stderr
    assert sorted(os.listdir(tmp_path)) == ["bad.inv", "old.png"]
    assert (tmp_path / "old.png").read_bytes() == b"kept as it was"


def test_an_output_built_in_memory_is_refused_above_its_bound_naming_png(files, tmp_path) -> None:
    small = "io.HELD_AT_MOST = 1000"  # a.inv holds 24 x 32 x 3 = 2304 bytes of samples
    for output, words in ((str(tmp_path / "a.tif"), ("a.tif", "TIFF outputs", "use .png")),
                          ("-", ("stdout", "PNG outputs are built in memory", "-o FILE.png"))):
        r = _patched(small, "decompress", str(files / "a.inv"), "-o", output)
        assert r.returncode == 1 and _one_line(r.stderr, *words, "at most 0.000954 MiB"), r.stderr
    assert os.listdir(tmp_path) == []
    r = _patched(small + "\nio.STREAMED_ABOVE = 0", "decompress", str(files / "a.inv"), "-o", str(tmp_path / "a.png"))
    assert r.returncode == 0 and os.listdir(tmp_path) == ["a.png"], r.stderr
    assert _patched(small, "decompress", str(files / "a.inv"), "-o", str(tmp_path / "b.tif"), "--scale", "1/4").returncode == 1
