"""`halcfg render --target T… [--out DIR | --out -] [--check]`: compile the accounts into files.

Parsed with argparse and imported without typer, like `validate`: pipelines run it on every
deploy, and typer's import alone costs more than rendering a hundred Secrets. The typer app
lists it and forwards to the same `main`, so there is one definition of its flags.
"""

import argparse
import sys
from pathlib import Path

from halcfg.cli import argparse_help
from halcfg.config.path import config_path
from halcfg.errors import UsageError

HELP = """Compile the accounts into the files Spinnaker, the Spinnaker Operator, Drone, Kubernetes, the
kubelet and docker read. Without --out, shows them with secrets masked; --out DIR writes
DIR/<target>/ (files holding secrets 0600 and git-ignored; files it wrote before and no longer
renders are removed, nothing else there is touched); --out - prints
the real bytes; --check compares with DIR and exits 1 with a masked diff when they are stale."""


def parser() -> argparse.ArgumentParser:
    parser = argparse_help.parser("halcfg render", HELP)
    add = parser.add_argument
    add("-t", "--target", action="append", required=True, metavar="T",
        help="spinnaker, halconfig, spinnaker-operator, drone, kubernetes, docker-config, kubelet, "
             "a --template-dir target, or all; repeat or separate with commas")
    add("-c", "--config", help="the accounts file (default: $HALCFG_CONFIG or ./halcfg.yaml)")
    add("--out", help="folder to write into, or - for stdout (default: a preview, secrets masked)")
    add("--check", action="store_true", help="compare with --out instead of writing; exit 1 when stale")
    add("--no-gitignore", dest="gitignore", action="store_false",
        help="--out DIR: no .gitignore beside files that hold secrets (e.g. to commit them encrypted)")
    add("--account", action="append", default=[], metavar="NAME", help="only this account (repeatable)")
    add("--template-dir", type=Path, metavar="DIR",
        help="folder of <target>/manifest.yaml + templates adding or overriding targets")
    add("--time-limit", type=_seconds, default=30.0, metavar="SECONDS",
        help="the most the templates may take, all together (default 30); output is capped at 64 MiB")
    add("--inline-secrets", action="store_true", help="Spinnaker targets: resolved passwords, not references")
    add("--inline-ecr", action="store_true",
        help="docker-config: ECR tokens (12 h) in auths instead of the ecr-login helper")
    add("--combined", action="store_true", help="kubernetes: one Secret for all accounts")
    add("--secret-name", help="kubernetes --combined: the Secret's name")
    add("--namespace", help="kubernetes: namespace of Secrets whose account names none; spinnaker-operator: the "
                             "SpinnakerService's namespace (default: spinnaker)")
    add("--label", action="append", default=[], metavar="KEY=VALUE", help="kubernetes: a label on every Secret")
    add("--deployment", metavar="NAME",
        help="halconfig: deployment name (default: default); spinnaker-operator: SpinnakerService name")
    add("--helper", metavar="NAME", help="docker-config: credHelpers naming this helper (e.g. halcfg) for all")
    add("--k8s-secrets", action="store_true",
        help="spinnaker: passwords in a Secret (secret.yml) referenced as encrypted:k8s!..., OSS Spinnaker's "
             "kork-secrets-k8s engine")
    add("--no-operator-validation", action="store_true",
        help="spinnaker-operator: turn the operator's docker account validation off (it runs passwordCommands "
             "and probes every registry from the operator's pod)")
    return parser


def main(argv: list[str]) -> int:
    args = argparse_help.parse(parser(), argv)
    if isinstance(args, int):
        return args
    from halcfg.render.target import RenderOptions

    try:
        options = RenderOptions(
            targets=tuple(args.target), accounts=tuple(args.account), inline_secrets=args.inline_secrets,
            inline_ecr=args.inline_ecr, combined=args.combined, deployment=args.deployment, helper=args.helper,
            namespace=args.namespace, labels=_labels(args.label), secret_name=args.secret_name,
            operator_validation=not args.no_operator_validation, k8s_secrets=args.k8s_secrets,
            gitignore=args.gitignore, time_limit=args.time_limit,
        )
        return run(config_path(args.config), options, args.out, args.check, args.template_dir)
    except (UsageError, OSError) as error:
        from halcfg import report

        return report.error(error)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 86400:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds between 0 and 86400")
    return value


def _labels(pairs: list[str]) -> tuple[tuple[str, str], ...]:
    labels = []
    for pair in pairs:
        key, found, value = pair.partition("=")
        if not found or not key:
            raise UsageError(f"--label {pair!r} is not KEY=VALUE")
        labels.append((key, value))
    return tuple(labels)


def run(path: Path, options: object, out: str | None, check: bool, template_dir: Path | None) -> int:
    from halcfg import report
    from halcfg.render.run import STDOUT, render

    result = render(path, options, out, check, template_dir)  # type: ignore[arg-type]
    # When stdout carries the files, the report goes to stderr so a pipe gets the files alone.
    report_stream = sys.stderr if (out is None or out == STDOUT) and not result.payload.checked else sys.stdout
    if result.payload.text:
        sys.stdout.write(result.payload.text)
        sys.stdout.flush()
    print(report.reporter("render", "text")(result, path=path, out=out), file=report_stream)
    return result.exit_code
