"""Online stages for photo-v5's means and scales, prototyped offline before one went into the
kernel (issue 43; results/online-stage.md has the table). Three steps:

    python results/online-stage-prototypes.py dump 24          # the project's venv: photo-v5's exact priors
    python results/online-stage-prototypes.py contexts "[[1,0,64,1,0], ...]"   # needs numba (pip install numba)
    python results/online-stage-prototypes.py lms "[(10,6,5,2047,0), ...]"     # needs numba

``dump``: the first N photos-dev images (top-left 512x512, one tile), per plane the samples,
photo-v5's means (1/16 units), scale indices and the tile's recalibrated indices, into
/tmp/online-stage. ``contexts``: CALIC-style stages, per-context bias cancellation and a
per-context scale estimate (params: bias on, scale on, halving count, prior weight, start
from the recalibrated indices). ``lms``: the integer normalized-LMS filter over the
neighbours' stage-1 errors (params: log2 1/step, taps, filter = scale index >> shift,
feature clip, earlier planes' errors as taps too). Both walk the decoder's schedule and
report float Laplace code lengths, bits per sub-pixel of each plane."""

import glob
import math
import sys

import numpy as np

OUT = "/tmp/online-stage"
LAG = 4


def dump(count: int) -> None:
    sys.path.insert(0, ".")
    import os
    from pathlib import Path
    from PIL import Image
    from invcodec import model_file
    from invcodec.entropy import adapt
    from invcodec.runtime import autoregressive as ar
    os.makedirs(OUT, exist_ok=True)
    ev = model_file.load("invcodec/weights/photo-v5.safetensors").evaluator
    for k, path in enumerate(sorted(Path("../shared/data/photos-dev").iterdir())[:count]):
        a = np.asarray(Image.open(path).convert("RGB"))[:512, :512]
        planes = ar.forward_colour(a)
        h, w = planes.shape[1:]
        out = {"planes": planes.astype(np.int32)}
        for p in range(3):
            mean, s = ev.encode_params(planes, p)
            off = adapt.scale_offsets(planes[p], mean, s)
            out[f"M{p}"] = np.round(mean * 16).astype(np.int64).reshape(h, w)
            out[f"s{p}"] = s.reshape(h, w)
            out[f"sm{p}"] = adapt.moved_indices(off)[s].reshape(h, w)
        np.savez(f"{OUT}/img{k:02d}.npz", **out)


if sys.argv[1] == "dump":
    dump(int(sys.argv[2]))
    sys.exit()

import numba as nb  # noqa: E402

SC = np.array([2.0**-4 * 1.0442737824274138**i for i in range(225)])
for i in range(1, 225):
    SC[i] = SC[i - 1] * 1.0442737824274138
OFF = np.array([(0, 1), (1, 0), (1, 1), (1, -1), (0, 2), (2, 0), (1, 2), (2, 1), (2, -1)])


