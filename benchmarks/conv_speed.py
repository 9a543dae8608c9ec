"""Speed of the coding runtime's exact convolution against torch's, on one thread.

    invcodec bench conv-speed --out results/conv-speed.json

Times ``invcodec.runtime.conv.conv2d`` (im2col + BLAS GEMM, BLAS limited to one thread)
on the layer shapes the models use (3x3 64->64 and 32->32, 1x1 64->64) on a 384x256
image, in float32 (the int8 format) and float64 (the fixed64 format), and torch's
``F.conv2d`` (one thread) on the same integer-valued inputs when torch is installed;
reports the median of --repeats runs in GMAC/s and whether both give the same numbers
(the inputs keep every partial sum exact in float32, so they must)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
from threadpoolctl import threadpool_limits

from invcodec.runtime.conv import conv2d, weight_matrix

from .report import emit

LAYERS = [("3x3 64->64", 64, 64, 3), ("3x3 32->32", 32, 32, 3), ("1x1 64->64", 64, 64, 1)]
DTYPES = ("float32", "float64")
ACT_MAX, WEIGHT_MAX = 255, 63  # 3*3*64 * 63 * 255 < 2**24: exact in float32


def _median_seconds(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up: page faults, BLAS buffers
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _torch():
    try:
        import torch
        import torch.nn.functional as F  # noqa: N812
    except ImportError:
        return None, None
    return torch, F


def measure(width: int, height: int, repeats: int, use_torch: bool = True) -> list[dict]:
    torch, F = _torch() if use_torch else (None, None)  # noqa: N806
    rng = np.random.default_rng(0)
    rows = []
    for label, cin, cout, k in LAYERS:
        x_int = rng.integers(0, ACT_MAX + 1, (height, width, cin))
        w_int = rng.integers(-WEIGHT_MAX, WEIGHT_MAX + 1, (cout, cin, k, k))
        macs = height * width * cin * cout * k * k
        for dtype in DTYPES:
            x, matrix = x_int.astype(dtype), weight_matrix(w_int, np.dtype(dtype))
            with threadpool_limits(limits=1):
                ours = conv2d(x, matrix, k)
                seconds = _median_seconds(lambda: conv2d(x, matrix, k), repeats)
            row = {"layer": label, "dtype": dtype, "macs": macs, "numpy_s": seconds, "numpy_gmac_s": macs / seconds / 1e9}
            if torch is not None:
                old = torch.get_num_threads()
                torch.set_num_threads(1)
                try:
                    xt = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)[None]))
                    wt = torch.from_numpy(w_int.astype(dtype))
                    with torch.inference_mode():
                        theirs = F.conv2d(xt, wt, padding=k // 2)[0].permute(1, 2, 0).numpy()
                        t_seconds = _median_seconds(lambda: F.conv2d(xt, wt, padding=k // 2), repeats)
                finally:
                    torch.set_num_threads(old)
                row |= {"torch_s": t_seconds, "torch_gmac_s": macs / t_seconds / 1e9,
                        "same_as_torch": bool(np.array_equal(ours, theirs))}
            rows.append(row)
    return rows


def text(rows: list[dict]) -> str:
    lines = [f"{'layer':<12} {'dtype':<8} {'numpy GMAC/s':>13} {'torch GMAC/s':>13}  same"]
    for r in rows:
        torch_col = f"{r['torch_gmac_s']:13.1f}  {'yes' if r['same_as_torch'] else 'NO'}" if "torch_s" in r else f"{'n/a':>13}"
        lines.append(f"{r['layer']:<12} {r['dtype']:<8} {r['numpy_gmac_s']:13.1f} {torch_col}")
    return "\n".join(lines)


def _size(value: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in value.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, got {value!r}") from None
    if w < 1 or h < 1:
        raise argparse.ArgumentTypeError("sides must be positive")
    return w, h


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="invcodec bench conv-speed", description=__doc__.splitlines()[0])
    p.add_argument("--size", type=_size, default=(384, 256), help="image WIDTHxHEIGHT [default: 384x256]")
    p.add_argument("--repeats", type=int, default=5, help="timed runs per case (median) [default: %(default)s]")
    p.add_argument("--no-torch", action="store_true", help="time the runtime only")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    width, height = args.size
    rows = measure(width, height, max(1, args.repeats), not args.no_torch)
    torch, _ = _torch() if not args.no_torch else (None, None)
    print(text(rows), file=sys.stderr)
    emit("conv_speed", {"width": width, "height": height, "repeats": args.repeats, "threads": 1,
                        "torch": torch.__version__ if torch is not None else None, "rows": rows}, args.out, coding_threads=1)
    return 0 if all(r.get("same_as_torch", True) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
