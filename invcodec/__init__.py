"""invcodec: an image codec whose transform is an invertible (integer) neural network.

    >>> import invcodec
    >>> data = invcodec.compress(image)          # PIL image -> .inv bytes (lossless)
    >>> small = invcodec.compress(image, quality=40)   # lossy, quality 1..100
    >>> image2 = invcodec.decompress(data)       # pixels back (exact for lossless files)

Importing the package registers a Pillow plugin, so ``Image.open("x.inv")`` works."""

from .codec import compress, decompress
from .errors import InvalidFileError, UnsupportedImageError
from .pillow_plugin import register as _register_pillow_plugin

__all__ = ["compress", "decompress", "InvalidFileError", "UnsupportedImageError"]
__version__ = "0.1.0"

_register_pillow_plugin()
