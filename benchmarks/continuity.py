"""Continuity of the flows: local Lipschitz constants of the decoder (each level's latents
-> pixels) and of the encoder (pixels -> all latents), on test images and on samples.

    invcodec bench continuity -m photo-v2 -m faces-v1 -m cifar10-v1 --data ../shared/data \\
        --out results/continuity

Each model is measured on its own kind of data (``DATASETS``: photos-dev centre crops,
CelebA test faces at 64x64, CIFAR-10 test images; ``-m MODEL:DATASET`` chooses) and on
its own samples at temperature 0.7. Two estimates per image:

* relaxed: the largest singular value of the Jacobian of the flow with its roundings
  replaced by the identity (the straight-through relaxation the models are trained
  with), by power iteration on J^T J v with forward- and reverse-mode products
  (``torch.func.jvp`` / ``vjp``), float64. Power iteration approaches sigma_max from
  below, so these are lower bounds of the local constant (the last two iterates differ
  by at most 2 % at the default 12 iterations on the shipped models).
* integer: the real map, by finite differences. Unit: one latent (or one pixel) moved
  by +-1 at random places, ||change of the output||_2 (a lower bound on the integer map's
  local Lipschitz constant, in the same units as the relaxed one). Along the relaxed top
  singular vector: delta = round(a * v / max|v|) for a = 1, 4, ratio ||g(z + delta) -
  g(z)|| / ||delta||, which shows whether the relaxed direction is also the integer map's.

Pixels and latents are both in integer units (0..255 and the coder's symbols). The
lifting's latents are not normalised (a coarse anchor is a block mean, so one step of it
moves many pixels), so each model is shown beside its own fixed lifting: the same
architecture with the learned corrections at zero (an integer Haar-like transform),
measured on the first two test images. Writes results.json, results.md and a plot."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from .report import environment, pyplot, save_figure

DATASETS = ("photos", "faces", "cifar")
TEMPERATURE = 0.7


def _dataset_of(name: str) -> str:
    return "faces" if name.startswith("faces") else "cifar" if name.startswith("cifar") else "photos"


def load_images(dataset: str, data: Path, count: int) -> tuple[np.ndarray, str]:
    """The first ``count`` test images of a data set under ``data`` (../shared/data)."""
    from invcodec.training.data import centre_crops, load_folder, read_split

    if dataset == "cifar":
        return np.load(data / "cifar10" / "cifar10_partial.npz")["x_test"][:count], "cifar10 x_test (32x32)"
    if dataset == "faces":
        names = set(sorted(read_split(data / "celeba" / "split.csv", "test"))[:count])
        return np.stack(load_folder(data / "celeba" / "img_align_celeba", names=names, square_size=64)), \
            "CelebA test split (64x64)"
    folder = data / "photos-dev"
    paths = sorted(folder.iterdir())[:count]
    crops = centre_crops(load_folder(folder, names={p.name for p in paths}), 64).transpose(0, 2, 3, 1)  # NCHW -> NHWC
    return np.ascontiguousarray(crops), "photos-dev centre crops (64x64)"


class _Flow:
    """A model's encoder / decoder as functions of flat tensors, relaxed (float64, the
    roundings' straight-through identity) for Jacobian products, and integer for differences."""

    def __init__(self, net, shape: tuple[int, int]):
        import torch

        self.torch, self.net, (self.h, self.w) = torch, net, shape

    def latents(self, x):
        from invcodec.training.jacobian import latents

        return latents(self.net.analyze(x))

    def encode_flat(self, x):
        return self.torch.cat([z.flatten() for z in self.latents(x)])

    def decode(self, zs):
        return self.net.synthesize(zs[:-1], zs[-1])

    def spectral_norm(self, f, at, iterations: int, seed: int):
        """Largest singular value of f's Jacobian at ``at`` and its right singular vector."""
        from torch.func import jvp, vjp

        torch = self.torch
        v = torch.randn(at.shape, dtype=at.dtype, generator=torch.Generator().manual_seed(seed))
        v /= v.norm()
        _, pull = vjp(f, at)
        history = []
        for _ in range(iterations):
            _, jv = jvp(f, (at,), (v,))
            history.append(jv.norm().item())
            (jtjv,) = pull(jv)
            v = jtjv / jtjv.norm()
        return history[-1], v, abs(history[-1] - history[-2]) / history[-1]


