"""The table of sources and the names `halcfg import --from` offers agree."""

from __future__ import annotations

from halcfg.cli import imports
from halcfg.importers.sources import SOURCES


def test_the_cli_offers_every_source_in_the_table() -> None:
    assert tuple(SOURCES) == imports.SOURCES
