"""What every benchmark report shares: the environment it ran in, and how it is emitted
(JSON on stdout, and in a file if asked)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Callable

import torch


def git_hash() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).parent).stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def environment() -> dict:
    """git hash and machine, for the header of every report."""
    return {
        "git": git_hash(),
        "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads()},
    }


def write_folder(report: dict, out: Path, markdown: Callable[[dict], str], plot: Callable[[dict, Path], object]) -> None:
    """A codec-comparison report as a folder: results.json, results.md and plots; the
    table is printed too."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(report, indent=1))
    table = markdown(report)
    (out / "results.md").write_text(table)
    plot(report, out)
    print(table)


def emit(benchmark: str, report: dict, out: Path | None) -> None:
    """Print (and save) a report under the common header: benchmark name, git, machine."""
    text = json.dumps({"benchmark": benchmark, **environment(), **report}, indent=1)
    print(text)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
