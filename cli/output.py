"""Safe output files: never a partial file, never an overwrite without --force."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class OutputExistsError(FileExistsError):
    pass


def write_atomic(path: Path, data: bytes, force: bool) -> None:
    """Write ``data`` to a temporary file beside ``path``, then move it into place.

    Without ``force`` the final step is a hard link, which fails if ``path`` exists (even
    if it appeared meanwhile); with ``force`` it is an atomic rename."""
    if path.exists() and not force:
        raise OutputExistsError(f"{path} exists (use --force to overwrite)")
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; a normal output file follows the umask
        if force:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise OutputExistsError(f"{path} exists (use --force to overwrite)") from None
            os.unlink(tmp)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
