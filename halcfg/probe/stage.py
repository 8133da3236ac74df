"""The probe stage as the CLI calls it: load and check the file offline, probe the accounts the
check lets through, and place every finding at its account in the file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from halcfg.probe.result import ProbeResult
from halcfg.probe.run import DEFAULT_CONCURRENCY
from halcfg.probe.scheduler import Progress


def probe_file(
    path: Path,
    names: Sequence[str] | None = None,
    *,
    strict: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout: float | None = None,
    progress: Progress | None = None,
    pull_check: int | None = None,
) -> ProbeResult:
    """The offline findings about the named accounts (and a `probe-skipped` for each account they
    fail), then the probe of the others. Raises LoadError / UsageError as the loader and the
    account selection do."""
    from halcfg.config.check import check_document, place
    from halcfg.config.load import load
    from halcfg.config.model import Config
    from halcfg.probe.run import run_probe
    from halcfg.probe.select import gate

    document = load(path)
    checked, offline = check_document(document, strict)
    config = checked or Config(path=path)  # a provider block too broken to read: the findings say why
    offline, chosen = gate(config, offline, names)
    if not chosen:
        return ProbeResult([], offline=offline, path=path)
    result = run_probe(config, chosen, concurrency=concurrency, timeout=timeout, progress=progress,
                       pull_check=pull_check)
    for account in result.accounts:
        account.findings = [place(f, document) for f in account.findings]
    result.offline = offline
    return result
