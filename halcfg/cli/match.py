"""`halcfg match IMAGE...`: which account's credentials apply to each image, and why."""

from __future__ import annotations

from typing import Annotated

import typer

from halcfg.cli.options import ConfigOption, choices
from halcfg.config.path import config_path
from halcfg.errors import one_of
from halcfg.match.run import POLICIES
from halcfg.report import formats


def register(app: typer.Typer) -> None:
    @app.command("match")
    def match(
        images: Annotated[list[str], typer.Argument(help="image references, e.g. golang:1.0 or quay.io/org/app")],
        config: ConfigOption = None,
        policy: Annotated[str, typer.Option(
            help="whose matching rules: drone, kubelet or docker", autocompletion=choices(POLICIES))] = "drone",
        fmt: Annotated[str, typer.Option(
            "--format", help="report format: text or json", autocompletion=choices(formats("match")))] = "text",
    ) -> None:
        """Parse each image reference and say which account's credentials its consumer would use:
        Drone's runner (exact host:port, first account wins), the kubelet (globs per host label,
        path prefix, every match tried, most specific first) or docker (the config.json key it
        looks up: https://index.docker.io/v1/ for Docker Hub, else the image's host as written)."""
        from halcfg import report
        from halcfg.match.run import match_file

        if policy not in POLICIES:
            raise one_of("--policy", policy, POLICIES)
        show = report.reporter("match", fmt)
        result = match_file(config_path(config), images, policy)
        typer.echo(show(result))
        raise typer.Exit(result.exit_code)
