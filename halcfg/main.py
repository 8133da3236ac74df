"""Entry point: the commands that run unattended and often (`validate`, `render`, `account
get|list`, `kubelet-credential-provider`) go straight to their argparse fast paths; everything
else goes through typer.

`halcfg validate` runs on every commit from pre-commit and the kubelet plugin on every pull, so
they must not pay for typer, rich or the round-trip YAML loader; the interactive commands can.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["validate"]:
        from halcfg.cli.validate import main as validate_main

        return validate_main(args[1:])
    if args[:1] == ["render"]:  # pipelines run it on every deploy
        from halcfg.cli.render import main as render_main

        return render_main(args[1:])
    if args[:1] == ["account"] and args[1:2] in (["get"], ["list"]):  # scripts call these often
        from halcfg.cli.account_view import main as view_main

        return view_main(args[1:])
    if args[:1] == ["kubelet-credential-provider"]:  # the kubelet starts it for pulls
        from halcfg.cli.kubelet_provider import main as provider_main

        return provider_main(args[1:])
    from halcfg.cli.app import run

    return run(args)


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
        with contextlib.suppress(OSError):  # the reader went away (`halcfg account list | head -1`)
            stream.flush()
    os._exit(code)
