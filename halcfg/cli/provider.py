"""`halcfg provider docker-registry enable|disable|edit`: Halyard's provider switch and settings."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from halcfg import report
from halcfg.cli.options import ConfigOption, Group
from halcfg.config.path import config_path
from halcfg.edit import accounts
from halcfg.edit.transaction import Edited
from halcfg.errors import UsageError
from halcfg.findings import StageResult

app = typer.Typer(help="Turn providers on and off, and set their options.", no_args_is_help=True, rich_markup_mode=None,
                  cls=Group)
docker_registry = typer.Typer(help="The docker-registry provider.", no_args_is_help=True, rich_markup_mode=None,
                              cls=Group)
app.add_typer(docker_registry, name="docker-registry")


def _report(result: StageResult[Edited[bool]], done: str, same: str) -> int:
    typer.echo(report.render_edit(result, done, color=report.color_wanted(sys.stdout)) if result.payload.detail
               else same)
    return result.exit_code  # 1 when refused


@docker_registry.command("enable")
def enable(config: ConfigOption = None) -> None:
    """Set providers.dockerRegistry.enabled: true."""
    result = accounts.set_provider(config_path(config), "enabled", True)
    raise typer.Exit(_report(result, "+ Provider docker-registry enabled.",
                             "Provider docker-registry is already enabled; unchanged."))


@docker_registry.command("disable")
def disable(config: ConfigOption = None) -> None:
    """Set providers.dockerRegistry.enabled: false; the accounts stay."""
    result = accounts.set_provider(config_path(config), "enabled", False)
    raise typer.Exit(_report(result, "+ Provider docker-registry disabled.",
                             "Provider docker-registry is already disabled; unchanged."))


@docker_registry.command("edit")
def edit(
    primary_account: Annotated[str | None, typer.Option(
        "--primary-account", metavar="NAME",
        help="the account used when none is named ('' removes it: the first account is used)")] = None,
    config: ConfigOption = None,
) -> None:
    """Change the provider's settings, as `hal config provider docker-registry edit` does."""
    if primary_account is None:
        raise UsageError("No changes supplied.")
    value = primary_account or None
    result = accounts.set_provider(config_path(config), "primaryAccount", value, must_name_account=bool(value))
    shown = primary_account or "(the first account)"
    raise typer.Exit(_report(result, f"+ Provider docker-registry: primaryAccount {shown}.",
                             f"Provider docker-registry's primaryAccount is already {shown}; unchanged."))
