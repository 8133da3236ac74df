"""`halcfg validate [FILES...]`: the offline check, built for pre-commit.

Parsed with argparse and imported without typer: this command starts on every commit, and
typer's import alone costs more than checking a small file. The typer app lists it and
forwards to the same `main`, so there is one definition of its flags.
"""


import argparse
import sys
from pathlib import Path

from halcfg.cli import argparse_help
from halcfg.config.path import config_path
from halcfg.errors import LoadError, UsageError
from halcfg.findings import EXIT_OK

HELP = "Check accounts files offline: JSON Schema plus halcfg's rules. Fast enough for pre-commit."


def parser() -> argparse.ArgumentParser:
    parser = argparse_help.parser("halcfg validate", HELP, usage="%(prog)s [OPTIONS] [FILE]...")
    parser.add_argument("files", nargs="*", type=Path, metavar="FILE",
                        help="accounts files (default: --config, $HALCFG_CONFIG or ./halcfg.yaml)")
    parser.add_argument("-c", "--config", metavar="FILE", help="the accounts file, when no FILE is given")
    parser.add_argument("--format", default="text", help="report format: text or json")
    parser.add_argument("--strict", action="store_true", help="fail on warnings too; inline passwords are errors")
    parser.add_argument("--require-secrets", action="store_true",
                        help="password, key and CA files must be on this machine, and kept to yourself "
                             "(default: a missing one is info, and modes are not judged: git checks every file "
                             "out 0644, and a clone lacks the git-ignored secrets/)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print findings only, no per-file summary")
    return parser


def main(argv: list[str]) -> int:
    options = argparse_help.parse(parser(), argv)
    if isinstance(options, int):
        return options
    from halcfg import report

    try:
        show = report.reporter("validate", options.format)
    except UsageError as error:
        return report.error(error)
    from halcfg.config.opener import VALIDATE, open_accounts, with_flags

    policy = with_flags(VALIDATE, strict=options.strict, secrets=options.require_secrets)
    files = options.files or [config_path(options.config)]
    checked = []
    worst = EXIT_OK
    for path in files:
        try:
            result = open_accounts(path, policy)
        except LoadError as error:
            worst = report.error(error)
            continue
        checked.append((path, result.findings))
        worst = max(worst, result.exit_code)
        del result  # the document: only its findings are reported
    text = show(checked, worst, files=files, quiet=options.quiet, color=report.color_wanted(sys.stdout))
    if text:
        print(text)
    return worst
