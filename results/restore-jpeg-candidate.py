"""One pass of JPEG-artefact removal on Kodak with two model files, side by side (issue 44):

    OMP_NUM_THREADS=1 python results/restore-jpeg-candidate.py MODEL_A MODEL_B [QUALITY ...]

Each image saved by Pillow at each quality (default 10), as `invcodec bench restore` does;
PSNR of plain decoding and of each model's one pass, the mean of per-image PSNR."""

import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from invcodec import restore
from invcodec.restore import network
from invcodec.metrics import psnr

models = {name: network.load(name) for name in sys.argv[1:3]}
qualities = [int(q) for q in sys.argv[3:]] or [10]
for quality in qualities:
    scores = {"plain decoding": [], **{name: [] for name in models}}
    for path in sorted(Path("../shared/data/kodak").glob("*.png")):
        clean = np.asarray(Image.open(path).convert("RGB"))
        with tempfile.TemporaryDirectory() as scratch:
            jpeg = Path(scratch) / "q.jpg"
            Image.fromarray(clean).save(jpeg, quality=quality)
            with Image.open(jpeg) as im:
                scores["plain decoding"].append(psnr(np.asarray(im.convert("RGB")), clean))
                for name, model in models.items():
                    scores[name].append(psnr(np.asarray(restore.dejpeg(im, model=model, threads=1).image), clean))
    print(f"q{quality}: " + ", ".join(f"{name} {np.mean(v):.3f} dB" for name, v in scores.items()), flush=True)
