"""One bounded thread pool shared by every account and repository of a probe run.

Work items are accounts (credentials, ping, catalog) and repositories (tag listing). An
account's catalog is read page by page and each page's repositories are queued as they arrive,
with at most QUEUE_FACTOR x concurrency queued at once (beyond that the thread reading the
catalog probes the repository itself), so memory stays flat however large the catalog. No
worker ever waits on another, so the pool cannot deadlock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

QUEUE_FACTOR = 2  # repositories queued per worker before the catalog reader probes inline

Progress = Callable[[int, int], None]  # (work items done, work items known so far)


class Scheduler:
    """The pool, the overall deadline, the stop signal and the progress counters of one run."""

    def __init__(self, concurrency: int, timeout: float | None, progress: Progress | None) -> None:
        self.concurrency = concurrency
        self.timeout = timeout
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.cancel = threading.Event()
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="halcfg-probe")
        self.queue_slots = threading.BoundedSemaphore(concurrency * QUEUE_FACTOR)
        self.progress = progress
        self._lock = threading.Lock()
        self._done = 0
        self._total = 0

    def submit(self, work: Callable[[], None]) -> None:
        """Queue `work` whatever the queue holds (accounts: their number is known up front)."""
        self.pool.submit(work)

    def dispatch(self, work: Callable[[], None]) -> None:
        """Queue `work` if a slot is free, else run it here: the queue stays bounded."""
        if self.cancel.is_set():
            work()  # it sees the stop signal at once and only settles its bookkeeping
            return
        if not self.queue_slots.acquire(blocking=False):
            work()
            return

        def queued() -> None:
            try:
                work()
            finally:
                self.queue_slots.release()

        try:
            self.pool.submit(queued)
        except RuntimeError:  # the pool shut down between the check and the submit
            self.queue_slots.release()
            work()

    def time_left(self) -> float | None:
        """Seconds until the deadline (never negative), or None without one."""
        return None if self.deadline is None else max(0.0, self.deadline - time.monotonic())

    def stop(self) -> None:
        """Nothing new starts; requests in flight end by the deadline."""
        self.cancel.set()
        self.pool.shutdown(wait=False, cancel_futures=True)

    def counted(self, new: int, done: int) -> None:
        with self._lock:
            self._total += new
            self._done += done
            if self.progress is not None:
                self.progress(self._done, self._total)

    def remaining(self, cap: float) -> float:
        if self.deadline is None:
            return cap
        return max(0.001, min(cap, self.deadline - time.monotonic()))
