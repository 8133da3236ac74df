"""The offline check: load, schema, rules; every finding placed at `file:line:col`."""

from __future__ import annotations

from pathlib import Path

from halcfg.config.load import Document, load, parse
from halcfg.config.model import ACCOUNTS, PROVIDER, Config, build_config
from halcfg.config.rules import check as check_rules
from halcfg.config.schema import SchemaError, halcfg_validator
from halcfg.findings import Finding, Location, Severity

PRIMARY = (*PROVIDER, "primaryAccount")
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


def _rule_scope(data: object, errors: list[SchemaError]) -> set[int] | None:
    """Account indexes the rules must skip (the schema rejected them), or None when the
    document or its provider block is broken so that no rule can trust it."""
    if not isinstance(data, dict):
        return None
    skip: set[int] = set()
    for error in errors:
        if error.path[:3] == ACCOUNTS and len(error.path) > 3:
            skip.add(int(error.path[3]))
        elif error.keyword not in ("additionalProperties", "required") and (
            ACCOUNTS[: len(error.path)] == error.path or error.path == PRIMARY
        ):
            return None  # providers, dockerRegistry or accounts is not what the rules expect
    return skip


def check_document(document: Document, strict: bool = False) -> tuple[Config | None, list[Finding]]:
    """Schema and rules over a loaded document; the typed Config when the provider block is sound."""
    errors = halcfg_validator()(document.data)
    findings = [_schema_finding(error, document) for error in errors]
    config = None
    skip = _rule_scope(document.data, errors)
    if skip is not None:
        config = build_config(document.path, document.data, skip)
        findings += [place(finding, document) for finding in check_rules(config, strict)]
    findings.sort(key=lambda f: (f.location.line or 0, f.location.col or 0))
    return config, findings


# Judged only where the secrets are used (probe, render, edits, serve, the helpers: they call
# check_document), as ssh judges a key's mode when it reads the key. `validate` runs on clones and
# CI checkouts too, where git makes every file 0644 whatever the deploy host's copy is; there it
# judges them when told the secrets are present (--secrets-present).
WHERE_USED = frozenset({"file-permissions"})


def check_file(path: Path, strict: bool = False, secrets_present: bool = False) -> list[Finding]:
    """Findings for one accounts file; LoadError (exit 2) when it cannot be parsed."""
    found = check_document(load(path), strict)[1]
    return found if secrets_present else [f for f in found if f.code not in WHERE_USED]


def check_text(text: str, path: Path, strict: bool = False) -> list[Finding]:
    """Findings for `text` as if it were the file at `path` (for edits not yet written)."""
    return check_document(parse(text, path), strict)[1]
