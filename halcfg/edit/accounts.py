"""The edits commands ask for, one call each: add or change an account, delete one, set a
provider setting. Each returns the transaction's StageResult (payload `Edited`); a reporter renders it.

Password policy lives here: a password typed or piped in goes to the account's own 0600
file under secrets/ unless the user asks for it inline, as Halyard keeps it.
"""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from halcfg.edit import document, secretfiles, transaction
from halcfg.edit.document import Document
from halcfg.edit.patch import AccountPatch
from halcfg.edit.transaction import Edited
from halcfg.errors import UsageError
from halcfg.files.atomic import locked, write_atomic
from halcfg.findings import StageResult


def save_account(
    path: Path, name: str, patch: AccountPatch, *, adding: bool, password: str | None = None,
    inline: bool = False, probe: bool = True, timeout: float | None = None,
    on_probe: Callable[[str, str], None] | None = None,
) -> StageResult[Edited[list[str]]]:
    """Add (`adding`) or change the account; `password` is stored as policy says. The payload's
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
    if secret is not None and not result.payload.written and not result.failed:
        result.payload.detail = []  # the same password again: nothing changed
    return result


def delete_account(path: Path, name: str) -> StageResult[Edited[list[str]]]:
    """Remove the account (its own secret file goes with it: the payload's notes say so); the
    payload's detail holds notes on what else changed."""
    return transaction.edit(path, lambda doc: document.delete_account(doc, name))


def set_provider(path: Path, key: str, value: Any, *, must_name_account: bool = False) -> StageResult[Edited[bool]]:
    """Set providers.dockerRegistry.`key`; detail is False when it already was so.
    `must_name_account`: the value is an account name the file must define."""

    def change(doc: Document) -> tuple[str, bool]:
        if must_name_account:
            document.find_account(doc, value)
        return document.set_provider(doc, key, value)

    return transaction.edit(path, change)


_EMPTY_MAX = 64 * 1024  # bytes: more than any comment-only file someone started by hand


def create_file(path: Path, *, private: bool = False) -> None:
    """`halcfg init`: write the starter accounts file at `path`, its folder made if need be (0755,
    or 0700 for the user's own config folder, as XDG asks; never 0777 under umask 000). A file that
    holds no YAML (nothing, or only comments) is filled in below its comments; UsageError for any
    other existing file, which is never replaced."""
    path.parent.mkdir(mode=0o700 if private else 0o755, parents=True, exist_ok=True)
    with locked(path):
        kept = _blank_text(path)
        if kept is None:
            raise UsageError(f"{path} already exists; change it with `halcfg account add|edit|delete`")
        write_atomic(path, (kept + document.starter_text()).encode("utf-8"))


def _blank_text(path: Path) -> str | None:
    """The text of a file that holds no YAML (nothing, blank lines, comments), to keep above the
    starter; "" when there is no file; None when it holds anything else."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return ""
    if not stat.S_ISREG(info.st_mode) or info.st_size > _EMPTY_MAX:
        return None
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines()):
        return None
    if not text.strip():
        return ""
    return text if text.endswith("\n") else text + "\n"
