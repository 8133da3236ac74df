"""The probe stage as the CLI calls it: open the file under the probe's policy (every rule, the
secrets here), probe the accounts the check lets through, and place every finding at its
account in the file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from halcfg.findings import StageResult
from halcfg.probe.result import ProbeRun
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
) -> StageResult[ProbeRun]:
    """The offline findings about the named accounts (and a `probe-skipped` for each account they
    fail), then the probe's of the others. Raises LoadError / UsageError as the opener and the
    account selection do."""
    from halcfg.config.check import place
    from halcfg.config.model import Config
    from halcfg.config.opener import PROBE, open_accounts, with_flags
    from halcfg.probe.run import run_probe
    from halcfg.probe.select import gate

    opened = open_accounts(path, with_flags(PROBE, strict=strict))
    document = opened.payload.document
    config = opened.payload.config or Config(path=path)  # a provider block too broken to read: the findings say why
    offline, chosen = gate(config, opened.findings, names)
    if not chosen:
        return StageResult(ProbeRun([], path=path), offline, strict=strict)
    run = run_probe(config, chosen, concurrency=concurrency, timeout=timeout, progress=progress,
                    pull_check=pull_check)
    for account in run.accounts:
        account.findings = [place(f, document) for f in account.findings]
    return StageResult(run, [*offline, *run.findings], strict=strict)