def measure_image(net, image: np.ndarray, iterations: int, probes: int, seed: int) -> dict:
    import torch

    flow = _Flow(net, image.shape[:2])
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        x = torch.from_numpy(image.transpose(2, 0, 1)[None].astype(np.float64))
        zs = flow.latents(x)
    out = {}
    # encoder: relaxed, and one pixel moved by +-1 (towards the inside of 0..255)
    sigma, _, drift = flow.spectral_norm(flow.encode_flat, x, iterations, seed)
    out["encoder"] = {"relaxed": sigma, "converged": drift}
    with torch.no_grad():
        base, units = flow.encode_flat(x), []
        for _ in range(probes):
            c, i, j = (int(rng.integers(n)) for n in x.shape[1:])
            moved = x.clone()
            moved[0, c, i, j] += 1.0 if moved[0, c, i, j] < 255 else -1.0
            units.append((flow.encode_flat(moved) - base).norm().item())
    out["encoder"]["integer_unit"] = max(units)
    # decoder: per level (finest first, then the coarsest anchors "top")
    for level, z in enumerate(zs):
        name = f"level {level}" if level < len(zs) - 1 else "top"

        def g(zl, level=level):
            return flow.decode([zl if k == level else zk for k, zk in enumerate(zs)]).flatten()

        sigma, v, drift = flow.spectral_norm(g, z, iterations, seed + 1 + level)
        entry = {"relaxed": sigma, "converged": drift}
        with torch.no_grad():
            x0 = g(z)
            units = []
            for _ in range(probes):
                idx = tuple(int(rng.integers(n)) for n in z.shape)
                delta = torch.zeros_like(z)
                delta[idx] = 1.0 if rng.random() < 0.5 else -1.0
                units.append((g(z + delta) - x0).norm().item())
            entry["integer_unit"] = max(units)
            for a in (1, 4):
                delta = torch.round(a * v / v.abs().max())
                entry[f"integer_along_top_{a}"] = ((g(z + delta) - x0).norm() / delta.norm()).item()
        out[f"decoder {name}"] = entry
    return out


def summarise(values: list[float]) -> dict:
    a = np.asarray(values, np.float64)
    return {"median": float(np.median(a)), "p90": float(np.percentile(a, 90)), "max": float(a.max())}


FIXED_LIFTING_IMAGES = 2


def _quantities(net, batch: np.ndarray, iterations: int, probes: int) -> dict:
    rows = [measure_image(net, im, iterations, probes, seed=k) for k, im in enumerate(batch)]
    quantities = {}
    for key in rows[0]:
        quantities[key] = {m: summarise([r[key][m] for r in rows]) for m in rows[0][key]}
        quantities[key]["per_image_relaxed"] = [r[key]["relaxed"] for r in rows]
    gains = decoder_gains(net, batch, probes)
    return {"images": len(rows), "quantities": quantities,
            "decoder_mean_squared_gain": {**summarise(gains), "per_image": gains}}


def _card(path: Path) -> dict[str, str]:
    from safetensors import safe_open

    with safe_open(str(path), framework="np") as f:
        return f.metadata() or {}


def training_of(card: dict[str, str]) -> dict:
    """What the model card says about how the model was trained (the regulariser's weight)."""
    args = json.loads(card.get("train_command_args", "{}"))
    return {"jacobian_penalty": float(args.get("jacobian_penalty", 0.0)), "init": args.get("init"),
            "steps": int(card["steps"]) if card.get("steps", "").isdigit() else None}


def bits_per_dim(net, images: np.ndarray) -> float:
    """Model NLL (the exact code length of the latents) per sub-pixel, float64."""
    import torch

    bits = 0.0
    with torch.no_grad():
        for i in range(0, len(images), 64):
            x = torch.from_numpy(images[i : i + 64].transpose(0, 3, 1, 2).astype(np.float64))
            bits += net.bits(x).sum().item()
    return bits / images.size


def decoder_gains(net, batch: np.ndarray, probes: int) -> list[float]:
    """Per image: Hutchinson's estimate (``probes`` probes) of the decoder's ||J||_F^2 per
    pixel value, the quantity ``train --jacobian-penalty`` penalises."""
    import torch

    from invcodec.training.jacobian import decoder_gain, latents

    g = torch.Generator().manual_seed(0)
    gains = []
    with torch.no_grad():
        for im in batch:
            at = latents(net.analyze(torch.from_numpy(im.transpose(2, 0, 1)[None].astype(np.float64))))
            gains.append(float(np.mean([decoder_gain(net, at, g).item() for _ in range(probes)])))
    return gains


