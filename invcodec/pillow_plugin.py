"""Pillow plugin: after ``import invcodec``, ``Image.open("x.inv")`` decodes .inv files."""

from __future__ import annotations

from PIL import Image, ImageFile

from . import container


def _accept(prefix: bytes) -> bool:
    return prefix[: len(container.MAGIC)] == container.MAGIC


class InvImageFile(ImageFile.ImageFile):
    format = "INV"
    format_description = "invcodec image (lossless or lossy)"

    def _open(self) -> None:
        self._inv_data = self.fp.read()
        header, _, _ = container.unpack_header(self._inv_data)  # InvalidFileError is a ValueError
        self._mode = container.PIL_MODES[header.channels]
        self._size = (header.width, header.height)
        self.tile = []

    def load(self):
        if self._inv_data is not None:
            from .codec import decompress

            decoded = decompress(self._inv_data)
            self.im = decoded.im
            self._inv_data = None
        return Image.Image.load(self)


def register() -> None:
    Image.register_open(InvImageFile.format, InvImageFile, _accept)
    Image.register_extension(InvImageFile.format, ".inv")
