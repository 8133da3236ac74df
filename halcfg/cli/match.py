"""`halcfg match IMAGE...`: which account's credentials apply to each image, and why."""

from __future__ import annotations

from typing import Annotated

import typer

from halcfg.cli.options import ConfigOption, choices
from halcfg.config.path import config_path
from halcfg.errors import one_of
from halcfg.match.run import POLICIES
from halcfg.report import FORMATS


def register(app: typer.Typer) -> None:
    @app.command("match")
    def match(
        images: Annotated[list[str], typer.Argument(help="image references, e.g. golang:1.0 or quay.io/org/app")],
        config: ConfigOption = None,
        policy: Annotated[str, typer.Option(
            help="whose matching rules: drone or kubelet", autocompletion=choices(POLICIES))] = "drone",
        fmt: Annotated[str, typer.Option(
            "--format", help="report format: text or json", autocompletion=choices(FORMATS))] = "text",
    ) -> None:
        """Parse each image reference and say which account's credentials its consumer would use:
        Drone's runner (exact host:port, first account wins) or the kubelet (globs per host label,
        path prefix, every match tried, most specific first)."""
        from halcfg import report
        from halcfg.findings import exit_code
        from halcfg.match.run import match_file

        if policy not in POLICIES:
            raise one_of("--policy", policy, POLICIES)
        report.check_format(fmt, FORMATS)
        result = match_file(config_path(config), images, policy)
        typer.echo(report.render_matches(result.matches, fmt))
        if fmt == "text" and result.findings:
            typer.echo(report.render_text(result.findings))
        raise typer.Exit(exit_code(result.findings))
