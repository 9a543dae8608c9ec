"""A PyTorch ``Dataset`` over .inv files, for training pipelines that keep their data
compressed: each item is decoded when it is asked for, so with a ``DataLoader`` of
``num_workers`` > 0 the decoding runs in its worker processes, one thread each.

    >>> from torch.utils.data import DataLoader
    >>> from invcodec.dataset import InvDataset
    >>> loader = DataLoader(InvDataset("train/"), batch_size=None, num_workers=4)

This module imports torch; ``import invcodec`` never imports it (the codec install stays
torch-free)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Iterable

import torch
from torch.utils.data import Dataset

from . import codec, pixels


class InvDataset(Dataset):
    """The .inv files given (folders: every .inv in them, sorted), item i the decoded
    image of file i: a (C, H, W) uint8 tensor, or ``transform`` of its PIL image. ``scale``
    1/2, 1/4 or 1/8 decodes a smaller image (``codec.decode_scaled``: lossy files from
    their coarse levels). A corrupted file raises ``InvalidFileError`` when its item is read."""

    def __init__(self, files: str | os.PathLike | Iterable[str | os.PathLike], transform: Callable[[Any], Any] | None = None,
                 scale: object = 1, threads: int = 1):
        items = [files] if isinstance(files, (str, os.PathLike)) else list(files)
        self.files: list[Path] = []
        for item in map(Path, items):
            self.files += sorted(item.glob("*.inv")) if item.is_dir() else [item]
        self.transform = transform
        self.scale = scale
        self.threads = threads
        codec.reduce.check_scale(scale)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> Any:
        samples = codec.decompress_samples(self.files[index].read_bytes(), threads=self.threads, scale=self.scale)
        if self.transform is not None:
            return self.transform(pixels.from_samples(samples))
        return torch.from_numpy(samples.copy()).permute(2, 0, 1)
