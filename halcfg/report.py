"""Findings as text for people and JSON for machines: plain renderers of a list of findings."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from halcfg.findings import Finding, Severity

FORMATS = ("text", "json")


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
        "path": where.path,
    }


def printable(text: str) -> str:
    """`text` with control characters escaped (\\x1b, \\x00, \\u2028...): what a file or a
    registry put in a value cannot move the cursor, recolour or forge a line on a terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def render_text(findings: Iterable[Finding]) -> str:
    """`file:line:col: error [code] message`, then the fix indented under it; control characters escaped."""
    lines = []
    for finding in findings:
        where = finding.location.where()
        head = f"{where}: " if where else ""
        lines.append(printable(f"{head}{finding.severity.name.lower()} [{finding.code}] {finding.message}"))
        if finding.remediation:
            lines.append(f"    fix: {printable(finding.remediation)}")
    return "\n".join(lines)


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
    parts = [f"{n} {name.lower()}{'s' * (n != 1)}" for name, n in counts(findings).items() if n]
    return ", ".join(parts) if parts else "no problems"


def render_matches(matches: Iterable[Any], fmt: str) -> str:
    """`match` rows: a JSON list of {image, host, name, account, reason}, or one line each."""
    if fmt == "json":
        return json.dumps([m.to_json() for m in matches], indent=2)
    lines = []
    for m in matches:
        target = f"{m.name} -> {m.account or 'no account'}" if m.name else "invalid"
        lines.append(f"{m.image}: {target}: {m.reason}")
    return "\n".join(lines)