def measure_model(name: str, dataset: str, data: Path | None, images: np.ndarray | None, count: int, samples: int,
                  iterations: int, probes: int, bpd_images: int = 0) -> dict:
    from invcodec.training.latent_space import sample
    from invcodec.training.model import IntegerFlowModel
    from invcodec.registry import model_path
    from invcodec.training.weights import load_model

    path = model_path(name)
    card = _card(path)
    net = load_model(path).double()
    source = "given images"
    if images is None:
        images, source = load_images(dataset, data, max(count, bpd_images))
    scored = images[:bpd_images]
    images = images[:count]
    size = images.shape[1]
    drawn = sample(net.float(), samples, size, temperature=TEMPERATURE, seed=0) if samples else images[:0]
    net = net.double()
    result = {"model": card.get("name", Path(name).stem), "file": str(name), "dataset": source, "image_size": size,
              "training": training_of(card), "sets": {}}
    if len(scored):
        result["bits_per_dim"] = {"images": len(scored), "nll": bits_per_dim(net, scored)}
    for label, batch in (("test images", images), (f"samples T={TEMPERATURE}", drawn)):
        if len(batch):
            result["sets"][label] = _quantities(net, batch, iterations, probes)
    fixed = IntegerFlowModel(net.cfg).double().eval()  # fresh: learned corrections start at zero
    result["fixed_lifting"] = _quantities(fixed, images[:FIXED_LIFTING_IMAGES], iterations, probes)
    return result


