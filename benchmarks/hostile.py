"""Hostile-input suite for the encoder side: every case (see ``hostile_inputs``) is run
through the installed command line as a user would, and judged.

    invcodec bench hostile --out results/hostile.json

Each case runs ``invcodec compress`` (or the command the case names: decompress, info,
restore, sample) in a folder of its own (a separate process, one thread, a memory limit
and a time limit), with stdin and stdout as the case sets them (closed, or stdout on a full
device) and, for a batch, a signal once its first file is done. The verdict:

    exact      compressed, and both decodes (PNG and one of TIFF/BMP/WebP, where that
               format is not refused) give exactly the pixels Pillow reads from the input
               (compared as RGBA, so palettes, keys and bilevel count by their colours);
               for another command, its output is what the case expects
    refused    exit status 1, one "invcodec: error:" line naming the file (or saying what
               the case expects: "standard output is closed", ...; warnings aside), and no
               file created
    stopped    a signal stopped the batch: exit status 128 + the signal, every file left
               behind reported finished, none half written, none written afterwards
Defects (all must be 0):
    traceback      a Python traceback, or an exit status other than 0/1 (128 + signal for a signal)
    hang           the time limit was reached (killed)
    late           a file appeared or changed after the command had exited (a signal case's workers)
    over_budget    more CPU seconds or peak memory than the case allows (crafted .inv files)
    silent_loss    exit 0 but: other pixels, a multi-frame or more-than-8-bit input kept as
                   one 8-bit image, a mode with no exact 8-bit form, an ICC profile missing
                   from a decoded file, or an EXIF orientation dropped, without a warning
    clobbered      a file, FIFO, device, folder or link that existed before was changed
    partial        a file left behind by a failure (or more than the expected outputs)
    unclear_error  a refusal that is not one line naming the file
Time per case, its CPU seconds and its command's peak memory (RSS) are recorded too."""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import resource
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from .hostile_inputs import Case, all_cases
from .report import emit

VERDICTS = ("exact", "refused", "stopped")
DEFECTS = ("traceback", "hang", "silent_loss", "clobbered", "partial", "unclear_error", "late", "over_budget")
LATE_S = 3.0  # how long after a signal case's exit nothing may change
_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONWARNINGS": ""}


def _command() -> list[str]:
    return [sys.executable, "-m", "invcodec_cli.main"]


