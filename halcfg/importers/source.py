"""What every source returns: accounts in the accounts file's keys, secrets kept apart.

A source is a function `read(path, deployment) -> Found`; `sources.SOURCES` lists them by the
name `--from` takes. Secrets never enter `fields`: they travel in `password` and
`secret_access_key` until `edit/` writes them to 0600 files and points the account at them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from halcfg.findings import Finding, Location, Severity


@dataclass
class Candidate:
    """One account a source found."""

    name: str  # from the source (halconfig) or the registry host; made valid and unique later
    fields: dict[str, Any]  # file keys other than name, in the order to write them
    location: Location  # the entry in the source file, for the report
    password: str | None = field(default=None, repr=False)  # → secrets/NAME.password
    secret_access_key: str | None = field(default=None, repr=False)  # → secrets/NAME.secret-access-key

    @property
    def address(self) -> str | None:
        value = self.fields.get("address")
        return value if isinstance(value, str) else None


@dataclass
class Found:
    """What a source read from one file."""

    accounts: list[Candidate] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)  # what was skipped or kept as it is, and why
    primary: str | None = None  # the source's primaryAccount, when it has one
    named: bool = False  # names come from the source (halconfig), not from hosts: a taken name conflicts

    def note(self, severity: Severity, code: str, location: Location, message: str, fix: str = "") -> None:
        self.notes.append(Finding(severity, code, message, fix, location))


class Source(Protocol):
    def __call__(self, path: Path, deployment: str | None) -> Found: ...
