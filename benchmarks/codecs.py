"""One interface for invcodec and every baseline codec: encode to bytes, decode to pixels."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Callable

import numpy as np
import PIL
from PIL import Image


@dataclass
class Codec:
    name: str
    version: str
    encode: Callable[[np.ndarray], bytes]
    decode: Callable[[bytes], np.ndarray]


def _pillow(fmt: str, **options) -> tuple[Callable, Callable]:
    def encode(samples: np.ndarray) -> bytes:
        buf = io.BytesIO()
        Image.fromarray(samples).save(buf, fmt, **options)
        return buf.getvalue()

    def decode(data: bytes) -> np.ndarray:
        with Image.open(io.BytesIO(data)) as im:
            return np.asarray(im)

    return encode, decode


def invcodec_codec(model_name: str | None = None, threads: int = 1, effort: int | None = None) -> Codec:
    """invcodec lossless with a shipped model (or a model file), ``threads`` tiles in
    parallel, at ``effort`` (None: the default); named after the model actually loaded
    (the registry default for None) and the effort when it is not the default."""
    import invcodec
    from invcodec.codec import compress_samples, decompress_samples
    from invcodec.options import DEFAULT_EFFORT
    from invcodec.registry import get_model

    model = get_model(model_name)
    effort = DEFAULT_EFFORT if effort is None else effort
    return Codec(
        f"invcodec ({model.name})" if effort == DEFAULT_EFFORT else f"invcodec ({model.name}, effort {effort})",
        invcodec.__version__,
        lambda s: compress_samples(s, model, threads=threads, effort=effort)[0],
        lambda d: decompress_samples(d, model, threads=threads),
    )


def lossless_baselines(jxl_efforts: tuple[int, ...] = (7,)) -> list[Codec]:
    v = PIL.__version__
    codecs = [
        Codec("PNG (optimize)", f"Pillow {v}", *_pillow("PNG", optimize=True)),
        Codec("WebP lossless", f"Pillow {v}", *_pillow("WEBP", lossless=True, quality=100, method=6)),
        Codec("JPEG2000 lossless", f"Pillow {v}", *_pillow("JPEG2000", irreversible=False)),
    ]
    try:
        import pillow_jxl  # noqa: F401  (registers JPEG-XL with Pillow)
        from importlib.metadata import version

        codecs += [Codec(f"JPEG-XL lossless (effort {e})", f"pillow-jxl-plugin {version('pillow-jxl-plugin')}",
                         *_pillow("JXL", lossless=True, effort=e)) for e in jxl_efforts]
    except ImportError:
        pass
    return codecs


@dataclass
class LossyCodec:
    """A lossy codec and the quality settings that trace its rate-distortion curve."""

    name: str
    version: str
    qualities: list[int]
    encode: Callable[[np.ndarray, int], bytes]
    decode: Callable[[bytes], np.ndarray]


def _pillow_lossy(fmt: str, **options) -> tuple[Callable, Callable]:
    def encode(samples: np.ndarray, quality: int) -> bytes:
        buf = io.BytesIO()
        Image.fromarray(samples).save(buf, fmt, quality=quality, **options)
        return buf.getvalue()

    def decode(data: bytes) -> np.ndarray:
        with Image.open(io.BytesIO(data)) as im:
            return np.asarray(im.convert("RGB"))

    return encode, decode


INVCODEC_QUALITIES = [8, 18, 28, 38, 48, 58]  # about 0.1 .. 2.5 bpp on Kodak


def invcodec_lossy_codec(model_name: str | None = None, qualities: list[int] | None = None,
                         threads: int = 1, tune: str = "psnr", effort: int | None = None) -> LossyCodec:
    """invcodec lossy with a shipped model (``DEFAULT_LOSSY_MODEL`` for None) or a model
    file, its steps tuned for ``tune``, at ``effort`` (None: the default); named with the
    tuning and the effort where they are not the defaults."""
    import invcodec
    from invcodec.codec import compress_samples, decompress_samples
    from invcodec.options import DEFAULT_EFFORT
    from invcodec.registry import DEFAULT_LOSSY_MODEL, get_model

    model = get_model(model_name or DEFAULT_LOSSY_MODEL)
    effort = DEFAULT_EFFORT if effort is None else effort
    extras = ([f"tune {tune}"] if tune != "psnr" else []) + ([f"effort {effort}"] if effort != DEFAULT_EFFORT else [])
    return LossyCodec(
        f"invcodec ({', '.join([model.name, *extras])})",
        invcodec.__version__,
        qualities or INVCODEC_QUALITIES,
        lambda s, q: compress_samples(s, model, quality=q, threads=threads, tune=tune, effort=effort)[0],
        lambda d: decompress_samples(d, model, threads=threads),
    )


def lossy_baselines() -> list[LossyCodec]:
    """Pillow's encoders at their defaults (JPEG 4:2:0, WebP method 4, AVIF 4:2:0 speed 6,
    JPEG-XL effort 7), and AVIF and JPEG-XL at their best settings Pillow offers (AVIF 4:4:4
    at speed 2, JPEG-XL effort 9): a learned codec has to beat what a patient user can get."""
    v = f"Pillow {PIL.__version__}"
    avif_qualities = [20, 35, 50, 65, 80, 92]
    codecs = [
        LossyCodec("JPEG", v, [10, 20, 30, 50, 70, 85, 95], *_pillow_lossy("JPEG")),
        LossyCodec("WebP", v, [5, 20, 40, 60, 80, 95], *_pillow_lossy("WEBP")),
        LossyCodec("AVIF", v, avif_qualities, *_pillow_lossy("AVIF")),
        LossyCodec("AVIF 4:4:4 speed 2", v, avif_qualities, *_pillow_lossy("AVIF", subsampling="4:4:4", speed=2)),
    ]
    try:
        import pillow_jxl  # noqa: F401
        from importlib.metadata import version

        jxl = f"pillow-jxl-plugin {version('pillow-jxl-plugin')}"
        jxl_qualities = [20, 40, 60, 75, 88, 95]
        codecs += [LossyCodec("JPEG-XL", jxl, jxl_qualities, *_pillow_lossy("JXL", effort=7)),
                   LossyCodec("JPEG-XL effort 9", jxl, jxl_qualities, *_pillow_lossy("JXL", effort=9))]
    except ImportError:
        pass
    return codecs