def _snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry under ``folder`` (not following links): kind and content."""
    entries = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            st = os.lstat(path)
            rel = str(path.relative_to(folder))
            if stat.S_ISREG(st.st_mode):
                entries[rel] = ("file", hashlib.sha256(path.read_bytes()).hexdigest())
            elif stat.S_ISLNK(st.st_mode):
                entries[rel] = ("link", os.readlink(path))
            else:
                entries[rel] = (stat.S_IFMT(st.st_mode), st.st_rdev)
    return entries


def _limited(command: list[str], memory_bytes: int, close: tuple[int, ...]) -> list[str]:
    """``command`` started by sh under its limits: no Python runs between fork and exec (a
    forked copy of this threaded runner can deadlock there, on a lock another thread held)."""
    limit = f"ulimit -v {memory_bytes // 1024}; " if memory_bytes else ""  # 0: none (a sanitizer build
    # reserves terabytes of address space for its shadow memory)
    closed = "".join(f" {fd}>&-" for fd in close)  # the command starts with this standard stream closed
    return ["/bin/sh", "-c", f'{limit}exec "$@"{closed}', "sh", *command]


def _run(args: list[str], cwd: Path, timeout: float, memory: int, stdin: str = "null", stdout: str = "pipe",
         signal: int | None = None) -> dict:
    """One command, waited for with its own resource usage (CPU seconds, peak RSS)."""
    close = tuple(fd for fd, closed in ((0, stdin == "closed"), (1, stdout == "closed")) if closed)
    full = open("/dev/full", "wb") if stdout == "full" else None
    start = time.perf_counter()
    proc = subprocess.Popen(_limited(_command() + args, memory, close), cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=full or (subprocess.PIPE if stdout == "pipe" else subprocess.DEVNULL),
                            stderr=subprocess.PIPE, env=os.environ | _ENV)
    if full:
        full.close()
    lock, reaped, hung = threading.Lock(), threading.Event(), threading.Event()

    def send(sig: int) -> None:  # never to a process already reaped (its pid may be another's)
        with lock:
            if not reaped.is_set():
                os.kill(proc.pid, sig)

    def read_stdout(lines: list[bytes]) -> None:
        for line in proc.stdout:
            lines.append(line)
            if signal is not None and len(lines) == 1:  # a file is done: the batch is under way
                send(signal)

    def read_stderr(chunks: list[bytes]) -> None:
        for chunk in iter(lambda: proc.stderr.read1(1 << 16), b""):
            chunks.append(chunk)

    out: list[bytes] = []
    err: list[bytes] = []
    readers = [threading.Thread(target=read_stderr, args=(err,), daemon=True)]
    if proc.stdout:
        readers.append(threading.Thread(target=read_stdout, args=(out,), daemon=True))
    for reader in readers:
        reader.start()
    timer = threading.Timer(timeout, lambda: (hung.set(), send(9)))
    timer.start()
    # (ru_maxrss includes what the runner held when it forked: run the suite from a small process)
    _, status, usage = os.wait4(proc.pid, 0)
    with lock:
        reaped.set()
    timer.cancel()
    for reader in readers:  # what the command wrote is read at once; a worker it left behind may hold the pipes
        reader.join(timeout=0.5)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"rc": proc.returncode, "stdout": b"".join(out).decode(errors="replace"),
            "stderr": b"".join(err).decode(errors="replace"), "seconds": time.perf_counter() - start,
            "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024, "hung": hung.is_set()}


def _problem(run: dict, names: list[str], words: tuple[str, ...] = (), signal: int | None = None) -> str | None:
    """The defect in one command's behaviour if it failed, else None: a refusal is one line
    naming one of ``names`` (or holding all of ``words``)."""
    if run["hung"]:
        return "hang"
    expected = (0, 1) if signal is None else (0, 128 + signal)
    if "Traceback (most recent call last)" in run["stderr"] or run["rc"] not in expected:
        return "traceback"
    if run["rc"] == 1:
        lines = [line for line in run["stderr"].splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("invcodec: error:")]
        others = [line for line in lines if not line.startswith(("invcodec: error:", "invcodec: warning:", "invcodec: "))]
        if len(errors) != 1 or others or not (all(w in errors[0] for w in words) if words else
                                              any(n.rstrip("/") in errors[0] for n in names)):
            return "unclear_error"
    return None


def _declared_depth(path: Path, image: Image.Image) -> int:
    """The bits per sample the file declares (independent of how Pillow maps it)."""
    if image.format == "PNG":
        return path.read_bytes()[24]
    if image.format == "TIFF":
        bits = image.tag_v2.get(258, (8,))
        return max(bits) if isinstance(bits, tuple) else int(bits)
    return 8


def reference(path: Path) -> tuple[np.ndarray | None, str | None, list[str]]:
    """What a faithful encoder keeps of ``path``: (RGBA pixels, or a 16-bit file's samples,
    or None; why it must be refused or None; what it must warn about). The ICC profile
    and EXIF data are checked on their own (``icc_of``, ``exif_of``): kept byte for byte,
    or a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            image = Image.open(path)
            image.load()
        except Exception as e:  # noqa: BLE001 - unreadable: must be refused
            return None, f"unreadable ({type(e).__name__})", []
        if getattr(image, "n_frames", 1) > 1:
            return None, f"{image.n_frames} frames", []
        depth = _declared_depth(path, image)
        deep = None  # a 16-bit image: Pillow holds grey ones (I;16, and I of 16-bit values) whole; colour is read apart
        if image.mode.startswith("I") and depth <= 16 and "transparency" not in image.info:
            grey = np.asarray(image)
            if grey.size and 0 <= grey.min() and grey.max() <= 0xFFFF:
                deep = grey.astype(np.uint16).reshape(grey.shape[0], grey.shape[1], 1)
        elif depth == 16 and "transparency" not in image.info:
            deep = _deep_samples(path)
        if deep is None and (image.mode not in ("1", "L", "P", "LA", "PA", "RGB", "RGBA") or depth > 8):
            return None, f"mode {image.mode}, {depth} bits: no exact 8-bit form, nor a 16-bit grey or RGB one", []
        must_warn = []
        if not image.info.get("icc_profile") and "srgb" not in image.info:  # colour data besides a profile
            if abs(image.info.get("gamma", 1 / 2.2) - 1 / 2.2) > 5e-4:
                must_warn.append("gamma")
            if "chromaticity" in image.info:
                must_warn.append("chromaticities")
        return (np.asarray(image.convert("RGBA")) if deep is None else deep), None, must_warn  # (EXIF is kept: ``exif_of``)


