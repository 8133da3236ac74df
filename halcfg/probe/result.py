"""What a probe learns: one AccountResult per account, and the ProbeRun of a whole run, the
payload of the probe stage's StageResult.

Plain data; report.py renders it as text or JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from halcfg.findings import Finding


@dataclass
class AccountResult:
    """What the probe learnt about one account; `complete` is False when the timeout cut it short."""

    name: str
    address: str  # as written, userinfo hidden
    endpoint: str | None = None
    credential_source: str | None = None
    reachable: bool = False
    auth_scheme: str | None = None  # "none", "basic" or "bearer" once /v2/ answered
    catalog_size: int | None = None  # None when the catalog was not read
    tags: dict[str, int | None] = field(default_factory=dict)  # repository -> tag count (None: failed)
    duration: float = 0.0
    complete: bool = False
    findings: list[Finding] = field(default_factory=list)

    @property
    def repositories_probed(self) -> int:
        return len(self.tags)


@dataclass
class ProbeRun:
    """A probe run: the accounts probed, how long it took, and the file they came from."""

    accounts: list[AccountResult]
    duration: float = 0.0
    path: Path | None = None

    @property
    def findings(self) -> list[Finding]:
        """What the registries said, account by account."""
        return [finding for account in self.accounts for finding in account.findings]
