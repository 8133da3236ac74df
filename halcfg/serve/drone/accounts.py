"""The accounts file as the server sees it: the last version that passed the offline check,
swapped in whole when the file changes, so a request always sees one consistent file.

A change is taken only once the file is complete: its bytes are read, read again `settle`
seconds later, and only when both reads (and the file's stamp) agree is the version checked and
loaded. An editor that writes in place, in pieces, is caught between two pieces by a plain
reload — a file that is valid half-written (an account whose `drone:` restriction has not been
written yet is offered to every repository) would be served; a rename that replaces the file
settles in one period as well, since a new inode may also be a file still being written.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from halcfg.config.model import Config
from halcfg.config.opener import DRONE, InvalidAccounts, open_accounts
from halcfg.errors import UsageError
from halcfg.findings import Finding

Log = Callable[..., None]  # log(event, **fields)
DEFAULT_SETTLE = 1.0  # seconds a changed file must stay the same before it is loaded
READ_LIMIT = 16 << 20  # bytes compared per read; a file larger than this is never complete


@dataclass(frozen=True)
class _Stamp:
    """What tells a changed file apart: replaced (inode), rewritten (mtime, size)."""

    inode: int
    mtime_ns: int
    size: int


_UNSEEN = _Stamp(-1, -1, -1)  # no file has it: the next look reloads


def load_checked(path: Path) -> Config:
    """The file's Config when it loads and has no finding at ERROR (the opener's DRONE policy);
    else LoadError / InvalidAccounts."""
    config = open_accounts(path, DRONE).payload.config
    assert config is not None  # DRONE refuses a file whose provider block cannot be read
    return config


class LiveAccounts:
    """Holds the current Config; a watcher thread reloads it when the file's stamp changes.

    A reload that fails (unreadable, invalid) keeps the last good Config and logs why; the
    same broken version is not retried until the file changes again.
    """

    def __init__(self, path: Path, log: Log, interval: float = 1.0, settle: float = DEFAULT_SETTLE,
                 load: Callable[[Path], Config] | None = None) -> None:
        self.path = path
        self._log = log
        self._interval = interval
        self._settle = settle
        self._load = load or load_checked  # the file's format: halcfg's, or drone-registry-plugin's
        self._stamp = self._read_stamp()
        self.config = self._load(path)  # the first load must succeed: its errors end the command
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._watch, name="accounts-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _read_stamp(self) -> _Stamp | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return _Stamp(st.st_ino, st.st_mtime_ns, st.st_size)

    def check_now(self) -> None:
        """Reload if the file changed since the last look and has settled; a file still changing
        is looked at again on the next tick."""
        stamp = self._read_stamp()
        if stamp == self._stamp:
            return
        settled, content = self._settled(stamp)
        if not settled:
            return
        self._stamp = stamp  # a broken version is reported once, not at every tick
        try:
            config = self._load(self.path)
        except InvalidAccounts as error:
            first = error.findings[0] if error.findings else None
            self._log("reload-rejected", file=str(self.path), errors=len(error.findings),
                      first=_where(first), kept=len(self.config.accounts))
            return
        except (UsageError, OSError) as error:
            self._log("reload-rejected", file=str(self.path), reason=_one_line(error),
                      kept=len(self.config.accounts))
            return
        if self._read_bytes() != content:  # written again while it was being checked: next tick
            self._stamp = _UNSEEN
            return
        self.config = config
        self._log("reloaded", file=str(self.path), accounts=len(config.accounts))

    def _settled(self, stamp: _Stamp | None) -> tuple[bool, bytes | None]:
        """Whether the file read twice `settle` seconds apart gave the same bytes and stamp, and
        those bytes (an absent or unreadable file counts as settled: loading it says why)."""
        first = self._read_bytes()
        if first is None:
            return True, None
        if self._stop.wait(self._settle):
            return False, None
        return self._read_bytes() == first and self._read_stamp() == stamp, first

    def _read_bytes(self) -> bytes | None:
        from halcfg.files import regular

        try:
            return regular.read_with_stat(self.path, READ_LIMIT)[0]
        except OSError:
            return None

    def _watch(self) -> None:
        while not self._stop.wait(self._interval):
            self.check_now()


def _where(finding: Finding | None) -> str | None:
    """`file:line:col [code]` of a finding: where to look, without the message (which may quote values)."""
    if finding is None:
        return None
    return f"{finding.location.where()} [{finding.code}]".strip()


def _one_line(error: Exception) -> str:
    text = str(error) if not isinstance(error, OSError) else (error.strerror or "cannot read")
    return text.splitlines()[0] if text else type(error).__name__
