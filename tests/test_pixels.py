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


def test_a_transparency_colour_key_becomes_an_exact_alpha_channel(tmp_path) -> None:
    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 10
    Image.fromarray(rgb).save(tmp_path / "key.png", transparency=tuple(int(v) for v in rgb[1, 2]))
    samples = pixels.to_samples(pixels.open_image(str(tmp_path / "key.png")))
    assert samples.shape == (2, 3, 4) and np.array_equal(samples[..., :3], rgb)
    expected_alpha = np.full((2, 3), 255, np.uint8)
    expected_alpha[1, 2] = 0
    assert np.array_equal(samples[..., 3], expected_alpha)
    grey = np.array([[1, 2], [3, 4]], np.uint8)
    Image.fromarray(grey, "L").save(tmp_path / "gkey.png", transparency=3)
    samples = pixels.to_samples(pixels.open_image(str(tmp_path / "gkey.png")))
    assert np.array_equal(samples, np.stack([grey, [[255, 255], [0, 255]]], axis=2).astype(np.uint8))


@pytest.mark.parametrize("name, options", [("a.gif", {}), ("a.png", {}), ("a.tif", {}), ("a.webp", {"lossless": True})])
def test_several_frames_are_refused_with_their_count(tmp_path, name, options) -> None:
    rng = np.random.default_rng(0)
    frames = [Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)) for _ in range(3)]
    frames[0].save(tmp_path / name, save_all=True, append_images=frames[1:], **options)
    with pytest.raises(UnsupportedImageError, match="has 3 frames"):
        pixels.open_image(str(tmp_path / name))
    frames[0].save(tmp_path / f"one{name}", **options)  # one frame is fine
    assert pixels.open_image(str(tmp_path / f"one{name}")).size == (8, 8)


def test_icc_profile_is_kept_and_exif_orientation_named_as_not_kept(tmp_path) -> None:
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x0112] = 6
    image = Image.new("RGB", (4, 4))
    image.save(tmp_path / "both.png", icc_profile=icc, exif=exif)
    image.save(tmp_path / "plain.png")
    both = pixels.open_image(str(tmp_path / "both.png"))
    assert pixels.icc_profile(both) == icc  # kept in the file
    lost = pixels.not_kept(both)
    assert len(lost) == 1 and "orientation (6" in lost[0]
    assert pixels.not_kept(pixels.open_image(str(tmp_path / "plain.png"))) == []
    assert pixels.icc_profile(pixels.open_image(str(tmp_path / "plain.png"))) is None
    # a PNG gamma other than 1/2.2, or chromaticities, without a profile: named; with sRGB: what viewers assume
    image.save(tmp_path / "gamma.png", pnginfo=_png_info(b"gAMA", (100000).to_bytes(4, "big")))
    assert pixels.not_kept(pixels.open_image(str(tmp_path / "gamma.png"))) == ["its PNG gamma 1.0 (gAMA)"]
    image.save(tmp_path / "web.png", pnginfo=_png_info(b"gAMA", (45455).to_bytes(4, "big")))
    assert pixels.not_kept(pixels.open_image(str(tmp_path / "web.png"))) == []


def _png_info(kind: bytes, value: bytes):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add(kind, value)
    return info


def test_any_error_pillow_raises_on_a_hostile_file_is_one_unsupported_image_error(tmp_path, monkeypatch) -> None:
    """Pillow's plugins raise more than OSError on crafted files (EOFError, struct.error,
    IndexError ...): each must be one line, not a traceback."""
    import struct

    Image.new("RGB", (4, 4)).save(tmp_path / "x.png")
    for error in (EOFError("no more data"), struct.error("unpack requires 4 bytes"), IndexError("tuple index")):
        def broken(self, error=error):
            raise error

        monkeypatch.setattr(Image.Image, "load", broken)
        monkeypatch.setattr("PIL.ImageFile.ImageFile.load", broken)
        with pytest.raises(UnsupportedImageError, match="cannot read .*x.png as an image"):
            pixels.open_image(str(tmp_path / "x.png"))


def test_intake_takes_a_path_an_opened_image_and_an_array_alike(tmp_path) -> None:
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    rgb = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(rgb).save(tmp_path / "x.png", icc_profile=icc, exif=exif)
    from_path = pixels.intake(tmp_path / "x.png", "test")
    from_image = pixels.intake(Image.open(tmp_path / "x.png"), "test")
    for taken in (from_path, from_image):
        assert np.array_equal(taken.samples, rgb) and taken.icc_profile == icc
        assert len(taken.not_kept) == 1 and "orientation (6" in taken.not_kept[0]
    from_array = pixels.intake(rgb[:, :, 0], "test")  # (H, W): grey
    assert from_array.samples.shape == (4, 5, 1) and from_array.icc_profile is None and from_array.not_kept == []
    with pytest.raises(TypeError, match="test takes a PIL image"):
        pixels.intake([[1, 2]], "test")


def test_a_palette_that_carries_alpha_keeps_it(tmp_path) -> None:
    """Issue 40: a palette of RGBA colours with no transparency entry lost its alpha."""
    rgba = np.random.default_rng(0).integers(0, 256, (6, 7, 4), dtype=np.uint8)
    quantized = Image.fromarray(rgba, "RGBA").quantize()  # palette mode RGBA, no "transparency"
    assert quantized.mode == "P" and "transparency" not in quantized.info
    expected = np.asarray(quantized.convert("RGBA"))
    assert len(np.unique(expected[..., 3])) > 1  # the palette's alpha is not all opaque
    assert np.array_equal(pixels.intake(quantized, "test").samples, expected)
    quantized.save(tmp_path / "map32.tga")  # a TGA with a 32-bit colour map
    assert np.array_equal(pixels.intake(tmp_path / "map32.tga", "test").samples, expected)
    opaque = Image.fromarray(rgba[..., :3]).quantize()  # an RGB palette stays RGB
    assert pixels.intake(opaque, "test").samples.shape == (6, 7, 3)


def test_several_frames_are_refused_as_a_file_and_as_an_opened_image(tmp_path) -> None:
    """Issue 40: the API kept frame 1 of an opened animated image that the CLI refused."""
    frames = [Image.new("RGB", (8, 8), (i, 2 * i, 3 * i)) for i in range(3)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    with pytest.raises(UnsupportedImageError, match="anim.gif has 3 frames"):
        pixels.intake(tmp_path / "anim.gif", "test")
    with Image.open(tmp_path / "anim.gif") as opened:
        opened.seek(1)
        with pytest.raises(UnsupportedImageError, match="the image given to test has 3 frames"):
            pixels.intake(opened, "test")
        one = opened.copy()  # one frame taken out: accepted
    assert pixels.intake(one, "test").samples.shape == (8, 8, 3)
