"""A smooth first guess for the pixels of a hole: the harmonic fill (Laplace's equation
inside the hole, the known border pixels as boundary values: every filled pixel is the
mean of its four neighbours). The inpainting network starts from this instead of a flat
grey, so its invertible layers only have to add what a smooth fill cannot know (edges,
texture) rather than move values across the hole; it beats the push-pull fill this started
with and OpenCV's Telea inside the hole (docs/RESTORE.md).

Solved by conjugate gradients on the hole's pixels, started from the solution at half
resolution (cascadic multigrid: each level then needs few iterations, so time grows with
the hole's pixel count, not with its width squared); the coarsest level starts from a
push-pull fill (mask-weighted 2x2 averages down a pyramid, then back up). numpy only:
scipy's sparse direct solver would be as fast but add ~140 MB to the codec's install
(results/implementation-choices.md)."""

from __future__ import annotations

import numpy as np

COARSEST = 32  # below this side the cascade stops and push-pull gives the first guess
TOLERANCE = 0.01  # CG stops when the RMS residual per pixel is below this (in the image's units: grey levels)
MAX_ITERATIONS = 300  # per level; reached only by pathological masks (the result is then still a smooth fill)


def _smooth(x: np.ndarray) -> np.ndarray:
    """Separable [1, 2, 1] / 4 blur with edge replication."""
    p = np.pad(x, ((1, 1), (0, 0), (0, 0)), mode="edge")
    x = 0.25 * p[:-2] + 0.5 * p[1:-1] + 0.25 * p[2:]
    p = np.pad(x, ((0, 0), (1, 1), (0, 0)), mode="edge")
    return 0.25 * p[:, :-2] + 0.5 * p[:, 1:-1] + 0.25 * p[:, 2:]


