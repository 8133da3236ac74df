"""The accounts file as typed objects, built from a schema-valid plain document.

Defaults are Halyard's, so an account reads the same here as in halconfig.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from halcfg.registry.address import Address, AddressError, infer_registry_type, parse_address

ACCOUNTS_PATH = "$.providers.dockerRegistry.accounts"

PASSWORD_SOURCES = ("password", "passwordFile", "passwordCommand", "passwordEnv", "ecr")


@dataclass(frozen=True)
class Ecr:
    region: str | None = None
    registry_id: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key_file: str | None = None
    secret_access_key_env: str | None = None


@dataclass(frozen=True)
class Account:
    index: int  # position in accounts[], for JSON paths
    name: str
    address: str = "gcr.io"
    repositories: tuple[str, ...] = ()
    repositories_regex: str | None = None
    username: str | None = None
    password: str | None = None
    password_file: str | None = None
    password_command: str | None = None
    password_env: str | None = None
    email: str = "fake.email@spinnaker.io"
    cache_interval_seconds: int = 30
    client_timeout_millis: int = 60000
    cache_threads: int = 1
    paginate_size: int = 100
    sort_tags_by_date: bool = False
    track_digests: bool = False
    insecure_registry: bool = False
    read_permissions: tuple[str, ...] = ()
    write_permissions: tuple[str, ...] = ()
    environment: str | None = None
    registry_type_declared: str | None = None
    ecr: Ecr | None = None
    ca_cert_file: str | None = None
    plain_http: bool = False
    drone_repos: tuple[str, ...] = ()
    drone_events: tuple[str, ...] = ()
    kubernetes_secret_name: str | None = None
    kubernetes_namespace: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def json_path(self) -> str:
        return f"{ACCOUNTS_PATH}[{self.index}]"

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
    enabled: bool = False
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


def resolve_path(value: str, base_dir: Path) -> Path:
    """A path from the accounts file: `~` expanded, relative ones against the file's folder."""
    return base_dir / Path(value).expanduser()


def build_account(index: int, raw: dict[str, Any]) -> Account:
    ecr = raw.get("ecr")
    permissions = raw.get("permissions") or {}
    drone = raw.get("drone") or {}
    kubernetes = raw.get("kubernetes") or {}
    return Account(
        index=index,
        name=raw.get("name", ""),
        address=raw.get("address", "gcr.io"),
        repositories=tuple(raw.get("repositories") or ()),
        repositories_regex=raw.get("repositoriesRegex"),
        username=raw.get("username"),
        password=raw.get("password"),
        password_file=raw.get("passwordFile"),
        password_command=raw.get("passwordCommand"),
        password_env=raw.get("passwordEnv"),
        email=raw.get("email", "fake.email@spinnaker.io"),
        cache_interval_seconds=raw.get("cacheIntervalSeconds", 30),
        client_timeout_millis=raw.get("clientTimeoutMillis", 60000),
        cache_threads=raw.get("cacheThreads", 1),
        paginate_size=raw.get("paginateSize", 100),
        sort_tags_by_date=raw.get("sortTagsByDate", False),
        track_digests=raw.get("trackDigests", False),
        insecure_registry=raw.get("insecureRegistry", False),
        read_permissions=tuple(permissions.get("READ") or ()),
        write_permissions=tuple(permissions.get("WRITE") or ()),
        environment=raw.get("environment"),
        registry_type_declared=raw.get("registryType"),
        ecr=None
        if ecr is None
        else Ecr(
            region=ecr.get("region"),
            registry_id=ecr.get("registryId"),
            profile=ecr.get("profile"),
            endpoint_url=ecr.get("endpointUrl"),
            access_key_id=ecr.get("accessKeyId"),
            secret_access_key_file=ecr.get("secretAccessKeyFile"),
            secret_access_key_env=ecr.get("secretAccessKeyEnv"),
        ),
        ca_cert_file=raw.get("caCertFile"),
        plain_http=raw.get("plainHttp", False),
        drone_repos=tuple(drone.get("repos") or ()),
        drone_events=tuple(drone.get("events") or ()),
        kubernetes_secret_name=kubernetes.get("secretName"),
        kubernetes_namespace=kubernetes.get("namespace"),
        raw=raw,
    )


def build_config(path: Path, data: dict[str, Any], skip: Collection[int] = ()) -> Config:
    """Typed view of a schema-valid document (tolerant of missing parts); accounts at the
    indexes in `skip` (those the schema rejected) are left out."""
    provider = ((data.get("providers") or {}).get("dockerRegistry")) or {}
    accounts = provider.get("accounts") or []
    return Config(
        path=path,
        enabled=provider.get("enabled", False),
        primary_account=provider.get("primaryAccount"),
        accounts=tuple(
            build_account(i, a) for i, a in enumerate(accounts) if isinstance(a, dict) and i not in skip
        ),
        names=tuple(a["name"] for a in accounts if isinstance(a, dict) and isinstance(a.get("name"), str)),
    )
