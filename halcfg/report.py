"""Renderers of every stage's result, picked by name from one table (REPORTERS: text, json and,
for accounts, yaml), as check-jsonschema's reporter.py does; and the one printer of
`halcfg: error:` lines. Plain functions from results to text; stages never import this module."""

from __future__ import annotations

import io
import json
import os
import sys
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from halcfg.errors import one_of
from halcfg.findings import EXIT_USAGE, Finding, Severity, StageResult, format_path
from halcfg.redact import hide_userinfo

if TYPE_CHECKING:
    from pathlib import Path

    from halcfg.config.view import Listing
    from halcfg.edit.transaction import Edited
    from halcfg.importers.run import ImportRun
    from halcfg.match.run import Match
    from halcfg.probe.result import AccountResult, ProbeRun
    from halcfg.render.run import Rendered

    # validate: each file that loaded, and its findings (the documents themselves are let go: a
    # thousand-account file need not stay in memory while its report is written)
    Checked = Sequence[tuple[Path, list[Finding]]]


def error(problem: str | Exception, stream: TextIO | None = None) -> int:
    """Print the one line every usage or I/O error gets, `halcfg: error: ...` on stderr (an
    OSError as `file: reason`), control characters escaped; return its exit code (2)."""
    if isinstance(problem, OSError):
        parts = (str(problem.filename) if problem.filename else "", problem.strerror or str(problem))
        problem = ": ".join(part for part in parts if part)
    print(f"halcfg: error: {printable(str(problem))}", file=sys.stderr if stream is None else stream)
    return EXIT_USAGE


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


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    tally = {severity.name: 0 for severity in sorted(Severity, reverse=True)}
    for finding in findings:
        tally[finding.severity.name] += 1
    return tally


def summary(findings: Iterable[Finding]) -> str:
    """`1 error, 2 warnings`, or `no problems`."""
    parts = [plural(n, name.lower()) for name, n in counts(findings).items() if n]
    return ", ".join(parts) if parts else "no problems"


def render_edit(result: StageResult[Edited[Any]], done: str, *, color: bool = False) -> str:
    """An edit's findings worth showing, then `done` and its notes, or why nothing was written."""
    lines = [render_text(result.findings, color=color)] if result.findings else []
    if result.payload.refused_by_probe:
        lines.append("Not saved: the registry refused it (above); the file is unchanged. "
                     "To save it anyway, run the command again with --no-validate.")
    elif result.failed:
        lines.append("Not saved: the result would not pass the check above; the file is unchanged.")
    else:
        lines += [done, *result.payload.notes]
    return "\n".join(lines)


def _matches_json(result: StageResult[list[Match]], *, color: bool = False) -> str:
    """`match` rows as a JSON list of {image, host, name, account, reason}."""
    return json.dumps([m.to_json() for m in result.payload], indent=2)


def _matches_text(result: StageResult[list[Match]], *, color: bool = False) -> str:
    """One line per `match` row, then the findings (invalid references)."""
    lines = []
    for m in result.payload:
        target = f"{m.name} -> {m.account or 'no account'}" if m.name else "invalid"
        lines.append(f"{m.image}: {target}: {m.reason}")
    if result.findings:
        lines.append(render_text(result.findings, color=color))
    return "\n".join(lines)


def _probe_json(result: StageResult[ProbeRun], *, color: bool = False) -> str:
    run = result.payload
    return render_json(result.findings, file=str(run.path), exit_code=result.exit_code,
                       accounts=[_probe_account_dict(a) for a in run.accounts],
                       durationMs=round(run.duration * 1000))


def _probe_text(result: StageResult[ProbeRun], *, color: bool = False) -> str:
    """A probe run: one line per account, then the findings and a summary."""
    run, findings = result.payload, result.findings
    lines = [printable(_probe_account_line(account)) for account in run.accounts]
    if findings:
        lines.append(render_text(findings, color=color))
    lines.append(f"{run.path}: {summary(findings)}")
    return "\n".join(lines)




def _validate_text(checked: Checked, code: int, *, files: Sequence[Path] = (), quiet: bool = False,
                   color: bool = False) -> str:
    """Each file's findings, then (unless `quiet`) its summary line."""
    lines = []
    for path, findings in checked:
        if findings:
            lines.append(render_text(findings, color=color))
        if not quiet:
            lines.append(printable(f"{path}: {summary(findings)}"))
    return "\n".join(lines)


