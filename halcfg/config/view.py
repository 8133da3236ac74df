"""What `account get` and `account list` show: accounts as written in the file, secrets masked
(report.py renders them).

The field table says which keys hold a secret themselves (`password`); passwordFile,
passwordCommand, passwordEnv and the ecr key names say where a secret is, and are shown so
users can check them. A key the table does not know is masked too: `passwrd: hunter2` is a
secret with a typo.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from halcfg.config.fields import BY_KEY, PASSWORD_SOURCES
from halcfg.config.load import plain_tree
from halcfg.config.model import PROVIDER, Account, unknown_account
from halcfg.config.opener import RAW, open_accounts
from halcfg.config.path import command_for
from halcfg.errors import UsageError
from halcfg.redact import MASK, hide_userinfo

ENABLE = "halcfg provider docker-registry enable"
DEFAULT_ADDRESS = BY_KEY["address"].default
_URL_KEYS = frozenset({"address", "endpointUrl"})  # shown without `user:password@`


def masked(raw: Mapping[str, Any], block: str = "") -> dict[str, Any]:
    """A plain copy of an account (or of its `block`, e.g. "ecr.") with secret values, and the
    values of keys the field table does not know, replaced by MASK."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        known = BY_KEY.get(f"{block}{key}")
        if value is not None and (known is None or known.secret):
            out[key] = MASK
        elif key in _URL_KEYS and isinstance(value, str):
            out[key] = hide_userinfo(value)
        elif known is not None and known.kind == "block" and isinstance(value, Mapping):
            out[key] = masked(value, f"{known.key}.")
        elif isinstance(value, Mapping | list):  # a list or mapping field's own data (labels are not fields)
            out[key] = plain_tree(value)
        else:
            out[key] = value
    return out


def registry_type(raw: Mapping[str, Any]) -> str:
    """The declared registryType, else the one the address implies (any raw dict, valid or not)."""
    address = raw.get("address", DEFAULT_ADDRESS)
    declared = raw.get("registryType")
    if not isinstance(address, str) or not isinstance(declared, str | None):
        return "other"
    return Account(index=0, name="", address=address, registry_type_declared=declared).registry_type


@dataclass(frozen=True)
class Listing:
    """The accounts as written, valid or not: what `account get` and `list` show."""

    path: Path
    accounts: list[dict[str, Any]]
    primary: str | None  # primaryAccount, else the first account's name
    enabled: bool

    def account(self, name: str) -> dict[str, Any]:
        """The account called `name`; the usual unknown-account error when there is none."""
        found = next((a for a in self.accounts if a.get("name") == name), None)
        if found is None:
            raise unknown_account(self.path, name, [str(a.get("name")) for a in self.accounts])
        return found


def read_listing(path: Path) -> Listing:
    """The accounts straight from the file (the opener's RAW policy: one parse, no schema), so a
    broken file still lists."""
    data: Any = open_accounts(path, RAW).payload.document.data
    for key in PROVIDER:
        data = data.get(key) if isinstance(data, dict) else None
    data = data if isinstance(data, dict) else {}
    accounts = data.get("accounts") or []
    if not isinstance(accounts, list):
        raise UsageError(f"{path}: providers.dockerRegistry.accounts is not a list "
                         f"(see `{command_for('validate', path)}`)")
    accounts = [a for a in accounts if isinstance(a, dict)]
    primary = data.get("primaryAccount")
    if primary is None and accounts:
        primary = accounts[0].get("name")
    return Listing(path, accounts, primary if isinstance(primary, str) else None, data.get("enabled") is not False)


def credential(raw: Mapping[str, Any]) -> str:
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
