"""The edits commands ask for, one call each: add or change an account, delete one, set a
provider setting. Each returns the transaction's Result; a reporter renders it.

Password policy lives here: a password typed or piped in goes to the account's own 0600
file under secrets/ unless the user asks for it inline, as Halyard keeps it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from halcfg.edit import document, secretfiles, transaction
from halcfg.edit.document import Document
from halcfg.edit.patch import AccountPatch
from halcfg.edit.transaction import Result


def save_account(
    path: Path, name: str, patch: AccountPatch, *, adding: bool, password: str | None = None,
    inline: bool = False, probe: bool = True, timeout: float | None = None,
    on_probe: Callable[[str, str], None] | None = None,
) -> Result[list[str]]:
    """Add (`adding`) or change the account; `password` is stored as policy says. The result's
    detail lists the keys that changed (`password` for a new secret file's content)."""
    secret = None
    if password is not None:
        if inline:
            patch.values[("password",)] = password
        else:
            patch.values[("passwordFile",)] = secretfiles.reference(name)
            secret = transaction.Secret(name, password)

    def change(doc: Document) -> tuple[str, list[str]]:
        text, keys = (document.add_account if adding else document.edit_account)(doc, name, patch)
        if secret is not None:
            keys = [key for key in keys if key != "passwordFile"] + ["password"]
        return text, keys

    result = transaction.edit(path, change, touched=[name], create=adding, secret=secret, probe=probe,
                              probe_timeout=timeout, on_probe=on_probe)
    if secret is not None and not result.written and not result.refused:
        result.detail = []  # the same password again: nothing changed
    return result


def delete_account(path: Path, name: str) -> Result[list[str]]:
    """Remove the account (its own secret file goes with it: the result's notes say so); the
    result's detail holds notes on what else changed."""
    return transaction.edit(path, lambda doc: document.delete_account(doc, name))


def set_provider(path: Path, key: str, value: Any, *, must_name_account: bool = False) -> Result[bool]:
    """Set providers.dockerRegistry.`key`; detail is False when it already was so.
    `must_name_account`: the value is an account name the file must define."""

    def change(doc: Document) -> tuple[str, bool]:
        if must_name_account:
            document.find_account(doc, value)
        return document.set_provider(doc, key, value)

    return transaction.edit(path, change)
