"""The codec's two kinds of bad input, both ``ValueError``s with a one-line message."""


class InvalidFileError(ValueError):
    """A .inv file is malformed, truncated, corrupted, or needs a model we do not have."""


class UnsupportedImageError(ValueError):
    """An input image the codec cannot store exactly (16-bit, CMYK, not an image, ...)."""
