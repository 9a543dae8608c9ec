"""Start-up cost of the coding commands, and proof that they never import torch.

    invcodec bench startup --model photo-v1 --out results/startup.json

In fresh processes: ``import invcodec.codec``, ``invcodec info FILE`` and ``invcodec
compress --help``, each timed as wall seconds (median of --repeats runs) and run once
more under ``-X importtime`` (PYTHONPROFILEIMPORTTIME), whose list of imported modules is
searched for torch; then ``invcodec compress``, ``decompress`` and ``info`` of a small
image, each in its own process, which reports whether any torch module is in
``sys.modules`` when the command is done. This backs the claim "compress / decompress /
info import no torch; info returns in <= 0.3 s". Exit status 1 if torch was imported."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from invcodec.registry import DEFAULT_MODEL

from .report import check_model, emit

INFO_CLAIM_S = 0.3

# Runs one CLI command in this fresh process, then says which torch modules it left behind.
_CHECK = """
import json, sys
from invcodec_cli.main import main
try:
    main(sys.argv[1:], prog_name="invcodec", standalone_mode=False)
    status = 0
except SystemExit as e:
    status = e.code
except Exception as e:
    status = f"{type(e).__name__}: {e}"
loaded = sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))
print(json.dumps({"status": status, "torch_modules": loaded}))
"""


def cli_command() -> list[str]:
    """How a user starts the command: the installed script beside this Python, if any."""
    script = Path(sys.executable).parent / "invcodec"
    return [sys.executable, str(script)] if script.is_file() else [sys.executable, "-m", "invcodec_cli.main"]


def _env(importtime: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPROFILEIMPORTTIME"}
    return env | {"PYTHONPROFILEIMPORTTIME": "1"} if importtime else env


def imported_modules(importtime_stderr: str) -> list[str]:
    """Module names from ``-X importtime`` lines ('import time: self | cumulative | name')."""
    names = []
    for line in importtime_stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.append(name)
    return names


def is_torch(module: str) -> bool:
    return module == "torch" or module.startswith("torch.")


def timed(argv: list[str], repeats: int) -> dict:
    """Median wall seconds of ``argv`` in fresh processes, and the torch modules that one
    more run under -X importtime imported."""
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(argv, env=_env(False), check=True, capture_output=True)
        runs.append(time.perf_counter() - t0)
    profiled = subprocess.run(argv, env=_env(True), check=True, capture_output=True, text=True)
    modules = imported_modules(profiled.stderr)
    return {"wall_s": round(statistics.median(runs), 4), "runs_s": [round(r, 4) for r in runs],
            "modules_imported": len(modules), "torch_in_importtime": sorted(m for m in modules if is_torch(m))}


def modules_after(args: list[str]) -> dict:
    """Run one CLI command in a fresh process: its exit status and the torch modules loaded after it."""
    r = subprocess.run([sys.executable, "-c", _CHECK, *args], env=_env(False), capture_output=True, text=True)
    if r.returncode != 0 or not r.stdout.strip():
        raise SystemExit(f"invcodec bench startup: `invcodec {' '.join(args)}` failed: "
                         f"{(r.stderr.strip().splitlines() or ['no output'])[-1]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def run(model: str, repeats: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        png, inv, back = Path(tmp) / "small.png", Path(tmp) / "small.inv", Path(tmp) / "back.png"
        yy, xx = np.mgrid[0:48, 0:64]
        Image.fromarray(np.stack([(xx * 4) % 256, (yy * 5) % 256, (xx + yy) % 256], 2).astype(np.uint8)).save(png)
        after = {
            "compress": modules_after(["compress", str(png), "-o", str(inv), "-m", model, "-t", "1"]),
            "decompress": modules_after(["decompress", str(inv), "-o", str(back), "-m", model, "-t", "1"]),
            "info": modules_after(["info", str(inv)]),
        }
        exact = bool(np.array_equal(np.asarray(Image.open(png)), np.asarray(Image.open(back))))
        cli = cli_command()
        commands = {
            "python -c pass": timed([sys.executable, "-c", "pass"], repeats),  # the interpreter alone, for scale
            "import invcodec.codec": timed([sys.executable, "-c", "import invcodec.codec"], repeats),
            "invcodec info FILE": timed([*cli, "info", str(inv)], repeats),
            "invcodec compress --help": timed([*cli, "compress", "--help"], repeats),
        }
    torch_anywhere = any(c["torch_in_importtime"] for c in commands.values()) or any(a["torch_modules"] for a in after.values())
    info_s = commands["invcodec info FILE"]["wall_s"]
    return {"model": model, "repeats": repeats, "command": cli, "round_trip_exact": exact, "commands": commands,
            "after_command": after,
            "claims": {"no_torch": not torch_anywhere, "info_limit_s": INFO_CLAIM_S, "info_within_limit": info_s <= INFO_CLAIM_S}}


def text(report: dict) -> str:
    c = report["commands"]
    times = ", ".join(f"{name} {c[name]['wall_s']:.2f} s" for name in c if name != "python -c pass")
    torch = "no" if report["claims"]["no_torch"] else "YES"
    return (f"startup (median of {report['repeats']}): {times} (python alone {c['python -c pass']['wall_s']:.2f} s); "
            f"torch imported: {torch}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="invcodec bench startup", description=__doc__.splitlines()[0])
    p.add_argument("--model", default=DEFAULT_MODEL, help="model for the small file, name or file [default: %(default)s]")
    p.add_argument("--repeats", type=int, default=5, help="timed runs per command (median) [default: %(default)s]")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    check_model(p.prog, args.model)
    report = run(args.model, max(1, args.repeats))
    emit("startup", report, args.out)
    print(text(report), file=sys.stderr)
    return 0 if report["claims"]["no_torch"] and report["round_trip_exact"] else 1


if __name__ == "__main__":
    sys.exit(main())
