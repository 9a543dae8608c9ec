"""Safe output files: never a partial file, never an overwrite without --force, and never
a FIFO, device or folder replaced, even with it."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable

# mkstemp adds 8 random characters and ".tmp"; a name near the file system's 255-byte limit
# must not make the temporary name too long, so only this much of the name is kept in it.
_TEMP_NAME_KEEP = 64


class OutputExistsError(FileExistsError):
    pass


STDOUT_NAMES = ("/dev/stdout", "/dev/fd/1", "/proc/self/fd/1")


class NotRegularFileError(OSError):
    """The output path is a FIFO, a device, a socket or a folder: never replaced."""


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def check_replaceable(path: Path, force: bool, exists_hint: str = "use --force to overwrite") -> None:
    """Raise unless ``path`` may be written: it does not exist, or it is a regular file
    (or a link to one) and ``force`` is given."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):  # a dangling link: replacing it loses nothing, but only with --force
            if not force:
                raise OutputExistsError(f"{path} exists (a broken link; {exists_hint})") from None
        return
    if not stat.S_ISREG(st.st_mode):
        hint = "; to write to stdout, use -c (or -o -)" if str(path) in STDOUT_NAMES else ""
        raise NotRegularFileError(f"{path} is {_kind(st.st_mode)}, not a regular file: invcodec never replaces it{hint}")
    if not force:
        raise OutputExistsError(f"{path} exists ({exists_hint})")


def write_atomic(path: Path, data: bytes, force: bool) -> None:
    """Write ``data`` to a temporary file beside ``path``, then move it into place.

    Without ``force`` the final step is a hard link, which fails if ``path`` exists (even
    if it appeared meanwhile); with ``force`` it is an atomic rename, and only over a
    regular file."""
    write_atomic_with(path, lambda f: f.write(data), force)


def write_atomic_with(path: Path, fill: Callable[[BinaryIO], object], force: bool) -> None:
    """As ``write_atomic``, the content written by ``fill`` into the temporary file (open
    for reading too, to check what it wrote): if ``fill`` raises, nothing is written."""
    check_replaceable(path, force)
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:_TEMP_NAME_KEEP]}.", suffix=".tmp", dir=directory)
    except OSError as e:  # a missing folder, a read-only one: the output is what the user named
        raise _about(e, path) from None
    try:
        with os.fdopen(fd, "w+b") as f:
            fill(f)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; a normal output file follows the umask
        if force:
            check_replaceable(path, force)  # again, just before: it may have become a FIFO meanwhile
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise OutputExistsError(f"{path} exists (use --force to overwrite)") from None
            os.unlink(tmp)
    except BaseException as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(e, OSError) and e.errno is not None and e.filename in (None, tmp):
            raise _about(e, path) from None  # a full disk while writing: name the output, not the temporary file
        raise


def _about(error: OSError, path: Path) -> OSError:
    """``error`` as if about ``path`` (its errno and text kept)."""
    return type(error)(error.errno, error.strerror, str(path))
