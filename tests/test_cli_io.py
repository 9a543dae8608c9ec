"""Standard streams the command cannot use: one line and exit 1, never a traceback (a
closed stdin or stdout, a full device)."""

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
