"""Renderers of every stage's result: findings as text for people and JSON for machines, edits,
account listings. Plain functions from results to text; stages never import this module."""

from __future__ import annotations

import io
import json
import os
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from halcfg.credentials.redact import hide_userinfo
from halcfg.errors import one_of
from halcfg.findings import Finding, Severity, format_path

if TYPE_CHECKING:
    from halcfg.config.view import Listing
    from halcfg.importers.run import ImportResult
    from halcfg.probe.result import AccountResult, ProbeResult

FORMATS = ("text", "json")


def check_format(fmt: str, formats: Sequence[str]) -> str:
    """`fmt` when it is one of `formats`; else the one usage error every command gives."""
    if fmt not in formats:
        raise one_of("--format", fmt, formats)
    return fmt


def finding_dict(finding: Finding) -> dict[str, Any]:
    where = finding.location
    return {
        "severity": finding.severity.name,
        "code": finding.code,
        "message": finding.message,
        "remediation": finding.remediation,
        "file": where.file,
        "line": where.line,
        "col": where.col,
        "account": where.account,
        "path": None if where.path is None else format_path(where.path),
    }


def printable(text: str) -> str:
    """`text` with control characters escaped (\\x1b, \\x00, \\u2028...): what a file or a
    registry put in a value cannot move the cursor, recolour or forge a line on a terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def printable_lines(text: str) -> str:
    """`printable` line by line, without the final newline."""
    return "\n".join(printable(line) for line in text.rstrip("\n").split("\n"))


_COLORS = {Severity.FATAL: "1;31", Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}


def color_wanted(stream: TextIO) -> bool:
    """Colour on a terminal only, and never when NO_COLOR is set (https://no-color.org)."""
    return not os.environ.get("NO_COLOR") and stream.isatty()


def render_text(findings: Iterable[Finding], *, color: bool = False) -> str:
    """`file:line:col: error [code] message`, then the fix indented under it; control characters
    escaped; the severity coloured when `color`."""
    lines = []
    for finding in findings:
        where = finding.location.where()
        head = f"{where}: " if where else ""
        severity = finding.severity.name.lower()
        if color:
            severity = f"\x1b[{_COLORS[finding.severity]}m{severity}\x1b[0m"
        lines.append(f"{printable(head)}{severity} {printable(f'[{finding.code}] {finding.message}')}")
        if finding.remediation:
            lines.append(f"    fix: {printable(finding.remediation)}")
    return "\n".join(lines)


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`1 account`, `2 accounts`, `1 repository`, `3 repositories`."""
    if count == 1:
        return f"1 {noun}"
    if nouns is None:
        nouns = noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"
    return f"{count} {nouns}"


def render_json(findings: Iterable[Finding], **extra: Any) -> str:
    findings = list(findings)
    return json.dumps({**extra, "summary": counts(findings), "findings": [finding_dict(f) for f in findings]},
                      indent=2)


def render(findings: Sequence[Finding], fmt: str) -> str:
    return render_json(findings) if fmt == "json" else render_text(findings)


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    tally = {severity.name: 0 for severity in sorted(Severity, reverse=True)}
    for finding in findings:
        tally[finding.severity.name] += 1
    return tally


def summary(findings: Iterable[Finding]) -> str:
    """`1 error, 2 warnings`, or `no problems`."""
    parts = [plural(n, name.lower()) for name, n in counts(findings).items() if n]
    return ", ".join(parts) if parts else "no problems"


class EditResult(Protocol):
    """What an edit (edit.transaction.Result) tells its reporter."""

    findings: list[Finding]
    written: bool
    refused: bool
    refused_by_probe: bool
    notes: list[str]


def render_edit(result: EditResult, done: str, *, color: bool = False) -> str:
    """The findings worth showing, then `done` or why nothing was written."""
    lines = [render_text(result.findings, color=color)] if result.findings else []
    if result.refused_by_probe:
        lines.append("Not saved: the registry refused it (above); the file is unchanged. "
                     "To save it anyway, run the command again with --no-validate.")
    elif result.refused:
        lines.append("Not saved: the result would not pass the check above; the file is unchanged.")
    else:
        lines += [done, *result.notes]
    return "\n".join(lines)


def render_matches(matches: Iterable[Any], fmt: str) -> str:
    """`match` rows: a JSON list of {image, host, name, account, reason}, or one line each."""
    if fmt == "json":
        return json.dumps([m.to_json() for m in matches], indent=2)
    lines = []
    for m in matches:
        target = f"{m.name} -> {m.account or 'no account'}" if m.name else "invalid"
        lines.append(f"{m.image}: {target}: {m.reason}")
    return "\n".join(lines)


def render_probe(result: ProbeResult, fmt: str, exit_code: int, *, color: bool = False) -> str:
    """A probe run: one line per account, then the findings and a summary; or all of it as JSON."""
    findings = result.findings
    if fmt == "json":
        return render_json(findings, file=str(result.path), exit_code=exit_code,
                           accounts=[_probe_account_dict(a) for a in result.accounts],
                           durationMs=round(result.duration * 1000))
    lines = [printable(_probe_account_line(account)) for account in result.accounts]
    if findings:
        lines.append(render_text(findings, color=color))
    lines.append(f"{result.path}: {summary(findings)}")
    return "\n".join(lines)


def _probe_account_dict(account: AccountResult) -> dict[str, Any]:
    return {
        "name": account.name,
        "address": account.address,
        "endpoint": account.endpoint,
        "credentialSource": account.credential_source,
        "reachable": account.reachable,
        "authScheme": account.auth_scheme,
        "catalogSize": account.catalog_size,
        "repositoriesProbed": account.repositories_probed,
        "tags": dict(account.tags),
        "durationMs": round(account.duration * 1000),
        "complete": account.complete,
        "findings": [finding_dict(f) for f in account.findings],
    }


def _probe_account_line(account: AccountResult) -> str:
    """`name: reachable, auth basic, catalog 5, 4 repositories, 19 tags (0.31 s)`."""
    parts = []
    if account.endpoint is None:
        parts.append("address not usable")
    elif account.credential_source is None:
        parts.append("no credentials")
    if account.reachable:
        parts += ["reachable", f"auth {account.auth_scheme}"]
        if account.catalog_size is not None:
            parts.append(f"catalog {account.catalog_size}")
        if account.tags:
            counts = [count for count in account.tags.values() if count is not None]
            parts.append(f"{plural(account.repositories_probed, 'repository')}, {plural(sum(counts), 'tag')}")
    elif account.endpoint is not None:
        parts.append("no v2 answer")
    if not account.complete:
        parts.append("unfinished")
    return f"{account.name}: {', '.join(parts)} ({account.duration:.2f} s)"


# ---- accounts (`account get`, `account list`) --------------------------------------------------


def render_account(raw: Mapping[str, Any], fmt: str, *, primary: bool = False) -> str:
    from halcfg.config import view  # the accounts' renderers only: validate's path stays lean

    data = view.masked(raw)
    if fmt == "json":
        return json.dumps(data, indent=2)
    if fmt == "yaml":
        return _yaml(data)
    lines = [f"account {printable(str(data.get('name')))}" + (" (primary)" if primary else "")]
    data.setdefault("address", f"{view.DEFAULT_ADDRESS} (default)")
    data.setdefault("registryType", f"{view.registry_type(raw)} (from the address)")
    lines += [f"  {printable(key)}: {printable(value)}" for key, value in _flatten(data) if key != "name"]
    return "\n".join(lines)


def render_list(listing: Listing, fmt: str) -> str:
    from halcfg.config import view

    accounts = listing.accounts
    if fmt == "json":
        return json.dumps([view.masked(a) for a in accounts], indent=2)
    if fmt == "yaml":
        return _yaml([view.masked(a) for a in accounts]) if accounts else "[]"
    head = [] if listing.enabled else [f"Provider docker-registry is disabled: Spinnaker ignores these accounts "
                                       f"(turn it on with `{view.ENABLE}`)."]
    if not accounts:
        return "\n".join([*head, f"No accounts in {listing.path}; add one with `halcfg account add`."])
    primary = listing.primary
    rows = [("NAME", "ADDRESS", "TYPE", "CREDENTIAL")]
    for raw in accounts:
        name = str(raw.get("name"))
        row = (name + (" *" if name == primary else ""), hide_userinfo(str(raw.get("address", view.DEFAULT_ADDRESS))),
               view.registry_type(raw), view.credential(raw))
        rows.append(tuple(printable(cell) for cell in row))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(head + [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "  " + row[3]
        for row in rows
    ])


def _flatten(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """`permissions.READ: a, b` lines: one line per setting, nested keys dotted."""
    out: list[tuple[str, str]] = []
    for key, value in data.items():
        if isinstance(value, Mapping) and value:
            out += _flatten(value, f"{prefix}{key}.")
        else:
            shown = ", ".join(map(str, value)) if isinstance(value, list) else value
            out.append((prefix + key, json.dumps(shown) if shown is None or isinstance(shown, bool) else str(shown)))
    return out


def _yaml(data: Any) -> str:
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(data, out)
    return textwrap.dedent(out.getvalue()).rstrip("\n")  # a top-level list starts at column 0
def render_import(result: ImportResult) -> str:
    """What `halcfg import` did (or, with --dry-run, would do): one line per account, the notes,
    the check's findings, the secret files written and the diff; control characters escaped."""
    would = "would " if result.dry_run else ""
    marks = {"add": "+", "replace": "~", "conflict": "!"}
    lines = [printable(f"{'Dry run: ' if result.dry_run else ''}{result.source} {result.file} → {result.config}")]
    for item in result.accounts:
        text = {"add": f"{would}add", "replace": f"{would}replace ({item.reason})",
                "conflict": f"conflict, left as it is: {item.reason}; --overwrite replaces it"}[item.action]
        lines.append(printable(f"{marks[item.action]} {item.name} ({item.address}): {text}"))
    if not result.accounts:
        lines.append("no docker-registry accounts found")
    if result.notes:
        lines.append(render_text(result.notes))
    if result.findings:
        lines.append(render_text(result.findings))
    files = [ref for item in result.accounts for ref in item.secret_files]
    if result.refused:
        lines.append("Not saved: the result would not pass the check above; nothing was written.")
    elif result.dry_run:
        if files:
            lines.append(f"Secret files that would be written (mode 0600): {', '.join(files)}")
        lines.append(printable_lines(result.diff) if result.diff else "The accounts file would not change.")
        lines.append("Nothing written (--dry-run).")
    else:
        if files and result.written:
            lines.append(f"Secret files written (mode 0600): {', '.join(files)}")
        done = sum(item.action != "conflict" for item in result.accounts)
        lines.append(f"Imported {done} account{'s' * (done != 1)} into {result.config}."
                     if result.written else "Nothing to change.")
    return "\n".join(lines)
