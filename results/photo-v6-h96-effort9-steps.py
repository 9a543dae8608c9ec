"""Effort 9 of the 96-unit candidate with fewer fine-tuning steps: does it fit the 20 s per
Kodak image that the highest effort may take? (results/photo-v6-h96-candidate.md)

    OMP_NUM_THREADS=1 python results/photo-v6-h96-effort9-steps.py 300 runs/photo-v6-h96/photo-v6-h96.safetensors

Effort 9's plan set to the head for STEPS Adam steps per plane (the shipped plan: 400), each
Kodak image coded on one thread, timed, and decoded to check it is exact."""

import sys
import time

import numpy as np
from PIL import Image

from invcodec import codec
from invcodec.training import per_image

steps, model = int(sys.argv[1]), sys.argv[2]
per_image.PLANS[9] = (("head", steps),)
per_image.STEPS_WIDTH = 1 << 30  # STEPS as given: not scaled down to the net's width (per_image.width_steps)
bits = samples = 0
times = []
for i in range(1, 25):
    x = np.asarray(Image.open(f"../shared/data/kodak/kodim{i:02d}.png").convert("RGB"))
    t = time.perf_counter()
    data = codec.compress(x, model=model, effort=9, threads=1)
    times.append(time.perf_counter() - t)
    assert (codec.decompress_samples(data, model=model, threads=1) == x).all()
    bits, samples = bits + len(data) * 8, samples + x.size
print(f"steps {steps}: {bits / samples:.4f} bpsp, encode mean {np.mean(times):.2f} s, slowest {max(times):.2f} s")
