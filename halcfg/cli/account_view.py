"""`halcfg account get NAME | list`: show accounts as written, secrets masked.

Parsed with argparse and routed around typer by main.py (fast paths in cli/commands.py), like
validate: scripts call these often, and typer's start-up (it imports pydantic to convert flags)
costs more than reading a large file. The typer app lists them and forwards here, so there is
one definition of their flags.
"""

from __future__ import annotations

import argparse

from halcfg.cli import argparse_help
from halcfg.cli.commands import help_of
from halcfg.config.path import config_path
from halcfg.errors import UsageError
from halcfg.findings import EXIT_OK


def parser(command: str) -> argparse.ArgumentParser:
    """The flags of `account get` or `account list`; their help line is the command table's."""
    parser = argparse_help.parser(f"halcfg account {command}", help_of(f"account {command}"))
    if command == "get":
        parser.add_argument("name", metavar="NAME", help="the account's name")
    parser.add_argument("--format", default="text", help="text, json or yaml")
    parser.add_argument("-c", "--config", metavar="FILE",
                        help="the accounts file (default: $HALCFG_CONFIG or ./halcfg.yaml)")
    return parser


def main(argv: list[str]) -> int:
    """`argv` is `get NAME [flags]` or `list [flags]`."""
    command, rest = argv[0], argv[1:]
    options = argparse_help.parse(parser(command), rest)
    if isinstance(options, int):
        return options
    from halcfg import report
    from halcfg.config import view

    try:
        if command == "get":
            show = report.reporter("account", options.format)
            listing = view.read_listing(config_path(options.config))
            text = show(listing.account(options.name), primary=options.name == listing.primary)
        else:
            text = report.reporter("accounts", options.format)(view.read_listing(config_path(options.config)))
    except UsageError as error:
        return report.error(error)
    print(text)
    return EXIT_OK
