"""`halcfg provider docker-registry enable|disable`: Halyard's switch for the whole provider."""

from __future__ import annotations

import typer

from halcfg.cli.options import ConfigOption
from halcfg.config.path import config_path
from halcfg.edit import document
from halcfg.edit import transaction as editing
from halcfg.edit.document import Document

app = typer.Typer(help="Turn providers on and off.", no_args_is_help=True)
docker_registry = typer.Typer(help="The docker-registry provider.", no_args_is_help=True)
app.add_typer(docker_registry, name="docker-registry")


def _switch(config: str | None, enabled: bool) -> int:
    def change(doc: Document) -> tuple[Document, bool]:
        return doc, document.set_enabled(doc, enabled)

    word = "enabled" if enabled else "disabled"
    result = editing.edit(config_path(config), change)
    if not result.detail:
        typer.echo(f"Provider docker-registry is already {word}.")
        return 0
    text, code = editing.outcome(result, f"+ Provider docker-registry {word}.")
    typer.echo(text)
    return code


@docker_registry.command("enable")
def enable(config: ConfigOption = None) -> None:
    """Set providers.dockerRegistry.enabled: true."""
    raise typer.Exit(_switch(config, True))


@docker_registry.command("disable")
def disable(config: ConfigOption = None) -> None:
    """Set providers.dockerRegistry.enabled: false; the accounts stay."""
    raise typer.Exit(_switch(config, False))
