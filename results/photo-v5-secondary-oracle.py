"""Would a second stage fed with the neighbours' errors help photo-v5? An offline oracle (issue 43).

    python results/photo-v5-secondary-oracle.py invcodec/weights/photo-v5.safetensors  # from the repository root

For the centre 384² crops of the first 24 photos-dev images, photo-v5's exact (mean, scale)
of every sample, then a small float MLP (32 units) that corrects the mean and the log scale
from subsets of: the log scale ("calib": a recalibration only), the stage-1 errors and
scales of the sample's decoded neighbours in its plane ("own"), the errors around it in
earlier planes ("earlier"). Fit on the first 12 images, scored on the other 12 (float
Laplace code length, bits per sub-pixel of each plane)."""

import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, ".")
from invcodec import model_file  # noqa: E402
from invcodec.entropy import grid  # noqa: E402
from invcodec.runtime import autoregressive as ar  # noqa: E402
from invcodec.training.autoregressive import laplace_bits  # noqa: E402

OWN = [(0, 1), (1, 0), (1, 1), (1, -1), (0, 2), (2, 0), (1, 2), (2, 1), (2, -1)]  # decoded before the sample
EARLIER = [(0, 0), (0, 1), (1, 0), (0, -1), (-1, 0)]  # in planes decoded ahead of this one
PAD = 4


def shifted(a: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """a at (y - dy, x - dx), zero outside."""
    h, w = a.shape
    return np.pad(a, PAD)[PAD - dy : PAD - dy + h, PAD - dx : PAD - dx + w]


def plane_rows(evaluator, rgb: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    """Per plane: (features, samples, stage-1 means, stage-1 log scales)."""
    planes = ar.forward_colour(rgb)
    h, w = planes.shape[1:]
    errors, rows = [], []
    for p in range(ar.PLANES):
        mean, index = evaluator.encode_params(planes, p)
        mean, log_scale = mean.reshape(h, w), np.log(grid.SCALES[index]).reshape(h, w)
        errors.append(np.clip(planes[p] - mean, -64, 64) / 16)
        f = [shifted(errors[p], *d) for d in OWN] + [np.abs(shifted(errors[p], *d)) for d in OWN]
        f += [shifted(log_scale, *d) - log_scale for d in OWN[:4]] + [log_scale]
        for q in range(p):
            f += [shifted(errors[q], *d) for d in EARLIER] + [np.abs(shifted(errors[q], *d)) for d in EARLIER]
        rows.append((np.stack(f, -1).reshape(h * w, -1), planes[p].ravel(), mean.ravel(), log_scale.ravel()))
    return rows


def main() -> None:
    torch.set_num_threads(1)
    evaluator = model_file.load(sys.argv[1]).evaluator
    images = []
    for path in sorted(Path("../shared/data/photos-dev").iterdir())[:24]:
        a = np.asarray(Image.open(path).convert("RGB"))
        y, x = max(0, (a.shape[0] - 384) // 2), max(0, (a.shape[1] - 384) // 2)
        images.append(plane_rows(evaluator, a[y : y + 384, x : x + 384]))
    half = len(images) // 2
    own = 2 * len(OWN) + 5  # the own-plane columns; the last of them is the log scale
    for p in range(ar.PLANES):
        joined = lambda part: [torch.from_numpy(np.concatenate(z).astype(np.float32)) for z in zip(*[im[p] for im in part])]  # noqa: E731
        (f_fit, x_fit, m_fit, l_fit), (f_test, x_test, m_test, l_test) = joined(images[:half]), joined(images[half:])
        base = laplace_bits(x_test, m_test, l_test).mean().item()
        subsets = {"calib": [own - 1], "own": list(range(own)), "all": list(range(f_fit.shape[1]))}
        if p:
            subsets["earlier+calib"] = [own - 1] + list(range(own, f_fit.shape[1]))
        for name, cols in subsets.items():
            torch.manual_seed(0)
            net = torch.nn.Sequential(torch.nn.Linear(len(cols), 32), torch.nn.ReLU(), torch.nn.Linear(32, 2))
            torch.nn.init.zeros_(net[2].weight)
            torch.nn.init.zeros_(net[2].bias)
            bits = lambda f, x, m, ls: (lambda o: laplace_bits(x, m + 4 * o[:, 0], ls + o[:, 1]))(net(f[:, cols]))  # noqa: E731
            opt = torch.optim.Adam(net.parameters(), 3e-3)
            for _ in range(3000):
                i = torch.randint(0, x_fit.numel(), (8192,))
                loss = bits(f_fit[i], x_fit[i], m_fit[i], l_fit[i]).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
            with torch.no_grad():
                test = bits(f_test, x_test, m_test, l_test).mean().item()
            print(f"plane {p} {name}: {base:.4f} -> {test:.4f} bpsp ({100 * (test / base - 1):+.2f} %)", flush=True)


if __name__ == "__main__":
    main()
