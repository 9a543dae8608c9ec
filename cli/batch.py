"""A batch: which files a command works on, where each one's output goes, and the runner
that works through them (in worker processes with -j), reports each as it finishes and
carries on past failures."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
from pathlib import Path
from typing import Callable

import click

from .errors import EXIT_INTERRUPTED, CodecError, describe_failure
from .io import STDIO, named


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
            raise ValueError(f"{seen[k]} and {inp} would both be written to {out}; write them one at a time, each with its own -o")
        if k in inputs:
            raise ValueError(f"{out} is an input: writing it would replace the image it is made from")
        seen[k] = inp


def output_or_stdout(output: str | None, stdout: bool) -> str | None:
    """-c is -o - (gzip's spelling); both at once is a contradiction, not a preference."""
    if stdout and output not in (None, "-"):
        raise CodecError(f"-c writes to stdout and -o to {output}: give one of them")
    return "-" if stdout else output


def plan_jobs(inputs: tuple[Path, ...], output: str | None, suffix: str, folder_suffixes: set[str]) -> list[tuple[Path, Path]]:
    """(input, output) of every file; refused before anything is written when two inputs
    would share an output or an output is an input."""
    try:
        files = expand_inputs(inputs, folder_suffixes)
        out = parse_output(output)
        jobs = [(f, output_for(f, out, suffix, len(files))) for f in files]
        check_distinct(jobs)
        return jobs
    except ValueError as e:
        raise CodecError(str(e)) from None
    except OSError as e:  # a name the filesystem refuses (too long, say) while planning
        raise CodecError(describe_failure(e) or str(e)) from None


def threads_per_file(threads: int | None, workers: int) -> int | None:
    """Worker processes already use the cores: then one thread each unless asked."""
    return threads if threads is not None else (1 if workers > 1 else None)


def _safe_call(fn: Callable[..., str], input: Path, *args) -> tuple[Path, bool, str]:
    """Run one job; expected failures come back as messages naming the file (also from
    worker processes)."""
    try:
        return input, True, fn(input, *args)
    except Exception as exc:  # noqa: BLE001 - classified right here
        message = describe_failure(exc)
        if message is None:
            raise
        return input, False, named(input, message)


def _call_packed(args: tuple) -> tuple[Path, bool, str]:
    return _safe_call(*args)


_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


def _worker_init() -> None:
    """Worker processes leave Ctrl-C and SIGHUP to the parent, which terminates them: SIGTERM
    then unwinds the job (its temporary file is removed) and exits without a traceback."""
    import tqdm

    # tqdm starts a monitor thread with any bar, a disabled one too; a SIGTERM the kernel hands to
    # that thread never wakes the main thread's wait for the next job, and the worker hangs
    tqdm.tqdm.monitor_interval = 0
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)  # held while the pool was made
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)

    def stop(signum, frame):
        raise SystemExit(EXIT_INTERRUPTED)

    signal.signal(signal.SIGTERM, stop)


@contextlib.contextmanager
def _signals_held():
    """The stop signals wait until the block is done, for this thread and the threads it
    starts meanwhile (where the system can hold them)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _identity(path: Path) -> tuple[int, int] | None:
    """Which file is at ``path`` (None: none): a file a worker renamed into place is another."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


def run_on_cluster(fn: Callable[..., str], jobs: list[tuple[Path, Path]], model: str | None, force: bool, cluster: str,
                   manifest: str | None, settings: dict, verify: Callable[[Path, Path], bool] | None = None) -> None:
    """--cluster: the batch on a Dask cluster (``invcodec.distributed``), resumable through
    its manifest (by default beside the first output); one line per failed file, a count
    of the files at the end, exit 1 if any failed."""
    from invcodec import distributed

    if any(STDIO in job for job in jobs):
        raise CodecError("--cluster codes files that every worker can read: not '-' (stdin or stdout)")
    path = Path(manifest) if manifest else jobs[0][1].parent / distributed.MANIFEST_NAME
    try:
        report = distributed.run(functools.partial(_cluster_job, fn, model, force), jobs, cluster, path, settings, verify,
                                 progress=sys.stderr.isatty(),
                                 on_failure=lambda input, line: click.echo(f"invcodec: error: {line}", err=True))
    except ValueError as e:  # the cluster or the manifest
        raise CodecError(str(e)) from None
    click.echo(f"invcodec: {report.summary()}", err=True)
    if report.failed:
        sys.exit(1)


def _cluster_job(fn: Callable[..., str], model: str | None, force: bool, input: Path, output: Path,
                 overwrite: bool) -> tuple[bool, str]:
    """One file on a worker: --force, or an output of this batch's that it may replace."""
    _, ok, message = _safe_call(fn, input, output, model, force or overwrite)
    return ok, message


def run_batch(fn: Callable[..., str], jobs: list[tuple[Path, Path]], model: str | None, force: bool, workers: int) -> None:
    """Run every job, report each as it finishes, carry on past failures, exit 1 if any failed."""
    to_stdout = any(out == STDIO for _, out in jobs)
    report = (lambda line: click.echo(line, err=True)) if to_stdout else click.echo
    args = [(fn, inp, out, model, force) for inp, out in jobs]
    failures = []
    shown: set[Path] = set()

    def show(result: tuple[Path, bool, str]) -> None:
        inp, ok, message = result
        with _signals_held():  # a stop comes before the line or after it is counted, never between
            if ok:
                report(message)
            else:
                failures.append(inp)
                click.echo(f"invcodec: error: {message}", err=True)
            shown.add(inp)

    if workers > 1 and len(jobs) > 1:
        import multiprocessing

        before = {out: _identity(out) for _, out in jobs}
        with _signals_held():  # the pool's threads never take a stop signal: it comes to this one, between lines
            pool = multiprocessing.Pool(min(workers, len(jobs)), initializer=_worker_init)
        try:
            for result in pool.imap_unordered(_call_packed, args):
                show(result)
            pool.close()
        except BaseException:  # Ctrl-C, SIGTERM or a bug: stop the others (their temporary files go too)
            pool.terminate()
            pool.join()
            for inp, out in jobs:  # a file finished as the stop came, its result not yet here: named all the same
                if inp not in shown and _identity(out) != before[out]:
                    report(f"{inp} -> {out}: finished as the batch was stopped")
            raise
        finally:
            pool.join()
    else:
        for a in args:
            show(_safe_call(*a))
    if failures:
        if len(jobs) > 1:
            click.echo(f"invcodec: {len(failures)} of {len(jobs)} files failed: {', '.join(map(str, failures))}", err=True)
        sys.exit(1)
