"""Wall time and peak memory of short-lived commands, interleaved (shared by the bench scripts)."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    """A command as its caller runs it: argv, what it reads on stdin, its environment."""

    argv: list[str]
    stdin: bytes = b""
    env: dict[str, str] | None = None


def run_once(command: list[str] | Command) -> tuple[float, int, int]:
    """(seconds, peak RSS in KiB, exit code) of one run; wait4 gives this child's own ru_maxrss."""
    if not isinstance(command, Command):
        command = Command(command)
    start = time.perf_counter()
    process = subprocess.Popen(command.argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=command.env)
    assert process.stdin is not None
    with process.stdin:
        process.stdin.write(command.stdin)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_maxrss, process.returncode


def measure(commands: dict[str, list[str] | Command], runs: int) -> dict[str, tuple[float, int, int]]:
    """Per command: (median seconds, max peak RSS KiB, last exit code) over `runs` interleaved runs
    after one warm-up each (file cache, .pyc)."""
    samples: dict[str, list[tuple[float, int, int]]] = {name: [] for name in commands}
    for command in commands.values():
        run_once(command)
    for _ in range(runs):
        for name, command in commands.items():
            samples[name].append(run_once(command))
    return {
        name: (statistics.median(s[0] for s in runs_), max(s[1] for s in runs_), runs_[-1][2])
        for name, runs_ in samples.items()
    }
