"""Pillow plugin: after ``import invcodec``, ``Image.open("x.inv")`` decodes .inv files
and ``image.save("x.inv")`` writes them (lossless; ``quality=1..100`` for lossy, with
``tune="ms-ssim"`` for steps chosen for MS-SSIM; ``model=NAME_OR_PATH`` for another model).
The ICC profile, EXIF and XMP data travel both ways in ``info`` (and ``icc_profile=``,
``exif=``, ``xmp=`` replace the image's own when saving, as for Pillow's formats). 16-bit
grey opens in mode I;16; 16-bit colour, which Pillow cannot hold, is refused on open."""

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
        if header.bit_depth == 16 and header.channels > 1:
            raise UnsupportedImageError(f"Pillow has no 16-bit {container.PIL_MODES[header.channels]} mode: decode this "
                                        "file with invcodec.decompress_samples")
        self._mode = "I;16" if header.bit_depth == 16 else container.PIL_MODES[header.channels]
        self._size = (header.width, header.height)
        from .pixels import metadata_info

        self.info.update(metadata_info(header))
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
    """As ``compress``; as for Pillow's other formats, ``icc_profile=``, ``exif=`` (bytes
    or an ``Image.Exif``) and ``xmp=`` replace the image's own, and are kept byte for byte."""
    from . import pixels
    from .codec import compress_samples

    options = image.encoderinfo
    taken = pixels.intake(image, "save")
    pixels.warn_not_kept(taken.not_kept, stacklevel=3)
    exif = options.get("exif", taken.exif)
    fp.write(compress_samples(taken.samples, options.get("model") or None, quality=options.get("quality"),
                              icc_profile=options.get("icc_profile", taken.icc_profile),
                              exif=exif.tobytes() if isinstance(exif, Image.Exif) else exif,
                              xmp=options.get("xmp", taken.xmp), tune=options.get("tune", "psnr"))[0])


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