def _validate_json(checked: Checked, code: int, *, files: Sequence[Path] = (), quiet: bool = False,
                   color: bool = False) -> str:
    return render_json([f for _, findings in checked for f in findings],
                       files=[str(p) for p in files or [path for path, _ in checked]], exit_code=code)


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


def _account_text(raw: Mapping[str, Any], *, primary: bool = False) -> str:
    from halcfg.config import view  # the accounts' renderers only: validate's path stays lean

    data = view.masked(raw)
    lines = [f"account {printable(str(data.get('name')))}" + (" (primary)" if primary else "")]
    data.setdefault("address", f"{view.DEFAULT_ADDRESS} (default)")
    data.setdefault("registryType", f"{view.registry_type(raw)} (from the address)")
    lines += [f"  {printable(key)}: {printable(value)}" for key, value in _flatten(data) if key != "name"]
    return "\n".join(lines)


def _account_json(raw: Mapping[str, Any], *, primary: bool = False) -> str:
    from halcfg.config import view

    return json.dumps(view.masked(raw), indent=2)


def _account_yaml(raw: Mapping[str, Any], *, primary: bool = False) -> str:
    from halcfg.config import view

    return _yaml(view.masked(raw))


def _list_json(listing: Listing) -> str:
    from halcfg.config import view

    return json.dumps([view.masked(a) for a in listing.accounts], indent=2)


def _list_yaml(listing: Listing) -> str:
    from halcfg.config import view

    return _yaml([view.masked(a) for a in listing.accounts]) if listing.accounts else "[]"


def _list_text(listing: Listing) -> str:
    from halcfg.config import view

    accounts = listing.accounts
    head = [] if listing.enabled else [f"Provider docker-registry is disabled: Spinnaker ignores these accounts "
                                       f"(turn it on with `{view.ENABLE}`)."]
    if not accounts:
        return "\n".join([*head, f"No accounts in {listing.path}; add one with `halcfg account add`."])
    primary = listing.primary
    rows: list[tuple[str, ...]] = [("NAME", "ADDRESS", "TYPE", "CREDENTIAL")]
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


def _import_text(outcome: StageResult[ImportRun]) -> str:
    """What `halcfg import` did (or, with --dry-run, would do): one line per account, the notes,
    the check's findings, the secret files written and the diff; control characters escaped."""
    result = outcome.payload
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
    if outcome.findings:
        lines.append(render_text(outcome.findings))
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


def _render_text(result: StageResult[Rendered], *, path: Path, out: str | None) -> str:
    """What `halcfg render` wrote, removed or found stale, its findings and a summary (the files
    themselves go to stdout on their own)."""
    rendered = result.payload
    lines = [f"wrote {_joined(out, name)}" for name in rendered.written]
    lines += [f"removed {_joined(out, name)}" for name in rendered.removed]
    unchanged = len(rendered.files) - len(rendered.written)
    if out not in (None, "-") and not rendered.checked and unchanged:
        lines.append(f"{unchanged} file(s) unchanged in {out}")
    if rendered.checked:
        lines.append(f"{len(rendered.stale)} stale file(s) in {out}" if rendered.stale else f"{out} is up to date")
    if result.findings:
        lines.append(render_text(result.findings))
    lines.append(f"{path}: {summary(result.findings)}")
    return "\n".join(lines)


def _joined(folder: str | None, name: str) -> str:
    """`out/name`, with one slash however --out was spelt (`out/`, `/`)."""
    return f"{(folder or '').rstrip('/')}/{name}"


# kind of result -> format -> reporter. Every reporter of a kind takes the same arguments.
REPORTERS: dict[str, dict[str, Callable[..., str]]] = {
    "validate": {"text": _validate_text, "json": _validate_json},
    "probe": {"text": _probe_text, "json": _probe_json},
    "match": {"text": _matches_text, "json": _matches_json},
    "account": {"text": _account_text, "json": _account_json, "yaml": _account_yaml},
    "accounts": {"text": _list_text, "json": _list_json, "yaml": _list_yaml},
    "render": {"text": _render_text},
    "import": {"text": _import_text},
}


def formats(kind: str) -> tuple[str, ...]:
    """The --format values `kind` offers, for help texts."""
    return tuple(REPORTERS[kind])


def reporter(kind: str, fmt: str) -> Callable[..., str]:
    """The reporter of `kind` called `fmt`; else the one usage error every command gives."""
    table = REPORTERS[kind]
    if fmt not in table:
        raise one_of("--format", fmt, table)
    return table[fmt]
