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
from halcfg.findings import EXIT_OK, EXIT_USAGE, Finding, exit_code

HELP = "Check accounts files offline: JSON Schema plus halcfg's rules. Fast enough for pre-commit."


def parser() -> argparse.ArgumentParser:
    parser = argparse_help.parser("halcfg validate", HELP, usage="%(prog)s [OPTIONS] [FILE]...")
    parser.add_argument("files", nargs="*", type=Path, metavar="FILE",
                        help="accounts files (default: --config, $HALCFG_CONFIG or ./halcfg.yaml)")
    parser.add_argument("-c", "--config", metavar="FILE", help="the accounts file, when no FILE is given")
    parser.add_argument("--format", default="text", help="report format: text or json")
    parser.add_argument("--strict", action="store_true", help="fail on warnings too; inline passwords are errors")
    parser.add_argument("-q", "--quiet", action="store_true", help="print findings only, no per-file summary")
    parser.add_argument("--secrets-present", action="store_true",
                        help="this is where the secrets live: judge their files' modes too (as probe and render do)")
    return parser


def main(argv: list[str]) -> int:
    options = argparse_help.parse(parser(), argv)
    if isinstance(options, int):
        return options
    from halcfg import report

    try:
        report.check_format(options.format, report.FORMATS)
    except UsageError as error:
        print(f"halcfg: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    from halcfg.config.check import check_file

    files = options.files or [config_path(options.config)]
    findings: list[Finding] = []
    worst = EXIT_OK
    text_out = options.format == "text"
    color = text_out and report.color_wanted(sys.stdout)
    for path in files:
        try:
            found = check_file(path, options.strict, options.secrets_present)
        except LoadError as error:
            print(f"halcfg: error: {report.printable(str(error))}", file=sys.stderr)
            worst = EXIT_USAGE
            continue
        findings += found
        worst = max(worst, exit_code(found, options.strict))
        if text_out:
            if found:
                print(report.render_text(found, color=color))
            if not options.quiet:
                print(report.printable(f"{path}: {report.summary(found)}"))
    if not text_out:
        print(report.render_json(findings, files=[str(p) for p in files], exit_code=worst))
    return worst
