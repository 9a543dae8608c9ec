"""Batches bigger than one machine: files compressed or decompressed on a Dask distributed
cluster (a local one of worker processes, or a running scheduler's address), resumable.

Each file is one task: a worker reads the input, codes it with the same code and
settings as a local run (so the same bytes) and writes the output atomically; inputs and
outputs must be on a filesystem every worker sees. The client keeps a manifest (JSON
lines): a header with the batch's settings, the outputs the batch owns, and one record
per output done (the input's size and mtime, the output's size and SHA-256), appended as
each task finishes. A rerun with the same manifest skips every output whose record
still holds (the input unchanged, the output's bytes the recorded ones); an output the
batch owns that exists without a record (a task that finished as the client stopped)
is verified by ``verify`` on a worker rather than coded again, or coded again where
there is no verifier. Dask, not Ray: pure Python and light to install, a plain
scheduler address to connect to, and worker processes that share this package's
environment (docs/DISTRIBUTED.md). Dask is imported only here, when a batch runs."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

MANIFEST_VERSION = 1
MANIFEST_NAME = "invcodec-manifest.jsonl"  # beside the outputs, unless named
LOCAL_PREFIX = "local:"

# (input, output, overwrite) -> (ok, one line): a file's work, run on a worker; an
# expected failure comes back as (False, the line saying why), anything raised is a bug
JobFn = Callable[[Path, Path, bool], "tuple[bool, str]"]
# (input, output) -> whether the output is what the job would write (run on a worker)
VerifyFn = Callable[[Path, Path], bool]


@dataclass
class BatchReport:
    """What a batch did. ``coded + skipped + verified + len(failed) == total``."""

    total: int
    coded: int = 0  # done by this run
    skipped: int = 0  # done by an earlier run, its record holding (the manifest)
    verified: int = 0  # written by an earlier run without a record, verified rather than coded again
    failed: list[tuple[Path, str]] = field(default_factory=list)  # (input, the line saying why)

    def summary(self) -> str:
        return (f"{self.total} files: {self.coded} coded, {self.skipped} already done, {self.verified} verified, "
                f"{len(self.failed)} failed")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_atomically(path: Path, data: bytes) -> None:
    """``data`` as ``path``, whole or not at all (a temporary file in the same folder, renamed)."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _input_stamp(input: Path) -> list[int]:
    stat = input.stat()
    return [stat.st_size, stat.st_mtime_ns]


def _record(input: Path, output: Path) -> dict[str, Any]:
    stat = input.stat()
    return {"input": str(input), "output": str(output), "input_size": stat.st_size, "input_mtime_ns": stat.st_mtime_ns,
            "output_size": output.stat().st_size, "output_sha256": sha256_of(output)}


def _run_job(fn: JobFn, input: Path, output: Path, overwrite: bool) -> tuple[bool, str, dict | None]:
    """A task: the job, then (on the worker, which has the files) the output's record."""
    ok, line = fn(input, output, overwrite)
    return ok, line, _record(input, output) if ok else None


def _run_verify(verify: VerifyFn, input: Path, output: Path) -> tuple[bool, str, dict | None]:
    return (True, f"{output}: verified", _record(input, output)) if verify(input, output) else (False, "", None)


