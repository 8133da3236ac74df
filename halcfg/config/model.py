"""The accounts file as typed objects, built from a schema-valid plain document.

Defaults are Halyard's, so an account reads the same here as in halconfig.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from halcfg.config.fields import FIELDS, PASSWORD_SOURCES, SOURCE_BLOCKS, Field
from halcfg.errors import UsageError, closest
from halcfg.registry.hosts import Address, AddressError, infer_registry_type, parse_address

PROVIDER = ("providers", "dockerRegistry")  # the one place the provider's path is spelt
ACCOUNTS = (*PROVIDER, "accounts")


def _owner(f: Field) -> tuple[str, ...]:
    """Which object holds the field's attribute: the account (()), or a source block's object
    (("ecr",)): the presence of `ecr` means "ask AWS", so it stays one object. Other blocks'
    fields are flat on the account (`drone_repos`)."""
    return f.path[:1] if f.path[0] in SOURCE_BLOCKS and len(f.path) > 1 else ()


@dataclass(frozen=True)
class Ecr:
    """The `ecr` block: ask ECR's GetAuthorizationToken for a token instead of a static password.

    One attribute per `ecr.*` entry of config.fields, in snake_case; tests/unit/config/test_fields.py
    holds the two to each other (keys, kinds, defaults).
    """

    region: str | None = None
    registry_id: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key_file: str | None = None
    secret_access_key_env: str | None = None


@dataclass(frozen=True)
class Account:
    """One account, typed, with Halyard's defaults for absent keys.

    One attribute per config.fields entry (snake_case; `registryType` is `registry_type_declared`,
    since `registry_type` is the inferred one; `permissions.READ` is `read_permissions`; other
    blocks' fields are flat: `drone.repos` is `drone_repos`). `index` is the account's position in
    `accounts[]`, for JSON paths; `raw` is the account's plain mapping as the file has it.
    """

    index: int
    name: str
    address: str = "gcr.io"
    registry_type_declared: str | None = None
    repositories: tuple[str, ...] = ()
    repositories_regex: str | None = None
    username: str | None = None
    email: str | None = "fake.email@spinnaker.io"
    password: str | None = None
    password_file: str | None = None
    password_command: str | None = None
    password_env: str | None = None
    ecr: Ecr | None = None
    ca_cert_file: str | None = None
    insecure_registry: bool = False
    plain_http: bool = False
    cache_interval_seconds: int = 30
    client_timeout_millis: int = 60000
    cache_threads: int = 1
    paginate_size: int = 100
    sort_tags_by_date: bool = False
    track_digests: bool = False
    read_permissions: tuple[str, ...] = ()
    write_permissions: tuple[str, ...] = ()
    required_group_membership: tuple[str, ...] = ()
    environment: str | None = None
    provider_version: str | None = None
    drone_repos: tuple[str, ...] = ()
    drone_events: tuple[str, ...] = ()
    kubernetes_secret_name: str | None = None
    kubernetes_namespace: str | None = None
    kubernetes_labels: dict[str, str] | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def key_path(self) -> tuple[str | int, ...]:
        """Where the account is in the document: ("providers", "dockerRegistry", "accounts", index)."""
        return (*ACCOUNTS, self.index)

    @cached_property
    def parsed_address(self) -> Address:
        """The address, parsed once; raises AddressError when it does not parse."""
        return parse_address(self.address)

    @property
    def host(self) -> str | None:
        """Lower-cased registry host, or None when the address does not parse."""
        try:
            return self.parsed_address.host
        except AddressError:
            return None

    @property
    def registry_type(self) -> str:
        """Declared registryType, else the one the address implies."""
        if self.registry_type_declared:
            return self.registry_type_declared
        host = self.host
        return infer_registry_type(host) if host else "other"

    @property
    def password_sources(self) -> list[str]:
        """The password sources this account sets, in file-key spelling."""
        return [key for key in PASSWORD_SOURCES if self.raw.get(key) is not None]


@dataclass(frozen=True)
class Config:
    path: Path  # the accounts file; relative paths inside it resolve against its folder
    enabled: bool | None = None  # providers.dockerRegistry.enabled; None when absent
    primary_account: str | None = None
    accounts: tuple[Account, ...] = ()
    names: tuple[str, ...] = ()  # every account name in the file, including accounts left out of `accounts`

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def account(self, name: str) -> Account | None:
        return next((a for a in self.accounts if a.name == name), None)

    @property
    def primary(self) -> Account | None:
        """primaryAccount, defaulting to the first account as Halyard does."""
        if self.primary_account:
            return self.account(self.primary_account)
        return self.accounts[0] if self.accounts else None


def unknown_account(path: Path, name: str, known: Iterable[str]) -> UsageError:
    """The error every command gives for a name the file does not define, with the closest one."""
    known = list(known)
    close = closest(name, known)
    hint = f"; did you mean {close!r}?" if close else f" (it has: {', '.join(known)})" if known else ""
    return UsageError(f"{path}: no account named {name!r}{hint}")


# One problem, one code and one fix wherever it is found: validate (config/rules.py) and the
# places a password is read (credentials/resolve.py) say the same.
MISSING_FILE_FIX = "create the file, or fix the path (relative paths start at the accounts file's folder)"
EMPTY_FILE_FIX = "write the password or token into it, with no trailing newline"


def resolve_path(value: str, base_dir: Path) -> Path:
    """A path from the accounts file: `~` expanded, relative ones against the file's folder."""
    return base_dir / Path(value).expanduser()


def _plan(owner: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...], Any, bool, bool], ...]:
    """(attribute, key path, default, is a list, is a source block) per attribute `owner` holds,
    worked out once: validate builds a thousand accounts per run."""
    return tuple(
        (f.name, f.path, f.default, f.kind == "list", f.kind == "block")
        for f in FIELDS
        if _owner(f) == owner and f.key != "name" and (f.kind != "block" or f.key in SOURCE_BLOCKS)
    )


