"""cli/output.py: outputs are written whole or not at all, and only over regular files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from invcodec_cli.output import NotRegularFileError, OutputExistsError, check_replaceable, write_atomic, write_atomic_with


def test_writes_and_refuses_to_overwrite_without_force(tmp_path) -> None:
    out = tmp_path / "a.inv"
    write_atomic(out, b"one", force=False)
    with pytest.raises(OutputExistsError, match="exists"):
        write_atomic(out, b"two", force=False)
    assert out.read_bytes() == b"one"
    write_atomic(out, b"two", force=True)
    assert out.read_bytes() == b"two" and sorted(os.listdir(tmp_path)) == ["a.inv"]


def test_fifo_device_and_folder_are_never_replaced_even_with_force(tmp_path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    folder = tmp_path / "folder"
    folder.mkdir()
    for path, kind in ((fifo, "a FIFO"), (Path("/dev/null"), "a device"), (folder, "a folder")):
        for force in (False, True):
            with pytest.raises(NotRegularFileError, match=f"is {kind}, not a regular file"):
                write_atomic(path, b"data", force=force)
    assert Path(fifo).is_fifo() and folder.is_dir() and Path("/dev/null").is_char_device()
    assert sorted(os.listdir(tmp_path)) == ["fifo", "folder"]  # no temporary file left behind


def test_a_link_to_a_fifo_is_refused_and_a_regular_file_is_replaced(tmp_path) -> None:
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "link").symlink_to(tmp_path / "fifo")
    with pytest.raises(NotRegularFileError):
        check_replaceable(tmp_path / "link", force=True)
    (tmp_path / "file").write_bytes(b"x")
    check_replaceable(tmp_path / "file", force=True)  # no error
    check_replaceable(tmp_path / "new", force=False)


def test_a_name_near_the_length_limit_works(tmp_path) -> None:
    """The temporary file's name must not be longer than the output's (255 bytes at most)."""
    out = tmp_path / ("n" * 246 + ".inv")  # 250 characters
    write_atomic(out, b"data", force=False)
    assert out.read_bytes() == b"data" and os.listdir(tmp_path) == [out.name]


def test_an_interrupted_write_leaves_nothing(tmp_path, monkeypatch) -> None:
    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "chmod", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "a.inv", b"data", force=False)
    assert os.listdir(tmp_path) == []


def test_errors_name_the_output_not_the_temporary_file(tmp_path, monkeypatch) -> None:
    with pytest.raises(FileNotFoundError) as missing:
        write_atomic(tmp_path / "no-folder" / "x.inv", b"data", force=False)
    assert missing.value.filename == str(tmp_path / "no-folder" / "x.inv")

    real_fdopen = os.fdopen

    class FullDisk:  # the write itself fails, as on a full filesystem
        def __init__(self, fd, mode):
            self.file = real_fdopen(fd, mode)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.file.close()

        def write(self, data):
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fdopen", FullDisk)
    with pytest.raises(OSError) as full:
        write_atomic(tmp_path / "x.inv", b"data", force=False)
    assert full.value.errno == 28 and full.value.filename == str(tmp_path / "x.inv")
    assert not list(tmp_path.iterdir())  # no temporary file left behind


def test_content_written_by_a_filler_is_put_in_place_only_if_it_returns(tmp_path) -> None:
    def checked(f) -> None:  # writes, reads what it wrote back, then finds it wrong
        f.write(b"first half")
        f.seek(0)
        assert f.read() == b"first half"
        raise ValueError("the check failed")

    with pytest.raises(ValueError, match="the check failed"):
        write_atomic_with(tmp_path / "a.png", checked, force=False)
    assert os.listdir(tmp_path) == []
    write_atomic_with(tmp_path / "a.png", lambda f: f.write(b"whole"), force=False)
    assert (tmp_path / "a.png").read_bytes() == b"whole" and os.listdir(tmp_path) == ["a.png"]
