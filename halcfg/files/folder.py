"""Files inside a folder others may have filled (render's --out, a --template-dir), reached only
through the folder's descriptor and never through a symbolic link.

The folder is opened once (O_DIRECTORY | O_NOFOLLOW) and every name in it is opened relative to
that descriptor with O_NOFOLLOW and checked with fstat on the descriptor actually opened, so a
link swapped in between a check and a use is never followed. The folder's own path is the one the
caller was given: links above it are the user's choice; the folder itself and all below it are not
links. Files change only by rename, which replaces a name (a link included) and never follows it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from halcfg.errors import UsageError
from halcfg.files.regular import read_capped

OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
STAGE_PREFIX = ".halcfg-stage-"  # a folder of the files a replace() is putting in place


def open_folder(path: Path, *, parent: int | None = None, create: bool = False, shown: str = "") -> int | None:
    """A descriptor of the folder `path` (a name inside the folder `parent` when given); None when
    it is absent and not `create`. UsageError when it is a link or not a folder, naming it as
    `shown` (default: `path`)."""
    where = shown or str(path)
    for attempt in range(2):
        try:
            return os.open(path, OPEN_DIR, dir_fd=parent)
        except FileNotFoundError:
            if not create or attempt:
                return None
            with contextlib.suppress(FileExistsError):  # made meanwhile: opened (and checked) below
                os.mkdir(path, 0o777, dir_fd=parent)  # the umask decides, as for any folder the user makes
        except OSError as error:
            if error.errno == errno.ELOOP or (error.errno == errno.ENOTDIR and _is_link(path, parent)):
                raise UsageError(f"{where} is a symbolic link; halcfg does not read or write through links "
                                 "(give the folder it points to)") from None
            if error.errno == errno.ENOTDIR:
                raise UsageError(f"{where}: not a folder") from None
            raise
    return None


def _is_link(path: Path, parent: int | None) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path, dir_fd=parent).st_mode)
    except OSError:
        return False


def umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def file_mode() -> int:
    """The mode of a new file that holds no secret: 0644 less the umask."""
    return 0o644 & ~umask()


def lstat(folder: int, name: str) -> os.stat_result | None:
    """The name's own status (a link is a link), or None when it is absent."""
    try:
        return os.lstat(name, dir_fd=folder)
    except FileNotFoundError:
        return None


def read(folder: int, name: str, limit: int, shown: str) -> tuple[bytes, os.stat_result] | None:
    """The bytes of the regular file `name` in `folder` and its fstat; None when absent.

    UsageError for a link or anything not a regular file (`shown` names it in the message);
    regular.FileTooLarge past `limit`. Opened non-blocking, so a FIFO cannot hang the open.
    """
    try:
        fd = os.open(name, _OPEN_FILE, dir_fd=folder)
    except FileNotFoundError:
        return None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UsageError(f"{shown} is a symbolic link; halcfg does not read or write through links") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"{shown} is not a regular file; halcfg reads and writes only regular files there")
        return read_capped(fd, limit, shown), info
    finally:
        os.close(fd)


def check_name(folder: int, name: str, shown: str) -> None:
    """UsageError unless `name` can be a file of its own in `folder`: one path component, no NUL,
    not longer than the file system allows (NAME_MAX, in bytes)."""
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        raise UsageError(f"{shown}: not a plain file name")
    longest = os.fpathconf(folder, "PC_NAME_MAX")
    if len(os.fsencode(name)) > longest:
        raise UsageError(f"{shown}: the file name is {len(os.fsencode(name))} bytes long, "
                         f"over the {longest} this file system allows; nothing was written")


