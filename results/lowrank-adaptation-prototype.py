"""Per-image fine-tuning beyond the head, as low-rank factors: how much code length it
would save before anyone builds it (issue 43; results/lowrank-adaptation.md has the numbers).

    python results/lowrank-adaptation-prototype.py 6 400    # the first 6 photos-dev images, 400 steps

For each image (one tile, as the codec fine-tunes at efforts 8 and 9) and plane, photo-v6's
net fine-tuned as the encoder does (``training.per_image``: Adam, cosine, batches of 4 096
samples, one thread) with three choices of what changes: the head (what effort 8/9 ship),
the head plus rank-r factors added to layers 1 and 2 (W + U V, U zero at the start), and
the whole net. Reported: the float model code length over the image's samples (the online
stage and the scale offsets left out, the same for every choice) and the numbers a delta
would carry; no quantization of the deltas."""

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, ".")
from invcodec import model_file  # noqa: E402
from invcodec.runtime import autoregressive as ar  # noqa: E402
from invcodec.training import per_image  # noqa: E402
from invcodec.training.autoregressive import PlaneNet, image_files, laplace_bits, load_rgb  # noqa: E402


class LowRank(torch.nn.Module):
    """A plane's net whose layers 1 and 2 get W + U V (rank ``rank``)."""

    def __init__(self, net: PlaneNet, rank: int, gen: torch.Generator):
        super().__init__()
        self.net = net
        h, f = net.l1.weight.shape
        self.u1, self.v1 = torch.nn.Parameter(torch.zeros(h, rank)), torch.nn.Parameter(torch.randn(rank, f, generator=gen) * 0.1)
        self.u2, self.v2 = torch.nn.Parameter(torch.zeros(h, rank)), torch.nn.Parameter(torch.randn(rank, h, generator=gen) * 0.1)

    def forward(self, f: torch.Tensor):
        n = self.net
        x = f / ar.INPUT_SCALE
        h = torch.relu(torch.nn.functional.linear(x, n.l1.weight + self.u1 @ self.v1, n.l1.bias))
        h = torch.relu(torch.nn.functional.linear(h, n.l2.weight + self.u2 @ self.v2, n.l2.bias))
        out = n.l3(h)
        return ar.MEAN_GAIN * out[:, 0] + n.skip(f)[:, 0], out[:, 1] + ar.SCALE_BIAS

    def factors(self) -> list[torch.Tensor]:
        return [self.u1, self.v1, self.u2, self.v2]


def tune(model, params, f, ref, x, steps, lr, seed):
    """``per_image``'s fine-tuning of ``params``, then the model's code length of every sample."""
    per_image._fine_tune(model, params, f, ref, x, steps, lr, torch.Generator().manual_seed(seed))
    with torch.no_grad():
        mean, log_scale = model(f)
        return float(laplace_bits(x, ref + mean, log_scale).sum())


def main() -> None:
    count, steps = int(sys.argv[1]), int(sys.argv[2])
    torch.set_num_threads(1)
    tensors = model_file.load("invcodec/weights/photo-v6.safetensors").evaluator.tensors
    choices = ["plain", "head", "head + rank 1", "head + rank 2", "head + rank 4", "all"]
    bits = {c: 0.0 for c in choices}
    numbers = {c: 0 for c in choices}
    samples = 0
    for k, path in enumerate(image_files(Path("../shared/data/photos-dev"))[:count]):
        planes = ar.forward_colour(load_rgb(path)[:512, :512])
        samples += planes.size
        for p in range(ar.PLANES):
            features, reference = ar.plane_features(planes, p)
            f, ref = torch.from_numpy(features.astype(np.float32)), torch.from_numpy(reference.astype(np.float32))
            x = torch.from_numpy(planes[p].reshape(-1).astype(np.float32))
            for c in choices:
                net = PlaneNet.from_tensors(tensors, "", p)
                head = [v for n, v in zip([n.rsplit(".", 1)[1] for n in net.tensors("x")], net.parameter_list())
                        if n in per_image.PARTS["head"]]
                if c == "plain":
                    with torch.no_grad():
                        mean, log_scale = net(f)
                        got = float(laplace_bits(x, ref + mean, log_scale).sum())
                    n_numbers = 0
                elif c == "head":
                    got = tune(net, head, f, ref, x, steps, per_image.LEARNING_RATES["head"], 10 * k + p)
                    n_numbers = sum(v.numel() for v in head)
                elif c == "all":
                    got = tune(net, net.parameter_list(), f, ref, x, steps, per_image.LEARNING_RATES["all"], 10 * k + p)
                    n_numbers = sum(v.numel() for v in net.parameter_list())
                else:
                    low = LowRank(net, int(c.rsplit(" ", 1)[1]), torch.Generator().manual_seed(10 * k + p))
                    got = tune(low, head + low.factors(), f, ref, x, steps, per_image.LEARNING_RATES["head"], 10 * k + p)
                    n_numbers = sum(v.numel() for v in head + low.factors())
                bits[c] += got
                numbers[c] += n_numbers if k == 0 else 0
        print(path.name, flush=True)
    plain = bits["plain"]
    for c in choices:
        print(f"{c:15s} model {bits[c] / samples:.4f} bpsp ({100 * (bits[c] / plain - 1):+.2f} % vs plain, "
              f"{100 * (bits[c] / bits['head'] - 1):+.2f} % vs head); numbers per tile {numbers[c]}")


if __name__ == "__main__":
    main()
