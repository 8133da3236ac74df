"""What `account get` and `account list` print: accounts as written in the file, secrets masked.

The field table says which keys hold a secret themselves (`password`); passwordFile,
passwordCommand, passwordEnv and the ecr key names say where a secret is, and are shown so
users can check them. A key the table does not know is masked too: `passwrd: hunter2` is a
secret with a typo. Plain renderers: they take accounts and return text.
"""

from __future__ import annotations

import io
import json
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from halcfg.config.fields import BY_KEY, FIELDS, PASSWORD_SOURCES, SECRET_KEYS
from halcfg.config.model import Account
from halcfg.credentials.redact import MASK, hide_userinfo
from halcfg.report import printable

FORMATS = ("text", "json", "yaml")
_KNOWN_KEYS = frozenset(part for f in FIELDS for part in f.path)  # any key an account or its blocks may hold
DEFAULT_ADDRESS = BY_KEY["address"].default
_URL_KEYS = frozenset({"address", "endpointUrl"})  # shown without `user:password@`


def masked(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A plain copy of an account (or any part of one) with secret values replaced by MASK."""
    return {
        key: MASK if value is not None and (key in SECRET_KEYS or key not in _KNOWN_KEYS)
        else hide_userinfo(value) if key in _URL_KEYS and isinstance(value, str) else _plain(value)
        for key, value in raw.items()
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return masked(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def registry_type(raw: Mapping[str, Any]) -> str:
    """The declared registryType, else the one the address implies (any raw dict, valid or not)."""
    address = raw.get("address", DEFAULT_ADDRESS)
    declared = raw.get("registryType")
    if not isinstance(address, str) or not isinstance(declared, str | None):
        return "other"
    return Account(index=0, name="", address=address, registry_type_declared=declared).registry_type


def render_account(raw: Mapping[str, Any], fmt: str, *, primary: bool = False) -> str:
    data = masked(raw)
    if fmt == "json":
        return json.dumps(data, indent=2)
    if fmt == "yaml":
        return _yaml(data)
    lines = [f"account {printable(str(data.get('name')))}" + (" (primary)" if primary else "")]
    data.setdefault("address", f"{DEFAULT_ADDRESS} (default)")
    data.setdefault("registryType", f"{registry_type(raw)} (from the address)")
    lines += [f"  {printable(key)}: {printable(value)}" for key, value in _flatten(data) if key != "name"]
    return "\n".join(lines)


def render_list(accounts: Sequence[Mapping[str, Any]], fmt: str, *, primary: str | None = None) -> str:
    if fmt == "json":
        return json.dumps([masked(a) for a in accounts], indent=2)
    if fmt == "yaml":
        return _yaml([masked(a) for a in accounts]) if accounts else "[]"
    rows = [("NAME", "ADDRESS", "TYPE", "CREDENTIAL")]
    for raw in accounts:
        name = str(raw.get("name"))
        row = (name + (" *" if name == primary else ""), hide_userinfo(str(raw.get("address", DEFAULT_ADDRESS))),
               registry_type(raw), _credential(raw))
        rows.append(tuple(printable(cell) for cell in row))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "  " + row[3]
        for row in rows
    )


def _credential(raw: Mapping[str, Any]) -> str:
    """Where the password comes from, e.g. `passwordEnv QUAY_TOKEN`; never the password."""
    source = next((key for key in PASSWORD_SOURCES if raw.get(key) is not None), None)
    if source is None:
        return "anonymous"
    if source == "password":
        return f"password {MASK} (inline)"
    if source == "ecr":
        region = raw["ecr"].get("region") if isinstance(raw["ecr"], Mapping) else None
        return "ecr" + (f" {region}" if region else "")
    return f"{source} {raw[source]}"


def _flatten(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """`permissions.READ: a, b` lines: one line per setting, nested keys dotted."""
    out: list[tuple[str, str]] = []
    for key, value in data.items():
        if isinstance(value, Mapping) and value:
            out += _flatten(value, f"{prefix}{key}.")
        else:
            shown = ", ".join(map(str, value)) if isinstance(value, list) else value
            out.append((prefix + key, json.dumps(shown) if shown is None or isinstance(shown, bool) else str(shown)))
    return out


def _yaml(data: Any) -> str:
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(data, out)
    return textwrap.dedent(out.getvalue()).rstrip("\n")  # a top-level list starts at column 0
