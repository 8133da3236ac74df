"""Every change to an accounts file goes through `edit`: lock, read, change, check, probe, write.

The file is replaced only when the changed text passes the offline check and, for the
accounts named, the probe; otherwise it stays byte for byte as it was, and so does any
password file written for the edit. `edit` returns the one result every stage returns, a
`StageResult`: its payload an `Edited` (what changed), its findings those worth showing, and
`failed` when the edit was refused, so its `exit_code` is 1 for a refused edit, else what its
findings make (0 for the account and provider commands, where every error refuses). A change
that cannot be made at all (a name taken, no such account, a secret file in the way) raises
UsageError instead: exit 2, as every usage error, with everything undone as for a refused edit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from halcfg.config import load as loader
from halcfg.config.check import place
from halcfg.config.model import Config
from halcfg.config.opener import EDITED, open_accounts, with_flags
from halcfg.config.rules import FILE_ABSENT, FILE_MISSING
from halcfg.edit import document, secretfiles
from halcfg.edit.document import Document
from halcfg.edit.splice import original_place
from halcfg.errors import UsageError
from halcfg.files.atomic import locked, write_atomic
from halcfg.findings import Finding, Severity, StageResult

T = TypeVar("T")


@dataclass
class Secret:
    """A password to keep in the account's own secret file (never in the accounts file)."""

    account: str
    password: str = field(repr=False)


@dataclass
class Edited(Generic[T]):
    """An edit's payload. Its StageResult's findings are those worth showing (any error, warnings
    about the accounts touched); `failed` there means refused: the result would not validate (or
    probe), and nothing was written."""

    detail: T  # what the change reported: changed keys, notes, ...
    written: bool = False  # the file (or the password file) changed
    refused_by_probe: bool = False  # refused although the offline check passed: the registry said no
    notes: list[str] = field(default_factory=list)  # what else changed, e.g. a secret file removed
    diff: str = ""  # dry run: the change to the accounts file as a unified diff


def edit(
    path: Path,
    change: Callable[[Document], tuple[str, T]],
    *,
    touched: Collection[str] = (),
    create: bool = False,
    secret: Secret | None = None,
    probe: bool = False,
    probe_timeout: float | None = None,
    on_probe: Callable[[str, str], None] | None = None,
    dry_run: bool = False,
    blocking: Callable[[Finding], bool] | None = None,
) -> StageResult[Edited[T]]:
    """Apply `change` (the document -> its new text and what changed) to the file at `path`
    under its lock.

    `touched` names the accounts the change is about: their warnings are shown, and with
    `probe` they are probed once the offline check passes (`on_probe(name, address)` is told
    first, so a command can say what it waits for). `create` starts a missing file from the
    starter text. Secret files the change registers (`Document.secret_files`) are stored once
    the check passes and committed with the file. `dry_run` checks and reports (with a diff)
    but writes nothing, not even the lock. `blocking` picks the findings that refuse the edit
    (default: any error); the others are reported only.
    """
    with contextlib.nullcontext() if dry_run else locked(path):
        doc = _open(path, create)
        own = _own_secret_files(document.accounts(doc))
        if not dry_run:
            secretfiles.sweep(path.parent, own)  # what a killed edit left behind
        stored = None
        files: list[secretfiles.StoredSecret] = []
        committed = False
        try:
            if secret is not None:
                replace = _password_file(doc, secret.account) == secretfiles.reference(secret.account)
                stored = secretfiles.store(path.parent, secret.account, secret.password, replace=replace)
            text, detail = change(doc)
            same_text = text == doc.original and path.exists()
            pending = doc.secret_files
            if same_text and not (stored and stored.changed) and not pending:
                return StageResult(Edited(detail))
            # the edited text, parsed once for the check and the probe; an edit that probes needs the secrets here
            opened = open_accounts(path, with_flags(EDITED, secrets=probe), text=text)
            checked, config = opened.payload.document, opened.payload.config
            findings = [f for f in opened.findings if not _pending_file(f, checked, pending)]
            probed = probe and not _errors(findings) and config is not None
            if probed and config is not None:
                findings += _probe(config, checked, touched, probe_timeout, on_probe)
            shown = [f for f in findings if _worth_showing(f, touched)]
            if any(map(blocking, findings)) if blocking else _errors(findings):
                shown = [_in_original(f, doc.original, text) for f in shown]  # the file stays as it was
                return StageResult(Edited(detail, refused_by_probe=probed), shown, failed=True)
            if dry_run:
                return StageResult(Edited(detail, diff=_diff(path, doc.original, text)), shown)
            for ref, (content, replace) in pending.items():
                files.append(secretfiles.store_file(path.parent, ref, content, replace=replace))
            if not same_text:
                write_atomic(path, doc.encode(text))
            for stored_file in [*([stored] if stored else []), *files]:
                stored_file.commit()  # only now: a refused or killed edit never leaves a password in place
            committed = True
        finally:
            if not committed:
                for stored_file in reversed([*([stored] if stored else []), *files]):
                    stored_file.undo()
        written = not same_text or any(f.changed for f in files) or bool(stored and stored.changed)
        after = document.Document(path, text, checked, doc.bom)
        notes = _remove_unused(path.parent, own, document.accounts(after))
        return StageResult(Edited(detail, written=written, notes=notes), shown)


