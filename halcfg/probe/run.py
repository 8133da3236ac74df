"""Probe accounts against their live registries, concurrently: the run's entry point."""

from __future__ import annotations

import time
from collections.abc import Sequence

from halcfg.config.model import Config
from halcfg.errors import UsageError
from halcfg.probe.account import AccountProbe
from halcfg.probe.result import ProbeRun
from halcfg.probe.scheduler import Progress, Scheduler
from halcfg.probe.select import select_accounts

DEFAULT_CONCURRENCY = 32  # behind 50 ms of latency, 32 in flight beat a sequential client 10x


def run_probe(
    config: Config,
    names: Sequence[str] | None = None,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout: float | None = None,
    progress: Progress | None = None,
    pull_check: int | None = None,
) -> ProbeRun:
    """Probe the named accounts (all when `names` is empty or None) and return what was found.

    `timeout` bounds the whole probe: what has not finished by then is reported as a `timeout`
    finding and abandoned. `pull_check` caps the repositories per account whose newest tag's pull
    is checked (None: every one; 0: none). Raises UsageError for names the file does not define.
    """
    accounts = select_accounts(config, names)
    if concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    started = time.monotonic()
    scheduler = Scheduler(concurrency, timeout, progress)
    probes = [AccountProbe(scheduler, config, account, pull_check) for account in accounts]
    scheduler.counted(len(probes), 0)
    try:
        for probe in probes:
            scheduler.submit(probe.run)
        for probe in probes:
            if not probe.finished.wait(scheduler.time_left()):
                break
    finally:
        scheduler.stop()
        for probe in probes:
            probe.abandon()
        for probe in probes:
            if probe.session is not None:
                probe.session.clear()  # idle keep-alive connections; busy ones close when released
    return ProbeRun([probe.result for probe in probes], time.monotonic() - started, path=config.path)
