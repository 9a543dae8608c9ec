"""A richer likelihood than one Laplace for photo-v6, measured offline before any kernel work
(issue 43; results/likelihood-shape.md has the numbers). Each coded sample's (value, mean
after the online stage, scale index after the tile's offsets) as the codec codes it, then the
code length under a two-Laplace mixture of the same mean per (plane, group of scale indices):
weight w on the Laplace at scale index s + d1, 1 - w on the one at s + d2, fitted by
coordinate search.

    python results/likelihood-shape-prototypes.py dump-train            # 165 training crops (trainer's sampling, no grey)
    python results/likelihood-shape-prototypes.py dump ../shared/data/photos-dev dev
    python results/likelihood-shape-prototypes.py dump ../shared/data/kodak kodak
    python results/likelihood-shape-prototypes.py fit 4                 # fit on the training crops -> table
    python results/likelihood-shape-prototypes.py eval 4 dev            # the table on another set
    python results/likelihood-shape-prototypes.py per-image 16 kodak 8  # each image fitted on itself (an upper bound)

Run from the repository root in the project's venv; files go to /tmp/likelihood-shape."""

import glob
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, ".")
from invcodec import model_file  # noqa: E402
from invcodec.entropy import adapt, grid  # noqa: E402
from invcodec.runtime import autoregressive as ar  # noqa: E402

OUT = "/tmp/likelihood-shape"
S, N = grid.SCALES, grid.N_SCALES


def coded(rgb: np.ndarray, evaluator) -> dict[str, np.ndarray]:
    """Each plane's values, stream means and the tile's moved scale indices (one tile)."""
    planes = ar.forward_colour(np.ascontiguousarray(rgb))
    out = {}
    for p in range(3):
        mean, s = evaluator.stream_params(planes, p)
        offsets = adapt.scale_offsets(planes[p].reshape(-1), mean, s)
        out[f"x{p}"] = planes[p].reshape(-1).astype(np.int16)
        out[f"m{p}"] = mean.astype(np.float32)  # on the 1/16 grid: exact
        out[f"s{p}"] = adapt.moved_indices(offsets)[s].astype(np.int16)
    return out


def pmf(d: np.ndarray, index: np.ndarray) -> np.ndarray:
    return 2.0 ** -grid.laplace_bits(d, 0.0, S[np.clip(index, 0, N - 1)])


def bits(d, s, d1, d2, w) -> np.ndarray:
    p = w * pmf(d, s + d1) + (1 - w) * pmf(d, s + d2)
    return -np.log2(np.maximum(p, 2.0**-24))


def fit(d: np.ndarray, s: np.ndarray) -> tuple[float, int, int, float]:
    """(bits, d1, d2, w) from (0, 32, 0.9) by coordinate search; the plain Laplace if no better."""
    best = (bits(d, s, 0, 0, 1.0).sum(), 0, 0, 1.0)
    d1, d2, w = 0, 32, 0.9
    cur = bits(d, s, d1, d2, w).sum()
    for _ in range(6):
        for cand in ([(d1 + a, d2, w) for a in (-4, -2, -1, 1, 2, 4)] + [(d1, d2 + a, w) for a in (-16, -8, -4, -2, 2, 4, 8, 16)]
                     + [(d1, d2, float(np.clip(w + a, 0.0, 1.0))) for a in (-0.2, -0.05, -0.01, 0.01, 0.05, 0.2)]):
            c = bits(d, s, *cand).sum()
            if c < cur:
                cur, (d1, d2, w) = c, cand
    return (cur, d1, d2, w) if cur < best[0] else best


def load(name: str) -> list[dict[str, np.ndarray]]:
    return [dict(np.load(f)) for f in sorted(glob.glob(f"{OUT}/{name}-*.npz"))]


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    command = sys.argv[1]
    if command in ("dump", "dump-train"):
        evaluator = model_file.load("invcodec/weights/photo-v6.safetensors").evaluator
        if command == "dump-train":
            from invcodec.training.autoregressive import image_files, sample_crops
            files = image_files(Path("../shared/data/photos-train"))[::2]
            images, name = sample_crops(files, 1, 256, (0.5, 0.8), 0.0, np.random.default_rng(0)), "train"
        else:
            from invcodec.training.autoregressive import image_files, load_rgb
            images, name = [load_rgb(p)[:1024, :1024] for p in image_files(Path(sys.argv[2]))], sys.argv[3]
        for k, rgb in enumerate(images):
            np.savez(f"{OUT}/{name}-{k:03d}.npz", **coded(rgb, evaluator))
        return
    bucket = int(sys.argv[2])
    if command == "fit":
        data = load("train")
        rng = np.random.default_rng(0)
        table = []
        for p in range(3):
            x, m, s = (np.concatenate([d[f"{k}{p}"] for d in data]) for k in "xms")
            d, s = x.astype(float) - m.astype(float), s.astype(np.int64)
            for b in range(0, N, bucket):
                sel = np.flatnonzero((s >= b) & (s < b + bucket))
                if sel.size < 300:
                    continue
                sel = rng.choice(sel, 40000, replace=False) if sel.size > 40000 else sel
                c, d1, d2, w = fit(d[sel], s[sel])
                table.append((p, b, d1, d2, round(w * 256) / 256))
                print(p, b, sel.size, (d1, d2, round(w, 3)), f"{100 * (c / bits(d[sel], s[sel], 0, 0, 1.0).sum() - 1):+.2f} %")
        np.save(f"{OUT}/table{bucket}.npy", np.array(table))
        return
    data = load(sys.argv[3])
    if command == "eval":
        table = np.load(f"{OUT}/table{bucket}.npy")
        per = np.zeros((3, 2))
        for img in data:
            for p in range(3):
                d, s = img[f"x{p}"].astype(float) - img[f"m{p}"].astype(float), img[f"s{p}"].astype(np.int64)
                d1, d2, w = np.zeros_like(s), np.zeros_like(s), np.ones(s.size)
                for pp, b, v1, v2, vw in table:
                    if pp == p:
                        sel = (s >= b) & (s < b + bucket)
                        d1[sel], d2[sel], w[sel] = v1, v2, vw
                per[p] += bits(d, s, 0, 0, 1.0).sum(), bits(d, s, d1, d2, w).sum()
        print(sys.argv[3], "per plane", [f"{100 * (b / a - 1):+.2f} %" for a, b in per],
              f"total {100 * (per[:, 1].sum() / per[:, 0].sum() - 1):+.2f} %")
    elif command == "per-image":
        total = np.zeros(2)
        for k, img in enumerate(data[: int(sys.argv[4])]):
            one = np.zeros(2)
            for p in range(3):
                d, s = img[f"x{p}"].astype(float) - img[f"m{p}"].astype(float), img[f"s{p}"].astype(np.int64)
                for b in range(0, N, bucket):
                    sel = np.flatnonzero((s >= b) & (s < b + bucket))
                    base = bits(d[sel], s[sel], 0, 0, 1.0).sum()
                    one += base, fit(d[sel], s[sel])[0] if sel.size > 200 else base
            total += one
            print(k, f"{100 * (one[1] / one[0] - 1):+.2f} %", flush=True)
        print(f"total {100 * (total[1] / total[0] - 1):+.2f} %")


if __name__ == "__main__":
    main()
