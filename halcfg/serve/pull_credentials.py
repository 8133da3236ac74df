"""What docker's credential helper and the kubelet's plugin share: the accounts file they serve,
checked before anything is served from it, and an account's credential with ECR tokens from the
cross-process cache.

Both programs start once per pull, so this imports no typer, jsonschema, requests or boto3
unless a token must be fetched. Failures are ServeError: one line, secrets already redacted.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from halcfg.config.model import Account, Config
from halcfg.credentials.cache import TokenCache, resolve_cached
from halcfg.credentials.resolve import Credential, CredentialError
from halcfg.errors import LoadError

FETCH_TIMEOUT = 20.0  # seconds per ECR call: far inside the kubelet's one-minute exec timeout


class ServeError(Exception):
    """The accounts file or an account's credential failed; the text says what and how to fix it."""


def load_served(path: Path) -> Config:
    """The accounts file at `path` under the opener's HELPERS policy: refused whole when it breaks
    the schema, since the accounts that survive would be served and a broken account's host sent
    to an anonymous pull. The rules are not run: what they find about an account shows when its
    credential is resolved."""
    from halcfg.config.opener import HELPERS, InvalidAccounts, open_accounts

    try:
        config = open_accounts(path, HELPERS).payload.config
    except LoadError as error:
        raise ServeError(f"accounts file: {error}") from None
    except InvalidAccounts as error:
        first = f"; first: {error.findings[0].location.where()}: {error.findings[0].message}" if error.findings else ""
        raise ServeError(
            f"accounts file {path} is not valid{first} (run `halcfg validate {shlex.quote(str(path))}`)"
        ) from None
    assert config is not None  # HELPERS refuses a file whose provider block cannot be read
    return config


def pull_credential(account: Account, config: Config, cache: TokenCache) -> Credential:
    """The account's credential, ECR tokens through `cache`; ServeError naming the account."""
    try:
        return resolve_cached(account, config.base_dir, cache, timeout=FETCH_TIMEOUT)
    except CredentialError as error:
        fix = f" ({error.remediation})" if error.remediation else ""
        raise ServeError(f"account {account.name!r}: {error.message}{fix}") from None


def go_json(value: object) -> bytes:
    """What Go's json.Encoder writes, which both protocols' clients read: compact, with `<`, `>`,
    `&`, U+2028 and U+2029 escaped, and a newline."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return (text + "\n").encode("utf-8", "replace")  # a lone surrogate cannot be UTF-8
