"""Read a file that must be a regular file, never more than a cap, never blocking on a FIFO.

Every file halcfg reads on a user's say-so (the accounts file, passwordFile, caCertFile,
secretAccessKeyFile) goes through here: opened non-blocking so a FIFO cannot hang the open,
checked with fstat on the descriptor actually opened (no race with a rename), and read in
chunks up to the cap, because st_size says 0 for /dev/zero and for files still growing.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_CHUNK = 64 * 1024
_KINDS = {
    stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
    stat.S_IFDIR: "a directory", stat.S_IFSOCK: "a socket",
}


class NotRegularFile(OSError):
    """The path names a FIFO, device, directory or socket; `strerror` says which."""


class FileTooLarge(OSError):
    """The file holds more than the caller's cap; `strerror` says how much is allowed."""


def read(path: Path | str, limit: int) -> bytes:
    """The bytes of the regular file at `path` (symlinks followed); OSError otherwise."""
    return read_with_stat(path, limit)[0]


def read_with_stat(path: Path | str, limit: int) -> tuple[bytes, os.stat_result]:
    """The bytes and the fstat of the file read (for permission checks on the same inode)."""
    if "\0" in str(path):  # from a YAML escape; os.open would raise ValueError, not OSError
        raise NotRegularFile(errno.EINVAL, "has a NUL character in its name", str(path).replace("\0", "\\0"))
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise NotRegularFile(errno.EINVAL, f"is {kind}, not a regular file", str(path))
        return read_capped(fd, limit, str(path)), info
    finally:
        os.close(fd)


def read_capped(fd: int, limit: int, shown: str) -> bytes:
    """Everything `fd` holds, in chunks, FileTooLarge past `limit`: st_size says 0 for /dev/zero
    and for a file still growing, so the cap is kept while reading."""
    chunks: list[bytes] = []
    size = 0
    while chunk := os.read(fd, min(_CHUNK, limit + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise FileTooLarge(errno.EFBIG, f"is larger than {_size(limit)}, the most halcfg reads", shown)
    return b"".join(chunks)


def _size(limit: int) -> str:
    for unit, scale in (("MiB", 2**20), ("KiB", 2**10)):
        if limit >= scale:
            return f"{limit / scale:g} {unit}"
    return f"{limit} bytes"
