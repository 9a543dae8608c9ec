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


def test_icc_profile_and_exif_are_kept_and_a_png_gamma_named_as_not_kept(tmp_path) -> None:
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x0112] = 6
    image = Image.new("RGB", (4, 4))
    image.save(tmp_path / "both.png", icc_profile=icc, exif=exif)
    image.save(tmp_path / "plain.png")
    both = pixels.open_image(str(tmp_path / "both.png"))
    assert pixels.icc_profile(both) == icc and pixels.exif(both) == exif.tobytes()[6:]  # kept in the file
    assert pixels.not_kept(both) == []  # the orientation is kept as data, never applied
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
        assert taken.exif == exif.tobytes()[6:] and taken.not_kept == []
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


def _pypng(arr: np.ndarray, path) -> None:
    import png

    h, w, c = arr.shape
    png.Writer(w, h, greyscale=c < 3, alpha=c in (2, 4), bitdepth=16).write(open(path, "wb"), arr.reshape(h, w * c))


DEEP = np.random.default_rng(16).integers(0, 65536, (5, 7, 4), dtype=np.uint16)


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_16_bit_png_and_tiff_are_read_at_their_full_depth(tmp_path, channels: int) -> None:
    import tifffile

    arr = DEEP[:, :, :channels]
    _pypng(arr, tmp_path / "x.png")
    photometric = "rgb" if channels >= 3 else "minisblack"
    tifffile.imwrite(tmp_path / "x.tif", arr if channels > 1 else arr[:, :, 0], photometric=photometric,
                     extrasamples=["unassalpha"] if channels in (2, 4) else None)
    tifffile.imwrite(tmp_path / "planar.tif", np.moveaxis(arr, -1, 0), photometric="rgb", planarconfig="separate") \
        if channels == 3 else None
    for name in ("x.png", "x.tif") + (("planar.tif",) if channels == 3 else ()):  # (Pillow cannot open a 16-bit LA TIFF)
        taken = pixels.intake(tmp_path / name, "test")
        assert taken.samples.dtype == np.uint16 and np.array_equal(taken.samples, arr), name
        with open(tmp_path / name, "rb") as f:  # a file object (stdin) too
            assert np.array_equal(pixels.intake(f, "test", name="stdin").samples, arr)


def test_16_bit_ppm_and_pgm_are_read_at_their_full_depth_or_refused(tmp_path) -> None:
    rgb, grey = DEEP[:, :, :3], DEEP[:, :, :1]
    (tmp_path / "x.ppm").write_bytes(b"P6\n7 5\n65535\n" + rgb.astype(">u2").tobytes())
    (tmp_path / "x.pgm").write_bytes(b"P5\n7 5\n65535\n" + grey.astype(">u2").tobytes())
    assert np.array_equal(pixels.intake(tmp_path / "x.ppm", "test").samples, rgb)
    assert np.array_equal(pixels.intake(tmp_path / "x.pgm", "test").samples, grey)
    (tmp_path / "ten.ppm").write_bytes(b"P6\n7 5\n1023\n" + (rgb >> 6).astype(">u2").tobytes())
    (tmp_path / "plain.ppm").write_bytes(b"P3\n1 1\n65535\n1 2 300\n")
    for name in ("ten.ppm", "plain.ppm"):  # Pillow would read them as 8-bit: refused, never reduced
        with pytest.raises(UnsupportedImageError, match="16-bit colour PPM"):
            pixels.intake(tmp_path / name, "test")
        with pytest.raises(UnsupportedImageError, match="8 bits"):  # the 8-bit reader refuses them as before
            pixels.open_image(str(tmp_path / name))


