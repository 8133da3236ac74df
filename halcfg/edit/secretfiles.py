"""Keep a password typed at a prompt or piped in out of the accounts file, safely.

It goes to `secrets/<account>.password` beside the accounts file and the account points at it
with `passwordFile`. The file holds exactly the password, no trailing newline, because password
files are read as they are.

`secrets/` must be a real directory the user owns, not open to others for writing; a new one is
made 0700. Before a secret goes in, the folder gets a `.gitignore` that ignores everything in it
(when it has none), so `git add .` beside a committed accounts file never stages a password.
Nothing is ever written through a symlink: every file is created O_CREAT | O_EXCL | O_NOFOLLOW
(0600) inside the directory opened and checked once, and renamed over its final name (a rename
replaces a symlink, it never follows one).

The secret is in place while the edit is checked and probed (both read it), with an undo record
beside it (`.<file>.<random>.undo`: what the file held before). The edit commits by removing the
record, after the accounts file is written. An edit that is refused undoes at once, the folder
and the `.gitignore` it made included: a refused edit leaves the tree as it was. One that was
killed is undone by the next edit's `sweep()`, so a password from a failed `add` neither
lingers nor blocks the next attempt. Only `store_file` adds to the folder, `sweep` and `remove`
take away what edits left or no longer use; opening and reading it (`free_reference`, a dry
run's too) change nothing.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shlex
import stat
from dataclasses import dataclass, field
from pathlib import Path

from halcfg.edit.document import check_name
from halcfg.errors import UsageError
from halcfg.files import SECRET_FILE_MAX

FOLDER = "secrets"
GITIGNORE_NAME = ".gitignore"
GITIGNORE = "# written by halcfg: nothing in this folder belongs in git\n*\n!.gitignore\n"
_SCRATCH = re.compile(r"\.(?P<name>[^/]+)\.[0-9a-f]{16}\.(?P<kind>tmp|undo)")
_ABSENT, _PRESENT = b"-", b"+"  # an undo record's first byte: the file did not exist / held the rest
_OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def reference(account: str, kind: str = "password") -> str:
    """The passwordFile value for the account's own secret file (relative to the accounts file);
    `kind` names its other secrets, e.g. `secret-access-key`."""
    return f"{FOLDER}/{check_name(account)}.{kind}"


def free_reference(base_dir: Path, account: str, kind: str, secret: str) -> str:
    """reference(account, kind), or the same for `account-2`, `account-3`, …: the first whose file
    is absent or already holds `secret`, so a file another account left is never taken over."""
    folder = open_folder(base_dir, create=False)
    ref = reference(account, kind)
    if folder is None:
        return ref
    try:
        n = 1
        while (held := _read(folder, base_dir / ref)) is not None and held != secret.encode("utf-8"):
            n += 1
            ref = reference(f"{account}-{n}", kind)
        return ref
    finally:
        os.close(folder)


@dataclass
class StoredSecret:
    """A password file written for an edit: `commit()` once the accounts file is written, else
    `undo()` puts back what the file held before."""

    path: Path
    changed: bool  # False: the file already held this password
    _folder: int = field(default=-1, repr=False)  # the checked secrets/ directory, open
    _record: str | None = field(default=None, repr=False)  # the undo record's name in it
    _made_folder: bool = field(default=False, repr=False)  # undo takes secrets/ away again
    _made_gitignore: bool = field(default=False, repr=False)  # and its .gitignore

    def commit(self) -> None:
        if self._record is not None:
            os.unlink(self._record, dir_fd=self._folder)
            os.fsync(self._folder)
            self._record = None
        self._close()

    def undo(self) -> None:
        if self._record is not None:
            _roll_back(self._folder, self.path.name, self._record)
            self._record = None
        if self._made_gitignore:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(GITIGNORE_NAME, dir_fd=self._folder)
        self._close()
        if self._made_folder:
            with contextlib.suppress(OSError):  # something else arrived in it meanwhile: keep it
                self.path.parent.rmdir()

    def _close(self) -> None:
        if self._folder >= 0:
            os.close(self._folder)
            self._folder = -1


def store(base_dir: Path, account: str, password: str, *, replace: bool) -> StoredSecret:
    """Write `password` to the account's secret file, keeping what it held for `undo()`.

    `replace`: the account already uses this file, so new content is the change asked for.
    Otherwise a file that holds something else is an error, never silently overwritten.
    """
    return store_file(base_dir, reference(account), password, replace=replace)


def store_file(base_dir: Path, ref: str, secret: str, *, replace: bool) -> StoredSecret:
    """Write `secret` to the secret file `ref` (a reference() value), as `store` does."""
    path = base_dir / ref
    data = secret.encode("utf-8")
    made_folder = not os.path.lexists(path.parent)
    folder = open_folder(base_dir, create=True)
    assert folder is not None
    stored = StoredSecret(path, True, folder, _made_folder=made_folder)  # undo() closes the folder too
    try:
        previous = _read(folder, path)
        if previous == data:
            stored.changed = False
            stored.commit()  # nothing to keep or undo
            return stored
        if previous is not None and not replace:
            raise UsageError(
                f"{path} already exists and holds a different secret; remove it, "
                f"or point the account at it (e.g. --password-file {ref})"
            )
        stored._made_gitignore = _ensure_gitignore(folder)  # before the secret: git never sees it unignored
        stored._record = _create(folder, path.name, "undo", _ABSENT if previous is None else _PRESENT + previous)
        _replace(folder, path.name, data)
        os.fsync(folder)
        return stored
    except BaseException:  # refused, or interrupted (SIGTERM) with the password maybe in place
        stored.undo()
        raise


def open_folder(base_dir: Path, *, create: bool) -> int | None:
    """A descriptor of `base_dir/secrets` once it is checked to be a real directory the user owns
    that others cannot write; made 0700 when `create`; None if absent. Writes nothing into it."""
    path = base_dir / FOLDER
    try:
        fd = os.open(path, _OPEN_DIR)
    except FileNotFoundError:
        if not create:
            return None
        try:
            os.mkdir(path, 0o700)  # the umask can only take bits away
        except FileNotFoundError:
            raise UsageError(f"{path}: folder {base_dir} does not exist") from None
        fd = os.open(path, _OPEN_DIR)
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.ENOTDIR):
            kind = "a symlink" if path.is_symlink() else "not a directory"
            raise UsageError(
                f"{path} is {kind}; halcfg keeps passwords only in a real directory you own "
                f"(remove it, or move it aside, and halcfg makes one)"
            ) from None
        raise UsageError(f"{path}: cannot open: {error.strerror}") from None
    info = os.fstat(fd)
    problem = None
    if info.st_uid != os.geteuid():
        problem = f"is owned by uid {info.st_uid}, not by you"
    elif info.st_mode & 0o022:
        mode = stat.S_IMODE(info.st_mode)
        problem = f"can be written by others (mode {mode:04o}); fix it with chmod 700 {shlex.quote(str(path))}"
    if problem:
        os.close(fd)
        raise UsageError(f"{path} {problem}; halcfg writes passwords only into a folder nobody else controls")
    return fd


def sweep(base_dir: Path, own: set[str]) -> None:
    """Finish what killed edits left in secrets/ (callers hold the accounts file's lock, so no
    edit is running): temporaries go; an undo record is applied, unless it says the file was new
    and the accounts file (`own`: the secret files its accounts name as their own) already uses
    it, which means that edit got as far as writing the accounts file."""
    folder = open_folder(base_dir, create=False)
    if folder is None:
        return
    try:
        for entry in os.listdir(folder):
            match = _SCRATCH.fullmatch(entry)
            if match is None:
                continue
            if match["kind"] == "undo" and not (
                f"{FOLDER}/{match['name']}" in own and _read(folder, Path(entry)) == _ABSENT
            ):
                _roll_back(folder, match["name"], entry)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry, dir_fd=folder)
    finally:
        os.close(folder)


def _roll_back(folder: int, name: str, record: str) -> None:
    """Put back what the undo record says `name` held, then drop the record."""
    before = _read(folder, Path(record)) or _ABSENT
    if before[:1] == _PRESENT:
        _replace(folder, name, before[1:])
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name, dir_fd=folder)
    os.unlink(record, dir_fd=folder)
    os.fsync(folder)


def remove(base_dir: Path, ref: str) -> bool:
    """Delete the secret file `ref` (a reference() value) that halcfg made; False if it was not there."""
    folder = open_folder(base_dir, create=False)
    if folder is None:
        return False
    try:
        os.unlink(Path(ref).name, dir_fd=folder)
        return True
    except FileNotFoundError:
        return False
    finally:
        os.close(folder)


def _read(folder: int, path: Path) -> bytes | None:
    """The secret file's bytes; None when absent; UsageError when it is a symlink or not a file."""
    try:
        fd = os.open(path.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder)
    except FileNotFoundError:
        return None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UsageError(f"{path} is a symlink; halcfg never writes a password through one (remove it)") from None
        raise UsageError(f"{path}: cannot read: {error.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UsageError(f"{path} is not a regular file; remove it and try again")
        data = b""
        while len(data) <= SECRET_FILE_MAX and (chunk := os.read(fd, SECRET_FILE_MAX + 1 - len(data))):
            data += chunk
        if len(data) > SECRET_FILE_MAX:
            raise UsageError(f"{path} is over {SECRET_FILE_MAX // 1024} KiB: not a password file halcfg wrote")
        return data
    finally:
        os.close(fd)


def _create(folder: int, name: str, kind: str, data: bytes) -> str:
    """A new 0600 file `.<name>.<random>.<kind>` holding `data`, written and synced; its name."""
    while True:
        scratch = f".{name}.{os.urandom(8).hex()}.{kind}"
        try:
            fd = os.open(scratch, _CREATE, 0o600, dir_fd=folder)
            break
        except FileExistsError:
            continue
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.unlink(scratch, dir_fd=folder)
        raise
    finally:
        os.close(fd)
    return scratch


def _replace(folder: int, name: str, data: bytes) -> None:
    """`name` now holds `data`: a new file renamed over it, whatever `name` was (even a symlink)."""
    os.rename(_create(folder, name, "tmp", data), name, src_dir_fd=folder, dst_dir_fd=folder)


def _ensure_gitignore(folder: int) -> bool:
    """Write the folder's .gitignore unless it has one; True when this call wrote it."""
    try:
        fd = os.open(GITIGNORE_NAME, _CREATE, 0o644, dir_fd=folder)
    except FileExistsError:
        return False
    try:
        os.write(fd, GITIGNORE.encode())
    except BaseException:
        os.unlink(GITIGNORE_NAME, dir_fd=folder)
        raise
    finally:
        os.close(fd)
    return True
