"""Image restoration with invertible networks (after IRAE, Liu et al., ICONIP 2020).

    >>> from invcodec import restore
    >>> clean = restore.denoise(image, sigma=25)        # sigma in 0..255 units; None: estimated
    >>> fixed = restore.dejpeg(Image.open("x.jpg"))     # strength from the file's quantization tables
    >>> filled = restore.inpaint(image, mask)           # mask: white (non-zero) = missing

Each takes a PIL image (or a uint8 array, or a path) and returns a PIL image of the same
mode: colour is restored, an alpha channel passes through unchanged, a grey image stays
grey. No torch: the networks run in numpy (``network``), in overlapping tiles (``tiles``).
``passes=8`` averages the network over flipped and transposed copies, ``passes=32`` also
over shifted ones (``ensemble``; not for JPEGs): a little better, that many times the work."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .. import pixels
from .ensemble import PASSES, ensembled
from .hole_fill import prefilled
from .jpeg_quality import quality_of
from .network import SIGMA_UNIT, RestoreModel, shipped
from .noise_level import estimate_sigma
from .tiles import run_tiled

__all__ = ["denoise", "dejpeg", "inpaint", "estimate_sigma", "jpeg_quality", "Restored", "SIGMA_LIMITS", "QUALITY_LIMITS",
           "PASSES"]

SIGMA_LIMITS = (0.0, 75.0)  # trained on 5..55; beyond 75 the model is far outside what it learned
QUALITY_LIMITS = (5, 90)  # the qualities the JPEG model was trained on; others are clamped to these
MASK_DARK, MASK_GREY_LIMIT = 32, 0.05  # a mask may have soft (anti-aliased) edges, not 5 % grey pixels


@dataclass
class Restored:
    image: Image.Image
    level: float | None  # the sigma or quality used (estimated or given), None for inpainting
    note: str = ""  # e.g. that the level was clamped to the model's range


def _samples(image: object, caller: str) -> tuple[Image.Image, np.ndarray]:
    image = pixels.as_image(image, caller)
    return image, pixels.to_samples(image)


def _run(task: str, samples: np.ndarray, cond: float | np.ndarray, model: RestoreModel | None, keep: np.ndarray | None,
         threads: int | None, progress: bool, passes: int) -> np.ndarray:
    """uint8 (H, W, C) -> restored uint8 (H, W, C): colour (or grey as three equal planes)
    through the network, alpha untouched; where ``keep`` is True the input stays exactly."""
    model = model or shipped(task)
    if model.task != task:
        raise ValueError(f"{model.name} is a {model.task} model, not a {task} model")
    restore = ensembled(model.restore, passes, shifts=task != "jpeg")  # a shift would move the JPEG block grid
    colour = samples[:, :, :3] if samples.shape[2] >= 3 else np.repeat(samples[:, :, :1], 3, axis=2)
    out = run_tiled(restore, colour, cond, progress=progress, threads=threads)
    if samples.shape[2] < 3:  # grey in, grey out
        out = np.clip(np.rint(out.astype(np.float32).mean(axis=2, keepdims=True)), 0, 255).astype(np.uint8)
    result = samples.copy()
    planes = out.shape[2]
    result[:, :, :planes] = out if keep is None else np.where(keep[..., None], samples[:, :, :planes], out)
    return result


def _image(samples: np.ndarray, like: Image.Image) -> Image.Image:
    out = pixels.from_samples(samples)
    if pixels.icc_profile(like):
        out.info["icc_profile"] = pixels.icc_profile(like)
    return out


def denoise(image, sigma: float | None = None, *, model: RestoreModel | None = None, threads: int | None = None,
            progress: bool = False, passes: int = 1) -> Restored:
    """Remove additive Gaussian noise of ``sigma`` (0..255 units; None: estimated from the image)."""
    image, samples = _samples(image, "denoise")
    note = ""
    if sigma is None:
        sigma = estimate_sigma(samples[:, :, : min(3, samples.shape[2])])
        note = "estimated"
    if not SIGMA_LIMITS[0] <= sigma <= SIGMA_LIMITS[1]:
        raise ValueError(f"sigma {sigma:.1f} is outside {SIGMA_LIMITS[0]:g}..{SIGMA_LIMITS[1]:g} (0..255 units)")
    cond = sigma / SIGMA_UNIT
    return Restored(_image(_run("denoise", samples, cond, model, None, threads, progress, passes), image), float(sigma), note)


def jpeg_quality(image) -> int | None:
    """The IJG-equivalent quality of a JPEG opened with Pillow (None if it is not one)."""
    return quality_of(image)


def dejpeg(image, quality: int | None = None, *, model: RestoreModel | None = None, threads: int | None = None,
           progress: bool = False, passes: int = 1) -> Restored:
    """Remove JPEG block and ringing artefacts; ``quality`` (1..100) defaults to the one the
    file's quantization tables say, which needs the image as Pillow opened it from the JPEG."""
    if quality is None:
        if not isinstance(image, (Image.Image, str)) and not hasattr(image, "__fspath__"):
            raise ValueError("give quality=, or the JPEG as a path or as Pillow opened it (its tables give the quality)")
        image = pixels.as_image(image, "dejpeg")
        quality = quality_of(image)
        if quality is None:
            raise ValueError("not a JPEG (no quantization tables): give the quality it was saved with")
    if not isinstance(quality, numbers.Integral) or isinstance(quality, bool) or not 1 <= quality <= 100:
        raise ValueError(f"quality must be a whole number in 1..100, got {quality!r}")
    image, samples = _samples(image, "dejpeg")
    lo, hi = QUALITY_LIMITS
    used = min(max(int(quality), lo), hi)
    note = "" if used == quality else f"quality {quality} restored as {used}, the nearest the model was trained on"
    cond = used / 100
    return Restored(_image(_run("jpeg", samples, cond, model, None, threads, progress, passes), image), float(quality), note)


