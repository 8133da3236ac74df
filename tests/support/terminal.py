"""Run halcfg on a pseudo-terminal, as a person at a shell does: prompts show, colour is on."""

from __future__ import annotations

import os
import pty
import select
import sys
import time
from pathlib import Path

from tests.support.cli import REPO


def on_a_terminal(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
                  answers: dict[bytes, bytes] | None = None, timeout: float = 60) -> tuple[int, bytes]:
    """(exit code, everything halcfg wrote) for `python -m halcfg ARGS` with stdin, stdout and
    stderr on a terminal; when the output shows a key of `answers`, its value is typed once."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: halcfg on a terminal, and never back into pytest
        try:
            if cwd is not None:
                os.chdir(cwd)
            os.environ.pop("HALCFG_CONFIG", None)
            os.environ.update({"PYTHONPATH": str(REPO), **(env or {})})
            os.execv(sys.executable, [sys.executable, "-m", "halcfg", *args])
        finally:
            os._exit(127)
    seen, pending, deadline = b"", dict(answers or {}), time.monotonic() + timeout
    while time.monotonic() < deadline:
        if select.select([fd], [], [], 0.2)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        for prompt in [p for p in pending if p in seen]:
            time.sleep(0.5)  # let a hidden prompt turn echo off (and flush input) before typing
            os.write(fd, pending.pop(prompt))
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), seen
