"""Where the schema and templates are: inside the package when installed, beside it in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """`schemas` or `templates`: the wheel ships them in the package, a checkout keeps them at the top."""
    installed = _PACKAGE / name
    return installed if installed.is_dir() else _PACKAGE.parent / name


def schema_path() -> Path:
    return data_dir("schemas") / "halcfg.schema.json"
