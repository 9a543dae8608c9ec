"""Anomaly detection by density, measured: does the model give its own kind of image
fewer bits than other images? AUROC and FPR at 95 % TPR of the raw bits/dim and of the
complexity-corrected score (``invcodec.complexity``: bits under the model − bits under a
generic lossless compressor, Serrà et al. ICLR 2020) for in/out pairs of image sets.

    nice -n 10 invcodec bench anomaly --data ../shared/data --count 500 --out results/anomaly

Positives are the out-of-distribution images and a higher score is more anomalous, so an
AUROC below 0.5 means the model finds the foreign images *more* likely than its own (the
likelihood paradox of Nalisnick et al., ICLR 2019). Every image reaches the model as
``invcodec score --size SIDE`` gives it (``pixels.square``: centre square crop, box
resize; CIFAR-10's 32x32 become 2x2 blocks at 64), except the Kodak and synthetic crops,
cut at the model's side from the full-size images. The sets: CelebA test faces (the test
split of split.csv), CIFAR-10 test (the npz's x_test), Kodak crops and crops of the
synthetic graphics set (``bench synthetic``) at random places, uniform noise, constant
colours, and the faces upside down and colour-inverted. Also the faces model's bits/dim on
the whole test split under this project's preprocessing and under RealNVP's (crop
``image[40:188, 15:163]``, bilinear to 64x64: Pillow's, which filters when it shrinks)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image, ImageDraw
from tqdm import tqdm

from invcodec import complexity, generative, pixels
from invcodec.registry import DEFAULT_MODEL, get_model
from invcodec.training.data import read_split

from .report import environment, write_folder
from .synthetic import synthetic_set

REFERENCES = ("photo-v4", "png", "jpeg-xl")
TPR = 0.95
REALNVP_CROP = (15, 40, 163, 188)  # image[40:188, 15:163] as Pillow's (left, top, right, bottom)


def auroc(inside: np.ndarray, outside: np.ndarray) -> float:
    """P(an outside score > an inside one), ties counting half: the Mann-Whitney U of the
    outside scores over the number of pairs."""
    from scipy.stats import mannwhitneyu

    return float(mannwhitneyu(outside, inside).statistic / (len(inside) * len(outside)))


def fpr_at_tpr(inside: np.ndarray, outside: np.ndarray, tpr: float = TPR) -> float:
    """The fraction of inside images flagged when the threshold flags ``tpr`` of the
    outside ones: the highest threshold t with at least ``tpr`` of outside >= t."""
    t = np.sort(outside)[int(np.floor((1 - tpr) * len(outside) + 1e-9))]
    return float(np.mean(inside >= t))


# -- the image sets: each a function (data folder, count, side, rng) -> (count, side, side, 3) uint8

def _celeba_names(data: Path) -> list[str]:
    return sorted(read_split(data / "celeba" / "split.csv", "test"))


def _faces(data: Path, count: int, side: int, rng) -> np.ndarray:
    folder = data / "celeba" / "img_align_celeba"
    return np.stack([_square(Image.open(folder / n), side) for n in _celeba_names(data)[:count]])


def faces_realnvp(data: Path, count: int) -> np.ndarray:
    """The test faces as RealNVP prepared CelebA: a 148x148 crop of the 218x178 aligned
    face, bilinear to 64x64."""
    folder = data / "celeba" / "img_align_celeba"
    return np.stack([np.asarray(Image.open(folder / n).convert("RGB").crop(REALNVP_CROP)
                                .resize((64, 64), Image.Resampling.BILINEAR)) for n in _celeba_names(data)[:count]])


def _square(image: Image.Image, side: int) -> np.ndarray:
    return np.asarray(pixels.square(image.convert("RGB"), side))


def _cifar(data: Path, count: int, side: int, rng) -> np.ndarray:
    x = np.load(data / "cifar10" / "cifar10_partial.npz")["x_test"][:count]
    return x if side == 32 else np.stack([_square(Image.fromarray(i), side) for i in x])


def _crops(images: list[np.ndarray], count: int, side: int, rng) -> np.ndarray:
    out = []
    for k in range(count):
        image = images[k % len(images)]
        y, x = rng.integers(0, image.shape[0] - side + 1), rng.integers(0, image.shape[1] - side + 1)
        out.append(image[y : y + side, x : x + side])
    return np.stack(out)


def _kodak(data: Path, count: int, side: int, rng) -> np.ndarray:
    return _crops([np.asarray(Image.open(p).convert("RGB")) for p in sorted((data / "kodak").glob("*.png"))], count, side, rng)


def _synthetic(data: Path, count: int, side: int, rng) -> np.ndarray:
    images = [np.asarray(i.convert("RGB")) for i in synthetic_set(data / "kodak").values()]
    return _crops([i for i in images if min(i.shape[:2]) >= side], count, side, rng)


def _noise(data: Path, count: int, side: int, rng) -> np.ndarray:
    return rng.integers(0, 256, (count, side, side, 3), dtype=np.uint8)


def _constant(data: Path, count: int, side: int, rng) -> np.ndarray:
    return np.broadcast_to(rng.integers(0, 256, (count, 1, 1, 3), dtype=np.uint8), (count, side, side, 3)).copy()


PREPARATION = {  # how each set reaches a model of side S
    "celeba-test": "CelebA test split in name order, centre 178x178 crop, box-resized to S (pixels.square)",
    "cifar10-test": "the npz's x_test in order; box-resized to S (2x2 blocks at 64) when S is not 32",
    "kodak-crops": "SxS crops of the 24 Kodak images at random places (each image in turn), full resolution",
    "synthetic-crops": "SxS crops at random places of the synthetic set of bench synthetic (its images at least S wide)",
    "noise": "uniform random samples 0..255",
    "constant": "one random colour per image",
    "celeba-upside-down": "celeba-test, rows reversed",
    "celeba-inverted": "celeba-test, 255 - every sample",
}
SETS: dict[str, Callable] = {
    "celeba-test": _faces,
    "cifar10-test": _cifar,
    "kodak-crops": _kodak,
    "synthetic-crops": _synthetic,
    "noise": _noise,
    "constant": _constant,
    "celeba-upside-down": lambda *a: _faces(*a)[:, ::-1],
    "celeba-inverted": lambda *a: 255 - _faces(*a),
}


@dataclass(frozen=True)
class Setup:
    """One model, its side, its in-distribution set and the sets it should tell apart from it."""

    model: str
    side: int
    inside: str
    outside: tuple[str, ...]


SETUPS = (
    Setup("faces-v3", 64, "celeba-test", ("cifar10-test", "kodak-crops", "synthetic-crops", "noise", "constant",
                                          "celeba-upside-down", "celeba-inverted")),
    Setup("cifar10-v1", 32, "cifar10-test", ("celeba-test", "constant")),
)


def _bits_per_dim(score: Callable[[np.ndarray], float], images: np.ndarray, label: str) -> np.ndarray:
    return np.array([score(i) for i in tqdm(images, desc=label, unit="image", leave=False)])


def measure(data: Path, count: int, seed: int = 0, reference_names: tuple[str, ...] = REFERENCES) -> dict:
    import torch

    torch.set_num_threads(1)  # small images: one thread is fastest and immune to contention
    references = {name: complexity.reference(name) for name in reference_names}
    report: dict = {"count_per_set": count, "seed": seed, "tpr": TPR, "preparation": PREPARATION,
                    "references": {n: r.name for n, r in references.items()}, "setups": []}
    for setup in SETUPS:
        score = generative.scorer(get_model(setup.model))
        scores = {}
        for name in (setup.inside, *setup.outside):
            images = SETS[name](data, count, setup.side, np.random.default_rng(seed))
            scores[name] = {"bits_per_dim": _bits_per_dim(score, images, f"{setup.model} {name}")}
            for ref_name, ref in references.items():
                ref_bpd = np.array([ref.bits(i) / i.size for i in images])
                scores[name][ref_name] = scores[name]["bits_per_dim"] - ref_bpd
        pairs = []
        for name in setup.outside:
            metrics = {}
            for key in ("bits_per_dim", *references):
                inside, outside = scores[setup.inside][key], scores[name][key]
                metrics[key] = {"auroc": round(auroc(inside, outside), 4), "fpr95": round(fpr_at_tpr(inside, outside), 4)}
            pairs.append({"outside": name, **metrics})
        report["setups"].append({"model": setup.model, "side": setup.side, "inside": setup.inside, "pairs": pairs,
                                 "scores": {n: {k: [round(float(v), 4) for v in s] for k, s in d.items()}
                                            for n, d in scores.items()}})
    faces = get_model("faces-v3")
    score = generative.scorer(faces)
    house = SETS["celeba-test"](data, 10**6, 64, None)
    report["faces_bpd"] = {
        "model": faces.name, "images": len(house),
        "house (centre 178x178 crop, box to 64x64)": round(float(_bits_per_dim(score, house, "house").mean()), 4),
        "RealNVP (crop [40:188, 15:163], bilinear to 64x64)":
            round(float(_bits_per_dim(score, faces_realnvp(data, 10**6), "RealNVP").mean()), 4)}
    return report


SCORE_LABELS = {"bits_per_dim": "bits/dim", "photo-v4": "S (photo-v4)", "png": "S (PNG)", "jpeg-xl": "S (JPEG-XL)"}


def _score_keys(report: dict) -> list[str]:
    """bits/dim, then the corrected score of each reference the run measured."""
    return ["bits_per_dim", *report["references"]]


def markdown(report: dict) -> str:
    keys = _score_keys(report)
    lines = [f"AUROC (FPR at {report['tpr']:.0%} TPR), {report['count_per_set']} images per set; positive = out of "
             "distribution, higher score = more anomalous. S = bits/dim under the model − bits/dim under the "
             "reference compressor.", "",
             "| model | in | out | " + " | ".join(SCORE_LABELS[k] for k in keys) + " |", "|---|---|---|" + "---:|" * len(keys)]
    failing = []
    for setup in report["setups"]:
        for pair in setup["pairs"]:
            cells = [f"{pair[k]['auroc']:.3f} ({pair[k]['fpr95']:.2f})" for k in keys]
            lines.append(f"| {setup['model']} | {setup['inside']} | {pair['outside']} | " + " | ".join(cells) + " |")
            if pair["bits_per_dim"]["auroc"] < 0.5:
                failing.append(f"{setup['model']}: {setup['inside']} vs {pair['outside']}")
    lines += ["", "Raw likelihood fails (AUROC < 0.5) on: " + ("; ".join(failing) if failing else "none") + "."]
    bpd = report["faces_bpd"]
    lines += ["", f"{bpd['model']} bits/dim on the {bpd['images']} CelebA test faces, by preprocessing:", "",
              "| preprocessing | bits/dim |", "|---|---:|"]
    lines += [f"| {k} | {v:.4f} |" for k, v in bpd.items() if k not in ("model", "images")]
    return "\n".join(lines) + "\n"


PANEL = (240, 96)
COLOURS = {"in": (40, 90, 200), "out": (230, 110, 20)}


def _histogram(draw: ImageDraw.ImageDraw, box: tuple[int, int], inside: np.ndarray, outside: np.ndarray, title: str) -> None:
    """Two histograms in one panel at ``box`` (top-left), on the range both share."""
    x0, y0 = box
    w, h = PANEL[0] - 10, PANEL[1] - 26
    both = np.concatenate([inside, outside])
    lo, hi = np.percentile(both, [0.5, 99.5])
    edges = np.linspace(lo, hi if hi > lo else lo + 1, 41)
    counts = {k: np.histogram(np.clip(v, edges[0], edges[-1]), edges)[0] / len(v) for k, v in (("in", inside), ("out", outside))}
    top = max(c.max() for c in counts.values()) or 1
    bar = w / (len(edges) - 1)
    for key, c in counts.items():
        for i, v in enumerate(c):
            if v:
                draw.rectangle((x0 + i * bar, y0 + 14 + h * (1 - v / top), x0 + (i + 1) * bar, y0 + 14 + h),
                               outline=COLOURS[key])
    draw.line((x0, y0 + 14 + h, x0 + w, y0 + 14 + h), fill=(0, 0, 0))
    draw.text((x0, y0), title, fill=(0, 0, 0))
    draw.text((x0, y0 + 16 + h), f"{lo:.2f}", fill=(90, 90, 90))
    draw.text((x0 + w - 30, y0 + 16 + h), f"{hi:.2f}", fill=(90, 90, 90))


def histograms(report: dict, out: Path) -> Path:
    """One row of panels per pair (in: blue, out: orange), one column per score, with its AUROC."""
    rows = [(s, p) for s in report["setups"] for p in s["pairs"]]
    keys = _score_keys(report)
    image = Image.new("RGB", (len(keys) * PANEL[0] + 10, len(rows) * PANEL[1] + 30), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.text((5, 5), "in distribution: blue; out: orange. Columns: " + ", ".join(SCORE_LABELS[k] for k in keys), fill=(0, 0, 0))
    for r, (setup, pair) in enumerate(rows):
        for c, key in enumerate(keys):
            title = f"{setup['model']} vs {pair['outside']}: AUROC {pair[key]['auroc']:.2f}"
            _histogram(draw, (5 + c * PANEL[0], 25 + r * PANEL[1]), np.array(setup["scores"][setup["inside"]][key]),
                       np.array(setup["scores"][pair["outside"]][key]), title)
    path = out / "histograms.png"
    image.save(path, optimize=True)
    return path


CORRECTED_TOP = 8.0  # bits per pixel: the top of the corrected maps' scale (a face costs faces-v3 ~0.7 more than photo-v4)
CORRECTED_BLOCK = 4  # the corrected map's cells: a flow spreads a latent's bits over a block, photo-v4 keeps them per pixel


def _block_mean(bits: np.ndarray, block: int) -> np.ndarray:
    """``bits`` (sides multiples of ``block``) averaged over block x block cells, at full size."""
    h, w = bits.shape
    return np.kron(bits.reshape(h // block, block, w // block, block).mean(axis=(1, 3)), np.ones((block, block)))


def surprise_pictures(data: Path, out: Path) -> list[Path]:
    """Image, its surprise map (``generative.heat_map``, 0..24 bits per pixel) and, for a
    face model, the corrected map: the bits it spends beyond the default lossless model's,
    per pixel in 4x4 cells (0 or fewer black, ``CORRECTED_TOP`` and more pale yellow). A test face and
    the same face with a 16x16 patch of kodim01 (wall and window) pasted on it under
    faces-v3; a 256x256 crop of kodim23 under the default lossless model."""
    face = SETS["celeba-test"](data, 1, 64, None)[0]
    patched = face.copy()
    patched[20:36, 36:52] = np.asarray(Image.open(data / "kodak" / "kodim01.png").convert("RGB"))[100:116, 400:416]
    kodak = np.asarray(Image.open(data / "kodak" / "kodim23.png").convert("RGB"))[128:384, 256:512]
    generic = generative.surprise(get_model(DEFAULT_MODEL))
    paths = []
    for name, model, image, zoom in (("face", "faces-v3", face, 4), ("face-patch", "faces-v3", patched, 4),
                                     ("kodim23", DEFAULT_MODEL, kodak, 1)):
        bits = generative.surprise(get_model(model))(image)
        panels = [image, np.asarray(generative.heat_map(bits))]
        if model != DEFAULT_MODEL:
            corrected = _block_mean(bits - generic(image), CORRECTED_BLOCK)
            panels.append(np.asarray(generative.heat_map(corrected, top=CORRECTED_TOP)))
        row = generative.image_grid(np.stack(panels), columns=len(panels))
        row = row.resize((row.width * zoom, row.height * zoom), Image.Resampling.NEAREST)
        paths.append(out / f"surprise-{name}-{model}.png")
        row.save(paths[-1], optimize=True)
    return paths


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="invcodec bench anomaly", description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=Path("../shared/data"), help="the shared data folder [default: %(default)s]")
    p.add_argument("--count", type=int, default=500, help="images per set [default: %(default)s]")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, required=True, help="folder for results.json, results.md, histograms.png")
    p.add_argument("--reference", action="append", choices=REFERENCES, default=None,
                   help="a reference compressor of the corrected score; repeatable [default: all of them]")
    args = p.parse_args(argv)
    if args.count < 1:
        raise SystemExit(f"{p.prog}: --count must be at least 1")
    if not (args.data / "celeba" / "split.csv").is_file():
        raise SystemExit(f"{p.prog}: {args.data}: no celeba/split.csv here; give the shared data folder with --data")
    report = {"benchmark": "anomaly", **environment(coding_threads=1), **measure(args.data, args.count, args.seed, tuple(args.reference or REFERENCES))}
    write_folder(report, args.out, markdown, histograms)
    surprise_pictures(args.data, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
