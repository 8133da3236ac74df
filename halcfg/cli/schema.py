"""`halcfg schema`: print the JSON Schema, for editors and check-jsonschema."""

from __future__ import annotations

import typer

from halcfg.resources import schema_path


def register(app: typer.Typer) -> None:
    @app.command("schema")
    def schema() -> None:
        """Print the accounts file's JSON Schema (draft 2020-12)."""
        typer.echo(schema_path().read_text(encoding="utf-8"), nl=False)
