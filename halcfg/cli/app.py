"""The typer application, built from the command table (cli/commands.py): each command's module
is imported only when that command runs, so `--help`, `--version` and completion import
nothing they do not use (not the probe, requests or boto3). It also makes sure no exception
reaches the user as a traceback, and that a usage error reads as every other error does.

A fast path (argparse `main(argv)`) is listed here by a command that hands it its arguments
untouched; `halcfg.main` usually reaches it without this module, and so does its completion
(cli/completion.py), which asks this app only about the typer commands.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

import typer
from typer import _click

from halcfg import __version__
from halcfg.cli.commands import TOP, Command, subcommands
from halcfg.cli.options import ConfigOption, Group, usage_error
from halcfg.config import path as config_path
from halcfg.errors import UsageError

COMMANDS = {command.name: command for command in TOP}
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class LazyGroup(Group):
    """A group that imports a command's module only when that command is asked for."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    @functools.cache  # noqa: B019 - one app per process; resolving asks twice
    def get_command(self, ctx: Any, name: str) -> Any:
        row = COMMANDS.get(name)
        if row is None:
            return None
        module = importlib.import_module(f"halcfg.cli.{row.module}")
        if row.fast:
            command = forwarding(row, module.main)
        elif hasattr(module, "app"):
            command = typer.main.get_group(module.app)
            for sub in subcommands(name):
                sub_main = importlib.import_module(f"halcfg.cli.{sub.module}").main
                command.add_command(forwarding(sub, sub_main), sub.words[-1])
        else:
            holder = typer.Typer(rich_markup_mode=None, add_completion=False)
            module.register(holder)
            command = typer.main.get_command(holder)
        command.name = name
        _plain_help(command)
        return command

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The command list from the table: no module is imported to describe its command."""
        with formatter.section("Commands"):
            formatter.write_dl([(name, row.help) for name, row in COMMANDS.items()])


def forwarding(row: Command, main: Any) -> Any:
    """The typer app's command for a fast path: its arguments go to `main` untouched (argparse
    parses them, as when `halcfg.main` routes there directly). `account get` hands on `get ...`."""
    prefix = list(row.words[1:])
    holder = typer.Typer(rich_markup_mode=None, add_completion=False)

    def command(ctx: typer.Context) -> None:
        raise typer.Exit(main([*prefix, *ctx.args]))

    holder.command(row.words[-1], help=row.help, add_help_option=False,
                   context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(command)
    return typer.main.get_command(holder)


def _plain_help(command: Any) -> None:
    """One help style: plain text (no rich panels) for the command and everything under it."""
    command.rich_markup_mode = None
    for sub in getattr(command, "commands", {}).values():
        _plain_help(sub)


app = typer.Typer(
    name="halcfg",
    cls=LazyGroup,
    help="Declare, check and compile container-registry credentials.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=CONTEXT,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"halcfg {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    config: ConfigOption = None,
) -> None:
    """halcfg keeps registry accounts declared (halcfg.yaml), checked (validate, probe) and compiled.
    -c FILE works before the command as after it."""
    if config:
        config_path.given = config


def fail(message: str) -> int:
    """One line on stderr, exit 2: the shape of every usage or I/O error (control characters escaped)."""
    from halcfg.report import error

    return error(message)


def candidates(before: list[str], incomplete: str) -> list[tuple[str, str]]:
    """(value, description) of what may follow `halcfg BEFORE` for the word `incomplete`, resolved
    as click's ShellComplete.get_completions does; the shell's script and answer are halcfg's
    (cli/shells.py), not typer's."""
    from typer._click.shell_completion import _resolve_context, _resolve_incomplete

    ctx = _resolve_context(typer.main.get_command(app), {}, "halcfg", list(before))
    asked, incomplete = _resolve_incomplete(ctx, list(before), incomplete)
    return [(str(item.value), item.help or "") for item in asked.shell_complete(ctx, incomplete)]


def run(args: list[str]) -> int:
    """Run the app; typer reports its own usage errors (exit 2), halcfg's errors get one line."""
    try:
        code = app(args=args, prog_name="halcfg", standalone_mode=False)
    except _click.exceptions.UsageError as error:
        return usage_error(error)
    except typer.Abort:
        return fail("interrupted")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else int(done.code is not None)
    except UsageError as error:
        return fail(str(error))
    except KeyboardInterrupt:
        return fail("interrupted")
    except OSError as error:
        return fail(f"{error.filename or ''}: {error.strerror or error}".lstrip(": "))
    return code if isinstance(code, int) else 0
