"""Training data: random crops from a folder of images held in memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ..pixels import IMAGE_SUFFIXES, square


def read_split(csv_path: str | Path, split: str) -> set[str]:
    """File names of one split from a ``filename,split,...`` CSV (CelebA's split.csv)."""
    lines = Path(csv_path).read_text().splitlines()
    return {row.split(",")[0] for row in lines[1:] if row.split(",")[1] == split}


def load_folder(
    folder: str | Path, min_side: int = 0, names: set[str] | None = None, square_size: int | None = None
) -> list[np.ndarray]:
    """Every image in ``folder`` (or those in ``names``) as an RGB uint8 array (H, W, 3),
    sorted by name; optionally centre-cropped and resized to ``square_size``."""
    paths = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if names is not None:
        paths = [p for p in paths if p.name in names]
    images = []
    for path in paths:
        with Image.open(path) as im:
            im = im.convert("RGB")
            arr = np.asarray(square(im, square_size) if square_size else im)
        if min(arr.shape[:2]) >= min_side:
            images.append(arr)
    if not images:
        raise ValueError(f"no usable images in {folder}")
    return images


def downscale(image: np.ndarray, factor: float) -> np.ndarray:
    """The image resized by ``factor`` < 1 (Lanczos, antialiased). Most training photos are
    JPEGs: their 8x8 blocks and smooth subsampled chroma are statistics a lossless codec
    never meets in PNG photos (Kodak); a downscale blurs them away, as L3C's data did."""
    h, w = image.shape[:2]
    return _resize(image, max(1, round(w * factor)), max(1, round(h * factor)))


def _resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    return np.asarray(Image.fromarray(np.ascontiguousarray(image)).resize((width, height), Image.Resampling.LANCZOS))


class RandomCrops:
    """Batches of random crops with flips (left-right, and upside down unless
    ``vertical_flips`` is off), and a fraction turned grey (R=G=B) so that the
    model learns to code greyscale images, which the codec stores as three equal planes.
    A fraction (``flat_fraction``) gets a flat area, as letterboxed photos, screenshots and
    product shots on a plain background have: photos alone never show exactly constant
    pixels, and a prior trained on them alone spends about a bit per sample there. With
    ``downscale`` (lo, hi), each crop is a region shrunk by a factor drawn from that range
    (see the ``downscale`` function)."""

    def __init__(self, images: list[np.ndarray], crop: int, seed: int, grey_fraction: float = 0.1,
                 flat_fraction: float = 0.0, downscale: tuple[float, float] | None = None,
                 vertical_flips: bool = True):
        self.images = [im for im in images if min(im.shape[:2]) >= crop]
        if not self.images:
            raise ValueError(f"no image is at least {crop}x{crop}")
        self.crop = crop
        self.grey_fraction = grey_fraction
        self.flat_fraction = flat_fraction
        self.downscale = downscale
        self.vertical_flips = vertical_flips  # off for aligned faces: an upside-down face is no face
        self.rng = np.random.default_rng(seed)

    def _region(self, im: np.ndarray) -> np.ndarray:
        """A random crop-sized patch: a plain crop, or a larger region downscaled to crop size."""
        side = self.crop
        if self.downscale:  # no draw without it: the crops stay as before
            factor = max(self.rng.uniform(*self.downscale), self.crop / min(im.shape[:2]))
            side = min(min(im.shape[:2]), int(np.ceil(self.crop / factor)))
        top = self.rng.integers(im.shape[0] - side + 1)
        left = self.rng.integers(im.shape[1] - side + 1)
        patch = im[top : top + side, left : left + side]
        return _resize(patch, self.crop, self.crop) if side != self.crop else patch

    def _flatten(self, patch: np.ndarray) -> np.ndarray:
        """A band from one side (a letterbox) or a rectangle set to one colour: black,
        white or any colour, each a third of the time."""
        patch = patch.copy()
        kind, c = self.rng.integers(3), self.crop
        colour = (0, 255, self.rng.integers(0, 256, 3))[kind]
        if self.rng.random() < 0.5:  # a band: its edge anywhere in the crop
            edge = self.rng.integers(1, c)
            region = (slice(0, edge), slice(None)) if self.rng.random() < 0.5 else (slice(None), slice(0, edge))
        else:
            top, left = self.rng.integers(0, c - 1, 2)
            region = (slice(top, top + self.rng.integers(1, c - top + 1)), slice(left, left + self.rng.integers(1, c - left + 1)))
        patch[region] = colour
        return patch

    def batch(self, size: int) -> np.ndarray:
        """(size, 3, crop, crop) uint8."""
        out = np.empty((size, 3, self.crop, self.crop), dtype=np.uint8)
        for i in range(size):
            patch = self._region(self.images[self.rng.integers(len(self.images))])
            if self.rng.random() < 0.5:
                patch = patch[:, ::-1]
            if self.vertical_flips and self.rng.random() < 0.5:  # (no draw without them)
                patch = patch[::-1]
            if self.rng.random() < self.grey_fraction:
                grey = np.asarray(Image.fromarray(np.ascontiguousarray(patch)).convert("L"))
                patch = np.repeat(grey[..., None], 3, axis=2)
            if self.flat_fraction and self.rng.random() < self.flat_fraction:  # no draw at 0: the crops stay as before
                patch = self._flatten(patch)
            out[i] = patch.transpose(2, 0, 1)
        return out


def centre_crops(images: list[np.ndarray], size: int) -> np.ndarray:
    """Deterministic validation batch: the centre size x size crop of every large-enough image."""
    crops = []
    for im in images:
        h, w = im.shape[:2]
        if h >= size and w >= size:
            top, left = (h - size) // 2, (w - size) // 2
            crops.append(im[top : top + size, left : left + size].transpose(2, 0, 1))
    if not crops:
        raise ValueError(f"no validation image is at least {size}x{size}")
    return np.stack(crops)
