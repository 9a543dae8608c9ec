"""Pillow plugin: after ``import invcodec``, ``Image.open("x.inv")`` decodes .inv files
and ``image.save("x.inv")`` writes them (lossless; ``quality=1..100`` for lossy, with
``tune="ms-ssim"`` for steps chosen for MS-SSIM; ``model=NAME_OR_PATH`` for another model)."""

from __future__ import annotations

from PIL import Image, ImageFile

from . import container
from .errors import UnsupportedImageError


def _accept(prefix: bytes) -> bool:
    return prefix[: len(container.MAGIC)] == container.MAGIC


class InvImageFile(ImageFile.ImageFile):
    format = "INV"
    format_description = "invcodec image"

    def _open(self) -> None:
        self._inv_data = container.read(self.fp)  # no more than the header declares
        header, _, _ = container.unpack_header(self._inv_data)  # InvalidFileError is a ValueError
        self._mode = container.PIL_MODES[header.channels]
        self._size = (header.width, header.height)
        if header.icc_profile:
            self.info["icc_profile"] = header.icc_profile
        self.format_description = ("invcodec image (lossless)" if header.quantizer is None
                                   else f"invcodec image (lossy, quality {header.quantizer.quality})")
        self.tile = []

    def load(self):
        if self._inv_data is not None:
            from .codec import decompress

            decoded = decompress(self._inv_data)
            self.im = decoded.im
            self._inv_data = None
            # as ImageFile.load does for Pillow's own formats: a file Pillow opened is closed once loaded
            if self._exclusive_fp and self._close_exclusive_fp_after_loading:
                self.fp.close()
            self.fp = None
        return Image.Image.load(self)

    def verify(self) -> None:
        """Decode the pixels and check them against the file's pixel CRC (raises
        ``InvalidFileError``); like every ``verify``, the image must be reopened after."""
        if self._inv_data is None:
            raise RuntimeError("verify must be called directly after open")
        from .codec import decompress_samples

        decompress_samples(self._inv_data)  # checks the stored pixel CRC
        super().verify()


def _save(image: Image.Image, fp, filename) -> None:
    """As ``compress``; as for Pillow's other formats, ``icc_profile=`` replaces the image's
    own profile, and ``exif=``, which a .inv file cannot keep, is warned about."""
    from . import pixels
    from .codec import compress_samples

    options = image.encoderinfo
    taken = pixels.intake(image, "save")
    pixels.warn_not_kept(taken.not_kept + (["the EXIF data given as exif="] if options.get("exif") else []), stacklevel=3)
    fp.write(compress_samples(taken.samples, options.get("model") or None, quality=options.get("quality"),
                              icc_profile=options.get("icc_profile", taken.icc_profile), tune=options.get("tune", "psnr"))[0])


def _save_all(image: Image.Image, fp, filename) -> None:
    """``save_all=True``: a .inv file holds one image, so more frames are refused, not dropped."""
    if image.encoderinfo.get("append_images"):
        raise UnsupportedImageError("invcodec stores one image: append_images would be dropped; save each image apart")
    _save(image, fp, filename)


def register() -> None:
    Image.register_open(InvImageFile.format, InvImageFile, _accept)
    Image.register_save(InvImageFile.format, _save)
    Image.register_save_all(InvImageFile.format, _save_all)
    Image.register_extension(InvImageFile.format, ".inv")