def _deep_samples(path: Path) -> np.ndarray | None:
    """The (H, W, C) uint16 samples of a 16-bit PNG (pypng) or one-page grey or RGB TIFF
    (tifffile), read apart from the codec's intake; None for other files."""
    data = path.read_bytes()
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n":
            import png

            width, height, rows, info = png.Reader(bytes=data).read()
            return np.vstack([np.asarray(r, np.uint16) for r in rows]).reshape(height, width, info["planes"])
        import tifffile

        with tifffile.TiffFile(path) as tif:
            page = tif.pages[0]
            if len(tif.pages) > 1 or page.photometric not in (tifffile.PHOTOMETRIC.MINISBLACK, tifffile.PHOTOMETRIC.RGB):
                return None
            arr = page.asarray()
            if page.planarconfig == tifffile.PLANARCONFIG.SEPARATE and arr.ndim == 3:
                arr = np.moveaxis(arr, 0, -1)
        return arr.reshape(arr.shape[0], arr.shape[1], -1) if arr.dtype == np.uint16 else None
    except Exception:  # noqa: BLE001 - what the reference readers cannot read must be refused
        return None


def exif_of(path: Path) -> bytes | None:
    """The EXIF data of an image file, without JPEG's "Exif\\0\\0" name."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Image.open(path) as image:
            exif = image.info.get("exif") or b""
    return (exif[6:] if exif.startswith(b"Exif\0\0") else exif) or None


def _decoded(path: Path) -> tuple[np.ndarray, bytes | None]:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGBA")), image.info.get("icc_profile") or None


def _if_pillow_reads(read, path: Path):
    """``read(path)``, or None for a file Pillow cannot open."""
    try:
        return read(path)
    except (UnidentifiedImageError, OSError):
        return None


def icc_of(path: Path) -> bytes | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Image.open(path) as image:
            return image.info.get("icc_profile") or None


def _args(case: Case) -> list[str]:
    """The command line of a case: one coding thread where the command takes ``-t`` (a batch's
    ``-j`` gives each file one)."""
    command = case.command.split()
    one_thread = command[0] in ("compress", "decompress", "restore") and "-j" not in case.args  # (sample -t: temperature)
    return [*command, *(["-t", "1"] if one_thread else []), *case.args]


def _reported(stdout: str) -> set[str]:
    """The outputs a batch reported finished ("IN -> OUT: ...")."""
    return {line.split(" -> ", 1)[1].split(": ", 1)[0] for line in stdout.splitlines() if " -> " in line}


def judge(case: Case, root: Path, timeout: float, memory: int) -> dict:
    folder = root / case.name.replace("/", "_")[:120]
    folder.mkdir(parents=True)
    for name, data in case.files.items():
        (folder / name).write_bytes(data)
    if case.setup:
        case.setup(folder)
    before = _snapshot(folder)
    run = _run(_args(case), folder, timeout, memory, case.stdin, case.stdout, case.signal)
    result = {"case": case.name, "kind": case.kind, "seconds": round(run["seconds"], 3), "rc": run["rc"],
              "cpu_s": round(run["cpu_s"], 3), "peak_rss_mb": round(run["peak_rss_mb"], 1)}
    after = _snapshot(folder)
    if case.signal is not None:
        time.sleep(LATE_S)
    changed = [k for k in before if after.get(k) != before[k]]
    created = sorted(set(after) - set(before))
    expected_outputs = [case.output] if case.output else list(case.outputs)
    problem = _problem(run, [a for a in case.args if not a.startswith("-")], case.words, case.signal)
    stopped = case.signal is not None and run["rc"] == 128 + case.signal
    if changed:
        problem = "clobbered"
    elif case.signal is not None and _snapshot(folder) != after:
        problem = "late"
    elif run["rc"] != 0 and created and problem is None and not (stopped and set(created) == _reported(run["stdout"])):
        problem = "partial"
    elif run["rc"] == 0 and set(created) - set(expected_outputs):
        problem = "partial"
    elif case.budget and (run["cpu_s"] > case.budget[0] or run["peak_rss_mb"] > case.budget[1]):
        problem = "over_budget"
    if problem:
        return result | {"verdict": problem, "detail": (run["stderr"] or run["stdout"])[-400:]}
    if stopped:
        return result | {"verdict": "stopped", "finished": len(created)}
    if run["rc"] == 1:
        return result | {"verdict": "refused", "message": run["stderr"].strip().splitlines()[-1][:300]}
    if case.command != "compress" or case.signal is not None:
        wrong = case.check(folder, run["stdout"]) if case.check else None
        return result | ({"verdict": "silent_loss", "detail": wrong} if wrong else {"verdict": "exact"})
    return result | _check_accepted(case, folder, run, timeout, memory)


def _inputs(args: list[str]) -> list[str]:
    """The input files among ``compress`` arguments (not options, not the value of -o)."""
    return [a for i, a in enumerate(args) if not a.startswith("-") and (i == 0 or args[i - 1] != "-o")]


def _check_accepted(case: Case, folder: Path, run: dict, timeout: float, memory: int) -> dict:
    """Exit 0: every input must come back exactly, and what was not kept must be said."""
    pairs = [(case.args[0], case.output)] if case.output else list(zip(_inputs(case.args), case.outputs))
    for source, inv in pairs:
        expected, refuse_reason, must_warn = reference(folder / source)
        if refuse_reason:
            return {"verdict": "silent_loss", "detail": f"accepted {source}: {refuse_reason}"}
        warned = run["stderr"]
        for what in must_warn:
            if what not in warned:
                return {"verdict": "silent_loss", "detail": f"{what} dropped without a warning"}
        for suffix in dict.fromkeys((".png", case.decode_to)):
            out = f"decoded{suffix}"
            dec = _run(["decompress", inv, "-o", out], folder, timeout, memory)
            problem = _problem(dec, [inv, out])
            if problem:
                return {"verdict": problem, "detail": f"decompress to {suffix}: {dec['stderr'][-300:]}"}
            if dec["rc"] == 1:
                if suffix == ".png" or (folder / out).exists():
                    return {"verdict": "partial" if (folder / out).exists() else "unclear_error",
                            "detail": f"decompress to {suffix}: {dec['stderr'][-300:]}"}
                continue  # this format cannot hold the image: refused, which is right
            if expected.dtype == np.uint16:  # (Pillow cannot open every 16-bit output: grey + alpha TIFF)
                got, got_icc = _deep_samples(folder / out), _if_pillow_reads(icc_of, folder / out)
            else:
                got, got_icc = _decoded(folder / out)
            if got is None or got.shape != expected.shape or not np.array_equal(got, expected):
                return {"verdict": "silent_loss", "detail": f"decoded {suffix} differs from the input's pixels"}
            icc = icc_of(folder / source)
            if icc and got_icc != icc and "ICC" not in dec["stderr"] + run["stderr"]:
                return {"verdict": "silent_loss", "detail": f"ICC profile dropped in {suffix} without a warning"}
            exif = exif_of(folder / source)
            if exif and _if_pillow_reads(exif_of, folder / out) != exif and "EXIF" not in dec["stderr"] + run["stderr"]:
                return {"verdict": "silent_loss", "detail": f"EXIF data changed in {suffix} without a warning"}
            (folder / out).unlink()
    return {"verdict": "exact"}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="invcodec bench hostile", description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=None, help="run an even sample of this many cases [default: all]")
    p.add_argument("--kinds", default=None, help="only these kinds, comma-separated (mode, truncated, clobber, ...)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=2, help="cases in parallel (each command uses one thread)")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per command before it counts as a hang")
    p.add_argument("--memory-gb", type=float, default=4.0, help="address-space limit per command (0: none, for sanitizer builds)")
    p.add_argument("--no-budgets", action="store_true",
                   help="judge no case's CPU and memory budget (sanitizer builds are several times slower and heavier)")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)

    cases = all_cases(args.seed)
    if args.no_budgets:
        cases = [dataclasses.replace(c, budget=None) for c in cases]
    if args.kinds:
        cases = [c for c in cases if c.kind in set(args.kinds.split(","))]
    if args.cases and args.cases < len(cases):
        cases = [cases[int(i)] for i in np.linspace(0, len(cases) - 1, args.cases).round()]
    memory = int(args.memory_gb * (1 << 30))
    root = Path(tempfile.mkdtemp(prefix="invcodec-hostile-"))
    start = time.perf_counter()
    try:
        with ThreadPoolExecutor(args.workers) as pool:
            results = list(pool.map(lambda c: judge(c, root, args.timeout, memory), cases))
    finally:
        for folder in root.glob("*/ro"):
            os.chmod(folder, 0o755)
        shutil.rmtree(root, ignore_errors=True)
    counts = {v: sum(r["verdict"] == v for r in results) for v in (*VERDICTS, *DEFECTS)}
    kinds = sorted({r["kind"] for r in results})
    by_kind = {k: {v: n for v in (*VERDICTS, *DEFECTS)
                   if (n := sum(r["kind"] == k and r["verdict"] == v for r in results))} for k in kinds}
    budgets = {c.name: c.budget for c in cases if c.budget}
    emit("hostile", {
        "settings": {"seed": args.seed, "timeout_s": args.timeout, "memory_limit_gb": args.memory_gb,
                     "workers": args.workers, "kinds": args.kinds, "sampled": args.cases,
                     "budgets_judged": not args.no_budgets},
        "counts": {"cases": len(results), **counts},
        "by_kind": by_kind,
        "seconds": {"total": round(time.perf_counter() - start, 1),
                    "slowest_case": max((r["seconds"] for r in results), default=0)},
        "peak_rss_mb_any_command": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "budgeted": [{"case": r["case"], "verdict": r["verdict"], "cpu_s": r["cpu_s"], "seconds": r["seconds"],
                      "peak_rss_mb": r["peak_rss_mb"], "budget_cpu_s": budgets[r["case"]][0],
                      "budget_mb": round(budgets[r["case"]][1], 1)} for r in results if r["case"] in budgets],
        "defects": [r for r in results if r["verdict"] in DEFECTS],
        "refusals": {r["case"]: r["message"] for r in results if r["verdict"] == "refused"},
    }, args.out, coding_threads=1)
    return 1 if any(counts[d] for d in DEFECTS) else 0


if __name__ == "__main__":
    sys.exit(main())
