"""The one language every stage reports in: findings with severity, location and fix."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Generic, TypeVar


class Severity(IntEnum):
    """Ordered like Halyard's problem severities, so comparisons read naturally."""

    INFO = 0
    WARNING = 1
    ERROR = 2
    FATAL = 3


KeyPath = tuple[str | int, ...]  # where a value is in the document, until a reporter spells it
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")


def format_path(parts: KeyPath) -> str:
    """The JSON path of `parts`, as reports spell it: `$.providers.dockerRegistry.accounts[0].name`."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.fullmatch(part):
            out += f".{part}"
        else:
            out += "['" + part.replace("\\", "\\\\").replace("'", "\\'") + "']"
    return out


@dataclass(frozen=True)
class Location:
    """Where a finding points: a place in a file, an account, a JSON path; any may be absent."""

    file: str | None = None
    line: int | None = None  # 1-based
    col: int | None = None  # 1-based
    account: str | None = None
    path: KeyPath | None = None  # keys and indexes, e.g. ("providers", "dockerRegistry", "accounts", 0, "name")

    def where(self) -> str:
        """`file:line:col`, as much of it as is known."""
        if self.file is None:
            return ""
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}:{self.col or 1}"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str  # stable rule id, e.g. "password-sources"; lets users grep and tests assert
    message: str
    remediation: str = ""
    location: Location = field(default_factory=Location)


# Exit codes shared by every command (DESIGN.md "Findings").
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


def exit_code(findings: Iterable[Finding], strict: bool = False) -> int:
    """0 when nothing reaches ERROR (WARNING under --strict), else 1."""
    threshold = Severity.WARNING if strict else Severity.ERROR
    return EXIT_FINDINGS if any(f.severity >= threshold for f in findings) else EXIT_OK


T = TypeVar("T")


class StageResult(Generic[T]):
    """What every stage returns: its payload (the checked file, the probe run, the rendered files,
    the matches, the import), its findings, and the exit code they make; the CLI prints the
    payload and the findings through a reporter and exits with `exit_code`. (A plain class: a
    dataclass costs validate's start-up more than the rest of this module.)"""

    __slots__ = ("failed", "findings", "payload", "strict")

    def __init__(self, payload: T, findings: list[Finding] | None = None, *, strict: bool = False,
                 failed: bool = False) -> None:
        self.payload = payload
        self.findings = [] if findings is None else findings
        self.strict = strict  # warnings fail too
        self.failed = failed  # the stage failed beyond its findings: stale files, a refused write

    @property
    def exit_code(self) -> int:
        return max(exit_code(self.findings, self.strict), EXIT_FINDINGS if self.failed else EXIT_OK)
