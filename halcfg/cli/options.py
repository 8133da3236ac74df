"""What the typer command modules share, defined once: the --config option, completion of
choices and account names, the group class, and the one shape of a usage error."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

import typer
from typer import _click
from typer.core import TyperGroup

from halcfg.cli import argparse_help

CONFIG_OPTION = typer.Option("--config", "-c", help="the accounts file (default: $HALCFG_CONFIG or ./halcfg.yaml)")
ConfigOption = Annotated[str | None, CONFIG_OPTION]


def choices(values: Sequence[str]) -> Callable[[str], list[str]]:
    """Completion of a flag that takes one of `values` (the command checks them with errors.one_of)."""

    def complete(incomplete: str) -> list[str]:
        return [value for value in values if value.startswith(incomplete)]

    return complete


def account_names(ctx: typer.Context, incomplete: str) -> list[str]:
    """Completion: the names in the accounts file the command would use (its -c, if typed)."""
    from halcfg.cli.completion import names_in

    config = None
    at: Any = ctx
    while at is not None and config is None:
        config = at.params.get("config")
        at = at.parent
    return [name for name in names_in(config) if name.startswith(incomplete)]


class Group(TyperGroup):
    """A command group whose listing shows each command's first sentence whole (click cuts it at
    45 characters; the help text wraps instead), and that names the closest command to a typo."""

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, _first_paragraph(command)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        """The subcommands as the listing describes them, for zsh and fish to show."""
        found = super().shell_complete(ctx, incomplete)
        for item in found:
            command = None if item.value.startswith("-") else self.get_command(ctx, item.value)
            if command is not None:
                item.help = _first_paragraph(command)
        return found

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None and not ctx.resilient_parsing:
            from halcfg.cli.commands import unknown

            raise _click.exceptions.UsageError(unknown(name, self.list_commands(ctx)), ctx)
        return super().resolve_command(ctx, args)


def _first_paragraph(command: Any) -> str:
    return " ".join((command.help or "").split("\n\n")[0].split())


def usage_error(error: _click.exceptions.UsageError) -> int:
    """Print a click usage error as argparse_help prints every other: one `halcfg: error:` line."""
    ctx = error.ctx
    if isinstance(error, _click.exceptions.NoSuchOption):
        known = [flag for p in (ctx.command.params if ctx else []) for flag in (*p.opts, *p.secondary_opts)]
        message = argparse_help.unknown_option(error.option_name, known)
    else:
        message = " ".join(error.format_message().split())
    return argparse_help.usage_error(ctx.command_path if ctx else "halcfg", message)
