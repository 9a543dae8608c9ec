from __future__ import annotations

import numpy as np
import pytest

from invcodec.restore import tiles


def _blur(x: np.ndarray, cond: np.ndarray) -> np.ndarray:
    """A local operator (5 x 5 box, zero outside): tiles with enough margin reproduce it exactly."""
    p = np.pad(x, ((2, 2), (2, 2), (0, 0)))
    h, w = x.shape[:2]
    return sum(p[i : i + h, j : j + w] for i in range(5) for j in range(5)) / 25 + cond


def test_tiles_cover_the_image_once() -> None:
    regions = tiles.tiles(100, 70, 32)
    covered = np.zeros((100, 70), int)
    for t, l, b, r in regions:
        covered[t:b, l:r] += 1
    assert (covered == 1).all()


def test_tiled_local_operator_equals_the_whole_image_away_from_padding() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((96, 128, 3), dtype=np.float32)
    cond = rng.random((96, 128), dtype=np.float32)
    whole = _blur(x, cond[..., None])
    tiled = tiles.run_tiled(_blur, x, cond, tile=32, margin=16)
    # inside, each tile saw all the context it needed; on the image border both pad alike (zeros here)
    np.testing.assert_allclose(tiled, whole, atol=1e-6)


def test_odd_sizes_are_padded_to_the_network_grid() -> None:
    seen = []

    def identity(x, cond):
        seen.append(x.shape)
        return x

    x = np.random.default_rng(1).random((37, 53, 3), dtype=np.float32)
    out = tiles.run_tiled(identity, x, 0.0, tile=32, margin=16)
    np.testing.assert_array_equal(out, x)
    assert all(h % 16 == 0 and w % 16 == 0 for h, w, _ in seen)
    tiny = np.ones((1, 1, 3), np.float32)
    np.testing.assert_array_equal(tiles.run_tiled(identity, tiny, 0.5), tiny)


def test_bytes_in_bytes_out() -> None:
    x = np.random.default_rng(4).integers(0, 256, (20, 30, 3)).astype(np.uint8)
    np.testing.assert_array_equal(tiles.run_tiled(lambda t, c: t, x, 0.0), x)
    assert tiles.run_tiled(lambda t, c: t + 1, x, 0.0).max() == 255  # clipped, not wrapped


def test_tile_geometry_must_keep_the_jpeg_grid() -> None:
    with pytest.raises(ValueError, match="multiples of 16"):
        tiles.run_tiled(lambda x, c: x, np.zeros((8, 8, 3), np.float32), 0.0, tile=40)


def test_shipped_model_tiled_matches_one_tile_closely() -> None:
    from invcodec.restore import network

    from ..conftest import smooth_image

    model = network.shipped("denoise")
    rng = np.random.default_rng(2)
    clean = smooth_image(160, 224, seed=3).astype(np.float32) / 255
    noisy = np.clip(clean + rng.standard_normal(clean.shape).astype(np.float32) * 0.1, 0, 1)
    cond = 0.5
    whole = tiles.run_tiled(model.restore, noisy, cond, tile=256)
    tiled = tiles.run_tiled(model.restore, noisy, cond, tile=64, margin=tiles.MARGIN)
    assert np.abs(tiled - whole).mean() * 255 < 1.0  # seams: below one 8-bit level on average


def test_the_pixels_do_not_depend_on_the_thread_count() -> None:
    """Tiles in parallel threads, each product on one BLAS thread: the same pixels for 1,
    2 and 4 threads (a BLAS split inside one product may round otherwise)."""
    from invcodec.restore.network import shipped

    model = shipped("denoise")
    rng = np.random.default_rng(5)
    image = np.clip(np.add.outer(np.arange(96), np.arange(160))[..., None] + rng.normal(0, 20, (96, 160, 3)), 0, 255)
    image = image.astype(np.uint8)
    runs = [tiles.run_tiled(model.restore, image, 0.5, tile=48, margin=16, threads=t) for t in (1, 2, 4)]
    assert len(tiles.tiles(96, 160, 48)) == 8  # tiles to share out
    assert np.array_equal(runs[0], runs[1]) and np.array_equal(runs[0], runs[2])
    assert not np.array_equal(runs[0], image)  # it did restore something
