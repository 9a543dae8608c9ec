"""Does projecting a JPEG restoration back onto its file's quantization intervals help? (issue 44)

    OMP_NUM_THREADS=1 python results/restore-jpeg-projection.py MODEL [QUALITY]

Each Kodak image saved by Pillow at QUALITY (default 10), restored in one pass by MODEL;
then the luma of the restored image moved, 8×8 block by block in the orthonormal DCT that
JPEG uses, into the interval [(k − ½)·Q, (k + ½)·Q] that the file's quantized coefficient k
and table entry Q allow (k read back from the decoded Y plane), the same change added to
R, G and B (which leaves the chroma alone). Prints the mean of per-image PSNR of plain
decoding, the restoration and the projected restoration, the share of luma coefficients
the projection moved, and where the error is: the mean squared error per YCbCr component
(JFIF's conversion, 8-bit units) of plain decoding and of the restoration."""

import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from invcodec import restore
from invcodec.metrics import psnr
from invcodec.restore import network

n = np.arange(8)
DCT = np.sqrt(2 / 8) * np.cos((2 * n[None, :] + 1) * n[:, None] * np.pi / 16)
DCT[0] /= np.sqrt(2)


def blocks(plane):
    h, w = plane.shape
    return plane.reshape(h // 8, 8, w // 8, 8).transpose(0, 2, 1, 3)


def forward(plane):
    return np.einsum("ui,abij,vj->abuv", DCT, blocks(plane), DCT)


def inverse(coefficients):
    b = np.einsum("ui,abuv,vj->abij", DCT, coefficients, DCT)
    return b.transpose(0, 2, 1, 3).reshape(b.shape[0] * 8, b.shape[1] * 8)


model = network.load(sys.argv[1])
quality = int(sys.argv[2]) if len(sys.argv) > 2 else 10
scores = {"plain decoding": [], "restored": [], "projected": []}
moved = []
YCBCR = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])
component_error = {"plain decoding": np.zeros(3), "restored": np.zeros(3)}
for path in sorted(Path("../shared/data/kodak").glob("*.png")):
    clean = np.asarray(Image.open(path).convert("RGB"))
    buf = io.BytesIO()
    Image.fromarray(clean).save(buf, format="JPEG", quality=quality)
    with Image.open(io.BytesIO(buf.getvalue())) as im:
        plain = np.asarray(im.convert("RGB"))
        restored = np.asarray(restore.dejpeg(im, model=model, threads=1).image).astype(np.float64)
        table = np.asarray(im.quantization[0], np.float64).reshape(8, 8)
    with Image.open(io.BytesIO(buf.getvalue())) as im:
        im.draft("YCbCr", im.size)  # the decoder's own Y plane, before its colour conversion (before loading)
        y = np.asarray(im)[..., 0].astype(np.float64)
    k = np.rint(forward(y - 128) / table)
    luma = restored @ np.array([0.299, 0.587, 0.114])
    c = forward(luma - 128)
    inside = np.clip(c, (k - 0.5) * table, (k + 0.5) * table)
    projected = np.clip(np.rint(restored + inverse(inside - c)[..., None]), 0, 255).astype(np.uint8)
    moved.append(float(np.mean(inside != c)))
    for name, image in (("plain decoding", plain), ("restored", restored)):
        component_error[name] += (((image - clean.astype(np.float64)) @ YCBCR.T) ** 2).mean(axis=(0, 1))
    for name, image in (("plain decoding", plain), ("restored", restored.astype(np.uint8)), ("projected", projected)):
        scores[name].append(psnr(image, clean))
print(f"q{quality}: " + ", ".join(f"{name} {np.mean(v):.3f} dB" for name, v in scores.items())
      + f"; luma coefficients moved {100 * np.mean(moved):.2f} %")
for name, total in component_error.items():
    print(f"{name}: mean squared error Y {total[0] / len(moved):.1f}, Cb {total[1] / len(moved):.1f}, Cr {total[2] / len(moved):.1f}")
