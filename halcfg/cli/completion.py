"""`halcfg completion bash|zsh|fish`: print the script that makes the shell complete halcfg.

The script calls `halcfg` back with `_HALCFG_COMPLETE` set; typer answers from the command
table, importing only the command being completed, so completion costs no start-up time.
"""

from __future__ import annotations

from typing import Annotated

import typer

SHELLS = ("bash", "zsh", "fish")


def register(app: typer.Typer) -> None:
    @app.command("completion")
    def completion(
        shell: Annotated[str, typer.Argument(help="bash, zsh or fish", metavar="SHELL")],
    ) -> None:
        """Print the shell completion script for bash, zsh or fish. Install it with, e.g.,
        `halcfg completion bash > ~/.local/share/bash-completion/completions/halcfg`, or
        `eval "$(halcfg completion zsh)"` in ~/.zshrc."""
        from typer._completion_shared import get_completion_script

        from halcfg.cli.app import COMPLETE_VAR

        if shell not in SHELLS:
            raise typer.BadParameter(f"must be one of {', '.join(SHELLS)}, not {shell!r}", param_hint="SHELL")
        typer.echo(get_completion_script(prog_name="halcfg", complete_var=COMPLETE_VAR, shell=shell))
