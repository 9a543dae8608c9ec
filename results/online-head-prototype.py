"""The output layer learnt online while coding, prototyped offline (issue 43; the table:
results/online-head.md). Effort 8's fine-tuning of the head on the tile saves 1.6 % on Kodak
after paying for its delta; can the coder learn the output layer as it codes instead, as
the decoder could repeat exactly, at every effort and with nothing in the file?

    python results/online-head-prototype.py dump 24 ../shared/data/photos-dev [MODEL]   # the project's venv
    python results/online-head-prototype.py run "[(mu_mean, mu_scale, delta, sign), ...]" photos-dev  # needs numba

``dump``: the first N images of a folder (top-left 512x512, one tile), per plane the samples,
the model's (default photo-v7) stream means (after its online LMS stage, 1/16 units), its
scale indices moved by the tile's scale offsets, and the net's last hidden layer (its
activations per sample, real units), into /tmp/online-head/FOLDER-NAME (FOLDER-NAME-MODEL
for another model). ``run``: per plane, in the decoder's order within the plane,
a correction of the mean (w . a) and of the log scale (v . a) over those activations and a
constant, both updated after every sample by a normalized gradient step of the Laplace
code length (mean: the error's sign times the scale, or with ``sign`` 0 the error itself,
as LMS; scale: the discretized Laplace's slope in the log scale); float Laplace code
lengths, bits per sub-pixel."""

import glob
import math
import sys

import numpy as np

OUT = "/tmp/online-head"


def dump(count: int, folder: str, model: str) -> None:
    sys.path.insert(0, ".")
    import os
    from pathlib import Path
    from PIL import Image
    from invcodec import model_file
    from invcodec.entropy import adapt
    from invcodec.runtime import autoregressive as ar
    out_dir = f"{OUT}/{Path(folder).name}" + ("" if model == "photo-v7" else f"-{model}")
    os.makedirs(out_dir, exist_ok=True)
    ev = model_file.load(f"invcodec/weights/{model}.safetensors").evaluator
    for k, path in enumerate(sorted(Path(folder).iterdir())[:count]):
        a = np.asarray(Image.open(path).convert("RGB"))[:512, :512]
        planes = ar.forward_colour(a)
        h, w = planes.shape[1:]
        out = {"planes": planes.astype(np.int32)}
        for p in range(3):
            mean, s = ev.stream_params(planes, p)
            off = adapt.scale_offsets(planes[p], mean, s)
            out[f"M{p}"] = np.round(mean * 16).astype(np.int64).reshape(h, w)
            out[f"sm{p}"] = adapt.moved_indices(off)[s].reshape(h, w)
            features, _ = ar.plane_features(planes, p)
            padded = np.zeros((features.shape[0], ar.FEATURES))
            padded[:, : features.shape[1]] = features
            acc = padded @ ev.w1[p] + ev.b1[p]
            a1 = np.minimum(np.floor(np.maximum(acc[:, : ev.hidden], 0) * 2.0 ** (ar.ACT_FRAC_BITS - ar.FIRST_FRAC_BITS)),
                            ar.ACT_LIMIT)
            a2 = np.minimum(np.floor(np.maximum(a1 @ ev.w2[p] + ev.b2[p], 0) * 2.0**-ar.WEIGHT_FRAC_BITS), ar.ACT_LIMIT)
            out[f"A{p}"] = (a2 * 2.0**-ar.ACT_FRAC_BITS).astype(np.float32)
        np.savez(f"{out_dir}/img{k:02d}.npz", **out)


if sys.argv[1] == "dump":
    dump(int(sys.argv[2]), sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "photo-v7")
    sys.exit()

import numba as nb  # noqa: E402

SC = np.array([2.0**-4 * 1.0442737824274138**i for i in range(225)])
RANGE = ((0.0, 255.0), (-255.0, 255.0), (-255.0, 255.0))


@nb.njit(cache=True)
def lbits(x, m, b):
    d = abs(x - m)
    if d < 0.5:
        p = 1 - 0.5 * math.exp(-(0.5 - d) / b) - 0.5 * math.exp(-(0.5 + d) / b)
        lp = math.log(max(p, 1e-12))
    else:
        lp = -(d - 0.5) / b + math.log(-math.expm1(-1 / b)) - math.log(2)
    return -max(lp, -24 * math.log(2)) / math.log(2)


@nb.njit(cache=True)
def plane_run(v, M, S, A, order, SC, lo, hi, mu_mean, mu_scale, delta, sign):
    n, k = A.shape
    wm = np.zeros(k + 1)
    ws = np.zeros(k + 1)
    a = np.empty(k + 1)
    base = 0.0
    new = 0.0
    for j in range(n):
        i = order[j]
        norm = delta + 1.0
        a[k] = 1.0
        for q in range(k):
            a[q] = A[i, q]
            norm += a[q] * a[q]
        cm = 0.0
        cs = 0.0
        for q in range(k + 1):
            cm += wm[q] * a[q]
            cs += ws[q] * a[q]
        cs = min(max(cs, -2.0), 2.0)
        b0 = SC[S[i]]
        m = min(max(M[i] / 16.0 + cm, lo), hi)
        b = b0 * math.exp(cs)
        x = float(v[i])
        base += lbits(x, M[i] / 16.0, b0)
        new += lbits(x, m, b)
        e = x - m
        gm = (b if e > 0 else -b if e < 0 else 0.0) if sign else e
        # the discretized Laplace's own slope in the log scale (the continuous one, |e| / b - 1,
        # pushes small scales down forever: most errors are 0 there)
        gs = (lbits(x, m, b * 0.99) - lbits(x, m, b * 1.01)) / 0.02 * math.log(2)
        for q in range(k + 1):
            wm[q] += mu_mean * gm * a[q] / norm
            ws[q] += mu_scale * gs * a[q] / norm
    return base, new


def plane_order(h: int, w: int) -> np.ndarray:
    """Raster indices in the decoder's order within a plane: anti-diagonals 2 row + column."""
    t = (2 * np.arange(h)[:, None] + np.arange(w)).reshape(-1)
    return np.argsort(t, kind="stable")


files = sorted(glob.glob(f"{OUT}/{sys.argv[3]}/img*.npz"))[: int(sys.argv[4]) if len(sys.argv) > 4 else 99]
for cfg in eval(sys.argv[2]):
    tb = np.zeros(3)
    tn = np.zeros(3)
    npx = 0
    for fn in files:
        d = np.load(fn)
        planes = d["planes"]
        h, w = planes.shape[1:]
        order = plane_order(h, w)
        for p in range(3):
            b, n = plane_run(planes[p].reshape(-1), d[f"M{p}"].reshape(-1), d[f"sm{p}"].reshape(-1), d[f"A{p}"], order, SC,
                             RANGE[p][0], RANGE[p][1], *cfg)
            tb[p] += b
            tn[p] += n
        npx += h * w
    tb /= npx
    tn /= npx
    print(cfg, "shipped", tb.round(4), tb.sum().round(4), "online head", tn.round(4), tn.sum().round(4),
          f"{100 * (tn.sum() / tb.sum() - 1):+.2f}%", flush=True)
