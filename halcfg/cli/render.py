"""`halcfg render --target T… [--out DIR | --out -] [--check]`: compile the accounts into files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from halcfg.cli.options import ConfigOption
from halcfg.config.path import config_path

HELP = """Compile the accounts into the files Spinnaker, the Spinnaker Operator, Drone, Kubernetes, the kubelet
and docker read. Without --out, shows them with secrets masked; --out DIR writes DIR/<target>/ (files
holding secrets 0600; files no longer rendered are removed); --out - prints the real bytes; --check
compares with DIR and exits 1 with a masked diff when they are stale."""


def register(app: typer.Typer) -> None:
    @app.command("render", help=HELP)
    def render(
        target: Annotated[list[str], typer.Option(
            "--target", "-t", help="spinnaker, halconfig, spinnaker-operator, drone, kubernetes, docker-config, "
            "kubelet, a --template-dir target, or all; repeat or separate with commas")],
        config: ConfigOption = None,
        out: Annotated[str | None, typer.Option(help="folder to write into, or - for stdout")] = None,
        check: Annotated[bool, typer.Option("--check", help="compare with --out instead of writing")] = False,
        account: Annotated[list[str] | None, typer.Option(help="only this account (repeatable)")] = None,
        template_dir: Annotated[Path | None, typer.Option(
            help="folder of <target>/manifest.yaml + templates adding or overriding targets")] = None,
        inline_secrets: Annotated[bool, typer.Option(
            "--inline-secrets", help="spinnaker, halconfig: write resolved passwords, not references")] = False,
        inline_ecr: Annotated[bool, typer.Option(
            "--inline-ecr", help="docker-config: write ECR tokens (12 h) instead of the ecr-login helper")] = False,
        combined: Annotated[bool, typer.Option("--combined", help="kubernetes: one Secret for all accounts")] = False,
        secret_name: Annotated[str | None, typer.Option(help="kubernetes --combined: the Secret's name")] = None,
        namespace: Annotated[str | None, typer.Option(
            help="kubernetes: namespace of Secrets whose account names none")] = None,
        label: Annotated[list[str] | None, typer.Option(help="kubernetes: KEY=VALUE label on every Secret")] = None,
        deployment: Annotated[str | None, typer.Option(
            help="halconfig: deployment name (default: default); spinnaker-operator: SpinnakerService name")] = None,
        helper: Annotated[str | None, typer.Option(
            help="docker-config: credHelpers naming this helper (e.g. halcfg) for every account")] = None,
    ) -> None:
        from halcfg.render.target import RenderOptions

        options = RenderOptions(
            targets=tuple(target), accounts=tuple(account or ()), inline_secrets=inline_secrets,
            inline_ecr=inline_ecr, combined=combined, deployment=deployment, helper=helper,
            namespace=namespace, labels=_labels(label or []), secret_name=secret_name,
        )
        raise typer.Exit(run(config_path(config), options, out, check, template_dir))


def _labels(pairs: list[str]) -> tuple[tuple[str, str], ...]:
    labels = []
    for pair in pairs:
        key, found, value = pair.partition("=")
        if not found or not key:
            raise typer.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--label")
        labels.append((key, value))
    return tuple(labels)


def run(path: Path, options: object, out: str | None, check: bool, template_dir: Path | None) -> int:
    from halcfg import report
    from halcfg.render.run import STDOUT, render

    result = render(path, options, out, check, template_dir)  # type: ignore[arg-type]
    # When stdout carries the files, the report goes to stderr so a pipe gets the files alone.
    report_stream = sys.stderr if (out is None or out == STDOUT) and not result.checked else sys.stdout
    if result.text:
        sys.stdout.write(result.text)
        sys.stdout.flush()
    lines = [f"wrote {out}/{name}" for name in result.written] + [f"removed {out}/{n}" for n in result.removed]
    if result.checked:
        lines.append(f"{len(result.stale)} stale file(s) in {out}" if result.stale else f"{out} is up to date")
    if result.findings:
        lines.append(report.render_text(result.findings))
    lines.append(f"{path}: {report.summary(result.findings)}")
    print("\n".join(lines), file=report_stream)
    return result.exit_code

