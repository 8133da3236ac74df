"""What the command modules share, defined once: the --config option and the group class."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

ConfigOption = Annotated[
    str | None,
    typer.Option("--config", "-c", help="the accounts file (default: $HALCFG_CONFIG or ./halcfg.yaml)"),
]


class Group(TyperGroup):
    """A command group whose listing shows each command's first sentence whole (click cuts it at
    45 characters); the help text wraps instead."""

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, " ".join((command.help or "").split("\n\n")[0].split())))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
