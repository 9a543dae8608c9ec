"""Tiles coded in parallel: the thread pool and its default size."""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterator

from threadpoolctl import threadpool_limits
from tqdm import tqdm

MAX_DEFAULT_THREADS = 4
QUEUED_PER_THREAD = 4


def default_threads() -> int:
    """One per available core, at most MAX_DEFAULT_THREADS."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, MAX_DEFAULT_THREADS))


def map_tiles(fn: Callable, jobs: list, threads: int | None, progress: bool) -> list:
    """``fn`` over the tiles' jobs in order, on up to ``threads`` threads (numpy's BLAS
    and ufuncs release the GIL), each BLAS call on one thread: tiles in parallel pay,
    threads inside one small GEMM do not, and they collapse when the machine is busy."""
    return list(iter_tiles(fn, jobs, threads, progress))


def iter_tiles(fn: Callable, jobs: list, threads: int | None, progress: bool) -> Iterator:
    """``map_tiles``'s results one at a time, in order, as they are done: a caller that
    consumes them as they come holds a few tiles per thread, never all of them."""
    threads = min(threads or default_threads(), len(jobs)) or 1
    bar = tqdm(total=len(jobs), disable=not progress or len(jobs) < 2, unit="tile", leave=False)
    with threadpool_limits(limits=1), bar:
        if threads == 1:
            for job in jobs:
                yield fn(*job)
                bar.update()
            return
        with ThreadPoolExecutor(threads) as pool:
            queued: deque = deque()  # a few tiles per thread ahead, not one future per tile of the file
            try:
                for job in jobs:
                    queued.append(pool.submit(fn, *job))
                    if len(queued) >= QUEUED_PER_THREAD * threads:
                        yield queued.popleft().result()
                        bar.update()
                while queued:
                    yield queued.popleft().result()
                    bar.update()
            finally:  # Ctrl-C, a failed tile or a consumer that stopped: do not code the tiles still queued
                for f in queued:
                    f.cancel()
