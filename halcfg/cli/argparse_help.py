"""argparse parsers whose help and errors read like the typer commands' (`Usage:`, Arguments,
Options, `-h`; one `halcfg: error:` line with the closest spelling of a mistyped option or value).

The fast paths (validate, render, account get|list, the kubelet plugin) parse with argparse to
start without typer; this keeps `halcfg X -h` and `halcfg X --typo` in one style whichever parser
X uses.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Iterable
from typing import Any, NoReturn

from halcfg.errors import closest
from halcfg.findings import EXIT_OK, EXIT_USAGE


class _Style(argparse.RawDescriptionHelpFormatter):
    def add_usage(self, usage: str | None, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "Usage: " if prefix is None else prefix)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, with a did-you-mean for options and choices."""

    def error(self, message: str) -> NoReturn:
        raise SystemExit(usage_error(self.prog, message))

    def parse_args(self, args: Any = None, namespace: Any = None) -> Any:
        options, extra = self.parse_known_args(args, namespace)
        if extra:
            self.error(unknown_option(extra[0], self.option_strings()) if extra[0].startswith("-")
                       else f"unexpected argument {extra[0]!r}")
        return options

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        if action.choices is not None and value not in action.choices:
            guess = closest(str(value), [str(choice) for choice in action.choices])
            self.error(f"{'/'.join(action.option_strings) or action.metavar}: {value!r} is not one of "
                       f"{', '.join(map(str, action.choices))}" + (f" (did you mean {guess!r}?)" if guess else ""))

    def option_strings(self) -> list[str]:
        return [flag for action in self._actions for flag in action.option_strings]


def unknown_option(flag: str, known: Iterable[str]) -> str:
    name = flag.partition("=")[0]
    guess = closest(name, [k for k in known if k.startswith("--")] if name.startswith("--") else list(known))
    return f"no such option: {name}" + (f" (did you mean {guess}?)" if guess else "")


def usage_error(prog: str, message: str) -> int:
    """Print the one line every usage error gets; return its exit code (2)."""
    from halcfg.report import printable

    print(f"halcfg: error: {printable(message.rstrip('.'))}; see '{prog} -h'", file=sys.stderr)
    return EXIT_USAGE


def parser(prog: str, description: str, usage: str | None = None) -> Parser:
    text = textwrap.fill(" ".join(description.split()), width=78, initial_indent="  ", subsequent_indent="  ")
    made = Parser(prog=prog, usage=usage, description=text, formatter_class=_Style, add_help=False,
                  allow_abbrev=False)
    made._positionals.title, made._optionals.title = "Arguments", "Options"
    made.add_argument("-h", "--help", action="help", help="Show this message and exit.")
    return made


def parse(made: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace | int:
    """The parsed options, or the exit code once argparse has printed usage (2) or help (0)."""
    try:
        return made.parse_args(argv)
    except SystemExit as stop:
        return EXIT_USAGE if stop.code else EXIT_OK