def check_replaceable(folder: int, name: str, shown: str) -> None:
    """UsageError unless replace() can put a file at `name`: a plain name (check_name) that is
    absent or a regular file (a link, a folder or a FIFO in the way is the user's to remove)."""
    check_name(folder, name, shown)
    info = lstat(folder, name)
    if info is not None and not stat.S_ISREG(info.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a regular file"
        raise UsageError(f"{shown} is {kind}; halcfg does not write through links or over other kinds "
                         "of files (remove it); nothing was written")


def replace(folder: int, files: dict[str, tuple[bytes, int]], remove: Iterable[str] = (), shown: str = "") -> None:
    """Put every `files[name] = (bytes, mode)` in place and take every name in `remove` away, all or
    none: each file is written in full into a staging folder inside `folder` first (so any error of
    writing — a full disk, a name too long — happens while nothing has changed), then renamed over
    its name; if a rename fails, those already done are undone from the copies kept in the staging
    folder. New files are the caller's own (no chown), with exactly `mode`.

    Readers see each file old or new, never half-written; a process killed between two renames
    (microseconds) can leave some new and some old, which the next render puts right.
    """
    remove = list(remove)
    for name in files:
        check_replaceable(folder, name, f"{shown}/{name}")
    for name in remove:
        check_name(folder, name, f"{shown}/{name}")
    sweep(folder)
    stage_name = STAGE_PREFIX + os.urandom(8).hex()
    os.mkdir(stage_name, 0o700, dir_fd=folder)
    stage = os.open(stage_name, OPEN_DIR, dir_fd=folder)
    try:
        for i, (data, mode) in enumerate(files.values()):
            _create(stage, f"new{i}", data, mode)
        _swap(folder, stage, list(files), remove)
    finally:
        _empty(stage)
        os.close(stage)
        with contextlib.suppress(OSError):
            os.rmdir(stage_name, dir_fd=folder)


def _swap(folder: int, stage: int, names: list[str], remove: list[str]) -> None:
    """Rename the staged files over their names and move the removed ones into the stage; undo on error."""
    undo: list[tuple[str, str, int, int]] = []  # (from, to, from folder, to folder) renames that restore
    try:
        for i, name in enumerate(names):
            kept = _keep(folder, stage, name, f"old{i}")
            os.rename(f"new{i}", name, src_dir_fd=stage, dst_dir_fd=folder)
            undo.append((f"old{i}", name, stage, folder) if kept else (name, f"new{i}", folder, stage))
        for i, name in enumerate(remove):
            with contextlib.suppress(FileNotFoundError):
                os.rename(name, f"gone{i}", src_dir_fd=folder, dst_dir_fd=stage)
                undo.append((f"gone{i}", name, stage, folder))
    except BaseException:
        for source, target, source_dir, target_dir in reversed(undo):
            with contextlib.suppress(OSError):
                os.rename(source, target, src_dir_fd=source_dir, dst_dir_fd=target_dir)
        raise


def _keep(folder: int, stage: int, name: str, copy: str) -> bool:
    """A second name in the stage for the file `name` holds now (a hard link: the file itself stays
    in place for readers until the new one replaces it); False when there is none."""
    try:
        os.link(name, copy, src_dir_fd=folder, dst_dir_fd=stage, follow_symlinks=False)
        return True
    except FileNotFoundError:
        return False
    except OSError:  # no hard links here (another user's file under protected_hardlinks): move it
        try:
            os.rename(name, copy, src_dir_fd=folder, dst_dir_fd=stage)
        except FileNotFoundError:
            return False
        return True


def _create(folder: int, name: str, data: bytes, mode: int) -> None:
    fd = os.open(name, _CREATE, 0o600, dir_fd=folder)
    try:
        os.fchmod(fd, mode)  # exactly `mode`, whatever the umask
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _empty(folder: int) -> None:
    """Unlink what a staging folder holds (only files are ever put there)."""
    for entry in os.listdir(folder):
        with contextlib.suppress(OSError):
            os.unlink(entry, dir_fd=folder)


def sweep(folder: int) -> None:
    """Remove the staging folders a killed replace() left in `folder`."""
    for entry in os.listdir(folder):
        if not entry.startswith(STAGE_PREFIX):
            continue
        try:
            stage = os.open(entry, OPEN_DIR, dir_fd=folder)
        except OSError:
            continue  # a link or a file with that name: not ours to touch
        try:
            _empty(stage)
        finally:
            os.close(stage)
        with contextlib.suppress(OSError):
            os.rmdir(entry, dir_fd=folder)


def private_folder(path: Path) -> None:
    """Make `path` (and its parents) a folder only its owner may write, or raise OSError: it must be
    the user's own, not a symlink, and not writable by group or others (a cache others could
    plant files in would hand out their tokens)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise OSError(0, "it is a symlink or not a folder")
    if info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise OSError(0, "its folder is not the user's own, or others may write to it")


def make_parents(path: Path) -> None:
    """The folders above `path` that the user named but that do not exist yet (0755 at most)."""
    if not path.parent.is_dir():
        os.makedirs(path.parent, mode=0o755, exist_ok=True)
