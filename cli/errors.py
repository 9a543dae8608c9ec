"""How failures reach the user: an expected failure (a bad file, bad input) is one line on
stderr and exit status 1; only a bug shows a traceback."""

from __future__ import annotations

import errno
import functools

import click

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE


class Terminated(BaseException):
    """SIGTERM or SIGHUP: the command unwinds as for Ctrl-C (temporary files removed, worker
    processes stopped) and exits with 128 + the signal's number."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def stop_on_signals() -> None:
    """SIGTERM and SIGHUP raise ``Terminated`` in the main thread."""
    import signal

    def stop(signum, frame):
        raise Terminated(signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)


class CodecError(click.ClickException):
    """One line on stderr, exit status 1."""

    def show(self, file=None) -> None:
        click.echo(f"invcodec: error: {self.format_message()}", err=True)


def describe_failure(exc: BaseException) -> str | None:
    """The one-line message for an expected failure; None for a bug (let it surface)."""
    from invcodec.errors import InvalidFileError, UnsupportedImageError

    from .output import NotRegularFileError, OutputExistsError

    if isinstance(exc, BrokenPipeError) or getattr(exc, "errno", None) == errno.EPIPE:
        return None  # the reader went away: quiet, handled by the group
    if isinstance(exc, (InvalidFileError, UnsupportedImageError, OutputExistsError, NotRegularFileError, CodecError)):
        return exc.format_message() if isinstance(exc, CodecError) else str(exc)
    if isinstance(exc, MemoryError):
        return "out of memory (the image is too large for this machine; try fewer -j workers or -t threads)"
    if isinstance(exc, FileNotFoundError):
        return f"{exc.filename}: no such file"
    if isinstance(exc, IsADirectoryError):
        return f"{exc.filename}: is a directory"
    if isinstance(exc, PermissionError):
        return f"{exc.filename}: permission denied"
    if isinstance(exc, OSError):
        return f"{exc.filename}: {exc.strerror or exc}" if exc.filename else str(exc.strerror or exc)
    if isinstance(exc, ValueError):  # e.g. an unknown model name
        return str(exc)
    return None


def expected_failures(fn):
    """Expected failures (bad files, bad input) become one line and exit 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001
            message = describe_failure(exc)
            if message is None:
                raise
            raise CodecError(message) from None

    return wrapper


def report_failure(name, exc: Exception) -> None:
    """One item of several failed: its one line on stderr (the others go on); a bug re-raised."""
    message = describe_failure(exc)
    if message is None:
        raise exc
    label = "stdin" if str(name) == "-" else str(name)
    click.echo(f"invcodec: error: {message if label in message else f'{label}: {message}'}", err=True)


def one_line(text: str, limit: int = 200) -> str:
    """``text`` on one line of at most ``limit`` characters (a library's multi-line message)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."
