"""The offline check of a loaded document: schema, then rules, in one pass; every finding placed
at `file:line:col`. Stages reach it through `config.opener.open_accounts`."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from halcfg.config.load import Document
from halcfg.config.model import ACCOUNTS, PROVIDER, Config, build_account, build_config
from halcfg.config.opener import Checks
from halcfg.config.schema import SchemaError, halcfg_validator
from halcfg.findings import Finding, Location, Severity

if TYPE_CHECKING:
    from halcfg.config.opener import Policy


def _schema_finding(error: SchemaError, document: Document) -> Finding:
    parts = error.path
    account = None
    if parts[:3] == ACCOUNTS and len(parts) > 3:
        item = document.data["providers"]["dockerRegistry"]["accounts"][parts[3]]
        name = item.get("name") if isinstance(item, dict) else None
        account = name if isinstance(name, str) else None
    line, col = document.locate(parts, key=error.at_key) or (None, None)
    prefix = f"account {account!r}: " if account else ""
    return Finding(
        Severity.ERROR, f"schema-{error.keyword}", prefix + error.message, _fix(error),
        Location(str(document.path), line, col, account, parts),
    )


def _fix(error: SchemaError) -> str:
    """What to do about a schema error: an action, with the field's description as its guide."""
    if error.keyword in ("required", "const"):
        return error.hint  # already "add KEY: ..." / "set KEY: VALUE"
    key = next((part for part in reversed(error.path) if isinstance(part, str)), "the document")
    if error.keyword == "additionalProperties":
        return f"delete {key!r}, or rename it to one of the {error.hint}"
    if error.keyword == "uniqueItems":
        return f"delete the repeated item from {key}"
    if error.keyword == "enum":
        return f"set {key} to one of the values listed"
    return f"change {key}" + (f" to what it takes: {error.hint}" if error.hint else "")


def place(finding: Finding, document: Document) -> Finding:
    """The finding with `file:line:col` filled in from its JSON path."""
    where = finding.location
    line, col = document.locate(where.path or (), key=True) or (None, None)
    return Finding(
        finding.severity, finding.code, finding.message, finding.remediation,
        Location(str(document.path), line, col, where.account, where.path),
    )


def _rejected(data: object, errors: list[SchemaError]) -> tuple[dict[int, set[str]], set[str]] | None:
    """What the schema rejected, so that the rules skip only that: per account it faults the keys
    (`address`, `ecr.region`, or `*` for the whole account), and the provider's keys
    (`primaryAccount`, `enabled`). None when the document or its provider block is broken so
    that no rule can read it."""
    if not isinstance(data, dict):
        return None
    accounts: dict[int, set[str]] = {}
    provider: set[str] = set()
    for error in errors:
        path = error.path
        if path[:3] == ACCOUNTS and len(path) > 3:
            keys = accounts.setdefault(int(path[3]), set())  # the stages leave the account out
            if error.keyword != "additionalProperties":  # an unknown key: no rule reads it
                keys.add(_key(path[4:], error.keyword))
        elif error.keyword == "additionalProperties":
            continue
        elif path[:2] == PROVIDER and len(path) == 3 and path[2] != "accounts":
            provider.add(str(path[2]))
        elif error.keyword != "required" and ACCOUNTS[: len(path)] == path:
            return None  # providers, dockerRegistry or accounts is not what the rules expect
    return accounts, provider


def _key(parts: tuple[str | int, ...], keyword: str) -> str:
    """The key a schema error inside an account rejects: its first two names (`ecr.region`,
    `permissions.READ`; an item of a list rejects the list), or `*`: the account is not a
    mapping, or its name is not a string, and no finding could say which account it is about."""
    names: list[str] = []
    for part in parts[:2]:
        if not isinstance(part, str):
            break
        names.append(part)
    if not names or (names == ["name"] and keyword in ("type", "required")):
        return "*"
    return ".".join(names)


def _without(raw: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    """A copy of the account without the values the schema rejected, so the rules that still
    run see defaults there, never a value of the wrong type. The name stays: it is a string
    (else the account is `*`), and every finding says which account it is about."""
    out = dict(raw)
    for key in keys:
        top, _, sub = key.partition(".")
        if key == "name":
            continue
        if not sub:
            out.pop(top, None)
        elif isinstance(out.get(top), dict):
            out[top] = {k: v for k, v in out[top].items() if k != sub}
    return out


def _rule_config(config: Config, data: dict[str, Any], rejected: dict[int, set[str]], provider: set[str]) -> Config:
    """The Config the rules read: every account, less the values the schema rejected."""
    items = ((data.get("providers") or {}).get("dockerRegistry") or {}).get("accounts") or []
    accounts = tuple(
        build_account(i, _without(item, rejected.get(i, set())))
        for i, item in enumerate(items)
        if isinstance(item, dict) and "*" not in rejected.get(i, ())
    )
    return replace(
        config, accounts=accounts,
        enabled=None if "enabled" in provider else config.enabled,
        primary_account=None if "primaryAccount" in provider else config.primary_account,
    )


def check_document(document: Document, policy: Policy) -> tuple[Config | None, list[Finding]]:
    """Schema and (under Checks.FULL) rules over a loaded document, in one pass: a rule skips only
    the values the schema rejected. Returns the typed Config of the accounts the schema accepted
    (None when the provider block is too broken to read) and the findings, in file order."""
    errors = halcfg_validator()(document.data)
    findings = [_schema_finding(error, document) for error in errors]
    config = None
    scope = _rejected(document.data, errors)
    if scope is not None:
        rejected, provider = scope
        config = build_config(document.path, document.data, rejected)
        if policy.checks is Checks.FULL:
            from halcfg.config.rules import check as check_rules  # the helpers stop at the schema

            checked = _rule_config(config, document.data, rejected, provider) if errors else config
            findings += [place(finding, document) for finding in check_rules(checked, policy, rejected)]
    findings.sort(key=lambda f: (f.location.line or 0, f.location.col or 0))
    return config, findings
