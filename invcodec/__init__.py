"""invcodec: an image codec whose transform is an invertible (integer) neural network.

    >>> import invcodec
    >>> data = invcodec.compress(image)          # PIL image -> .inv bytes (lossless)
    >>> small = invcodec.compress(image, quality=40)   # lossy, quality 1..100
    >>> image2 = invcodec.decompress(data)       # pixels back (exact for lossless files)
    >>> thumb = invcodec.decompress(small, scale="1/4")   # a quarter of each side

Importing the package registers a Pillow plugin, so ``Image.open("x.inv")`` works. The
codec itself is loaded on first use, so tools that only read headers start fast."""

from .errors import InvalidFileError, UnsupportedImageError
from .pillow_plugin import register as _register_pillow_plugin

__all__ = ["compress", "decompress", "InvalidFileError", "UnsupportedImageError"]
__version__ = "0.2.0.dev0"


def __getattr__(name: str):
    if name in ("compress", "decompress"):
        from . import codec

        return getattr(codec, name)
    raise AttributeError(f"module 'invcodec' has no attribute {name!r}")


_register_pillow_plugin()
