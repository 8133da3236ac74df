"""`halcfg init`: write a commented starter accounts file, with the schema modeline for editors."""

from __future__ import annotations

import typer

from halcfg.cli.options import ConfigOption
from halcfg.config.path import config_path
from halcfg.edit.document import starter_text
from halcfg.errors import UsageError
from halcfg.files.atomic import locked, write_atomic


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init(config: ConfigOption = None) -> None:
        """Write a starter accounts file; an existing file is never replaced."""
        path = config_path(config)
        path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)  # not 0777 under umask 000
        with locked(path):
            if path.exists():
                raise UsageError(f"{path} already exists; change it with `halcfg account add|edit|delete`")
            write_atomic(path, starter_text().encode("utf-8"))
        typer.echo(f"Wrote {path}. Next: halcfg account add NAME --address HOST --username USER --password")
