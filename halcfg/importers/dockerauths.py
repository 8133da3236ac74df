"""The `auths` map that docker's config.json and a Kubernetes pull Secret share, as candidates.

An entry holds `auth` (base64 of `user:password`, which wins, as in docker's loader), or
`username` and `password`, or an `identitytoken`; `email` is kept. An ECR host becomes an
`ecr` account: what `auths` holds for it is a token that expires within 12 hours.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any

from halcfg.errors import UsageError
from halcfg.findings import Location, Severity
from halcfg.importers import names
from halcfg.importers.source import Candidate, Found
from halcfg.registry.hosts import AddressError, CredentialsInAddress, ecr_parts, parse_address

Parts = Sequence[str | int]
Locate = Callable[[Parts], Location]
Fail = Callable[[Parts, str], UsageError]

IDENTITY_TOKEN_USER = "<token>"  # docker's username for a stored identity token


def read_auths(
    auths: Any, at: Parts, found: Found, locate: Locate, fail: Fail, extra: dict[str, Any] | None = None,
    skip: Callable[[str], bool] = lambda key: False,
) -> None:
    """Append a candidate per entry of `auths` (found at `at`) to `found`; `extra` goes into each."""
    if not isinstance(auths, dict):
        raise fail(at, f"`auths` is a {_kind(auths)}, not a mapping of registry to credentials")
    for key, entry in auths.items():
        parts = [*at, key]
        if skip(key):
            continue
        if not isinstance(entry, dict):
            raise fail(parts, f"the entry is a {_kind(entry)}, not a mapping")
        try:
            address, path = names.address_of(str(key))
        except CredentialsInAddress as error:  # name neither the key nor its place: both hold the secret
            raise fail(at, f"a registry key {error}") from None
        except AddressError as error:
            raise fail(parts, f"{key!r} is not a registry host: {error}") from None
        if path:
            found.note(Severity.WARNING, "import-path-dropped", locate(parts),
                       f"{key}: the path {path} is dropped; an account covers the whole registry {address}")
        if is_ecr(address):
            found.accounts.append(ecr_candidate(address, locate(parts), extra))
            found.note(Severity.INFO, "import-ecr", locate(parts),
                       f"{key}: imported as an ecr account, which fetches a fresh token; "
                       "the stored one expires within 12 hours")
            continue
        username, password = _credential(entry, parts, fail, found, locate)
        if username is None and password is None:
            found.note(Severity.WARNING, "import-empty", locate(parts),
                       f"{key}: no credentials in the entry (a credential store holds them); skipped",
                       "log in again with the store disabled, or add the account with `halcfg account add`")
            continue
        fields: dict[str, Any] = {"address": address}
        if username is not None:
            fields["username"] = username
        if isinstance(entry.get("email"), str) and entry["email"]:
            fields["email"] = entry["email"]
        fields.update(extra or {})
        found.accounts.append(Candidate(names.name_for(address), fields, locate(parts), password=password))


def ecr_candidate(address: str, location: Location, extra: dict[str, Any] | None = None) -> Candidate:
    return Candidate(names.name_for(address), {"address": address, "ecr": {}, **(extra or {})}, location)


def is_ecr(address: str) -> bool:
    return ecr_parts(parse_address(address).host) is not None


def _credential(
    entry: dict[str, Any], parts: Parts, fail: Fail, found: Found, locate: Locate
) -> tuple[str | None, str | None]:
    """(username, password) of an entry: `auth` decoded, else username/password, else identitytoken."""
    for key in ("auth", "username", "password", "identitytoken"):
        if entry.get(key) is not None and not isinstance(entry[key], str):
            raise fail([*parts, key], f"{key} is a {_kind(entry[key])}, not a string")
    auth = entry.get("auth")
    if auth:
        return decode_auth(auth, [*parts, "auth"], fail)
    token = entry.get("identitytoken")
    if token:
        found.note(Severity.INFO, "import-identity-token", locate(parts),
                   f"{parts[-1]}: the identity token becomes the password; registries that take it "
                   "only as an OAuth2 refresh token reject it (`halcfg probe` tells)")
        return entry.get("username") or IDENTITY_TOKEN_USER, token
    if entry.get("registrytoken"):
        found.note(Severity.WARNING, "import-registry-token", locate(parts),
                   f"{parts[-1]}: a registrytoken (a bearer token) cannot be imported; the entry is skipped")
        return None, None
    return entry.get("username") or None, entry.get("password") or None


def decode_auth(auth: str, parts: Parts, fail: Fail) -> tuple[str, str]:
    """`user:password` from base64, as docker's loader reads it (trailing NULs trimmed)."""
    try:
        text = base64.b64decode(auth.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise fail(parts, "auth does not decode: it must be base64 of user:password") from None
    username, sep, password = text.partition(":")
    if not sep or not username:
        raise fail(parts, "auth does not decode to user:password (no ':' or no user)")
    return username, password.rstrip("\x00")


def _kind(value: Any) -> str:
    return {dict: "mapping", list: "list", str: "string", type(None): "null"}.get(type(value), type(value).__name__)
