"""What an account edit asks for, in file keys: a small value the CLI builds without loading
the editing machinery (ruamel), so `account list` and `get` start fast."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from halcfg.config.fields import PASSWORD_SOURCES

Path_ = tuple[str, ...]  # a key path inside one account, e.g. ("permissions", "READ")


@dataclass
class AccountPatch:
    """What `account add|edit` asks for, in file keys; anything not named stays as it is."""

    values: dict[Path_, Any] = field(default_factory=dict)  # None removes the key
    add: dict[Path_, list[str]] = field(default_factory=dict)  # items appended to a list
    remove: dict[Path_, list[str]] = field(default_factory=dict)  # items taken out of a list

    def sets_password_source(self) -> bool:
        return any(path[0] in PASSWORD_SOURCES and value is not None for path, value in self.values.items())
