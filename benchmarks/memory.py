"""Peak memory of a block of code: resident set size sampled by a background thread.

Reads /proc/self/statm every 2 ms (Linux); elsewhere the figure is None. Reported as the
peak above what the process held when the block started, in MiB, so codecs that run in
the same process are measured side by side."""

from __future__ import annotations

import os
import threading
import time

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


class PeakMemory:
    def __init__(self, interval: float = 0.002):
        self.interval = interval
        self.peak_mib: float | None = None

    def __enter__(self) -> "PeakMemory":
        self._start = _rss_bytes()
        self._peak = self._start or 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            rss = _rss_bytes() or 0
            self._peak = max(self._peak, rss)
            time.sleep(self.interval)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        end = _rss_bytes()
        if self._start is not None and end is not None:
            self.peak_mib = (max(self._peak, end) - self._start) / 2**20
