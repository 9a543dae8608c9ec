"""The coding options, checked once where they enter the API (``codec``'s functions):
everything below takes a ``CodingOptions`` and trusts it."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

from .container import MAX_TILE, MIN_TILE, exif_structure
from .quantizer import TUNINGS

DEFAULT_TILE_SIZE = 512
# efforts as cjxl numbers them; 8 and 9 fine-tune an autoregressive model on each tile
# (``training.per_image``) in lossless mode and search the latents (``training.latent_search``)
# in lossy mode, both with torch; every other coding is the same at every effort
EFFORTS = range(1, 10)
DEFAULT_EFFORT = 7
ADAPTING_EFFORTS = (8, 9)
LATENT_SEARCH_EFFORTS = (8, 9)


def check_quality(quality: object) -> int | None:
    """``quality`` as an int in 1..100 (or None: lossless); a clear ValueError otherwise."""
    if quality is None:
        return None
    if isinstance(quality, bool) or not isinstance(quality, numbers.Integral) or not 1 <= quality <= 100:
        raise ValueError(f"quality must be a whole number in 1..100 (or None for lossless), got {quality!r}")
    return int(quality)


def check_tune(tune: object, quality: int | None) -> str:
    """``tune`` must name a tuning (``quantizer.TUNINGS``), and one other than "psnr" needs
    lossy mode: a lossless file has no steps to tune."""
    if not isinstance(tune, str) or tune not in TUNINGS:
        raise ValueError(f"tune must be one of {', '.join(TUNINGS)}, got {tune!r}")
    if quality is None and tune != "psnr":
        raise ValueError(f"tune {tune!r} is for lossy files: give a quality too")
    return tune


def _whole(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_tile_size(tile_size: object) -> int | None:
    """None (the encoder chooses) or a multiple of MIN_TILE in MIN_TILE..MAX_TILE."""
    if tile_size is not None and not (_whole(tile_size) and MIN_TILE <= tile_size <= MAX_TILE and tile_size % MIN_TILE == 0):
        raise ValueError(f"tile size must be a multiple of {MIN_TILE} in {MIN_TILE}..{MAX_TILE}, got {tile_size!r}")
    return tile_size


def check_effort(effort: object) -> int:
    """``effort`` as an int in EFFORTS; a clear ValueError otherwise."""
    if not (_whole(effort) and effort in EFFORTS):
        raise ValueError(f"effort must be a whole number in {EFFORTS[0]}..{EFFORTS[-1]}, got {effort!r}")
    return int(effort)


def check_threads(threads: object) -> int | None:
    """None (``tiling.default_threads()``) or a whole number of threads, at least 1."""
    if threads is not None and not (_whole(threads) and threads >= 1):
        raise ValueError(f"threads must be a whole number of at least 1 (or None for the default), got {threads!r}")
    return threads


@dataclass(frozen=True, kw_only=True)
class CodingOptions:
    """How ``codec.compress_samples`` codes (its docstring says what each does); built
    only through ``checked``."""

    quality: int | None = None
    tune: str = "psnr"
    tile_size: int | None = None
    threads: int | None = None
    progress: bool = False
    icc_profile: bytes | None = None
    exif: bytes | None = None
    xmp: bytes | None = None
    classic: bool = True
    adaptive_prior: bool = True
    effort: int = DEFAULT_EFFORT

    @classmethod
    def checked(cls, *, quality: object = None, tune: object = "psnr", tile_size: object = None, threads: object = None,
                progress: bool = False, icc_profile: bytes | None = None, exif: bytes | None = None,
                xmp: bytes | None = None, classic: bool = True, adaptive_prior: bool = True,
                effort: object = DEFAULT_EFFORT) -> CodingOptions:
        quality = check_quality(quality)
        return cls(quality=quality, tune=check_tune(tune, quality), tile_size=check_tile_size(tile_size),
                   threads=check_threads(threads), progress=bool(progress), icc_profile=icc_profile or None,
                   exif=exif_structure(exif), xmp=xmp or None, classic=bool(classic), adaptive_prior=bool(adaptive_prior),
                   effort=check_effort(effort))

    @property
    def lossy(self) -> bool:
        return self.quality is not None
