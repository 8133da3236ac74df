"""Which accounts a probe covers: the names asked for, less those the offline check fails."""

from __future__ import annotations

from collections.abc import Sequence

from halcfg.config.model import Account, Config, unknown_account
from halcfg.findings import Finding, Location, Severity


def select_accounts(config: Config, names: Sequence[str] | None) -> list[Account]:
    """The accounts to probe, in file order; UsageError for names the file does not define.
    A name the file defines but whose account the schema rejected selects nothing."""
    if not names:
        return list(config.accounts)
    known = config.names or tuple(a.name for a in config.accounts)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise unknown_account(config.path, unknown[0], known)  # the same words as every command
    wanted = set(names)
    return [account for account in config.accounts if account.name in wanted]


def gate(config: Config, offline: list[Finding], names: Sequence[str] | None) -> tuple[list[Finding], list[str]]:
    """(the offline findings about the named accounts plus a `probe-skipped` for each account they
    fail, the names of the accounts to probe). An account the offline check fails would only
    fail again, less clearly, against its registry."""
    wanted = {account.name for account in select_accounts(config, names)} if names else None
    if wanted is None and config.enabled is False:  # a disabled provider: the offline check says so
        return offline, []
    if wanted is not None:
        offline = [f for f in offline if f.location.account is None or f.location.account in wanted]
    blocked = {f.location.account for f in offline if f.severity >= Severity.ERROR and f.location.account}
    chosen = [a.name for a in config.accounts if (wanted is None or a.name in wanted) and a.name not in blocked]
    skipped = [
        Finding(Severity.INFO, "probe-skipped", f"account {name!r}: not probed, the offline check found errors",
                "Fix those errors, then probe again.", Location(file=str(config.path), account=name))
        for name in dict.fromkeys(config.names) if (wanted is None or name in wanted) and name not in chosen
    ]
    return offline + skipped, chosen
