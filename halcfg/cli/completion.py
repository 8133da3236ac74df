"""`halcfg completion bash|zsh|fish`: print the script that makes the shell complete halcfg, and
the answers the script asks for.

The script calls `halcfg` back with `_HALCFG_COMPLETE` set; typer answers from the command
table, importing only the command being completed, so completion costs no start-up time.
Commands, options and choices (render targets, import sources, match policies, formats) come
from the parsers themselves; account names from the accounts file the command would use.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from halcfg.cli.commands import CONFIG_FLAGS, Command
from halcfg.cli.options import choices
from halcfg.errors import one_of

SHELLS = ("bash", "zsh", "fish")


def register(app: typer.Typer) -> None:
    @app.command("completion")
    def completion(
        shell: Annotated[str, typer.Argument(
            help="bash, zsh or fish", metavar="SHELL", autocompletion=choices(SHELLS))],
    ) -> None:
        """Print the shell completion script for bash, zsh or fish. Install it with, e.g.,
        `halcfg completion bash > ~/.local/share/bash-completion/completions/halcfg`, or
        `eval "$(halcfg completion zsh)"` in ~/.zshrc."""
        from typer._completion_shared import get_completion_script

        from halcfg.cli.app import COMPLETE_VAR

        if shell not in SHELLS:
            raise one_of("SHELL", shell, SHELLS)
        typer.echo(get_completion_script(prog_name="halcfg", complete_var=COMPLETE_VAR, shell=shell))


def names_in(config: str | None) -> list[str]:
    """The account names of the accounts file at `config` (the default one for None); none when
    it cannot be read: completion never prints an error."""
    from halcfg.config.path import config_path
    from halcfg.config.view import read_listing

    try:
        return [str(a.get("name")) for a in read_listing(config_path(config)).accounts if a.get("name")]
    except Exception:
        return []


def _values(dest: str, words: list[str]) -> list[str] | None:
    """What an argparse option (by its dest) or positional takes; None: a file (the shell's own)."""
    if dest == "target":
        from halcfg.render.targets import TARGETS

        return [*TARGETS, "all"]
    if dest == "format":
        from halcfg import report

        return list(report.formats("accounts" if words[:1] == ["account"] else "validate"))
    if dest in ("account", "name"):
        config = next((words[i + 1] for i, w in enumerate(words[:-1]) if w in CONFIG_FLAGS), None)
        return names_in(config)
    return None


def fast_path(row: Command, before: list[str], incomplete: str) -> list[Any]:
    """Completions for a fast path's argparse flags and values; `before`: the words after its name."""
    module = importlib.import_module(f"halcfg.cli.{row.module}")
    parser: argparse.ArgumentParser = module.parser(*row.words[1:])
    flags = {flag: action for action in parser._actions for flag in action.option_strings}
    from typer._click.shell_completion import CompletionItem as Item

    previous = flags.get(before[-1]) if before else None
    if previous is not None and previous.nargs != 0:
        found = _values(previous.dest, [*row.words, *before])
    elif incomplete.startswith("-"):
        found = [flag for flag in flags if flag.startswith("--") or len(incomplete) < 2]
    else:
        positional = next((a for a in parser._actions if not a.option_strings), None)
        found = None if positional is None else _values(positional.dest, [*row.words, *before])
    if found is None:
        return []  # a file: the script's `-o default` lets the shell complete it
    return [Item(value) for value in found if value.startswith(incomplete)]


class ForwardCommand(TyperCommand):
    """The typer app's entry for a fast path: completion asks the fast path's argparse parser."""

    row: Command

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        from halcfg.config import path

        path.given = ctx.find_root().params.get("config") or path.given  # `halcfg -c FILE render ...`
        return fast_path(self.row, list(ctx.args), incomplete)


def forwarding(row: Command, main: Any) -> Any:
    """The typer app's command for a fast path: its arguments go to `main` untouched (argparse
    parses them, as when `halcfg.main` routes there directly). `account get` hands on `get ...`."""
    prefix = list(row.words[1:])
    holder = typer.Typer(rich_markup_mode=None, add_completion=False)

    def command(ctx: typer.Context) -> None:
        raise typer.Exit(main([*prefix, *ctx.args]))

    holder.command(row.words[-1], help=row.help, add_help_option=False, cls=ForwardCommand,
                   context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(command)
    made = typer.main.get_command(holder)
    made.row = row  # type: ignore[attr-defined]  # a ForwardCommand, made by typer from `cls`
    return made