_Built = TypeVar("_Built", Account, Ecr)
_PLANS = {owner: _plan(owner) for owner in ((), *((key,) for key in SOURCE_BLOCKS))}


def _build(cls: type[_Built], owner: tuple[str, ...], data: Mapping[str, Any], **extra: Any) -> _Built:
    """An Account (or a source block's object) from a plain account mapping; absent keys take
    their defaults, and a source block is None when absent."""
    values: dict[str, Any] = {}
    for name, path, default, is_list, is_block in _PLANS[owner]:
        node: Any = data
        for part in path:
            node = node.get(part) if isinstance(node, Mapping) else None
        if is_block:
            values[name] = _build(Ecr, path, data) if isinstance(node, Mapping) else None
        elif node is None:
            values[name] = default
        else:
            values[name] = tuple(node) if is_list and isinstance(node, list) else node
    return cls(**values, **extra)


def build_account(index: int, raw: dict[str, Any]) -> Account:
    return _build(Account, (), raw, index=index, name=raw.get("name", ""), raw=raw)


def build_config(path: Path, data: dict[str, Any], skip: Collection[int] = ()) -> Config:
    """Typed view of a schema-valid document (tolerant of missing parts); accounts at the
    indexes in `skip` (those the schema rejected) are left out."""
    provider = ((data.get("providers") or {}).get("dockerRegistry")) or {}
    accounts = provider.get("accounts") or []
    return Config(
        path=path,
        enabled=provider.get("enabled"),
        primary_account=provider.get("primaryAccount"),
        accounts=tuple(
            build_account(i, a) for i, a in enumerate(accounts) if isinstance(a, dict) and i not in skip
        ),
        names=tuple(a["name"] for a in accounts if isinstance(a, dict) and isinstance(a.get("name"), str)),
    )
