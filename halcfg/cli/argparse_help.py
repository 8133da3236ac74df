"""argparse parsers whose help reads like the typer commands' (`Usage:`, Arguments, Options, `-h`).

The fast paths (validate, render, the kubelet plugin) parse with argparse to start without
typer; this keeps `halcfg X -h` in one style whichever parser X uses.
"""

from __future__ import annotations

import argparse
import textwrap
from typing import Any


class _Style(argparse.RawDescriptionHelpFormatter):
    def add_usage(self, usage: str | None, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "Usage: " if prefix is None else prefix)


def parser(prog: str, description: str, usage: str | None = None) -> argparse.ArgumentParser:
    text = textwrap.fill(" ".join(description.split()), width=78, initial_indent="  ", subsequent_indent="  ")
    made = argparse.ArgumentParser(prog=prog, usage=usage, description=text, formatter_class=_Style, add_help=False)
    made._positionals.title, made._optionals.title = "Arguments", "Options"
    made.add_argument("-h", "--help", action="help", help="Show this message and exit.")
    return made
