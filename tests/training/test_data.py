from __future__ import annotations

import numpy as np
from PIL import Image

from invcodec.training.data import RandomCrops, centre_crops, load_folder, read_split, square


def test_square_crop_and_resize() -> None:
    image = Image.fromarray(np.arange(20 * 30 * 3, dtype=np.uint8).reshape(20, 30, 3) % 251)
    out = square(image, 10)
    assert out.size == (10, 10)


def test_split_csv_and_folder_filtering(tmp_path) -> None:
    for name in ["a.png", "b.png", "c.png"]:
        Image.new("RGB", (20, 24), (1, 2, 3)).save(tmp_path / name)
    csv = tmp_path / "split.csv"
    csv.write_text("filename,split,group\na.png,train,x\nb.png,test,y\nc.png,train,z\n")
    assert read_split(csv, "train") == {"a.png", "c.png"}
    images = load_folder(tmp_path, names=read_split(csv, "train"), square_size=16)
    assert len(images) == 2 and images[0].shape == (16, 16, 3)


def test_random_crops_shape_and_grey_fraction() -> None:
    rng = np.random.default_rng(0)
    crops = RandomCrops([rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)], 16, seed=0, grey_fraction=1.0)
    batch = crops.batch(4)
    assert batch.shape == (4, 3, 16, 16)
    assert (batch[:, 0] == batch[:, 1]).all() and (batch[:, 1] == batch[:, 2]).all()
    assert centre_crops([np.zeros((20, 20, 3), np.uint8)], 8).shape == (1, 3, 8, 8)