def inpaint(image, mask, *, model: RestoreModel | None = None, threads: int | None = None,
            progress: bool = False, passes: int = 1) -> Restored:
    """Fill the pixels where ``mask`` (an image or array of the same size) is white /
    non-zero; every other pixel is returned exactly as given. An image mask is read as
    grey and thresholded at 128; one with more than 5 % mid-grey pixels is refused."""
    image, samples = _samples(image, "inpaint")
    if isinstance(mask, np.ndarray):
        if mask.ndim not in (2, 3):
            raise ValueError(f"the mask must be an (H, W) or (H, W, C) array, not {mask.ndim}-D")
        missing = np.asarray(mask) > 0
        missing = missing.any(axis=2) if missing.ndim == 3 else missing
    else:
        grey = np.asarray(pixels.as_image(mask, "inpaint").convert("L"))
        undecided = np.count_nonzero((grey > MASK_DARK) & (grey < 255 - MASK_DARK)) / grey.size
        if undecided > MASK_GREY_LIMIT:  # a photo given as the mask, say: thresholding it would fill nonsense
            raise ValueError(f"the mask is not black and white ({100 * undecided:.0f} % of its pixels are grey): "
                             "white marks the pixels to fill, black those to keep")
        missing = grey >= 128
    if missing.shape != samples.shape[:2]:
        raise ValueError(f"the mask is {missing.shape[1]}x{missing.shape[0]}, the image "
                         f"{samples.shape[1]}x{samples.shape[0]}: they must be the same size")
    if missing.all():
        raise ValueError("the mask covers the whole image: there is nothing to fill the holes from")
    colour = 3 if samples.shape[2] >= 3 else 1
    filled = samples.copy()  # the hole's content is unknown: it starts as a smooth fill from its border
    filled[:, :, :colour] = prefilled(samples[:, :, :colour], missing)
    cond = missing
    restored = _run("inpaint", filled, cond, model, ~missing, threads, progress, passes)
    return Restored(_image(restored, image), None, f"{np.count_nonzero(missing)} pixels filled")
