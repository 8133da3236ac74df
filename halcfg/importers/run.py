"""`halcfg import`: read a foreign file, name its accounts, settle conflicts, hand the change to edit/.

A candidate conflicts with an existing account when it uses the same registry, or (for a
source that names its accounts) the same name. Conflicts are reported and left as they are;
with `overwrite` the candidate replaces the account it conflicts with, in place and under that
account's name. Secrets go to 0600 files under `secrets/`, written by edit/ with the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from halcfg.config.fields import SECRET_KEYS
from halcfg.edit import document, secretfiles
from halcfg.edit import transaction as editing
from halcfg.edit.document import AccountChange, Document
from halcfg.errors import UsageError, one_of
from halcfg.findings import Finding, Location, Severity, StageResult
from halcfg.importers import names
from halcfg.importers.source import Candidate, Found
from halcfg.importers.sources import SOURCES
from halcfg.redact import mask_values, redact
from halcfg.registry.hosts import AddressError, parse_address, registry_key

DEFAULT_ADDRESS = "gcr.io"  # Halyard's default, and the model's
CARRIED_FILES = ("file-unreadable",)  # a path copied from the source (one not here at all is only INFO)


@dataclass
class Imported:
    """What happened to one candidate."""

    name: str
    address: str
    location: Location  # where it was in the source file
    action: str  # "add", "replace" or "conflict"
    reason: str = ""  # the conflict, for "replace" and "conflict"
    secret_files: list[str] = field(default_factory=list)  # references, relative to the accounts file


@dataclass
class ImportRun:
    """The import stage's payload; its StageResult's findings are the check of the accounts file
    as it would be."""

    source: str
    file: Path
    config: Path
    dry_run: bool
    accounts: list[Imported]
    notes: list[Finding]  # from reading the source: what was skipped or kept, and why
    written: bool
    refused: bool
    diff: str = ""  # dry run: the accounts file's change


def run_import(
    config: Path, source: str, file: Path, *, deployment: str | None = None, overwrite: bool = False,
    dry_run: bool = False,
) -> StageResult[ImportRun]:
    if source not in SOURCES:
        raise one_of("--from", source, SOURCES)
    if deployment is not None and source != "halconfig":
        raise UsageError("--deployment goes with --from halconfig")
    found = SOURCES[source](file, deployment)
    secrets = [s for c in found.accounts for s in (c.password, c.secret_access_key) if s]

    touched: list[str] = []  # filled by the change: the check's warnings about these are shown

    def change(doc: Document) -> tuple[str, list[Imported]]:
        secrets.extend(_inline_secrets(doc))  # the diff's context lines may show existing accounts
        text, outcome = _merge(doc, found, overwrite)
        touched.extend(i.name for i in outcome if i.action != "conflict")
        return text, outcome

    result = editing.edit(config, change, create=True, dry_run=dry_run, touched=touched, blocking=_blocking)
    edited = result.payload
    run = ImportRun(source, file, config, dry_run, edited.detail, found.notes, edited.written, result.failed,
                    redact(mask_values(edited.diff, secrets), secrets))
    return StageResult(run, result.findings, failed=result.failed)


def _inline_secrets(doc: Document) -> list[str]:
    """The secret values written in the accounts file itself (an inline `password`, at any length)."""
    return [value for account in document.accounts(doc) or () if isinstance(account, dict)
            for key, value in account.items() if key in SECRET_KEYS and isinstance(value, str) and value]


def _blocking(finding: Finding) -> bool:
    """Errors refuse the import, except a file the source names that cannot be read here: it is
    written, and the error reported. (One that is not here at all, as Halyard's paths on the
    Halyard host, is only INFO: the import does not probe, so the opener does not require it.)"""
    return finding.severity >= Severity.ERROR and finding.code not in CARRIED_FILES


def _merge(doc: Document, found: Found, overwrite: bool) -> tuple[str, list[Imported]]:
    existing = [a for a in document.accounts(doc) or () if isinstance(a, dict) and isinstance(a.get("name"), str)]
    registries: dict[str, str] = {}
    for account in existing:
        key = _registry(account.get("address", DEFAULT_ADDRESS), account.get("plainHttp"))
        if key is not None:
            registries.setdefault(key, account["name"])
    taken = {a["name"] for a in existing}
    replaced: set[str] = set()
    changes: list[AccountChange] = []
    outcome: list[Imported] = []
    final_names: dict[str, str] = {}
    for candidate in found.accounts:
        address = candidate.address or DEFAULT_ADDRESS
        key = _registry(address, candidate.fields.get("plainHttp"))
        target, reason = None, ""
        if found.named and candidate.name in taken:
            target, reason = candidate.name, f"an account named {candidate.name!r} exists"
        elif key in registries:
            target, reason = registries[key], f"account {registries[key]!r} already uses {key}"
        if target is not None and not overwrite:
            outcome.append(Imported(candidate.name, address, candidate.location, "conflict", reason))
            continue
        if target is not None and target not in replaced:
            name, action = target, "replace"
            replaced.add(target)
        else:
            name, action, reason = names.unique(candidate.name, taken), "add", ""
            taken.add(name)
        final_names.setdefault(candidate.name, name)
        current = _references(document.get_account(doc, target)) if action == "replace" and target else set()
        account, files = _account(name, candidate, doc.path.parent, current)
        changes.append(AccountChange(account, target if action == "replace" else None, files))
        outcome.append(Imported(name, address, candidate.location, action, reason, list(files)))
    block = document.provider(doc) or {}
    primary = (final_names.get(found.primary) if found.primary is not None and not existing
               and "primaryAccount" not in block else None)
    return document.put_accounts(doc, changes, primary), outcome


def _account(
    name: str, candidate: Candidate, base_dir: Path, current: set[str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The account's keys with its secrets replaced by references, and the secret files.

    A replaced account's own secret file (one in `current`) is rewritten; otherwise a file name
    no other account's file has taken.
    """
    account: dict[str, Any] = {"name": name, **candidate.fields}
    files: dict[str, str] = {}
    for kind, secret in (("password", candidate.password), ("secret-access-key", candidate.secret_access_key)):
        if not secret:
            continue
        ref = secretfiles.reference(name, kind)
        if ref not in current:
            ref = secretfiles.free_reference(base_dir, name, kind, secret)
        files[ref] = secret
        if kind == "password":
            account["passwordFile"] = ref
        else:
            account["ecr"] = {**account.get("ecr", {}), "secretAccessKeyFile": ref}
    return account, files


def _references(account: Any) -> set[str]:
    """The secret files an existing account points at."""
    if not isinstance(account, dict):
        return set()
    ecr = account.get("ecr")
    found = {account.get("passwordFile"), ecr.get("secretAccessKeyFile") if isinstance(ecr, dict) else None}
    return {ref for ref in found if isinstance(ref, str)}


def _registry(address: Any, plain_http: Any) -> str | None:
    if not isinstance(address, str):
        return None
    try:
        return registry_key(parse_address(address), plain_http is True)
    except AddressError:
        return None
