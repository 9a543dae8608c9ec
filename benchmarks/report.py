"""What every benchmark report shares: the environment it ran in, and how it is emitted
(JSON on stdout, and in a file if asked).

The environment records numpy's BLAS (library, version, its default thread count) and
the threads the codec was asked to use, since those two set invcodec's speed. Reports
written before the torch-free runtime carry ``machine.torch_threads`` instead of
``machine.coding_threads``; ``threads_label`` reads both."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Callable

import numpy as np  # noqa: F401  (loads numpy's BLAS, so that threadpoolctl can see it)
from threadpoolctl import threadpool_info

BLAS_FIELDS = ("internal_api", "version", "num_threads", "threading_layer", "architecture")


def git_hash() -> str:
    """HEAD's short hash, with "-dirty" when the code (package, CLI, benchmarks) has
    uncommitted changes: a report must name the code that made it."""
    root = Path(__file__).parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=root).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "invcodec", "cli", "benchmarks"],
                               capture_output=True, text=True, cwd=root.parent).stdout.strip()
    except OSError:
        return "unknown"
    return (head + ("-dirty" if dirty else "")) if head else "unknown"


def blas_info() -> list[dict]:
    """The BLAS libraries loaded in this process (numpy's, at least), with the thread
    count each would use when not limited."""
    return [{k: lib.get(k) for k in BLAS_FIELDS} | {"library": Path(lib["filepath"]).name}
            for lib in threadpool_info() if lib.get("user_api") == "blas"]


def environment(coding_threads: int | None = None) -> dict:
    """git hash and machine, for the header of every report; ``coding_threads`` is the
    ``threads`` the benchmark gave invcodec (None: it does not code, or used the default)."""
    return {
        "git": git_hash(),
        "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "cpus": os.cpu_count(), "blas": blas_info(), "coding_threads": coding_threads},
    }


def threads_label(machine: dict) -> str:
    """'threads: N' for a report's machine block; old reports say how many torch threads."""
    if "torch_threads" in machine:
        return f"torch threads: {machine['torch_threads']}"
    return f"threads: {machine.get('coding_threads') or 'default'}"


def check_model(prog: str, name: str | None) -> None:
    """Exit with one line if ``name`` is no model the registry can load (say, the default
    model before its weights ship)."""
    from invcodec.registry import get_model

    try:
        get_model(name)
    except ValueError as e:
        raise SystemExit(f"{prog}: {e}") from None


def pyplot():
    """matplotlib's pyplot on the file-only Agg backend, or None without matplotlib (plots are then skipped)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def save_figure(plt, fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_folder(report: dict, out: Path, markdown: Callable[[dict], str], plot: Callable[[dict, Path], object]) -> None:
    """A codec-comparison report as a folder: results.json, results.md and plots; the
    table is printed too."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(report, indent=1))
    table = markdown(report)
    (out / "results.md").write_text(table)
    plot(report, out)
    print(table)


def emit(benchmark: str, report: dict, out: Path | None, coding_threads: int | None = None) -> None:
    """Print (and save) a report under the common header: benchmark name, git, machine."""
    text = json.dumps({"benchmark": benchmark, **environment(coding_threads), **report}, indent=1)
    print(text)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