@nb.njit(cache=True)
def decoder_order(P, h, w):
    """(plane, row, column) of every sample in the decoder's schedule: at step t plane p's
    anti-diagonal 2 row + column = t - p LAG, rows increasing."""
    nt = 2 * (h - 1) + (w - 1) + 1
    order = np.empty((P * h * w, 3), np.int64)
    n = 0
    for t in range(nt + (P - 1) * LAG):
        for p in range(P):
            tt = t - p * LAG
            if tt < 0 or tt >= nt:
                continue
            for y in range(max(0, (tt - (w - 1) + 1) // 2), min(h, tt // 2 + 1)):
                order[n, 0], order[n, 1], order[n, 2] = p, y, tt - 2 * y
                n += 1
    return order


@nb.njit(cache=True)
def lbits(x, m, b):
    d = abs(x - m)
    if d < 0.5:
        p = 1 - 0.5*math.exp(-(0.5-d)/b) - 0.5*math.exp(-(0.5+d)/b)
        p = max(p, 1e-12)
        lp = math.log(p)
    else:
        lp = -(d-0.5)/b + math.log(-math.expm1(-1/b)) - math.log(2)
    return -max(lp, -24*math.log(2))/math.log(2)

@nb.njit(cache=True)
def contexts_run(planes, M, S, SC, params):
    # params: bias_on, scale_on, halve_at, ebuckets_shift
    P, h, w = planes.shape
    bias_on, scale_on, halve, prior = params[0], params[1], params[2], params[3]
    base = np.zeros(P); new = np.zeros(P)
    E = np.zeros((P, h + 4, w + 8), np.int64)  # stage-1 errors, 1/16 units, padded (2 top, 4 left)
    nctxb = 225 // 8 + 1
    BS = np.zeros((P, nctxb, 32), np.int64); BN = np.zeros((P, nctxb, 32), np.int64)
    SA = np.zeros((P, 225, 12), np.int64); SB = np.zeros((P, 225, 12), np.int64)
    order = decoder_order(P, h, w)
    for i in range(order.shape[0]):
        p, y, x = order[i, 0], order[i, 1], order[i, 2]
        v = planes[p, y, x]; m = M[p, y, x]; s = S[p, y, x]
        Y, X = y + 2, x + 4
        eW = E[p, Y, X-1]; eN = E[p, Y-1, X]; eNW = E[p, Y-1, X-1]; eNE = E[p, Y-1, X+1]
        b16 = 16.0 * SC[s]
        cb = 0
        if eW > 0: cb |= 1
        if eN > 0: cb |= 2
        if eNE > 0: cb |= 4
        if eNW > 0: cb |= 8
        if abs(eW) + abs(eN) > 2 * b16: cb |= 16
        sb = s >> 3
        mc = m
        if bias_on and BN[p, sb, cb] > 0:
            q = BS[p, sb, cb]; n = BN[p, sb, cb]
            corr = (2*q + n) // (2*n) if q >= 0 else -((-2*q + n) // (2*n))
            mc = m + corr
        en = abs(eW) + abs(eN) + (abs(eNW) + abs(eNE)) // 2
        r = en / (3.0 * b16) + 1e-9
        qb = int(math.floor(2 * math.log2(r))) + 8
        qb = min(max(qb, 0), 11)
        sc = s
        if scale_on:
            a = SA[p, s, qb] + prior * b16; bb = SB[p, s, qb] + prior * b16
            sh = int(round(16 * math.log2(a / bb)))
            sc = min(max(s + sh, 0), 224)
        base[p] += lbits(float(v), m / 16.0, SC[s])
        new[p] += lbits(float(v), mc / 16.0, SC[sc])
        e = 16 * v - m
        E[p, Y, X] = e
        ec = 16 * v - mc
        BS[p, sb, cb] += e; BN[p, sb, cb] += 1
        if BN[p, sb, cb] >= halve:
            BS[p, sb, cb] //= 2; BN[p, sb, cb] //= 2
        SA[p, s, qb] += abs(ec); SB[p, s, qb] += int(b16)
        if SB[p, s, qb] > 4096 * b16:
            SA[p, s, qb] //= 2; SB[p, s, qb] //= 2
    return base, new

@nb.njit(cache=True)
def fdiv(a, b):  # floor division, b > 0
    return a // b

@nb.njit(cache=True)
def lms_run(planes, M, S, SC, shift, nk, ctx_shift, clipf, earlier):
    P, h, w = planes.shape
    base = np.zeros(P); new = np.zeros(P)
    E = np.zeros((P, h + 4, w + 8), np.int64)
    K = nk + 2
    W = np.zeros((P, 256, K), np.int64)
    f = np.zeros(K, np.int64)
    lo = np.array([0, -255, -255]) * 16; hi = np.array([255, 255, 255]) * 16
    order = decoder_order(P, h, w)
    for i in range(order.shape[0]):
        p, y, x = order[i, 0], order[i, 1], order[i, 2]
        v = planes[p, y, x]; m = M[p, y, x]; s = S[p, y, x]
        Y, X = y + 2, x + 4
        for k in range(nk):
            f[k] = min(max(E[p, Y - OFF[k, 0], X - OFF[k, 1]], -clipf), clipf)
        f[nk] = 0; f[nk + 1] = 0
        if earlier:
            if p >= 1: f[nk] = min(max(E[0, Y, X], -clipf), clipf)
            if p >= 2: f[nk + 1] = min(max(E[1, Y, X], -clipf), clipf)
        c = s >> ctx_shift
        acc = 0; nrm = 256
        for k in range(K):
            acc += W[p, c, k] * f[k]; nrm += f[k] * f[k]
        mc = m + fdiv(acc + (1 << 23), 1 << 24)
        mc = min(max(mc, lo[p]), hi[p])
        base[p] += lbits(float(v), m / 16.0, SC[s])
        new[p] += lbits(float(v), mc / 16.0, SC[s])
        E[p, Y, X] = 16 * v - m
        ec = 16 * v - mc
        for k in range(K):
            W[p, c, k] += fdiv(2 * ec * f[k] * (1 << (24 - shift)) + nrm, 2 * nrm)
    return base, new


if sys.argv[1] == "contexts":
    files = sorted(glob.glob(f"{OUT}/img*.npz"))
    for params in [np.array(a) for a in eval(sys.argv[2])]:
        tb = np.zeros(3); tn = np.zeros(3); tr = np.zeros(3); npx = 0
        for f in files:
            d = np.load(f)
            planes = d["planes"].astype(np.int64)
            M = np.stack([d[f"M{p}"] for p in range(3)]); S = np.stack([d[f"s{p}"] for p in range(3)])
            Sm = np.stack([d[f"sm{p}"] for p in range(3)])
            b, n = contexts_run(planes, M, Sm if params[4] else S, SC, params)
            br, _ = contexts_run(planes, M, Sm, SC, np.array([0, 0, 64, 1, 0]))
            tb += b; tn += n; tr += br; npx += planes[0].size
        tb /= 16 * 0 + npx; tn /= npx; tr /= npx  # bits per sample, note lbits works in 1/16 units? fix below
        print(params, "recal/plane", tr.round(4), "base", tb.round(4), tb.sum().round(4), "recal", tr.sum().round(4), "new", tn.round(4), tn.sum().round(4), f"{100*(tn.sum()/tr.sum()-1):+.2f}% vs recal")

else:
    files = sorted(glob.glob(f"{OUT}/img*.npz"))[: int(sys.argv[3]) if len(sys.argv) > 3 else 99]
    for cfg in eval(sys.argv[2]):
        tb = np.zeros(3); tn = np.zeros(3); npx = 0
        for fn in files:
            d = np.load(fn)
            planes = d["planes"].astype(np.int64)
            M = np.stack([d[f"M{p}"] for p in range(3)]); Sm = np.stack([d[f"sm{p}"] for p in range(3)])
            b, n = lms_run(planes, M, Sm, SC, *cfg)
            tb += b; tn += n; npx += planes[0].size
        tb /= npx; tn /= npx
        print(cfg, "recal", tb.round(4), tb.sum().round(4), "new", tn.round(4), tn.sum().round(4), f"{100*(tn.sum()/tb.sum()-1):+.2f}%", flush=True)

