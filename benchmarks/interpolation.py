"""Interpolation between test images, measured: is it a cross-fade?

For each pair of images (the split's images in name order, taken two by two), the
middle frame of a 5-frame strip in each interpolation space (``latent_space.interpolate``):

- its RMS distance to the pixel cross-fade (a + b) / 2, in grey levels: 0 is a cross-fade;
- its sharpness: the mean absolute difference between neighbouring pixels, over the two
  end images' mean; a cross-fade of two faces whose edges do not line up is blurrier than
  either (below 1);
- its bits/dim under the model, beside the end images': how typical the model finds it.

    invcodec bench interpolation --model faces-v2 --folder ../shared/data/celeba/img_align_celeba \\
        --split-csv ../shared/data/celeba/split.csv --square 64 --pairs 50 --out results/celeba-interpolation.json"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from tqdm import tqdm

from invcodec.training.data import load_folder, read_split

from .report import check_model, emit

FRAMES = 5


def sharpness(image: np.ndarray) -> float:
    x = image.astype(np.float64)
    return float(np.abs(np.diff(x, axis=0)).mean() + np.abs(np.diff(x, axis=1)).mean())


def measure(model_name: str, images: list[np.ndarray], pairs: int) -> dict:
    import torch

    from invcodec.training import latent_space
    from invcodec.registry import model_path
    from invcodec.training.weights import load_model

    net = load_model(model_path(model_name)).eval()
    torch.set_num_threads(1)
    rows: dict[str, list[tuple[float, float, float]]] = {space: [] for space in latent_space.INTERPOLATION_SPACES}
    ends, cross = [], []
    for k in tqdm(range(pairs), unit="pair"):
        a, b = images[2 * k], images[2 * k + 1]
        cross_fade = (a.astype(np.float64) + b) / 2
        ends_sharpness = (sharpness(a) + sharpness(b)) / 2
        ends.append((latent_space.bits_per_dim(net, a) + latent_space.bits_per_dim(net, b)) / 2)
        cross.append(sharpness(cross_fade) / ends_sharpness)
        for space, out in rows.items():
            middle = latent_space.interpolate(net, a, b, FRAMES, space)[FRAMES // 2]
            out.append((float(np.sqrt(np.mean((middle - cross_fade) ** 2))), sharpness(middle) / ends_sharpness,
                        latent_space.bits_per_dim(net, middle)))
    summary = {}
    for space, out in rows.items():
        v = np.array(out)
        summary[space] = {"rms_to_cross_fade": round(float(v[:, 0].mean()), 2),
                          "sharpness_vs_ends": round(float(v[:, 1].mean()), 3),
                          "middle_bpd": round(float(v[:, 2].mean()), 3)}
    return {"model": model_name, "pairs": pairs, "frames": FRAMES, "ends_bpd": round(float(np.mean(ends)), 3),
            "cross_fade_sharpness_vs_ends": round(float(np.mean(cross)), 3), "spaces": summary}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="invcodec bench interpolation", description=__doc__.splitlines()[0])
    p.add_argument("--model", default="faces-v1", help="shipped model name or model file [default: faces-v1]")
    p.add_argument("--folder", type=Path, required=True)
    p.add_argument("--split-csv", type=Path)
    p.add_argument("--split", default="test")
    p.add_argument("--square", type=int, default=64)
    p.add_argument("--pairs", type=int, default=50)
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    check_model(p.prog, args.model)
    names = read_split(args.split_csv, args.split) if args.split_csv else None
    images = load_folder(args.folder, names=names, square_size=args.square)
    if len(images) < 2 * args.pairs:
        raise SystemExit(f"{p.prog}: {len(images)} images make fewer than {args.pairs} pairs")
    source = f"{args.folder}" + (f" ({args.split} split)" if names is not None else "")
    emit("interpolation", {"data": source, "square": args.square, **measure(args.model, images, args.pairs)}, args.out)


if __name__ == "__main__":
    main()
