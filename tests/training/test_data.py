from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from invcodec.pixels import square
from invcodec.training.data import RandomCrops, centre_crops, load_folder, read_split


def test_square_crop_is_centred_and_resized() -> None:
    blocks = np.random.default_rng(0).integers(0, 256, (10, 16, 3), dtype=np.uint8)
    image = Image.fromarray(np.kron(blocks, np.ones((2, 2, 1), np.uint8)))  # 20 x 32, constant 2x2 blocks
    out = square(image, 10)
    assert out.size == (10, 10)
    # centre square: columns 6..25 of 32, i.e. blocks 3..12; halving averages whole blocks
    assert np.array_equal(np.asarray(out), blocks[:, 3:13])


def test_split_csv_and_folder_filtering(tmp_path) -> None:
    for name, colour in [("a.png", 1), ("b.png", 2), ("c.png", 3)]:
        Image.new("RGB", (20, 24), (colour, 2, 3)).save(tmp_path / name)
    (tmp_path / "notes.txt").write_text("not an image")
    csv = tmp_path / "split.csv"
    csv.write_text("filename,split,group\na.png,train,x\nb.png,test,y\nc.png,train,z\n")
    assert read_split(csv, "train") == {"a.png", "c.png"}
    images = load_folder(tmp_path, names=read_split(csv, "train"), square_size=16)
    assert len(images) == 2 and images[0].shape == (16, 16, 3)
    assert [int(im[0, 0, 0]) for im in images] == [1, 3]  # sorted by name
    assert [im.shape for im in load_folder(tmp_path)] == [(24, 20, 3)] * 3
    with pytest.raises(ValueError, match="no usable"):
        load_folder(tmp_path, min_side=25)


def test_random_crops_are_windows_of_the_images() -> None:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    batch = RandomCrops([image, image[:10]], 16, seed=0, grey_fraction=0.0).batch(6)  # the 10-row image is too small
    assert batch.shape == (6, 3, 16, 16) and batch.dtype == np.uint8
    windows = np.lib.stride_tricks.sliding_window_view(image, (16, 16), axis=(0, 1))  # (25, 35, 3, 16, 16)
    for crop in batch:
        found = any((windows == c[None, None]).all(axis=(2, 3, 4)).any() for c in (crop, crop[:, ::-1], crop[:, :, ::-1], crop[:, ::-1, ::-1]))
        assert found  # a window of the image, possibly flipped
    with pytest.raises(ValueError):
        RandomCrops([image[:10]], 16, seed=0)


def test_without_vertical_flips_crops_stay_upright() -> None:
    """Faces (--flips horizontal): whole-image crops are the image or its mirror image,
    never upside down; with both flips, upside-down crops occur."""
    image = np.random.default_rng(1).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    upside_down = {image[::-1].tobytes(), image[::-1, ::-1].tobytes()}

    def crops(vertical: bool) -> list[bytes]:
        batch = RandomCrops([image], 16, seed=0, grey_fraction=0.0, vertical_flips=vertical).batch(32)
        return [c.transpose(1, 2, 0).tobytes() for c in batch]
    upright = crops(False)
    assert set(upright) == {image.tobytes(), image[:, ::-1].tobytes()}
    assert upside_down & set(crops(True))


def test_grey_fraction_makes_equal_planes() -> None:
    rng = np.random.default_rng(0)
    crops = RandomCrops([rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)], 16, seed=0, grey_fraction=1.0)
    batch = crops.batch(4)
    assert (batch[:, 0] == batch[:, 1]).all() and (batch[:, 1] == batch[:, 2]).all()
    colour = RandomCrops([rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)], 16, seed=0, grey_fraction=0.0).batch(4)
    assert not (colour[:, 0] == colour[:, 1]).all()


def test_centre_crops() -> None:
    image = np.arange(20 * 22 * 3, dtype=np.int64).reshape(20, 22, 3).astype(np.uint8)
    out = centre_crops([image, np.zeros((4, 4, 3), np.uint8)], 8)  # the small image is skipped
    assert out.shape == (1, 3, 8, 8)
    assert np.array_equal(out[0], image[6:14, 7:15].transpose(2, 0, 1))
    with pytest.raises(ValueError):
        centre_crops([np.zeros((4, 4, 3), np.uint8)], 8)


def test_flat_fraction_puts_a_one_colour_area_in_each_crop() -> None:
    """Every crop keeps noise outside one flat area (a band from a side or a rectangle)
    of a single colour; with the fraction at 0 no crop has one."""
    rng = np.random.default_rng(1)
    noise = rng.integers(1, 255, (60, 60, 3), dtype=np.uint8)  # no 0 or 255: a flat black/white area is new
    batch = RandomCrops([noise], 24, seed=3, grey_fraction=0.0, flat_fraction=1.0).batch(40)
    sizes = []
    for crop in batch.transpose(0, 2, 3, 1):
        colours, counts = np.unique(crop.reshape(-1, 3), axis=0, return_counts=True)
        flat = colours[counts.argmax()]
        mask = (crop == flat).all(axis=2)
        rows, cols = np.where(mask)
        assert mask[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1].all()  # one filled rectangle
        sizes.append(mask.sum())
    assert min(sizes) >= 1 and max(sizes) > 24 * 24 // 4  # from a sliver to a good part of the crop
    plain = RandomCrops([noise], 24, seed=3, grey_fraction=0.0).batch(40).transpose(0, 2, 3, 1).reshape(40, -1, 3)
    assert max(np.unique(c, axis=0, return_counts=True)[1].max() for c in plain) < 4


def test_downscaled_crops_are_downscaled_regions() -> None:
    """With ``downscale`` each crop is a larger region shrunk to crop size: a coarse
    checkerboard of 4-pixel squares keeps its pattern but its squares get smaller than 4."""
    y, x = np.mgrid[0:96, 0:96]
    board = np.repeat((((y // 4 + x // 4) % 2) * 255).astype(np.uint8)[:, :, None], 3, axis=2)
    plain = RandomCrops([board], 32, seed=0, grey_fraction=0.0).batch(8)
    small = RandomCrops([board], 32, seed=0, grey_fraction=0.0, downscale=(0.5, 0.5)).batch(8)
    assert plain.shape == small.shape == (8, 3, 32, 32)

    def runs(batch: np.ndarray) -> float:  # mean length of equal runs along rows
        row = batch[:, 0] > 127
        return row.size / (1 + np.count_nonzero(row[:, :, 1:] != row[:, :, :-1]) + row.shape[0] * row.shape[1])

    assert runs(plain) > 3.5 and runs(small) < 2.5
    # an image too small for the factor is downscaled only as far as it can be
    assert RandomCrops([board[:40, :40]], 32, seed=1, downscale=(0.25, 0.25)).batch(2).shape == (2, 3, 32, 32)


def test_downscale_keeps_the_image_and_shrinks_it() -> None:
    from invcodec.training.data import downscale

    image = np.full((30, 50, 3), (10, 200, 30), np.uint8)
    out = downscale(image, 0.5)
    assert out.shape == (15, 25, 3) and (out == (10, 200, 30)).all()
