"""Entry point: dispatch from the command table (cli/commands.py). Fast paths — the commands that
run unattended and often (`validate`, `render`, `account get|list`,
`kubelet-credential-provider`, `completion`) — go straight to their argparse `main`, and the
shell's TAB to cli/completion.py; everything else goes through typer.

`halcfg validate` runs on every commit from pre-commit and the kubelet plugin on every pull, so
they must not pay for typer, rich or the round-trip YAML loader; the interactive commands can.

A reader that goes away early (`halcfg account list | head -1`, `halcfg validate | true`) costs
nothing but the output: the rest is dropped, and the command ends as it would have, with its own
exit code (validate's still says whether the file has errors) and no traceback.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import sys


def main(argv: list[str] | None = None) -> int:
    _forgive_closed_stdout()
    return _dispatch(sys.argv[1:] if argv is None else argv)


def _dispatch(argv: list[str]) -> int:
    from halcfg.cli import commands, shells

    shell = shells.asked()
    if shell is not None:  # the shell's TAB (cli/completion.py)
        from halcfg.cli.completion import complete

        return complete(shell)
    args = commands.take_config(argv)
    if args == ["--version"]:  # scripts and bug reports ask it; typer would print the same line
        from halcfg import __version__

        print(f"halcfg {__version__}")
        return 0
    command = commands.find(args)
    if command is not None and command.fast:
        from importlib import import_module

        return int(import_module(f"halcfg.cli.{command.module}").main(args[1:]))
    if command is None and args and not args[0].startswith("-"):
        from halcfg.cli.argparse_help import usage_error

        return usage_error("halcfg", commands.unknown(args[0], [c.name for c in commands.TOP]))
    from halcfg.cli.app import run

    return run(args)


class _Stdout(io.FileIO):
    """Standard output that, once its reader has gone, sends the rest to /dev/null instead of
    raising BrokenPipeError in whatever command is printing."""

    def write(self, data: bytes) -> int:  # type: ignore[override]
        try:
            return super().write(data) or 0
        except BrokenPipeError:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self.fileno())
            os.close(null)
            return len(memoryview(data))


_replaced: list[object] = []  # the interpreter's own stdout, kept so dropping it does not close fd 1


def _forgive_closed_stdout() -> None:
    stream = sys.stdout
    if stream is None or _replaced:  # none, or replaced already (main() called twice in one process)
        return
    try:
        fd = stream.fileno()
        stream.flush()
    except (OSError, ValueError, AttributeError):  # no real stdout (closed, or a test's capture)
        return
    _replaced.append(stream)
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(_Stdout(fd, "wb", closefd=False)), encoding=stream.encoding,
                                  errors=stream.errors, line_buffering=bool(stream.line_buffering))


def exit_fast() -> None:
    """The `halcfg` program: `main()`, then exit without the interpreter's teardown.

    Every file halcfg writes is closed before a command returns (the accounts file and secrets
    also fsynced; rendered output, which can be rendered again, is not), so freeing the
    loaded document object by object at exit would only cost time — on a large file, about a
    tenth of `halcfg validate`'s run.
    """
    code = main()
    atexit._run_exitfuncs()  # os._exit skips them: they stop what halcfg started (passwordCommand groups)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):  # a full disk or a closed stderr: nothing left to tell
            stream.flush()
    os._exit(code)