def _open(path: Path, create: bool) -> Document:
    return document.new(path) if create and not path.exists() else document.load(path)


def _password_file(doc: Document, account: str) -> str | None:
    node = document.get_account(doc, account)
    return None if node is None else node.get("passwordFile")


def _secret_files(accounts: Iterable[Any]) -> list[tuple[str, str, str]]:
    """(account name, kind, reference) of every secret file the accounts name: `password` for
    passwordFile, `secret-access-key` for ecr.secretAccessKeyFile (the kinds secretfiles writes)."""
    found = []
    for account in accounts:
        if not isinstance(account, dict):
            continue
        name, ecr = str(account.get("name")), account.get("ecr")
        for kind, ref in (("password", account.get("passwordFile")),
                          ("secret-access-key", ecr.get("secretAccessKeyFile") if isinstance(ecr, dict) else None)):
            if isinstance(ref, str):
                found.append((name, kind, ref))
    return found


def _own_secret_files(accounts: Iterable[Any]) -> set[str]:
    """The secret file references that are the files halcfg makes for their accounts."""
    own = set()
    for name, kind, ref in _secret_files(accounts):
        with contextlib.suppress(UsageError):  # a name no secret file could have
            if ref == secretfiles.reference(name, kind):
                own.add(ref)
    return own


def _remove_unused(base_dir: Path, own_before: set[str], accounts_after: Iterable[Any]) -> list[str]:
    """Delete the secret files halcfg made for accounts that no longer use them (deleted, or
    switched to another password source), and say so."""
    still_used = {ref for _, _, ref in _secret_files(accounts_after)}
    return [
        f"Removed {ref}: no account uses it any more."
        for ref in sorted(own_before - still_used) if secretfiles.remove(base_dir, ref)
    ]


def _pending_file(finding: Finding, checked: loader.Document, pending: dict[str, tuple[str, bool]]) -> bool:
    """A finding that a secret file is missing when it is one this edit is about to write."""
    if finding.code not in (FILE_MISSING, FILE_ABSENT) or not finding.location.path:
        return False
    node: Any = checked.data
    for part in finding.location.path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    return isinstance(node, str) and node in pending


def _diff(path: Path, before: str, after: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True) if path.exists() else [], after.splitlines(keepends=True),
        fromfile=str(path), tofile=str(path),
    )
    return "".join(lines)


def _in_original(finding: Finding, original: str, proposed: str) -> Finding:
    """The finding of a refused edit cited in the file the user has, not in the unsaved text: a
    place the edit kept stays; one inside the change moves to where the change starts."""
    where = finding.location
    if where.line is None or not original:
        return finding
    line, col = original_place(original, proposed, where.line, where.col or 1)
    return dataclasses.replace(finding, location=dataclasses.replace(where, line=line, col=col))


def _errors(findings: list[Finding]) -> bool:
    return any(f.severity >= Severity.ERROR for f in findings)


def _worth_showing(finding: Finding, touched: Collection[str]) -> bool:
    """Errors; warnings about the file or the accounts touched; and anything about those, such as
    a password file that is not on this machine (saved with --no-validate: the check says so)."""
    if finding.severity >= Severity.ERROR or finding.location.account in touched:
        return True
    return finding.severity >= Severity.WARNING and finding.location.account is None


def _probe(config: Config, checked: loader.Document, names: Collection[str], timeout: float | None,
           on_probe: Callable[[str, str], None] | None) -> list[Finding]:
    """Ask the registries of the touched accounts whether the new credentials work."""
    if not names:
        return []
    from halcfg.probe.run import run_probe  # requests and boto3: only when an edit is probed

    for account in config.accounts:
        if on_probe is not None and account.name in names:
            on_probe(account.name, account.address)
    return [place(f, checked) for f in run_probe(config, list(names), timeout=timeout).findings]
