"""Keep a password typed at a prompt or piped in out of the accounts file.

It goes to `secrets/<account>.password` beside the accounts file (file 0600, a new folder
0700) and the account points at it with `passwordFile`. The file holds exactly the password,
no trailing newline, because password files are read as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from halcfg.edit.atomic import write_atomic
from halcfg.edit.document import check_name
from halcfg.errors import UsageError

FOLDER = "secrets"


def reference(account: str) -> str:
    """The passwordFile value for the account's own secret file (relative to the accounts file)."""
    return f"{FOLDER}/{check_name(account)}.password"


@dataclass
class StoredSecret:
    """A password file written for an edit, and how to take it back if the edit is refused."""

    path: Path
    previous: bytes | None  # what the file held before; None when it did not exist
    changed: bool
    made_folder: bool = False

    def undo(self) -> None:
        if not self.changed:
            return
        if self.previous is None:
            self.path.unlink(missing_ok=True)
            if self.made_folder:
                self.path.parent.rmdir()
        else:
            write_atomic(self.path, self.previous, mode=0o600)


def store(base_dir: Path, account: str, password: str, *, replace: bool) -> StoredSecret:
    """Write `password` to the account's secret file.

    `replace`: the account already uses this file, so new content is the change asked for.
    Otherwise a file that holds something else is an error, never silently overwritten.
    """
    path = base_dir / reference(account)
    data = password.encode("utf-8")
    try:
        previous = path.read_bytes()
    except FileNotFoundError:
        previous = None
    if previous == data:
        return StoredSecret(path, previous, changed=False)
    if previous is not None and not replace:
        raise UsageError(
            f"{path} already exists and holds a different password; remove it, "
            f"or point the account at it with --password-file {reference(account)}"
        )
    made_folder = not path.parent.exists()
    path.parent.mkdir(mode=0o700, exist_ok=True)
    write_atomic(path, data, mode=0o600)
    return StoredSecret(path, previous, changed=True, made_folder=made_folder)