def _halved(image: np.ndarray, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mask-weighted 2x2 averages: a coarse pixel is known when any of its four is. Summed
    a quarter at a time, so no full-size temporary is made."""
    h, w = missing.shape
    ch, cw = (h + 1) // 2, (w + 1) // 2
    wsum = np.zeros((ch, cw), np.float32)
    vsum = np.zeros((ch, cw, image.shape[2]), np.float32)
    for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1)):
        known = ~missing[dy::2, dx::2]
        rows, cols = known.shape
        wsum[:rows, :cols] += known
        vsum[:rows, :cols] += image[dy::2, dx::2] * known[..., None].astype(np.float32)
    return vsum / np.maximum(wsum, 1e-6)[..., None], wsum == 0


def _doubled(coarse: np.ndarray, h: int, w: int) -> np.ndarray:
    return _smooth(np.repeat(np.repeat(coarse, 2, axis=0), 2, axis=1))[:h, :w]


def _doubled_at(coarse: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """``_doubled(coarse, ...)[ys, xs]`` computed at those pixels only (the same sums in
    the same order, so the same numbers)."""
    last_y, last_x = 2 * coarse.shape[0] - 1, 2 * coarse.shape[1] - 1
    rows = [np.clip(ys + d, 0, last_y) // 2 for d in (-1, 0, 1)]
    cols = [np.clip(xs + d, 0, last_x) // 2 for d in (-1, 0, 1)]
    across = [0.25 * coarse[rows[0], c] + 0.5 * coarse[rows[1], c] + 0.25 * coarse[rows[2], c] for c in cols]
    return 0.25 * across[0] + 0.5 * across[1] + 0.25 * across[2]


def push_pull(image: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """image float32 (H, W, C), missing bool (H, W) -> image with the missing pixels filled
    from ever coarser mask-weighted averages."""
    if missing.all():
        return np.full_like(image, 0.5)
    if not missing.any() or missing.shape == (1, 1):
        return image
    coarse = push_pull(*_halved(image, missing))
    return np.where(missing[..., None], _doubled(coarse, *missing.shape), image).astype(image.dtype)


def _laplace_cg(image: np.ndarray, missing: np.ndarray, ys: np.ndarray, xs: np.ndarray, guess: np.ndarray) -> np.ndarray:
    """Solve the discrete Laplace equation on the missing pixels (4-neighbourhood, the
    image's edge as a free boundary) by conjugate gradients from ``guess`` (their values,
    (n, C)); returns the solution there."""
    h, w = missing.shape
    n = len(ys)
    index = np.full((h + 2, w + 2), -1, np.int32)  # padded: a neighbour outside the image is absent
    index[ys + 1, xs + 1] = np.arange(n)
    known = np.zeros((h + 2, w + 2), bool)
    known[1:-1, 1:-1] = ~missing
    degree = np.zeros((n, 1))
    rhs = np.zeros((n, image.shape[2]))
    columns = []  # per direction, each pixel's missing neighbour's row; n = a zero row (no missing neighbour)
    for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        ny, nx = ys + 1 + dy, xs + 1 + dx
        on_border, other = known[ny, nx], index[ny, nx]
        degree[:, 0] += on_border | (other >= 0)
        rhs[on_border] += image[ny[on_border] - 1, nx[on_border] - 1]
        columns.append(np.where(other >= 0, other, n))
    del index, known
    padded = np.zeros((n + 1, image.shape[2]))

    def laplacian(v: np.ndarray) -> np.ndarray:
        padded[:n] = v
        return degree * v - padded[columns[0]] - padded[columns[1]] - padded[columns[2]] - padded[columns[3]]

    x = guess.astype(np.float64)
    r = rhs - laplacian(x)
    p = r.copy()
    rr = (r * r).sum(axis=0)
    for _ in range(MAX_ITERATIONS):  # one CG per channel, run side by side
        if rr.max() <= TOLERANCE**2 * n:
            break
        ap = laplacian(p)
        alpha = rr / np.maximum((p * ap).sum(axis=0), 1e-30)
        x += alpha * p
        r -= alpha * ap
        rr_next = (r * r).sum(axis=0)
        p = r + (rr_next / np.maximum(rr, 1e-30)) * p
        rr = rr_next
    return x


def _hole_values(image: np.ndarray, missing: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """The harmonic fill's values at the missing pixels (ys, xs), float64 (n, C). Memory:
    the image, a padded index and flags at full size, else arrays of the hole's size."""
    h, w = missing.shape
    if min(h, w) >= 2 * COARSEST:
        coarse_image, coarse_missing = _halved(image, missing)
        coarse = coarse_image.astype(np.float64)
        cy, cx = np.nonzero(coarse_missing)
        coarse[cy, cx] = _hole_values(coarse_image, coarse_missing, cy, cx)
        del coarse_image, coarse_missing
        guess = _doubled_at(coarse, ys, xs)
    else:
        guess = push_pull(image.astype(np.float32), missing)[ys, xs]
    return _laplace_cg(image, missing, ys, xs, guess)


def harmonic(image: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """image float (H, W, C), missing bool (H, W) -> float64 image with the missing pixels
    set to the harmonic interpolation of the known ones."""
    if not missing.any() or missing.all():
        return push_pull(image, missing).astype(np.float64)
    ys, xs = np.nonzero(missing)
    out = image.astype(np.float64)
    out[ys, xs] = _hole_values(image, missing, ys, xs)
    return out


def prefilled(samples: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """uint8 (H, W, C) -> uint8 with the missing pixels harmonic-filled: the inpainting
    network's input, in training and at run time alike."""
    if not missing.any() or missing.all():
        return np.clip(np.rint(harmonic(samples.astype(np.float32), missing)), 0, 255).astype(np.uint8)
    ys, xs = np.nonzero(missing)
    out = samples.copy()  # uint8 throughout: the float work is on the hole's pixels and coarser levels
    out[ys, xs] = np.clip(np.rint(_hole_values(samples, missing, ys, xs)), 0, 255).astype(np.uint8)
    return out