def summary(report: dict) -> str:
    """One line per model: what the regulariser changed, side by side."""
    lines = ["| model | Jacobian penalty | bits/dim (test) | decoder gain^2 (median, test) | relaxed level 0 | "
             "relaxed top | encoder | samples: level 0 |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for m in report["models"]:
        test = m["sets"]["test images"]
        q = test["quantities"]
        drawn = next((s for label, s in m["sets"].items() if label.startswith("samples")), None)
        bpd = m.get("bits_per_dim")
        lines.append(f"| {m['model']} | {m['training']['jacobian_penalty']:g} | "
                     + (f"{bpd['nll']:.3f} ({bpd['images']})" if bpd else "") + " | "
                     f"{test['decoder_mean_squared_gain']['median']:.3g} | {q['decoder level 0']['relaxed']['median']:.3g} | "
                     f"{q['decoder top']['relaxed']['median']:.3g} | {q['encoder']['relaxed']['median']:.3g} | "
                     + (f"{drawn['quantities']['decoder level 0']['relaxed']['median']:.3g}" if drawn else "") + " |")
    return "\n".join(lines) + "\n"


def markdown(report: dict) -> str:
    lines = [summary(report), "",f"Local Lipschitz constants (git {report['git']}; {report['settings']['iterations']} power iterations, "
             f"{report['settings']['probes']} unit probes per image; median / max over images)", "",
             "| model | set | map | relaxed (power iteration) | integer, unit step | integer, along top vector (a=4) |",
             "|---|---|---|---:|---:|---:|"]
    for m in report["models"]:
        sets = list(m["sets"].items()) + [("fixed lifting only, test images", m["fixed_lifting"])]
        for label, s in sets:
            for key, q in s["quantities"].items():
                along = q.get("integer_along_top_4")
                lines.append(f"| {m['model']} | {label} ({s['images']}) | {key} | {q['relaxed']['median']:.3g} / "
                             f"{q['relaxed']['max']:.3g} | {q['integer_unit']['median']:.3g} / {q['integer_unit']['max']:.3g} | "
                             + (f"{along['median']:.3g} / {along['max']:.3g}" if along else "") + " |")
    return "\n".join(lines) + "\n"


def plot(report: dict, out: Path) -> Path | None:
    plt = pyplot()
    if plt is None:
        return None
    models = report["models"]
    fig, axes = plt.subplots(1, len(models), figsize=(5 * len(models), 4), squeeze=False, sharey=True)
    for ax, m in zip(axes[0], models):
        labels, data = [], []
        for set_label, s in m["sets"].items():
            for key, q in s["quantities"].items():
                labels.append(f"{key}\n({'test' if set_label.startswith('test') else 'samples'})")
                data.append(q["per_image_relaxed"])
        ax.boxplot(data)
        ax.set_xticks(range(1, len(labels) + 1), labels, rotation=90, fontsize=7)
        ax.set_yscale("log")
        ax.set_title(f"{m['model']}: relaxed local Lipschitz")
        ax.grid(alpha=0.3)
    return save_figure(plt, fig, out / "lipschitz.png")


def plot_tradeoff(report: dict, out: Path) -> Path | None:
    """bits/dim against the decoder's finest-level constant, one line per family of
    models (the name before "-jac"), each point labelled with its Jacobian penalty."""
    models = [m for m in report["models"] if "bits_per_dim" in m]
    plt = pyplot()
    if plt is None or len(models) < 2:
        return None
    families: dict[str, list[dict]] = {}
    for m in models:
        families.setdefault(m["model"].split("-jac")[0], []).append(m)
    fig, axes = plt.subplots(1, len(families), figsize=(4.5 * len(families), 3.8), squeeze=False)
    for ax, (family, members) in zip(axes[0], families.items()):
        members.sort(key=lambda m: m["training"]["jacobian_penalty"])
        xs = [m["sets"]["test images"]["quantities"]["decoder level 0"]["relaxed"]["median"] for m in members]
        ys = [m["bits_per_dim"]["nll"] for m in members]
        ax.plot(xs, ys, "o-")
        for x, y, m in zip(xs, ys, members):
            ax.annotate(f"λ={m['training']['jacobian_penalty']:g}", (x, y), textcoords="offset points", xytext=(4, 4),
                        fontsize=8)
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(plt.NullFormatter())
        ax.set_xlabel("decoder level 0: relaxed local Lipschitz (median, test)")
        ax.set_ylabel(f"bits/dim ({members[0]['bits_per_dim']['images']} test images)")
        ax.set_title(family)
        ax.grid(alpha=0.3)
    return save_figure(plt, fig, out / "tradeoff.png")


def write_report(report: dict, out: Path) -> str:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(report, indent=1))
    table = markdown(report)
    (out / "results.md").write_text(table)
    plot(report, out)
    plot_tradeoff(report, out)
    return table


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="invcodec bench continuity", description=__doc__.splitlines()[0])
    p.add_argument("-m", "--model", action="append", metavar="MODEL[:DATASET]",
                   help=f"shipped model name or file, optionally with its data set ({', '.join(DATASETS)}); repeatable")
    p.add_argument("--data", type=Path, default=Path("../shared/data"))
    p.add_argument("--images", type=int, default=8, help="test images per model")
    p.add_argument("--samples", type=int, default=8, help=f"samples per model (temperature {TEMPERATURE})")
    p.add_argument("--iterations", type=int, default=12, help="power iterations")
    p.add_argument("--probes", type=int, default=8, help="unit finite-difference probes (and Hutchinson probes) per map and image")
    p.add_argument("--bpd-images", type=int, default=1000, help="test images for each model's bits/dim")
    p.add_argument("--out", type=Path, default=Path("results/continuity"))
    p.add_argument("--replot", type=Path, metavar="RESULTS_JSON", help="redraw the table and figures of a saved run into --out")
    args = p.parse_args(argv)
    if args.replot:
        try:
            report = json.loads(args.replot.read_text())
            print(write_report(report, args.out))
        except (OSError, ValueError, KeyError, TypeError) as e:
            p.error(f"cannot replot {args.replot}: {e!r}")
        return
    if not args.model:
        p.error("give -m MODEL (repeatable) or --replot RESULTS_JSON")
    import torch

    from invcodec.registry import model_path

    torch.set_num_threads(1)
    plan = []
    for spec in args.model:
        name, _, dataset = spec.partition(":")
        try:
            card = _card(model_path(name))
        except (ValueError, OSError) as e:
            p.error(str(e))
        dataset = dataset or _dataset_of(card.get("name", Path(name).stem))
        if dataset not in DATASETS:
            p.error(f"unknown data set {dataset!r} (one of {', '.join(DATASETS)})")
        plan.append((name, dataset))
    t0 = time.time()
    models = [measure_model(name, dataset, args.data, None, args.images, args.samples, args.iterations, args.probes,
                            args.bpd_images) for name, dataset in plan]
    report = {"benchmark": "continuity", **environment(1),
              "settings": {"iterations": args.iterations, "probes": args.probes, "temperature": TEMPERATURE,
                           "seconds": round(time.time() - t0, 1)},
              "models": models}
    print(write_report(report, args.out))


if __name__ == "__main__":
    main()