class Manifest:
    """The batch's manifest (module docstring). Written by the client only, a line at a time."""

    def __init__(self, path: Path, settings: dict[str, Any]):
        self.path = path
        self.owned: dict[str, list[int]] = {}  # output -> its input's [size, mtime_ns] when the batch took it
        self.done: dict[str, dict[str, Any]] = {}
        if path.exists():
            self._read(settings)
        else:
            self._append({"invcodec_manifest": MANIFEST_VERSION, "settings": settings})

    def _read(self, settings: dict[str, Any]) -> None:
        text = self.path.read_text()
        if not text.endswith("\n"):  # a line torn when a client was killed: cut, so that the next line starts clean
            text = text[: text.rfind("\n") + 1]
            with open(self.path, "r+") as f:
                f.truncate(len(text.encode()))
        try:
            lines = [json.loads(line) for line in text.splitlines()]
        except ValueError:
            lines = []
        if not lines or not isinstance(lines[0], dict) or lines[0].get("invcodec_manifest") != MANIFEST_VERSION:
            raise ValueError(f"{self.path}: not an invcodec manifest (version {MANIFEST_VERSION})")
        if lines[0]["settings"] != settings:
            raise ValueError(f"{self.path}: written for other settings ({json.dumps(lines[0]['settings'])}); "
                             "give another manifest, or remove it to start over")
        for entry in lines[1:]:
            if "owns" in entry:
                self.owned.update(entry["owns"])
            else:
                self.done[entry["output"]] = entry

    def _append(self, entry: dict[str, Any]) -> None:
        with open(self.path, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def holds(self, input: Path, output: Path) -> bool:
        """Whether the output is done and still as recorded (its input unchanged)."""
        entry = self.done.get(str(output))
        if entry is None or entry["input"] != str(input):
            return False
        try:
            return _record(input, output) == entry
        except OSError:
            return False

    def own(self, jobs: Iterable[tuple[Path, Path]]) -> None:
        """Outputs this batch writes (with their inputs' size and mtime): an earlier run's
        leftovers among them may be replaced, or verified when their input is unchanged."""
        new = {}
        for input, output in jobs:
            if str(output) not in self.owned:
                try:
                    new[str(output)] = _input_stamp(input)
                except OSError:  # a missing input: its job fails in one line
                    continue
        if new:
            self._append({"owns": new})
            self.owned.update(new)

    def leftover(self, input: Path, output: Path) -> bool:
        """An output this batch took, written without a record (a task that finished as the
        client stopped), its input unchanged since: worth verifying rather than coding again."""
        try:
            return str(output) not in self.done and self.owned.get(str(output)) == _input_stamp(input) and output.exists()
        except OSError:
            return False

    def add(self, record: dict[str, Any]) -> None:
        self._append(record)
        self.done[record["output"]] = record


def connect(cluster: Any):
    """A Dask client for ``cluster``: "local:N" (N worker processes on this machine,
    started here and stopped with the client), a scheduler's address ("tcp://host:8786"),
    or a ``distributed.Client`` (used as it is). Returns (client, close)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ValueError("a cluster needs Dask distributed: pip install 'invcodec[distributed]'") from None
    if isinstance(cluster, Client):
        return cluster, lambda: None
    if not isinstance(cluster, str) or not cluster:
        raise ValueError(f"cluster must be 'local:N' or a scheduler address, got {cluster!r}")
    if cluster.startswith(LOCAL_PREFIX):
        workers = cluster[len(LOCAL_PREFIX):]
        if not workers.isdigit() or not 1 <= int(workers) <= 256:
            raise ValueError(f"{cluster}: 'local:N' takes N worker processes, 1..256")
        local = LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True, dashboard_address=None,
                             silence_logs=logging.ERROR)  # (not a warning per task cancelled at Ctrl-C)
        client = Client(local)

        def close() -> None:
            client.close()
            local.close()

        return client, close
    try:
        client = Client(cluster, timeout="20s")
    except (OSError, TimeoutError) as e:
        raise ValueError(f"cannot reach the Dask scheduler at {cluster}: {e}") from None
    return client, client.close


def run(fn: JobFn, jobs: Sequence[tuple[Path, Path]], cluster: Any, manifest: Path, settings: dict[str, Any],
        verify: VerifyFn | None = None, progress: bool = True, on_failure: Callable[[Path, str], None] | None = None,
        ) -> BatchReport:
    """Every (input, output) job not already done, one task each on ``cluster``
    (``connect``), recorded in ``manifest`` as it finishes (module docstring); the batch
    carries on past failures, each given to ``on_failure`` (input, one line) as it comes.
    ``settings``: what the outputs depend on; a manifest written for others is refused."""
    from tqdm import tqdm

    jobs = [(Path(i).absolute(), Path(o).absolute()) for i, o in jobs]
    book = Manifest(Path(manifest), settings)
    report = BatchReport(total=len(jobs))
    todo = []
    for input, output in jobs:
        if book.holds(input, output):
            report.skipped += 1
        else:
            todo.append((input, output))
    leftovers = {o for i, o in todo if book.leftover(i, o)}
    replaceable = {o for _, o in todo if str(o) in book.owned}
    book.own((i, o) for i, o in todo if not o.exists())
    if not todo:
        return report
    client, close = connect(cluster)
    bar = tqdm(total=len(jobs), initial=report.skipped, disable=not progress, unit="file")
    from distributed import as_completed

    try:
        futures = {}
        for input, output in todo:  # a leftover is verified first; one that fails is coded again, replacing it
            if output in leftovers and verify is not None:
                futures[client.submit(_run_verify, verify, input, output, pure=False)] = (input, output, True)
            else:
                futures[client.submit(_run_job, fn, input, output, output in replaceable, pure=False)] = (input, output, False)
        pending = as_completed(futures)
        for future in pending:
            input, output, verifying = futures.pop(future)
            try:
                ok, line, record = future.result()
            except Exception as e:  # noqa: BLE001 - a bug in one file's job: that file fails, the batch goes on
                ok, line, record = False, f"{input}: internal error: {type(e).__name__}: {e}", None
            if verifying and not ok:
                retry = client.submit(_run_job, fn, input, output, True, pure=False)
                futures[retry] = (input, output, False)
                pending.add(retry)
                continue
            if ok:
                book.add(record)
                if verifying:
                    report.verified += 1
                else:
                    report.coded += 1
            else:
                report.failed.append((input, line))
                if on_failure is not None:
                    on_failure(input, line)
            bar.update()
    finally:  # also on Ctrl-C: the tasks still queued are dropped, the local workers stopped
        bar.close()
        for future in futures:
            future.cancel()
        close()
    return report


# -- the Python API's batches -------------------------------------------------------
def compress_files(inputs: Iterable[str | os.PathLike], output_folder: str | os.PathLike, *, cluster: Any = "local:2",
                   manifest: str | os.PathLike | None = None, quality: int | None = None, model: str | None = None,
                   tune: str = "psnr", progress: bool = True) -> BatchReport:
    """Compress image files (folders: every image in them) into ``output_folder``, each
    NAME.inv, on ``cluster`` (``connect``); resumable through ``manifest`` (default:
    MANIFEST_NAME in the folder). The bytes are ``invcodec.compress``'s with the same
    ``quality``, ``model`` (a shipped name or a path every worker can read) and ``tune``."""
    from . import options
    from .pixels import IMAGE_SUFFIXES

    quality = options.check_quality(quality)
    options.check_tune(tune, quality)
    jobs = _jobs(inputs, Path(output_folder), IMAGE_SUFFIXES, ".inv")
    settings = {"command": "compress", "quality": quality, "model": model, "tune": tune}
    return run(functools.partial(_compress_file, quality=quality, model=model, tune=tune), jobs, cluster,
               _manifest_path(manifest, output_folder), settings,
               verify=functools.partial(verify_compressed, quality=quality, model=model), progress=progress)


def decompress_files(inputs: Iterable[str | os.PathLike], output_folder: str | os.PathLike, *, cluster: Any = "local:2",
                     manifest: str | os.PathLike | None = None, model: str | None = None,
                     progress: bool = True) -> BatchReport:
    """Decode .inv files (folders: every .inv in them) into ``output_folder``, each NAME.png
    (with the file's ICC profile), on ``cluster``; resumable as ``compress_files`` is."""
    jobs = _jobs(inputs, Path(output_folder), {".inv"}, ".png")
    return run(functools.partial(_decompress_file, model=model), jobs, cluster, _manifest_path(manifest, output_folder),
               {"command": "decompress", "model": model}, progress=progress)


def verify_compressed(input: Path, output: Path, quality: int | None, model: str | None) -> bool:
    """Whether ``output`` is a .inv of ``input`` as the batch would write it: it decodes (its
    pixel CRC holds) to the image's size, in the batch's mode and model; lossless, to the
    image's very samples (a lossy file's pixels are known only to its encoder)."""
    import numpy as np

    from . import codec, container, pixels
    from .errors import InvalidFileError, UnsupportedImageError
    from .registry import default_model_name, get_model

    try:
        with open(output, "rb") as f:
            samples, header = codec.decode(container.read(f))
        expected = get_model(model or default_model_name(quality is not None)).model_id
        taken = pixels.intake(str(input), "verify")
    except (InvalidFileError, UnsupportedImageError, OSError, ValueError):
        return False
    if header.model_id not in (expected, b"") or samples.shape != taken.samples.shape:  # (empty: no flow tile)
        return False
    if quality is None:
        return header.quantizer is None and np.array_equal(samples, taken.samples)
    return header.quantizer is not None and header.quantizer.quality == quality


def _jobs(inputs: Iterable[str | os.PathLike], folder: Path, suffixes: set[str], suffix: str) -> list[tuple[Path, Path]]:
    if not folder.is_dir():
        raise ValueError(f"{folder}: no such folder (create it first)")
    files: list[Path] = []
    for item in map(Path, inputs):
        files += sorted(p for p in item.iterdir() if p.is_file() and p.suffix.lower() in suffixes) if item.is_dir() else [item]
    jobs = [(f, folder / (f.stem + suffix)) for f in files]
    seen: dict[Path, Path] = {}
    for input, output in jobs:
        if output in seen:
            raise ValueError(f"{seen[output]} and {input} would both be written to {output}")
        seen[output] = input
    return jobs


def _manifest_path(manifest: str | os.PathLike | None, folder: str | os.PathLike) -> Path:
    return Path(manifest) if manifest is not None else Path(folder) / MANIFEST_NAME


def _expected_failure(e: Exception) -> bool:
    from .errors import InvalidFileError, UnsupportedImageError

    return isinstance(e, (InvalidFileError, UnsupportedImageError, OSError, ValueError))


def _compress_file(input: Path, output: Path, overwrite: bool, quality: int | None, model: str | None,
                   tune: str) -> tuple[bool, str]:
    from . import codec

    if output.exists() and not overwrite:
        return False, f"{output}: exists, and this batch did not write it"
    try:
        data = codec.compress(input, model=model, quality=quality, threads=1, tune=tune)
        write_atomically(output, data)
    except Exception as e:  # noqa: BLE001 - sorted right here: expected failures are the file's
        if not _expected_failure(e):
            raise
        return False, f"{input}: {e}"
    return True, f"{input} -> {output}: {len(data)} bytes"


def _decompress_file(input: Path, output: Path, overwrite: bool, model: str | None) -> tuple[bool, str]:
    import io

    from . import codec

    if output.exists() and not overwrite:
        return False, f"{output}: exists, and this batch did not write it"
    try:
        image = codec.decompress(input, model=model, threads=1)
        buffer = io.BytesIO()
        image.save(buffer, "PNG", icc_profile=image.info.get("icc_profile"))
        write_atomically(output, buffer.getvalue())
    except Exception as e:  # noqa: BLE001 - as in _compress_file
        if not _expected_failure(e):
            raise
        return False, f"{input}: {e}"
    return True, f"{input} -> {output}: {image.width}x{image.height}"
