"""What `account get` and `account list` print: accounts as written in the file, secrets masked.

`password` is the only key that holds a secret itself; passwordFile, passwordCommand,
passwordEnv and the ecr key names say where a secret is, and are shown so users can check
them. A key the schema does not know is masked too: `passwrd: hunter2` is a secret with a
typo. Plain renderers: they take accounts and return text.
"""

from __future__ import annotations

import io
import json
import textwrap
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from halcfg.config.model import PASSWORD_SOURCES, Account
from halcfg.credentials.redact import MASK
from halcfg.resources import schema_path

FORMATS = ("text", "json", "yaml")
_SECRET_KEYS = frozenset({"password"})


@cache
def _known_keys() -> frozenset[str]:
    """Every key an account or one of its blocks may hold, by the schema."""
    def keys(node: Mapping[str, Any]) -> set[str]:
        found = set(node.get("properties", {}))
        for sub in node.get("properties", {}).values():
            found |= keys(sub)
        return found

    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    return frozenset(keys(schema["$defs"]["account"]))


def masked(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A plain copy of an account (or any part of one) with secret values replaced by MASK."""
    known = _known_keys()
    return {
        key: MASK if value is not None and (key in _SECRET_KEYS or key not in known) else _plain(value)
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
    address = raw.get("address", Account.address)
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
    lines = [f"account {data.get('name')}" + (" (primary)" if primary else "")]
    data.setdefault("address", f"{Account.address} (default)")
    data.setdefault("registryType", f"{registry_type(raw)} (from the address)")
    lines += [f"  {key}: {value}" for key, value in _flatten(data) if key != "name"]
    return "\n".join(lines)


def render_list(accounts: Sequence[Mapping[str, Any]], fmt: str, *, primary: str | None = None) -> str:
    if fmt == "json":
        return json.dumps([masked(a) for a in accounts], indent=2)
    if fmt == "yaml":
        return _yaml([masked(a) for a in accounts]) if accounts else "[]"
    rows = [("NAME", "ADDRESS", "TYPE", "CREDENTIAL")]
    for raw in accounts:
        name = str(raw.get("name"))
        rows.append((name + (" *" if name == primary else ""), str(raw.get("address", Account.address)),
                     registry_type(raw), _credential(raw)))
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
