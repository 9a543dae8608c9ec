"""Tiles in parallel: results in order, whatever the thread count."""

from __future__ import annotations

import threading

import pytest

from invcodec.tiling import MAX_DEFAULT_THREADS, default_threads, iter_tiles, map_tiles


def test_default_threads_is_one_per_core_within_bounds() -> None:
    assert 1 <= default_threads() <= MAX_DEFAULT_THREADS


@pytest.mark.parametrize("threads", [None, 1, 3, 16])
def test_results_come_back_in_the_jobs_order(threads) -> None:
    jobs = [(i, i * i) for i in range(20)]
    assert map_tiles(lambda a, b: a + b, jobs, threads, progress=False) == [a + b for a, b in jobs]
    assert map_tiles(lambda a: a, [], threads, progress=False) == []


def test_a_failed_tile_raises_and_the_queued_ones_are_not_coded() -> None:
    coded, lock = [], threading.Lock()

    def tile(i: int) -> int:
        if i == 0:
            raise ValueError("tile 0 is bad")
        with lock:
            coded.append(i)
        return i

    with pytest.raises(ValueError, match="tile 0"):
        map_tiles(tile, [(i,) for i in range(200)], 2, progress=False)
    assert len(coded) < 199


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_each_tile_runs_its_matrix_products_on_one_blas_thread(threads) -> None:
    """Why more threads never slow a tile down, nor change a restored pixel: inside a tile,
    BLAS does not split a product over threads (restore's 6000^2 at -t 2 once took 900 s)."""
    import numpy as np  # noqa: F401 - its BLAS is loaded
    from threadpoolctl import threadpool_info

    def blas_threads(i: int) -> list[int]:
        return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

    seen = map_tiles(blas_threads, [(i,) for i in range(8)], threads, progress=False)
    assert all(n == [1] * len(n) and n for n in seen), seen


@pytest.mark.parametrize("threads", [1, 3])
def test_tiles_come_as_they_are_done_and_a_consumer_that_stops_leaves_the_rest_uncoded(threads) -> None:
    coded, lock = [], threading.Lock()

    def tile(i: int) -> int:
        with lock:
            coded.append(i)
        return 2 * i

    done = iter_tiles(tile, [(i,) for i in range(500)], threads, progress=False)
    assert [next(done) for _ in range(5)] == [0, 2, 4, 6, 8]
    done.close()
    assert len(coded) < 100
