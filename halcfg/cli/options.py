"""Options that the editing commands share, defined once."""

from __future__ import annotations

from typing import Annotated

import typer

ConfigOption = Annotated[
    str | None,
    typer.Option("--config", "-c", help="the accounts file (default: $HALCFG_CONFIG or ./halcfg.yaml)"),
]
