"""The options every file command shares (compress, decompress, restore ...), so that they
read and behave the same in each."""

from __future__ import annotations

from pathlib import Path

import click

inputs_argument = click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path, allow_dash=True))
output_option = click.option("-o", "--output", type=click.Path(allow_dash=True),
                             help="Output file ('-' for stdout), or an existing folder when there are several inputs.")
stdout_option = click.option("-c", "--stdout", is_flag=True, help="Write to stdout (the same as -o -).")
force_option = click.option("-f", "--force", is_flag=True, help="Overwrite outputs that exist.")
workers_option = click.option("-j", "--jobs", "workers", type=click.IntRange(1, 64), default=1, show_default=True,
                              help="Files processed in parallel (worker processes).")
threads_option = click.option("-t", "--threads", type=click.IntRange(1, 64), default=None,
                              help="Threads per file, tiles in parallel [default: one per core, at most 4; 1 with -j].")
cluster_option = click.option("--cluster", default=None, metavar="local:N|ADDRESS",
                              help="Run the batch on a Dask cluster: N worker processes here, or a scheduler's address "
                                   "(tcp://host:8786); resumable (--manifest). Needs invcodec[distributed].")
manifest_option = click.option("--manifest", default=None, type=click.Path(dir_okay=False),
                               help="With --cluster: the batch's record, read by a rerun to skip what is done "
                                    "[default: invcodec-manifest.jsonl beside the outputs].")
