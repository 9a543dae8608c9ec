"""Does the per-image fine-tuning (effort 8: the head, 200 steps, delta step 2^-8) gain when it
sees photo-v6's online stage? An encoder-side experiment (issue 43; results/online-stage.md):
the stage's corrections of the unadapted nets are added, frozen, to the fine-tuned net's means
in the loss ("aware"), against the shipped fine-tuning ("e8"); both then coded for real
(delta + stream, the stage running on the adapted nets), the first N photos-dev images'
top-left 512² tiles, one thread.

    python results/online-stage-aware-adaptation.py 6      # from the repository root
"""
import sys
sys.path.insert(0, ".")
from pathlib import Path
import numpy as np, torch
from PIL import Image
from invcodec import model_file, weight_delta
from invcodec.runtime import autoregressive as ar
from invcodec.tile_coder import AutoregressiveTileCoder
from invcodec.training import per_image
from invcodec.training.autoregressive import PlaneNet, laplace_bits

model = model_file.load("invcodec/weights/photo-v6.safetensors")
base = model.evaluator.tensors

def tune_aware(tensors, pixels, steps, aware):
    planes = ar.forward_colour(pixels)
    out = {k: np.asarray(v) for k, v in tensors.items()}
    log2 = {}
    ev = ar.AutoregressiveModel(tensors, online=True)
    torch.set_num_threads(1)
    for plane in range(3):
        net = PlaneNet.from_tensors(tensors, "", plane)
        features, reference = ar.plane_features(planes, plane)
        f = torch.from_numpy(features.astype(np.float32)); ref = torch.from_numpy(reference.astype(np.float32))
        x = torch.from_numpy(planes[plane].reshape(-1).astype(np.float32))
        off = torch.zeros_like(x)
        if aware:
            m0, _ = ev.encode_params(planes, plane); m1, _ = ev.stream_params(planes, plane)
            off = torch.from_numpy((m1 - m0).astype(np.float32))
        names = [n.rsplit(".", 1)[1] for n in net.tensors(f"plane{plane}")]
        chosen = [p for n, p in zip(names, net.parameter_list()) if n in per_image.PARTS["head"]]
        opt = torch.optim.Adam(chosen, per_image.LEARNING_RATES["head"]); sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
        gen = torch.Generator().manual_seed(plane)
        for _ in range(steps):
            idx = torch.randint(0, x.numel(), (min(4096, x.numel()),), generator=gen)
            mean, ls = net(f[idx])
            loss = laplace_bits(x[idx], ref[idx] + mean + off[idx], ls).mean()
            opt.zero_grad(); loss.backward(); opt.step(); sched.step()
        for name, value in net.tensors(f"plane{plane}").items():
            if name.rsplit(".", 1)[1] in per_image.PARTS["head"]:
                out[name], log2[name] = value, -8
    return out, log2

tot = {"plain": 0, "e8": 0, "aware": 0}
for path in sorted(Path("../shared/data/photos-dev").iterdir())[: int(sys.argv[1])]:
    px = np.asarray(Image.open(path).convert("RGB"))[:512, :512]
    row = {"plain": len(AutoregressiveTileCoder(model.evaluator).encode(px).payload)}
    for name, aware in (("e8", False), ("aware", True)):
        t, l2 = tune_aware(base, px, 200, aware)
        delta = weight_delta.encode(base, t, l2)
        ev = ar.AutoregressiveModel(weight_delta.apply(base, delta), online=True)
        row[name] = len(delta) + 4 + len(AutoregressiveTileCoder(ev).encode(px).payload)
    for k in tot: tot[k] += row[k]
    print(path.name, row, flush=True)
print({k: v for k, v in tot.items()}, f"e8 {100*(tot['e8']/tot['plain']-1):+.2f}%  aware {100*(tot['aware']/tot['plain']-1):+.2f}%")
