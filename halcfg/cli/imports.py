"""`halcfg import --from SOURCE FILE`: bring accounts from Halyard, Drone, docker or Kubernetes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from halcfg.cli.options import ConfigOption, choices

SOURCES = ("halconfig", "drone", "docker-config", "kubernetes-secret")  # halcfg.importers.sources, checked by a test


def register(app: typer.Typer) -> None:
    app.command("import")(import_)


def import_(
    source: Annotated[str, typer.Option(
        "--from", metavar="|".join(SOURCES), help="what FILE is: " + ", ".join(SOURCES), show_default=False,
        autocompletion=choices(SOURCES))],
    file: Annotated[Path, typer.Argument(metavar="FILE", help=(
        "~/.hal/config, Drone's registry file, ~/.docker/config.json, "
        "or Kubernetes Secrets (YAML or JSON, a List, `kubectl get secret -o yaml`)"))],
    deployment: Annotated[str | None, typer.Option(
        "--deployment", help="halconfig: the deployment to import (default: currentDeployment)")] = None,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="replace accounts that have the same name or registry (default: report and skip)")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show what would change; write nothing")] = False,
    config: ConfigOption = None,
) -> None:
    """Import registry accounts into the accounts file, keeping its comments; secrets go to
    0600 files under secrets/, never inline."""
    from halcfg.config.path import config_path
    from halcfg.importers.run import run_import
    from halcfg.report import reporter

    result = run_import(config_path(config), source, file, deployment=deployment, overwrite=overwrite,
                        dry_run=dry_run)
    typer.echo(reporter("import", "text")(result))
    raise typer.Exit(result.exit_code)
