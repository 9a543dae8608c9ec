"""`invcodec train`: the training script's own command line (it needs torch)."""

from __future__ import annotations

import click

from .errors import expected_failures


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@expected_failures
def train(args: tuple[str, ...]) -> None:
    """Train a model (same options as `python -m invcodec.training.train --help`)."""
    from invcodec.training.train import main as train_main

    train_main(list(args))
