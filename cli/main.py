"""invcodec command line: the command group and its commands (thin click commands over
the library; each group of commands has its own module)."""

from __future__ import annotations

import errno
import os
import sys

import click

from .bench import bench
from .codec_commands import compress, decompress, info
from .errors import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, Terminated, one_line, stop_on_signals
from .generative import interpolate, sample, score
from .restore import restore
from .train import train


class _Main(click.Group):
    """Ctrl-C exits 130 and a closed stdout (``| head``) exits quietly: no traceback, and
    no partial output (files are written to a temporary name and renamed)."""

    def invoke(self, ctx: click.Context):
        import warnings

        def show_warning(message, category, filename, lineno, file=None, line=None):  # Pillow's warnings, e.g. corrupt EXIF
            click.echo(f"invcodec: warning: {one_line(str(message))}", err=True)

        warnings.showwarning = show_warning
        stop_on_signals()
        if sys.stdout is None and sys.stderr is not None:  # started with stdout closed (>&-): nowhere to report to
            click.echo("invcodec: error: standard output is closed; redirect it (e.g. >/dev/null) instead", err=True)
            sys.exit(1)
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            sys.exit(EXIT_INTERRUPTED)
        except Terminated as stopped:
            sys.exit(128 + stopped.signum)
        except OSError as e:
            if e.errno != errno.EPIPE:
                raise
            devnull = os.open(os.devnull, os.O_WRONLY)  # nothing more can reach the reader; silence the final flush
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(EXIT_BROKEN_PIPE)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="invcodec")
def main() -> None:
    """Image compression with an invertible neural network.

    \b
      invcodec compress photo.png            -> photo.inv (lossless)
      invcodec compress photo.png -q 50      -> photo.inv (lossy, quality 1..100)
      invcodec decompress photo.inv          -> photo.png
      invcodec info photo.inv                -> what the file holds
      invcodec compress photos/ -j 2         -> every image in photos/, 2 workers
      invcodec restore denoise noisy.png     -> noisy-denoised.png (also: restore jpeg, restore inpaint)
    """


for command in (compress, decompress, info, sample, interpolate, score, train, bench, restore):
    main.add_command(command)

if __name__ == "__main__":
    sys.exit(main())
