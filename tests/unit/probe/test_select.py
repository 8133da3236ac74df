"""Which accounts a probe covers: names, unknown names, and accounts the offline check fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from halcfg.config.model import Account, Config
from halcfg.errors import UsageError
from halcfg.findings import Finding, Location, Severity
from halcfg.probe.select import gate, select_accounts


def config(*names: str) -> Config:
    accounts = tuple(Account(index=i, name=name, address="r.example") for i, name in enumerate(names))
    return Config(path=Path("halcfg.yaml"), accounts=accounts, names=names)


def error_about(account: str, severity: Severity = Severity.ERROR) -> Finding:
    return Finding(severity, "x", "bad", "fix", Location(file="halcfg.yaml", account=account))


def test_select_in_file_order_and_unknown_names() -> None:
    c = config("a", "b", "c")
    assert [a.name for a in select_accounts(c, ["c", "a"])] == ["a", "c"]
    assert [a.name for a in select_accounts(c, None)] == ["a", "b", "c"]
    with pytest.raises(UsageError, match="no account named 'nope'"):
        select_accounts(c, ["nope"])


def test_gate_skips_accounts_with_offline_errors_only() -> None:
    c = config("a", "b", "c")
    offline = [error_about("a"), error_about("b", Severity.WARNING), error_about("c")]
    findings, chosen = gate(c, offline, ["a", "b"])
    assert chosen == ["b"]
    assert [(f.code, f.location.account) for f in findings] == [("x", "a"), ("x", "b"), ("probe-skipped", "a")]