def test_16_bit_arrays_and_grey_images_are_taken_and_32_bit_values_refused() -> None:
    assert np.array_equal(pixels.intake(DEEP, "test").samples, DEEP)
    grey = Image.fromarray(DEEP[:, :, 0])
    assert grey.mode == "I;16" and np.array_equal(pixels.intake(grey, "test").samples, DEEP[:, :, :1])
    assert np.array_equal(pixels.intake(grey.convert("I"), "test").samples, DEEP[:, :, :1])
    with pytest.raises(UnsupportedImageError, match="0..65535"):
        pixels.intake(Image.fromarray(np.full((2, 2), 70000, np.int32)), "test")
    with pytest.raises(UnsupportedImageError, match="uint8 or uint16"):
        pixels.intake(DEEP.astype(np.int32), "test")
    assert pixels.from_samples(DEEP[:, :, :1]).mode == "I;16"
    with pytest.raises(UnsupportedImageError, match="no 16-bit RGB mode"):
        pixels.from_samples(DEEP[:, :, :3])


def test_exif_and_xmp_are_taken_from_every_format_that_holds_them(tmp_path) -> None:
    from PIL import PngImagePlugin

    exif = Image.Exif()
    exif[0x0112] = 8
    structure, xmp = exif.tobytes()[6:], b'<x:xmpmeta xmlns:x="adobe:ns:meta/">\xc3\xa9</x:xmpmeta>'
    image = Image.fromarray(DEEP[:, :, :3].astype(np.uint8))
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp.decode())
    image.save(tmp_path / "x.png", exif=exif, pnginfo=info)
    image.save(tmp_path / "x.jpg", exif=exif, xmp=xmp)
    image.save(tmp_path / "x.webp", exif=structure, xmp=xmp, lossless=True)
    for name in ("x.png", "x.jpg", "x.webp"):
        taken = pixels.intake(tmp_path / name, "test")
        assert (taken.exif, taken.xmp, taken.not_kept) == (structure, xmp, []), name
    image.save(tmp_path / "x.tif")  # TIFF holds EXIF as tags of its own (an IFD the EXIF tag points to): named as not kept
    tiff = pixels.open_image(str(tmp_path / "x.tif"))
    assert pixels.not_kept(tiff) == []
    tiff.tag_v2[pixels.TIFF_EXIF_IFD] = 1234  # (Pillow writes no EXIF IFD to make a file of)
    assert pixels.not_kept(tiff) == ["its TIFF EXIF tags"]


def test_a_16_bit_tiff_pillow_cannot_open_keeps_its_profile_and_xmp_and_other_unknown_files_stay_refused(tmp_path) -> None:
    import tifffile

    tifffile.imwrite(tmp_path / "la.tif", DEEP[:, :, :2], photometric="minisblack", extrasamples=["unassalpha"],
                     iccprofile=b"profile", extratags=[(700, 1, 5, b"<x/>\0"[:4] + b"!", True)], metadata=None)
    taken = pixels.intake(tmp_path / "la.tif", "test")
    assert np.array_equal(taken.samples, DEEP[:, :, :2]) and (taken.icc_profile, taken.xmp) == (b"profile", b"<x/>!")
    (tmp_path / "junk.tif").write_bytes(b"II*\0" + bytes(40))
    (tmp_path / "junk.png").write_bytes(b"not an image")
    for name in ("junk.tif", "junk.png"):
        with pytest.raises(UnsupportedImageError, match="cannot read .*junk"):
            pixels.intake(tmp_path / name, "test")


def test_the_png_metadata_chunks_are_what_pillow_reads_back() -> None:
    import io

    import png

    from invcodec.pixels import png_metadata_chunks

    exif = b"MM\x00*\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00"
    plain = io.BytesIO()
    Image.new("RGB", (3, 2)).save(plain, "PNG")
    chunks = list(png.Reader(bytes=plain.getvalue()).chunks())
    made = png_metadata_chunks(b"not a real profile", b"Exif\x00\x00" + exif, b"<x:xmpmeta/>")
    assert sorted(tag for tag, _ in made) == [b"eXIf", b"iCCP", b"iTXt"]
    out = io.BytesIO()
    png.write_chunks(out, chunks[:1] + made + chunks[1:])
    with Image.open(io.BytesIO(out.getvalue())) as image:
        assert image.info["icc_profile"] == b"not a real profile"
        assert pixels.exif(image) == exif and image.info["xmp"] == b"<x:xmpmeta/>"
    assert png_metadata_chunks() == []
