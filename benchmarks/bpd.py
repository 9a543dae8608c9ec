"""Bits per dimension of a model on a data set: the model's likelihood (NLL), the real
coded streams under the model's own prior (the gap between the two is the coder's
overhead), and whole .inv files as invcodec writes them: streams with the encoder's
corrections of the prior (``entropy.adapt``), plus the header (41 bytes for a 32x32 image with a flow
stream in format 3, 57 in 0.1.0's format 1; it matters for 32x32 images).

    invcodec bench bpd --model faces-v1 --folder ../shared/data/celeba/img_align_celeba \\
        --split-csv ../shared/data/celeba/split.csv --split test --square 64
    invcodec bench bpd --model photo-v1 --npz ../shared/data/cifar10/cifar10_partial.npz --key x_test

The NLL comes from the training side (the torch model, ``invcodec[torch]``), the streams
from the coding runtime, both loaded from the same model file; invcodec codes on one
thread (small images). An autoregressive model (photo-v4) has no torch twin of its exact
nets: its "NLL" is the runtime's own exact code length, and its streams
always carry their scale offsets, so both stream columns are the same."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from tqdm import tqdm

from invcodec import container, generative
from invcodec.codec import compress_samples
from invcodec.registry import DEFAULT_MODEL, get_model
from invcodec.training.data import load_folder, read_split

from .report import check_model, emit


def measure(model_name: str | None, images: list[np.ndarray]) -> dict:
    import torch

    coding = get_model(model_name)
    score = generative.scorer(coding)

    def model_bits(image: np.ndarray) -> float:
        rgb = image if image.shape[2] == 3 else np.repeat(image[..., :1], 3, axis=2)
        return score(rgb) * rgb.size
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small images: one thread is fastest and immune to contention
    try:
        nll_bits = file_bits = stream_bits = adapted_bits = dims = 0.0
        for image in tqdm(images, unit="image"):
            nll_bits += model_bits(image)
            plain = compress_samples(image, coding, threads=1, classic=False, adaptive_prior=False)[0]  # the model's own streams
            stream_bits += 8 * (len(plain) - container.unpack_header(plain)[2])
            data = compress_samples(image, coding, threads=1, classic=False)[0]  # the file invcodec writes
            file_bits += 8 * len(data)
            adapted_bits += 8 * (len(data) - container.unpack_header(data)[2])
            dims += image.size
    finally:
        torch.set_num_threads(threads)
    nll, stream, adapted, real = nll_bits / dims, stream_bits / dims, adapted_bits / dims, file_bits / dims
    return {"model": coding.name, "model_id": coding.model_id.hex(), "images": len(images), "nll_bpd": round(nll, 4),
            "stream_bpd": round(stream, 4), "stream_gap_percent": round(100 * (stream - nll) / nll, 3),
            "adapted_stream_bpd": round(adapted, 4), "file_bpd": round(real, 4), "header_bpd": round(real - adapted, 4)}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="invcodec bench bpd", description=__doc__.splitlines()[0])
    p.add_argument("--model", default=None, help=f"shipped model name or model file [default: {DEFAULT_MODEL}]")
    p.add_argument("--folder", type=Path)
    p.add_argument("--split-csv", type=Path)
    p.add_argument("--split", default="test")
    p.add_argument("--square", type=int, default=None)
    p.add_argument("--npz", type=Path)
    p.add_argument("--key", default="x_test")
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    check_model(p.prog, args.model)
    if args.npz:
        images = list(np.load(args.npz)[args.key][: args.limit])
        source = f"{args.npz}:{args.key}"
    elif args.folder:
        names = read_split(args.split_csv, args.split) if args.split_csv else None
        images = load_folder(args.folder, names=names, square_size=args.square)[: args.limit]
        source = f"{args.folder}" + (f" ({args.split} split)" if names is not None else "")
    else:
        raise SystemExit("give --folder or --npz")
    report = {"data": source, "square": args.square, **measure(args.model, images)}
    emit("bpd", report, args.out, coding_threads=1)


if __name__ == "__main__":
    main()
