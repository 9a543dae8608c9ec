from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import invcodec
from invcodec.registry import get_model

from .conftest import load_tiny_model, smooth_image


@pytest.fixture(scope="module")
def photo_v1():
    return get_model("photo-v1")


def test_image_open_decodes_inv(tmp_path, photo_v1) -> None:
    samples = smooth_image(20, 30, 4)
    path = tmp_path / "x.inv"
    path.write_bytes(invcodec.compress(Image.fromarray(samples, "RGBA"), photo_v1))
    with Image.open(path) as im:  # the plugin finds the shipped model by the file's model id
        assert im.format == "INV" and im.size == (30, 20) and im.mode == "RGBA"
        assert np.array_equal(np.asarray(im), samples)


def test_image_open_decodes_grey_and_lossy(tmp_path) -> None:
    grey = smooth_image(17, 23, 1)
    (tmp_path / "g.inv").write_bytes(invcodec.compress(Image.fromarray(grey[:, :, 0], "L"), get_model("photo-v1")))
    with Image.open(tmp_path / "g.inv") as im:
        assert im.mode == "L" and np.array_equal(np.asarray(im), grey[:, :, 0])
    rgb = smooth_image(24, 40, 3)
    data = invcodec.compress(Image.fromarray(rgb), get_model("photo-lossy-v1"), quality=40)
    (tmp_path / "l.inv").write_bytes(data)
    with Image.open(tmp_path / "l.inv") as im:
        assert im.mode == "RGB" and np.array_equal(np.asarray(im), np.asarray(invcodec.decompress(data)))
        assert not np.array_equal(np.asarray(im), rgb)


def test_image_open_rejects_corrupted_inv(tmp_path, photo_v1) -> None:
    path = tmp_path / "x.inv"
    data = bytearray(invcodec.compress(Image.fromarray(smooth_image(20, 30, 3)), photo_v1))
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(invcodec.InvalidFileError):
        Image.open(path).load()


def test_image_open_names_a_model_that_is_not_installed(tmp_path) -> None:
    """A file written with a model file (not shipped): the plugin cannot find its model."""
    from invcodec import container

    model = load_tiny_model("tiny-noise0.03")  # small noise: flow beats raw
    data = invcodec.compress(Image.fromarray(smooth_image(32, 32, 3)), model, classic=False)  # a flow stream
    assert any(s.kind == container.StreamKind.FLOW for s in container.unpack(data)[1])  # else no model is needed
    path = tmp_path / "x.inv"
    path.write_bytes(data)
    with Image.open(path) as im:
        assert im.size == (32, 32)  # the header alone opens
        with pytest.raises(invcodec.InvalidFileError, match=model.model_id.hex()):
            im.load()


def test_format_description_says_lossless_only_for_lossless_files(tmp_path, photo_v1) -> None:
    rgb = Image.fromarray(smooth_image(24, 40, 3))
    (tmp_path / "a.inv").write_bytes(invcodec.compress(rgb, photo_v1))
    (tmp_path / "b.inv").write_bytes(invcodec.compress(rgb, get_model("photo-lossy-v1"), quality=30))
    with Image.open(tmp_path / "a.inv") as im:
        assert im.format_description == "invcodec image (lossless)"
    with Image.open(tmp_path / "b.inv") as im:
        assert im.format_description == "invcodec image (lossy, quality 30)"


