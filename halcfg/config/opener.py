"""The one way a stage gets an accounts file: `open_accounts(path, policy)`.

Stages need different things from the file, and each says which by the policy it passes, not
by a check of its own: validate runs every rule but lets a secret file live on another host;
probe, render, the Drone server and the credential helpers need the secrets here; the helpers,
which start on every pull, stop at the schema; edits and listings read a file the schema may
reject, so that it can be shown and fixed.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import NamedTuple

from halcfg.config.load import Document, load, parse, read_text
from halcfg.config.model import Config
from halcfg.errors import UsageError
from halcfg.findings import Finding, Severity, StageResult


class Checks(Enum):
    """How far the opener checks the file."""

    RAW = "raw"  # parsed only: an edit or a listing works on a file the schema rejects
    SCHEMA = "schema"  # the JSON Schema, no rules: the helpers start on every pull
    FULL = "full"  # the schema and every rule


class Policy(NamedTuple):
    """What a stage needs from the accounts file, and what it refuses. (A NamedTuple, not a frozen
    dataclass: as immutable, and a tenth of the cost at the start of every `halcfg validate`.)"""

    checks: Checks = Checks.FULL
    secrets: bool = False  # the files accounts point at must be on this machine: missing is an ERROR, not INFO
    refuse: bool = False  # a finding at ERROR ends the open with InvalidAccounts
    keep: Severity | None = Severity.INFO  # the least severe finding the stage reports; None: it reports none
    strict: bool = False  # warnings fail too, and inline passwords are errors


VALIDATE = Policy()  # pre-commit on a fresh clone: git-ignored secrets are INFO (--require-secrets: ERROR)
PROBE = Policy(secrets=True)  # every finding; the accounts with errors are not probed
RENDER = Policy(secrets=True, keep=Severity.ERROR)  # refuses on errors; its own report says what it wrote
MATCH = Policy(Checks.SCHEMA, keep=None)  # the accounts the schema accepts; validate reports the rest
DRONE = Policy(secrets=True, refuse=True)  # a server keeps its last good file rather than serve a broken one
HELPERS = Policy(Checks.SCHEMA, secrets=True, refuse=True)  # the rest shows when a credential is resolved
EDITED = Policy()  # the text an edit would write; an edit that probes requires the secrets
RAW = Policy(Checks.RAW)  # `account get|list` and the editor: the file as written


class InvalidAccounts(UsageError):
    """The accounts file has findings at ERROR and the policy refuses them; `findings` say where."""

    def __init__(self, path: Path, findings: list[Finding]) -> None:
        super().__init__(f"{path}: {len(findings)} error(s); run halcfg validate")
        self.findings = findings


class Opened(NamedTuple):
    """The file as read, and its typed Config: the accounts the schema accepted (None under
    Checks.RAW, or when the provider block is too broken to read)."""

    document: Document
    config: Config | None
    text: str = ""  # under Checks.RAW, the text parsed: the editor splices its changes into it


def open_accounts(path: Path, policy: Policy, *, text: str | None = None) -> StageResult[Opened]:
    """The accounts file at `path` (or `text`, as that file would read: an edit not yet written),
    checked as `policy` says. Raises LoadError when it does not parse, InvalidAccounts when the
    policy refuses its errors."""
    if policy.checks is Checks.RAW:
        text = read_text(path) if text is None else text
        return StageResult(Opened(parse(text, path), None, text), strict=policy.strict)
    document = load(path) if text is None else parse(text, path)  # the text goes once it is parsed
    from halcfg.config.check import check_document

    config, findings = check_document(document, policy)
    if policy.refuse:
        errors = [f for f in findings if f.severity >= Severity.ERROR]
        if errors or config is None:
            raise InvalidAccounts(path, errors)
    kept = [] if policy.keep is None else [f for f in findings if f.severity >= policy.keep]
    return StageResult(Opened(document, config), kept, strict=policy.strict)


def with_flags(policy: Policy, *, strict: bool = False, secrets: bool = False) -> Policy:
    """`policy` tightened by a command's --strict and --require-secrets."""
    return policy._replace(strict=policy.strict or strict, secrets=policy.secrets or secrets)
