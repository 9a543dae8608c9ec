"""Which files a command works on, and where each one's output goes."""

from __future__ import annotations

import os
from pathlib import Path

STDIO = Path("-")


def parse_output(raw: str | None) -> Path | None:
    """-o as typed. ``Path`` forgets a trailing slash, which says "a folder": then the
    folder must exist (never a file named like it)."""
    if raw is None:
        return None
    path = Path(raw)
    if raw.endswith(("/", os.sep)) and not path.is_dir():
        raise ValueError(f"{raw}: no such folder (create it first, or drop the trailing '/' to name a file)")
    return path


def expand_inputs(inputs: tuple[Path, ...], folder_suffixes: set[str]) -> list[Path]:
    """Files as given, folders replaced by their files with one of ``folder_suffixes``
    (sorted, not recursive)."""
    files: list[Path] = []
    for path in inputs:
        if path != STDIO and path.is_dir():
            files += sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in folder_suffixes)
        else:
            files.append(path)
    if STDIO in files and len(files) > 1:
        raise ValueError("'-' (stdin) must be the only input")
    if not files:
        suffixes = " ".join(sorted(folder_suffixes))
        raise ValueError(f"no input files found in {', '.join(map(str, inputs))} (folders are read for {suffixes})")
    return files


def output_for(input: Path, output: Path | None, suffix: str, count: int) -> Path:
    """The output path for one input: -o as given for one input, a file in folder -o, or
    the input's name with its extension replaced by ``suffix`` (".inv", or a tag and an
    extension: "-denoised.png"); stdin goes to stdout unless -o names a file."""
    if count > 1:
        if output is None:
            return input.with_name(input.stem + suffix)
        if output == STDIO or not output.is_dir():
            raise ValueError("with several inputs, -o must be an existing folder")
        return output / (input.stem + suffix)
    if output is not None:
        return output / (input.stem + suffix) if output != STDIO and output.is_dir() else output
    return STDIO if input == STDIO else input.with_name(input.stem + suffix)


def check_distinct(jobs: list[tuple[Path, Path]]) -> None:
    """Refuse, before anything is written, a batch where two inputs would write the same
    output (x.png and x.jpg -> x.inv) or an output would replace an input."""
    def key(path: Path) -> str:
        return os.path.realpath(path)

    inputs = {key(i) for i, _ in jobs if i != STDIO}
    seen: dict[str, Path] = {}
    for inp, out in jobs:
        if out == STDIO:
            continue
        k = key(out)
        if k in seen:
            raise ValueError(f"{seen[k]} and {inp} would both be written to {out}; compress them one at a time with -o")
        if k in inputs:
            raise ValueError(f"{out} is an input: writing it would replace the image it is made from")
        seen[k] = inp
