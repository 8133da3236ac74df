"""Credentials for the Drone extension, resolved per request through `credentials.resolve`,
with a cache in front of the slow sources.

- ECR: a token is kept until REFRESH_MARGIN before it expires, then a new one is fetched, so a
  request never gets a token about to lapse (one without an expiry is fetched every time).
- passwordCommand: its output is kept for `command_ttl` seconds, then the command runs again.
- passwordFile, passwordEnv, password: kept `fast_ttl` seconds (1), so a rotated file takes
  effect within a second while a busy server reads it once a second, not once a request.
- A failure is remembered for `failure_ttl` seconds (one log line, no AWS or command storm) and
  leaves only that account out of the answer.
One thread resolves a given account at a time; the others wait for its result. `observe`, if
given, hears `("failure", account name)` and `("ecr-refresh", account name)` (for /metrics).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from halcfg.config.model import Account
from halcfg.credentials.ecr import REFRESH_MARGIN
from halcfg.credentials.resolve import Credential, CredentialError, resolve

DEFAULT_COMMAND_TTL = 300.0
DEFAULT_FAILURE_TTL = 10.0
DEFAULT_FAST_TTL = 1.0


@dataclass
class _Entry:
    account: Account  # the account as it was resolved: a changed definition is a miss
    credential: Credential | None
    until: float  # monotonic deadline


class CredentialCache:
    def __init__(
        self, log: Callable[..., None], *, command_ttl: float = DEFAULT_COMMAND_TTL,
        failure_ttl: float = DEFAULT_FAILURE_TTL, fast_ttl: float = DEFAULT_FAST_TTL, timeout: float = 30.0,
        observe: Callable[[str, str], None] | None = None,
    ) -> None:
        self._log = log
        self._observe = observe or (lambda event, account: None)
        self.command_ttl = command_ttl
        self.fast_ttl = fast_ttl
        self.failure_ttl = failure_ttl
        self.timeout = timeout
        self._entries: dict[str, _Entry] = {}  # by account name (unique in a file)
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, account: Account, base_dir: Path) -> Credential | None:
        """The account's credential, or None when it cannot be resolved now (logged once)."""
        hit, credential = self._cached(account)
        if hit:
            return credential
        if account.ecr is None and not account.password_command:  # fast sources: no queue
            return self._resolve(account, base_dir)
        with self._lock(account.name):  # single flight: the first thread resolves, the rest reuse it
            hit, credential = self._cached(account)
            return credential if hit else self._resolve(account, base_dir)

    def _cached(self, account: Account) -> tuple[bool, Credential | None]:
        entry = self._entries.get(account.name)
        if entry is None or entry.until <= time.monotonic():
            return False, None
        if entry.account is not account:  # the file was reloaded: same definition, or a miss
            if entry.account != account:
                return False, None
            entry.account = account
        return True, entry.credential

    def _resolve(self, account: Account, base_dir: Path) -> Credential | None:
        try:
            credential = resolve(account, base_dir, timeout=self.timeout)
        except CredentialError as error:
            self._entries[account.name] = _Entry(account, None, time.monotonic() + self.failure_ttl)
            self._log("credential-error", account=account.name, code=error.code, reason=error.message,
                      retry_in=self.failure_ttl)
            self._observe("failure", account.name)
            return None
        if credential.source == "ecr":
            self._observe("ecr-refresh", account.name)
        ttl = self._ttl(credential)
        if ttl > 0:
            self._entries[account.name] = _Entry(account, credential, time.monotonic() + ttl)
        else:
            self._entries.pop(account.name, None)
        return credential

    def _ttl(self, credential: Credential) -> float:
        if credential.source == "passwordCommand":
            return self.command_ttl
        if credential.source == "ecr":
            if credential.expires_at is None:
                return 0.0
            return max(0.0, credential.expires_at.timestamp() - REFRESH_MARGIN - time.time())
        return self.fast_ttl

    def _lock(self, name: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(name, threading.Lock())

    def known_secrets(self) -> list[str]:
        """Passwords currently held, for log redaction."""
        return [e.credential.password for e in list(self._entries.values()) if e.credential and e.credential.password]
