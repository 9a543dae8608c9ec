"""Which files a command works on, and where each one's output goes."""

from __future__ import annotations

from pathlib import Path

STDIO = Path("-")


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
        raise ValueError("no input files found")
    return files


def output_for(input: Path, output: Path | None, suffix: str, count: int) -> Path:
    """The output path for one input: -o as given for one input, a file in folder -o, or
    the input with ``suffix``; stdin goes to stdout unless -o names a file."""
    if count > 1:
        if output is None:
            return input.with_suffix(suffix)
        if output == STDIO or not output.is_dir():
            raise ValueError("with several inputs, -o must be an existing folder")
        return output / (input.stem + suffix)
    if output is not None:
        return output / (input.stem + suffix) if output != STDIO and output.is_dir() else output
    return STDIO if input == STDIO else input.with_suffix(suffix)
