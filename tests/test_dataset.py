"""The PyTorch Dataset over .inv files: items decoded on demand, in a DataLoader's
worker processes too."""

from __future__ import annotations

import numpy as np
import pytest

from invcodec.codec import compress_samples, decompress_samples

from .conftest import smooth_image

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


@pytest.fixture
def folder(tmp_path):
    for i in range(6):
        samples = smooth_image(16, 20 + 4 * i, 3 if i % 2 else 4, seed=i)
        (tmp_path / f"f{i}.inv").write_bytes(compress_samples(samples, quality=None if i < 4 else 50)[0])
    (tmp_path / "notes.txt").write_text("not an image")
    return tmp_path


def test_items_are_the_decoded_images_as_channel_first_tensors(folder) -> None:
    from invcodec.dataset import InvDataset

    data = InvDataset(folder)
    assert len(data) == 6 and [p.name for p in data.files] == [f"f{i}.inv" for i in range(6)]
    for i in range(6):
        expected = decompress_samples((folder / f"f{i}.inv").read_bytes())
        item = data[i]
        assert item.dtype == torch.uint8 and np.array_equal(item.permute(1, 2, 0).numpy(), expected)


def test_a_dataloader_decodes_in_its_workers_with_a_transform_and_a_scale(folder) -> None:
    from torch.utils.data import DataLoader

    from invcodec.dataset import InvDataset

    data = InvDataset(sorted(folder.glob("*.inv")), transform=lambda image: image.size, scale="1/2")
    sizes = list(DataLoader(data, batch_size=None, num_workers=2))
    assert [tuple(int(v) for v in s) for s in sizes] == [(10 + 2 * i, 8) for i in range(6)]


def test_a_scale_not_offered_is_refused_when_the_dataset_is_made(folder) -> None:
    from invcodec.dataset import InvDataset

    with pytest.raises(ValueError, match="scale must be one of"):
        InvDataset(folder, scale=3)
