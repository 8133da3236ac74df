"""`halcfg init [--user]`: write a commented starter accounts file, with the schema modeline for
editors. `--user` writes the file the credential helpers read (config/path.py), so `halcfg init
--user` is the one command their "no such file" hint names."""

from __future__ import annotations

from shlex import quote
from typing import Annotated

import typer

from halcfg.cli.options import ConfigOption
from halcfg.config.path import DEFAULT_NAME, config_path, user_config_path
from halcfg.edit.accounts import create_file
from halcfg.errors import UsageError


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init(
        config: ConfigOption = None,
        user: Annotated[bool, typer.Option(
            "--user", help="write the file docker-credential-halcfg and the kubelet plugin read: $HALCFG_CONFIG, "
            "else $XDG_CONFIG_HOME/halcfg/halcfg.yaml, else ~/.config/halcfg/halcfg.yaml")] = False,
    ) -> None:
        """Write a starter accounts file; an existing file is never replaced (one holding only
        comments or nothing is filled in below them)."""
        if user and config:
            raise UsageError("give --user or --config, not both")
        path = user_config_path() if user else config_path(config)
        create_file(path, private=user)
        where = "" if str(path) == DEFAULT_NAME else f" -c {quote(str(path))}"
        typer.echo(f"Wrote {path}. Next: halcfg account add NAME --address HOST --username USER --password{where}")