def test_verify_checks_the_pixel_crc(tmp_path, photo_v1) -> None:
    """A payload byte changed so that the header stays valid: only decoding can tell."""
    from invcodec import container

    samples = smooth_image(20, 30, 3)
    samples[0, 0] = (255, 0, 0)  # noise in the corner keeps it from being constant
    data = bytearray(invcodec.compress(Image.fromarray(samples), photo_v1))
    with Image.open(_write(tmp_path / "good.inv", bytes(data))) as im:
        im.verify()
    header, table, offset = container.unpack_header(bytes(data))
    assert table[0][0] == container.StreamKind.RAW or table[0][1] > 4
    data[offset + table[0][1] // 2] ^= 0x01
    with Image.open(_write(tmp_path / "bad.inv", bytes(data))) as im:
        with pytest.raises(invcodec.InvalidFileError):
            im.verify()


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def test_image_save_writes_inv(tmp_path, photo_v1) -> None:
    samples = smooth_image(20, 30, 4)
    Image.fromarray(samples, "RGBA").save(tmp_path / "x.inv", model="photo-v1")
    with Image.open(tmp_path / "x.inv") as im:
        assert im.format == "INV" and np.array_equal(np.asarray(im), samples)
    Image.fromarray(samples[..., :3]).save(tmp_path / "y.inv", model="photo-lossy-v1", quality=50)
    with Image.open(tmp_path / "y.inv") as im:
        assert im.format_description.startswith("invcodec image (lossy")
    with pytest.raises(ValueError, match="quality"):
        Image.fromarray(samples[..., :3]).save(tmp_path / "z.inv", model="photo-lossy-v1", quality=500)
    Image.fromarray(samples[..., :3]).save(tmp_path / "t.inv", model="photo-lossy-v1", quality=50, tune="ms-ssim")
    assert (tmp_path / "t.inv").read_bytes() != (tmp_path / "y.inv").read_bytes()  # the tuning reaches the encoder
    with pytest.raises(ValueError, match="tune"):
        Image.fromarray(samples[..., :3]).save(tmp_path / "u.inv", model="photo-lossy-v1", quality=50, tune="ssim")


def test_save_all_writes_one_frame_and_refuses_more(tmp_path) -> None:
    """Issue 40: save_all=True raised KeyError; frames beyond the first must be refused, not dropped."""
    samples = smooth_image(16, 16, 3)
    Image.fromarray(samples).save(tmp_path / "one.inv", save_all=True, model="photo-v1")
    with Image.open(tmp_path / "one.inv") as im:
        assert np.array_equal(np.asarray(im), samples)
    frames = [Image.new("RGB", (8, 8), (i, 2 * i, 3 * i)) for i in range(3)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    with Image.open(tmp_path / "anim.gif") as anim:
        for options in ({}, {"save_all": True}):
            with pytest.raises(invcodec.UnsupportedImageError, match="has 3 frames"):
                anim.save(tmp_path / "anim.inv", model="photo-v1", **options)
    with pytest.raises(invcodec.UnsupportedImageError, match="append_images"):
        frames[0].save(tmp_path / "more.inv", append_images=frames[1:], model="photo-v1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["anim.gif", "one.inv"]  # nothing half written


def test_save_keeps_a_palettes_alpha(tmp_path) -> None:
    rgba = Image.fromarray(smooth_image(12, 10, 4), "RGBA").quantize()  # a palette of RGBA colours
    rgba.save(tmp_path / "p.inv", model="photo-v1")
    with Image.open(tmp_path / "p.inv") as im:
        assert im.mode == "RGBA" and np.array_equal(np.asarray(im), np.asarray(rgba.convert("RGBA")))


def test_save_keeps_the_icc_profile_exif_and_xmp_given_to_it_or_the_images_own(tmp_path) -> None:
    """Issue 40: save() dropped icc_profile= and exif= silently; issue 41: they are kept."""
    import warnings

    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x010F] = "camera"
    exif[0x0112] = 3
    xmp = b"<x:xmpmeta>given</x:xmpmeta>"
    image = Image.fromarray(smooth_image(8, 8, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        image.save(tmp_path / "given.inv", model="photo-v1", icc_profile=icc, exif=exif, xmp=xmp)
    with Image.open(tmp_path / "given.inv") as im:
        assert (im.info["icc_profile"], im.info["exif"], im.info["xmp"]) == (icc, exif.tobytes(), xmp)
        assert im.getexif()[0x0112] == 3 and np.array_equal(np.asarray(im), smooth_image(8, 8, 3))  # never applied
        im.load()
        im.save(tmp_path / "again.inv", model="photo-v1")  # the image's own metadata travels on
    with Image.open(tmp_path / "again.inv") as again:
        assert (again.info["icc_profile"], again.info["exif"], again.info["xmp"]) == (icc, exif.tobytes(), xmp)
    image.save(tmp_path / "plain.inv", model="photo-v1")
    with Image.open(tmp_path / "plain.inv") as im:
        assert not {"icc_profile", "exif", "xmp"} & set(im.info)


def test_16_bit_grey_opens_as_i16_and_16_bit_colour_is_refused(tmp_path) -> None:
    from invcodec.errors import UnsupportedImageError

    grey = np.arange(12 * 10, dtype=np.uint16).reshape(12, 10) * 500
    Image.fromarray(grey).save(tmp_path / "g.inv", model="photo-v1")
    with Image.open(tmp_path / "g.inv") as im:
        assert im.mode == "I;16" and np.array_equal(np.asarray(im), grey)
    (tmp_path / "rgb.inv").write_bytes(invcodec.compress(np.dstack([grey] * 3)))
    with pytest.raises(UnsupportedImageError, match="no 16-bit RGB mode"):
        Image.open(tmp_path / "rgb.inv")


def test_a_loaded_image_does_not_keep_its_file_open(tmp_path) -> None:
    """Pillow closes the files it opened once an image is loaded; so does the plugin
    (else a program reading hundreds of .inv files runs out of file handles)."""
    import os

    path = tmp_path / "a.inv"
    path.write_bytes(invcodec.compress(np.zeros((8, 8, 3), np.uint8)))
    before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    for _ in range(50):
        with Image.open(path) as image:
            image.load()
        image = Image.open(path)  # not closed by the caller: loading closes it
        image.load()
    if before is not None:
        assert len(os.listdir("/proc/self/fd")) <= before + 1
    assert image.fp is None and image.size == (8, 8)
