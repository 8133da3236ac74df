"""Short-lived tokens (ECR's 12-hour passwords) and resolved kork secret references kept across
processes, so a credential helper that docker or the kubelet starts for every pull asks the cloud
once per half token life (a kork secret: once per credentials.kork.TTL).

One JSON file, `tokens.json`, in the user's cache folder (`$XDG_CACHE_HOME/halcfg`, else
`~/.cache/halcfg`): folder 0700, file 0600, replaced atomically and never written or read
through a symlink. A file that is not the user's own, or that others may read, is ignored
and replaced. An entry is served only in the first half of its life (as
amazon-ecr-credential-helper does), so it is never served expired, even with some clock skew.
Concurrent writers merge what they read just before writing; the last one wins, which at
worst costs one more token request. Keys are hashes: nothing in the file names an identity.

Imported by the credential helpers' fast path, so boto3 (credentials.ecr, credentials.kork) only
on a miss: a hit costs one small file read. Entries have a `kind`: "ecr" (a token) or "kork"
(the value of one reference: a password, or a username kept in a secret store, stored in the
entry's password field); both are secrets, which is why the file is 0600.
"""

from __future__ import annotations

import json
import os
import stat
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from halcfg.config.model import Account
from halcfg.credentials import kork  # no boto3 until a miss
from halcfg.credentials.resolve import Credential, resolve
from halcfg.redact import remember

FILE_NAME = "tokens.json"
FORMAT_VERSION = 1
MAX_BYTES = 1024 * 1024  # a few hundred entries at most; anything bigger is not ours


def cache_folder() -> Path:
    """`$XDG_CACHE_HOME/halcfg`, else `~/.cache/halcfg` (a relative XDG path is ignored, per the spec)."""
    root = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(root) if os.path.isabs(root) else Path.home() / ".cache"
    return base / "halcfg"


def cache_key(*parts: str | None) -> str:
    """A stable, opaque key for whatever identifies a token (registry, region, identity)."""
    import hashlib  # only for ECR accounts: a file-backed get does without it

    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Token:
    username: str
    password: str = field(repr=False)
    requested_at: float  # epoch seconds
    expires_at: float
    kind: str = "ecr"  # or "kork"

    def fresh(self, now: float) -> bool:
        """In the first half of its life: the only time it is served from the cache."""
        return self.requested_at <= now < self.requested_at + (self.expires_at - self.requested_at) / 2


class TokenCache:
    """The cache file of one user. `problem` says why it was ignored or not written, if it was;
    the cache is an optimisation, so callers carry on and may warn."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or cache_folder()
        self.path = self.folder / FILE_NAME
        self.problem: str | None = None

    def get(self, key: str, now: float | None = None) -> Token | None:
        token = self._read().get(key)
        return token if token is not None and token.fresh(time.time() if now is None else now) else None

    def put(self, key: str, token: Token) -> None:
        """Store `token` (dropping stale entries) unless it is not fresh now: a token that
        arrives already past half its life, or expired, is used once and never cached."""
        now = time.time()
        if not token.fresh(now):
            return
        from halcfg.files.atomic import write_atomic  # only on a miss: tempfile and fcntl cost time
        from halcfg.files.folder import private_folder

        tokens = {k: t for k, t in self._read().items() if t.fresh(now)}
        tokens[key] = token
        data = {
            "version": FORMAT_VERSION,
            "tokens": {
                k: {"username": t.username, "password": t.password,
                    "requestedAt": t.requested_at, "expiresAt": t.expires_at, "kind": t.kind}
                for k, t in tokens.items()
            },
        }
        try:
            private_folder(self.folder)
            write_atomic(self.path, json.dumps(data, indent=1).encode(), mode=0o600, follow_symlinks=False)
        except OSError as error:
            self.problem = f"cannot write the token cache {self.path}: {error.strerror or error}"

    def _read(self) -> dict[str, Token]:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
        except FileNotFoundError:
            return {}
        except OSError as error:  # ELOOP: a symlink
            self.problem = f"ignoring the token cache {self.path}: {error.strerror}"
            return {}
        with os.fdopen(fd, "rb") as stream:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
                self.problem = f"ignoring the token cache {self.path}: not a 0600 file of this user"
                return {}
            raw = stream.read(MAX_BYTES + 1)
        try:
            data = json.loads(raw) if len(raw) <= MAX_BYTES else None
            entries = data["tokens"] if isinstance(data, dict) and data.get("version") == FORMAT_VERSION else {}
            return {
                key: Token(e["username"], e["password"], float(e["requestedAt"]), float(e["expiresAt"]),
                           str(e.get("kind", "ecr")))
                for key, e in entries.items()
                if isinstance(e, dict) and isinstance(e.get("username"), str) and isinstance(e.get("password"), str)
            }
        except (ValueError, TypeError, KeyError, AttributeError):
            self.problem = f"ignoring the token cache {self.path}: it is not halcfg's format"
            return {}


# The environment that picks the AWS identity of boto3's default chain: part of a token's key,
# so a token fetched as one identity is never served to another. No secret is among them.
_AWS_IDENTITY_ENV = (
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
)


def resolve_cached(account: Account, base_dir: Path, cache: TokenCache, *, timeout: float = 30.0) -> Credential:
    """`resolve`, with the account's ECR token or kork secrets (password and username) from `cache`
    while they are fresh; a miss asks AWS (importing boto3) and stores the answer."""
    if account.ecr is None:  # a kork reference, if any, is asked of the cache (the hook)
        return resolve(account, base_dir, timeout=timeout, kork=partial(_kork_cached, cache))
    from halcfg.credentials.ecr import fetch_token, token_key

    key = cache_key("ecr", *token_key(account), *(os.environ.get(name) for name in _AWS_IDENTITY_ENV))
    token = cache.get(key)
    if token is None:
        requested_at = time.time()
        fetched = fetch_token(account, base_dir, timeout)
        if fetched.expires_at is None:  # ECR always says; without it the token is used once
            return Credential(fetched.username, fetched.password, "ecr")
        token = Token(fetched.username, fetched.password, requested_at, fetched.expires_at.timestamp())
        cache.put(key, token)
    return Credential(token.username, token.password, "ecr", datetime.fromtimestamp(token.expires_at, UTC))


_KORK_ENDPOINT_ENV = tuple(dict.fromkeys(name for names in kork.ENDPOINT_ENV.values() for name in names))
KORK_LIFETIME = 2 * kork.TTL  # served in the first half of its life: for TTL, as within one process


def _kork_cached(cache: TokenCache, value: str, key_name: str, timeout: float) -> str:
    """The secret of one reference (an account's password, passwordFile or username) from `cache`,
    keyed by the reference, the key holding it and the AWS identity and endpoints it is read with;
    a miss resolves it and stores it as a "kork" entry. Each reference is an entry of its own, so a
    username and a password from one secret store cost a file read each on a hit."""
    key = cache_key("kork", key_name, value, *(os.environ.get(name) for name in (*_AWS_IDENTITY_ENV,
                                                                                 *_KORK_ENDPOINT_ENV)))
    entry = cache.get(key)
    if entry is not None and entry.kind == "kork":
        remember(entry.password)
        return entry.password
    requested_at = time.time()
    secret = kork.resolve_reference(value, key_name, timeout)
    cache.put(key, Token("", secret, requested_at, requested_at + KORK_LIFETIME, "kork"))
    return secret
