"""argparse parsers whose help reads like the typer commands' (`Usage:`, Arguments, Options, `-h`).

The fast paths (validate, render, the kubelet plugin) parse with argparse to start without
typer; this keeps `halcfg X -h` in one style whichever parser X uses.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable
from typing import Any

from halcfg.findings import EXIT_OK, EXIT_USAGE


class _Style(argparse.RawDescriptionHelpFormatter):
    def add_usage(self, usage: str | None, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "Usage: " if prefix is None else prefix)


def parser(prog: str, description: str, usage: str | None = None) -> argparse.ArgumentParser:
    text = textwrap.fill(" ".join(description.split()), width=78, initial_indent="  ", subsequent_indent="  ")
    made = argparse.ArgumentParser(prog=prog, usage=usage, description=text, formatter_class=_Style, add_help=False)
    made._positionals.title, made._optionals.title = "Arguments", "Options"
    made.add_argument("-h", "--help", action="help", help="Show this message and exit.")
    return made


def parse(made: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace | int:
    """The parsed options, or the exit code once argparse has printed usage (2) or help (0)."""
    try:
        return made.parse_args(argv)
    except SystemExit as stop:
        return EXIT_USAGE if stop.code else EXIT_OK


def forward(app: Any, name: str, help_text: str, main: Callable[[list[str]], int]) -> None:
    """List a fast-path command in the typer app: typer shows it, and its arguments go to `main`
    untouched (argparse parses them, as when `halcfg.main` routes there directly)."""
    import typer

    def command(ctx: typer.Context) -> None:
        raise typer.Exit(main(ctx.args))

    # this module postpones annotations; typer resolves them against its globals, which hold no typer
    command.__annotations__ = {"ctx": typer.Context, "return": None}
    app.command(name, help=help_text, add_help_option=False,
                context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(command)
