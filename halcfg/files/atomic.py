"""Replace files so that readers see the old bytes or the new, never a mix; one editor at a time.

Every edit of an accounts file holds `locked()` from reading the file to renaming the new one
over it, so concurrent `halcfg account add` runs queue up instead of losing each other's work.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import signal
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from halcfg.errors import UsageError
from halcfg.files.folder import umask

LOCK_TIMEOUT = 120.0  # seconds; an edit holding the lock runs at most one probe


def write_atomic(
    path: Path, data: bytes, *, mode: int | None = None, follow_symlinks: bool = True, durable: bool = True
) -> None:
    """Put `data` at `path` through a temp file in the same folder: write, fsync, rename.

    `mode` forces the permission bits (0o600 for secrets), and the new file is the writer's own:
    a secret is never handed to the owner of the file it replaces (root writing into another
    user's folder). Otherwise an existing file keeps its mode and owner and a new one gets the
    umask's default, but never writable by group or others whatever the umask (whoever can write
    an accounts file can set a passwordCommand). A symlink stays a symlink:
    the file it points to is the one replaced — unless `follow_symlinks` is false (caches in
    the user's own folders), when the link itself is replaced and nothing is written through it.
    `durable=False` skips both fsyncs, for files that can be made again (rendered output):
    still atomic for readers, not durable across a crash.
    """
    target = Path(os.path.realpath(path)) if follow_symlinks else Path(os.path.abspath(path))
    try:
        old = target.stat() if follow_symlinks else None
    except FileNotFoundError:
        old = None
    owner = old if mode is None else None
    if mode is None:
        mode = stat.S_IMODE(old.st_mode) if old else 0o644 & ~umask()
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as stream:
            os.fchmod(stream.fileno(), mode)
            if owner is not None:
                with contextlib.suppress(PermissionError):  # only root may give a file away
                    os.fchown(stream.fileno(), owner.st_uid, owner.st_gid)
            stream.write(data)
            stream.flush()
            if durable:
                os.fsync(stream.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    if durable:
        _fsync_dir(target.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked(path: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the edit lock of `path`: flock on the folder that holds it.

    Not on the file itself: each write renames a new inode over it, so a waiter would lock the
    old, orphaned inode. Not on a lock file beside it either: that would be one more file to
    create safely (never through a symlink) and to keep out of git. A folder is never replaced
    by an edit and needs no write permission to lock; edits of two files in one folder queue.
    """
    target = Path(os.path.realpath(path))
    try:
        fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise UsageError(f"{path}: folder {target.parent} does not exist") from None
    except OSError as error:
        raise UsageError(f"{target.parent}: cannot open the folder to lock it: {error.strerror}") from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise UsageError(
                        f"{path}: another halcfg has been editing files in {target.parent} for {timeout:.0f}s; "
                        "try again when it is done"
                    ) from None
                time.sleep(0.01)
        for stale in target.parent.glob(f".{glob.escape(target.name)}.????????.tmp"):  # left by a killed edit
            with contextlib.suppress(OSError):
                stale.unlink()
        with _signals_interrupt():
            yield
    finally:
        os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP raise KeyboardInterrupt (main thread only: signals are delivered there)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
