from __future__ import annotations

from pathlib import Path

import pytest

from invcodec.pixels import IMAGE_SUFFIXES
from invcodec_cli.batch import expand_inputs, output_for
from invcodec_cli.io import STDIO


def test_expand_folders_and_files(tmp_path) -> None:
    for name in ["b.png", "a.jpg", "c.inv", "notes.txt"]:
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in expand_inputs((tmp_path,), IMAGE_SUFFIXES)] == ["a.jpg", "b.png"]  # what compress reads
    assert [p.name for p in expand_inputs((tmp_path,), {".png"})] == ["b.png"]
    assert [p.name for p in expand_inputs((tmp_path,), {".inv"})] == ["c.inv"]
    assert expand_inputs((Path("x.png"),), {".png"}) == [Path("x.png")]
    with pytest.raises(ValueError, match="only input"):
        expand_inputs((STDIO, Path("x.png")), {".png"})
    with pytest.raises(ValueError, match="no input"):
        expand_inputs((tmp_path / "empty_dir_is_missing",) * 0, {".png"})


def test_output_paths(tmp_path) -> None:
    assert output_for(Path("d/a.png"), None, ".inv", 1) == Path("d/a.inv")
    assert output_for(Path("a.png"), Path("x.inv"), ".inv", 1) == Path("x.inv")
    assert output_for(Path("a.png"), tmp_path, ".inv", 1) == tmp_path / "a.inv"
    assert output_for(STDIO, None, ".inv", 1) == STDIO
    assert output_for(Path("a.png"), tmp_path, ".inv", 2) == tmp_path / "a.inv"
    with pytest.raises(ValueError, match="existing folder"):
        output_for(Path("a.png"), Path("x.inv"), ".inv", 2)


def test_a_trailing_slash_names_a_folder_that_must_exist(tmp_path) -> None:
    from invcodec_cli.batch import parse_output

    assert parse_output(None) is None and parse_output("x.inv") == Path("x.inv")
    assert parse_output(f"{tmp_path}/") == tmp_path
    with pytest.raises(ValueError, match="no such folder"):
        parse_output(f"{tmp_path}/newdir/")
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(ValueError, match="no such folder"):
        parse_output(f"{tmp_path}/file/")


def test_two_inputs_with_one_output_or_an_output_that_is_an_input_are_refused(tmp_path) -> None:
    from invcodec_cli.batch import check_distinct

    x_png, x_jpg = tmp_path / "x.png", tmp_path / "x.jpg"
    check_distinct([(x_png, x_png.with_suffix(".inv")), (tmp_path / "y.png", tmp_path / "y.inv")])
    with pytest.raises(ValueError, match="would both be written to"):
        check_distinct([(x_png, tmp_path / "x.inv"), (x_jpg, tmp_path / "x.inv")])
    with pytest.raises(ValueError, match="is an input"):
        check_distinct([(x_png, x_png)])
    check_distinct([(STDIO, STDIO)])


def test_a_folder_without_images_is_named_in_the_error(tmp_path) -> None:
    folder = tmp_path / "photo.png"  # a folder that looks like a file
    folder.mkdir()
    with pytest.raises(ValueError, match=r"no input files found in .*photo\.png \(folders are read for .*\.png"):
        expand_inputs((folder,), IMAGE_SUFFIXES)


def test_a_worker_coding_tiles_has_no_other_thread_to_take_its_stop_signal() -> None:
    """The kernel may hand a process's SIGTERM to any thread that does not block it, and only
    the main thread's wait is woken by it: a worker that codes tiles (their progress bar,
    disabled, is a tqdm one) must not start tqdm's monitor thread, or a stopped batch can hang."""
    import subprocess
    import sys

    code = ("import threading\n"
            "from invcodec_cli.batch import _worker_init\n"
            "_worker_init()\n"
            "from tqdm import tqdm\n"
            "bar = tqdm(total=2, disable=True)\n"
            "print(threading.active_count())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["1"]


@pytest.mark.slow
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_a_signal_stops_the_whole_batch_with_no_partial_or_late_file(tmp_path, signame) -> None:
    """The parent stops its workers before it exits (128 + the signal); what they were
    writing is removed, and nothing appears afterwards."""
    import signal
    import subprocess
    import sys
    import time

    import numpy as np
    from PIL import Image

    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    rng = np.random.default_rng(0)
    for i in range(16):  # several seconds' work however fast the machine: the signal comes mid-batch
        ramp = np.add.outer(np.arange(512), np.arange(768))[..., None] * [1, 2, 3] // 4
        Image.fromarray((ramp + rng.normal(0, 6, ramp.shape[:2] + (3,))).clip(0, 255).astype(np.uint8)).save(
            tmp_path / "in" / f"{i}.png")
    proc = subprocess.Popen([sys.executable, "-m", "invcodec_cli.main", "compress", str(tmp_path / "in"), "-o",
                             str(tmp_path / "out"), "-j", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline()  # the batch is under way: a file is done, the workers are busy with others
    proc.send_signal(getattr(signal, signame))
    out = first + proc.stdout.read()  # (through the same reader: readline may have buffered the next lines)
    err = proc.stderr.read()
    proc.wait(timeout=60)
    assert proc.returncode == 128 + getattr(signal, signame), err
    assert "Traceback" not in err
    done = sorted(p.name for p in (tmp_path / "out").iterdir())
    time.sleep(3)  # the workers are gone: no file appears late
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == done
    assert all(name.endswith(".inv") and not name.startswith(".") for name in done)  # no temporary file left
    assert 1 <= len(done) == out.count(" -> ") < 16  # every file there was reported finished, and the batch did stop


_STOPPED_BATCH = '''
import sys, time
from pathlib import Path
from invcodec_cli.batch import run_batch
from invcodec_cli.errors import Terminated, stop_on_signals

def job(inp, out, model, force):
    if inp.name == "a":
        out.write_bytes(b"whole")  # finished, but the stop comes before its result reaches the parent
    time.sleep(60)

if __name__ == "__main__":
    stop_on_signals()
    d = Path(sys.argv[1])
    try:
        run_batch(job, [(d / "a", d / "a.out"), (d / "b", d / "b.out")], None, False, 2)
    except Terminated:
        sys.exit(143)
'''


def test_a_file_a_worker_finished_as_the_batch_was_stopped_is_named(tmp_path) -> None:
    """Whatever the race between a worker's last file and the signal, every file left behind is reported."""
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "batch.py"
    script.write_text(_STOPPED_BATCH)
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path)], stdout=subprocess.PIPE, text=True)
    for _ in range(600):
        if (tmp_path / "a.out").exists():
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 143
    assert out.splitlines() == [f"{tmp_path / 'a'} -> {tmp_path / 'a.out'}: finished as the batch was stopped"]
