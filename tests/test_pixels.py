from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from invcodec import pixels
from invcodec.errors import UnsupportedImageError


def test_16_bit_images_are_refused(tmp_path) -> None:
    grey16 = tmp_path / "g16.png"
    Image.fromarray(np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000).save(grey16)
    with pytest.raises(UnsupportedImageError, match="8 bits"):
        pixels.to_samples(pixels.open_image(str(grey16)))


def test_48_bit_png_is_refused_not_truncated(tmp_path) -> None:
    # Pillow reads 48-bit PNGs as 8-bit RGB; the codec must notice and refuse.
    import struct
    import zlib

    w = h = 4
    raw = b"".join(b"\0" + bytes(range(w * 6)) for _ in range(h))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    path = tmp_path / "rgb48.png"
    path.write_bytes(png)
    with pytest.raises(UnsupportedImageError, match="8 bits"):
        pixels.open_image(str(path))


def test_cmyk_and_float_are_refused() -> None:
    with pytest.raises(UnsupportedImageError, match="CMYK"):
        pixels.to_samples(Image.new("CMYK", (4, 4)))
    with pytest.raises(UnsupportedImageError):
        pixels.to_samples(Image.new("F", (4, 4)))


def test_not_an_image_and_empty_file(tmp_path) -> None:
    for content in [b"", b"hello, I am text"]:
        path = tmp_path / "x.png"
        path.write_bytes(content)
        with pytest.raises(UnsupportedImageError, match="cannot read"):
            pixels.open_image(str(path))


def test_modes_round_trip_through_samples() -> None:
    for mode, channels in [("L", 1), ("LA", 2), ("RGB", 3), ("RGBA", 4)]:
        image = Image.new(mode, (5, 3), (7,) * channels if channels > 1 else 7)
        samples = pixels.to_samples(image)
        assert samples.shape == (3, 5, channels)
        assert pixels.from_samples(samples).mode == mode
